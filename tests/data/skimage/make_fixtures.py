#!/usr/bin/env python3
"""Reference label maps from scikit-image for pixlime's segmenter tests.

Writes, next to this script, one 16-bit grayscale PNG per (image, segmenter, parameters):
pixel value = scikit-image's label (0-based), and fixtures.txt listing each map with the
segmenter, its parameters and scikit-image's segment count. Run from the repository root:

    /usr/bin/python3 tests/data/skimage/make_fixtures.py

(Debian's python3 with python3-skimage; see README.md here for the versions used.)
"""
import os
import sys

import numpy as np
import skimage
from skimage import io
from skimage.segmentation import felzenszwalb, quickshift, slic

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "..", "images")

NAMES = ["chelsea_224", "astronaut_224", "coffee_224", "rocket_224", "chelsea_full"]

# (segmenter, parameter string as pixlime's tests parse it, call)
CASES = [
    ("slic", "num_segments=100 compactness=10",
     lambda im: slic(im, n_segments=100, compactness=10, start_label=0)),
    ("slic", "num_segments=200 compactness=20",
     lambda im: slic(im, n_segments=200, compactness=20, start_label=0)),
    # lime_image's default segmenter.
    ("quickshift", "kernel_size=4 max_dist=200 ratio=0.2",
     lambda im: quickshift(im, kernel_size=4, max_dist=200, ratio=0.2, random_seed=42)),
    ("felzenszwalb", "scale=1 sigma=0.8 min_size=20",
     lambda im: felzenszwalb(im, scale=1, sigma=0.8, min_size=20)),
    ("felzenszwalb", "scale=100 sigma=0.5 min_size=50",
     lambda im: felzenszwalb(im, scale=100, sigma=0.5, min_size=50)),
]


def main():
    lines = ["# file segmenter parameters count  (made by make_fixtures.py with scikit-image %s)"
             % skimage.__version__]
    for name in NAMES:
        img = io.imread(os.path.join(IMAGES, name + ".png"))[:, :, :3]
        for i, (segmenter, params, run) in enumerate(CASES):
            # quickshift on the full-size image is slow in scikit-image (seconds): skip it there.
            if name == "chelsea_full" and segmenter == "quickshift":
                continue
            labels = run(img)
            _, labels = np.unique(labels, return_inverse=True)
            labels = labels.reshape(img.shape[:2]).astype(np.uint16)
            count = int(labels.max()) + 1
            assert count < 65536
            fname = "%s_%s_%d.png" % (name, segmenter, i)
            io.imsave(os.path.join(HERE, fname), labels, check_contrast=False)
            lines.append("%s %s %s %d" % (fname, segmenter, params.replace(" ", ","), count))
            print(lines[-1], file=sys.stderr)
    with open(os.path.join(HERE, "fixtures.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
