#!/usr/bin/env python3
"""Times scikit-image's segmenters on the inputs of pixlime's bench_segmenters, in the same
run, and prints a table of medians and speed-up ratios (scikit-image time / pixlime time).

Usage (from the repository root, after building the benchmarks in Release):

    /usr/bin/python3 benchmarks/skimage_times.py build/seg/benchmarks/bench_segmenters [--quick]

Without scikit-image (Debian: apt-get install python3-skimage) it prints pixlime's figures
only and says so. Both sides run on one thread; scikit-image's quickshift at 1024 x 1024
takes several seconds, so it runs once there.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run_pixlime(binary, inputs, quick):
    cmd = [binary, "--save-inputs", inputs] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if not f or f[0] != "case":
            continue
        kv = dict(zip(f[0::2], f[1::2]))
        rows.append({"case": kv["case"], "image": kv["image"], "size": kv["size"],
                     "ms": float(kv["median_ms"]), "segments": int(kv["segments"])})
    return rows


def time_skimage(case, path, runs):
    import numpy as np
    from skimage import io
    from skimage.segmentation import felzenszwalb, quickshift, slic
    img = io.imread(path)[:, :, :3]
    h, w = img.shape[:2]
    calls = {
        "slic": lambda: slic(img, n_segments=100, compactness=10, start_label=0),
        "quickshift": lambda: quickshift(img, kernel_size=4, max_dist=200, ratio=0.2, random_seed=42),
        "felzenszwalb": lambda: felzenszwalb(img, scale=1, sigma=0.8, min_size=20),
        # The nearest scikit-image/numpy equivalent of an 8 x 8 grid.
        "grid": lambda: (np.arange(h)[:, None] * 8 // h) * 8 + (np.arange(w)[None, :] * 8 // w),
    }
    f = calls[case]
    times, labels = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        labels = f()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times), len(np.unique(labels))


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary, quick = sys.argv[1], "--quick" in sys.argv[2:]
    with tempfile.TemporaryDirectory() as inputs:
        rows = run_pixlime(binary, inputs, quick)
        try:
            import skimage
            have = True
        except ImportError:
            have = False
            print("scikit-image is not installed (Debian: apt-get install python3-skimage): "
                  "pixlime's figures only.\n")
        header = "%-13s %-10s %12s %10s" % ("segmenter", "size", "pixlime ms", "segments")
        if have:
            header += " %12s %10s %9s" % ("skimage ms", "segments", "speed-up")
            header = "scikit-image %s, one thread, medians\n" % skimage.__version__ + header
        print(header)
        for r in rows:
            line = "%-13s %-10s %12.2f %10d" % (r["case"], r["size"], r["ms"], r["segments"])
            if have:
                big = r["size"] != "224x224"
                runs = 1 if (big and r["case"] == "quickshift") else (3 if big or quick else 7)
                ms, segs = time_skimage(r["case"], os.path.join(inputs, r["image"]), runs)
                line += " %12.2f %10d %8.1fx" % (ms, segs, ms / r["ms"])
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
