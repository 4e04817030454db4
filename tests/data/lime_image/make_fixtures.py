#!/usr/bin/env python3
"""Adds lime_image's own ranking (local_exp) to the fixtures of this folder, and checks that the
rest of each fixture is what lime 0.2.0.1 computes today.

    PYTHONPATH=/path/to/lime-0.2.0.1 python3 make_fixtures.py

Needs numpy, scikit-learn, scikit-image and tqdm (Debian: python3-numpy python3-sklearn
python3-skimage python3-tqdm) and lime's source (not a dependency of pixlime; the project keeps
a copy beside the repository for comparisons). The call is the one in README.md here.
"""
import json
import os
import sys

import numpy as np
from lime import lime_image
from skimage.io import imread

HERE = os.path.dirname(os.path.abspath(__file__))


def planted(images):
    red = images[:, 56:112, 56:112, 0].astype(np.float64)
    m = red.reshape(len(images), -1).sum(1) / (3136 * 255.0)
    p1 = 1 / (1 + np.exp(-10.0 * (m - 0.3)))
    return np.stack([1 - p1, p1], axis=1)


def grid8(image):
    y, x = np.mgrid[0:224, 0:224]
    return (y // 28) * 8 + x // 28


def main():
    image = imread(os.path.join(HERE, "..", "images", "chelsea_224.png"))
    for name, hide in (("planted_grid8_hide_black.json", 0), ("planted_grid8_hide_mean.json", None)):
        path = os.path.join(HERE, name)
        with open(path) as f:
            fixture = json.load(f)
        explainer = lime_image.LimeImageExplainer(kernel_width=0.25, feature_selection="auto", random_state=3)
        exp = explainer.explain_instance(image, planted, hide_color=hide, top_labels=2, num_features=100000,
                                         num_samples=200, batch_size=10, segmentation_fn=grid8,
                                         distance_metric="cosine", random_seed=3, progress_bar=False)
        for label, ref in fixture["labels"].items():
            weights = dict(exp.local_exp[int(label)])
            worst = max(abs(weights[k] - w) for k, w in enumerate(ref["weights"]))
            if worst > 1e-12 or abs(exp.intercept[int(label)] - ref["intercept"]) > 1e-12:
                sys.exit(f"{name} label {label}: lime now differs from the fixture by {worst}")
            ref["local_exp_order"] = [int(k) for k, _ in exp.local_exp[int(label)]]
        with open(path, "w") as f:
            json.dump(fixture, f, indent=1)
            f.write("\n")
        print(f"{name}: lime's numbers unchanged; local_exp_order added")


if __name__ == "__main__":
    main()
