#!/usr/bin/env python3
"""lime 0.2.0.1's LimeImageExplainer.explain_instance against pixlime.lime_image's, end to end, in one run.

Same 224x224 image, same segments (computed once, returned by the segmentation_fn: pixlime.slic's
100-segment default, or --segments quickshift: pixlime.quickshift with lime's parameters, lime's default),
same cheap numpy classifier, 1000 samples, lime's other defaults (top_labels=5, hide_color=None,
batch_size=10, feature_selection='auto' with num_features=100000), progress_bar=False for both.
The two are timed alternately; medians and their ratio are printed, and the results are checked
to be the same.

    cd build/release/python
    PYTHONPATH=$PWD:/work/shared/vendor/lime /usr/bin/python3 ../../../benchmarks/lime_speed.py [--repeat 5]
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np

import pixlime
from pixlime import lime_image as pixlime_lime

HERE = os.path.dirname(os.path.abspath(__file__))


def find_lime():
    vendored = os.path.join(HERE, "..", "..", "shared", "vendor", "lime")
    if os.path.isdir(os.path.join(vendored, "lime")):
        sys.path.append(vendored)
    from lime import lime_image
    return lime_image


W = np.random.RandomState(0).normal(size=(3, 10))


def softmax_of(colour):
    z = colour @ W * 4
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def cheap(images):
    """Cheap (about 0.1 ms a batch): the mean colour of 8x8 pixels, a linear map to 10 classes, softmax."""
    return softmax_of(images[:, ::28, ::28, :].reshape(len(images), -1, 3).mean(1) / 255.0)


def heavier(images):
    """Heavier (about 2 ms a batch): the same of a 56x56 subsampling."""
    return softmax_of(images[:, ::4, ::4, :].reshape(len(images), -1, 3).mean(1) / 255.0)


CLASSIFIERS = {"cheap": cheap, "heavier": heavier}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (alternating)")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--segments", choices=["slic", "quickshift"], default="slic")
    parser.add_argument("--classifier", choices=list(CLASSIFIERS) + ["both"], default="both")
    parser.add_argument("--image", default=os.path.join(HERE, "..", "tests", "data", "images", "chelsea_224.png"))
    args = parser.parse_args()
    lime_lime = find_lime()

    image = pixlime.load_image(args.image)
    if args.segments == "slic":
        segments = pixlime.slic(image).astype(np.int64)
    else:
        segments = pixlime.quickshift(image, kernel_size=4, max_dist=200, ratio=0.2).astype(np.int64)

    def segmentation_fn(img):
        return segments.copy()

    def run(module, classifier):
        explainer = module.LimeImageExplainer(random_state=0)
        start = time.perf_counter()
        exp = explainer.explain_instance(image, classifier, segmentation_fn=segmentation_fn,
                                         num_samples=args.samples, random_seed=0, progress_bar=False)
        return time.perf_counter() - start, exp

    print(f"date: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.platform()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}, pixlime {pixlime.__version__}")
    print(f"command: {' '.join([os.path.basename(sys.executable)] + sys.argv)}")
    print(f"image {os.path.basename(args.image)} {image.shape}, {segments.max() + 1} segments (pixlime.{args.segments}), "
          f"{args.samples} samples, batch_size 10, top_labels 5, hide_color None, {args.repeat} runs each, alternating")
    for label in CLASSIFIERS if args.classifier == "both" else [args.classifier]:
        classifier = CLASSIFIERS[label]
        start = time.perf_counter()
        for _ in range(100):
            classifier(np.zeros((10,) + image.shape, np.uint8))
        print(f"classifier '{label}': {(time.perf_counter() - start) * 10:.3f} ms per batch of 10 "
              f"({classifier.__doc__.split(':')[0].split('(')[0].strip()})")
        times = {"lime": [], "pixlime": []}
        results = {}
        for _ in range(args.repeat):
            for name, module in (("lime", lime_lime), ("pixlime", pixlime_lime)):
                seconds, results[name] = run(module, classifier)
                times[name].append(seconds)
        a, b = results["lime"], results["pixlime"]
        worst = max(abs(dict(a.local_exp[label])[f] - w) for label in a.local_exp for f, w in b.local_exp[label])
        assert list(a.top_labels) == list(b.top_labels) and worst < 1e-9, worst
        for name, values in times.items():
            print(f"  {name:8s} explain_instance: median {statistics.median(values):.4f} s  "
                  f"(runs: {', '.join(f'{v:.4f}' for v in values)})")
        ratio = statistics.median(times["lime"]) / statistics.median(times["pixlime"])
        print(f"  speed-up (lime median / pixlime median): {ratio:.1f}x; same results "
              f"(largest weight difference {worst:.1e})")


if __name__ == "__main__":
    main()
