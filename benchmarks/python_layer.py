"""What the Python layer costs over the C++ explain, on the same work, in one run.

Both sides: 224x224 RGB chelsea_224.png, 100 segments (10x10 grid), 1000 samples, batch 10, seed 1,
top 5 labels, 1 thread, a stub classifier that reads one pixel per image (10 classes). C++ is
bench_explain's first case (`bench_explain R explain`); Python is pixlime.explain with the numpy
equivalent of its stub, and with a classifier returning a fixed array (the layer alone). Rounds
alternate; each round's figure is a median.

    cmake --preset release && cmake --build build/release --target bench_explain _pixlime
    PYTHONPATH=build/release/python /usr/bin/python3 benchmarks/python_layer.py [rounds=5] [repeats=21]
"""
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import pixlime

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 21
bench = os.path.join(os.path.dirname(os.path.dirname(pixlime.__file__)), "..", "benchmarks", "bench_explain")
if not os.path.exists(bench):
    sys.exit(f"{bench} not found: cmake --build build/release --target bench_explain")

img = pixlime.load_image(os.path.join(root, "tests", "data", "images", "chelsea_224.png"), channels=3)
y, x = np.mgrid[0:224, 0:224]
segments = ((y * 10 // 224) * 10 + x * 10 // 224).astype(np.int32)  # bench_explain's grid


def stub(batch):  # bench_explain's stub: pixel (100, 100), channel 0, over 255, for 10 classes
    return np.repeat(batch[:, 100, 100, 0:1] / np.float32(255), 10, axis=1)


FIXED = np.full((10, 10), 0.5)


def fixed(batch):  # no work at all: what the layer costs by itself
    return FIXED[: len(batch)]


def python_median(classifier=stub):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        pixlime.explain(img, classifier, segments=segments, seed=1)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def cpp_median():
    out = subprocess.run([bench, str(repeats), "explain"], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"median ([0-9.]+) ms", out).group(1))


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print(f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
      f"numpy {np.__version__}, pixlime {pixlime.__version__}")
python_median()  # warm up
cpp, py, py_fixed = [], [], []
for r in range(rounds):
    cpp.append(cpp_median())
    py.append(python_median())
    py_fixed.append(python_median(fixed))
    print(f"round {r + 1}: C++ {cpp[-1]:.2f} ms, Python {py[-1]:.2f} ms, Python with a fixed output {py_fixed[-1]:.2f} ms")
c, p = statistics.median(cpp), statistics.median(py)
batch = np.zeros((10, 224, 224, 3), np.uint8)
t0 = time.perf_counter()
for _ in range(100):
    stub(batch)
numpy_ms = (time.perf_counter() - t0) * 1e3
print(f"median of {rounds} rounds x {repeats} runs: C++ explain {c:.2f} ms, pixlime.explain {p:.2f} ms: "
      f"the Python layer adds {100 * (p - c) / c:+.1f}% (fastest rounds: {min(cpp):.2f} vs {min(py):.2f} ms, "
      f"{100 * (min(py) - min(cpp)) / min(cpp):+.1f}%); of the difference, the numpy stub's own 100 calls take "
      f"{numpy_ms:.2f} ms on a batch in cache")
f = statistics.median(py_fixed)
print(f"with a classifier returning a fixed array (no numpy work): pixlime.explain {f:.2f} ms, {100 * (f - c) / c:+.1f}% "
      f"over the C++ explain with its stub")
