"""Throughput of pixlime.dask.explain_many: a LocalCluster of 1 worker vs 2 workers (processes,
1 thread each) on the same images, rounds alternating which cluster goes first; medians and
their ratio. A script, not a test:

    cd build/release/python && PYTHONPATH=$PWD /usr/bin/python3 ../../../benchmarks/dask_throughput.py

The model is a stand-in costing a few ms per batch of 10: a dense layer (H*W*C -> 10, float32,
weights built by the factory on each worker) and a softmax. Prints the machine, the command, the
date, every round and the medians.
"""
import os

# One BLAS thread per process (the workers inherit this), so 1 worker is 1 core's worth.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import dask  # noqa: E402
import distributed  # noqa: E402
import pixlime  # noqa: E402
import pixlime.dask  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "images"


class Dense:
    def __init__(self, inputs, classes=10, seed=1):
        rng = np.random.default_rng(seed)
        self.w = (rng.standard_normal((inputs, classes)) / math.sqrt(inputs)).astype(np.float32)

    def __call__(self, batch):
        x = batch.reshape(len(batch), -1).astype(np.float32) * np.float32(1 / 255)
        z = x @ self.w
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)


def make_model(size=224):
    return Dense(size * size * 3)


def machine():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()} {platform.machine()} {cpu}, {os.cpu_count()} logical CPUs, {platform.platform()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=24)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()

    base = [pixlime.load_image(str(p)) for p in sorted(DATA.glob("*_224.png"))]
    images = [np.ascontiguousarray(np.roll(base[i % len(base)], 29 * (i // len(base)), axis=1)) for i in range(a.images)]
    options = dict(num_samples=a.samples, batch_size=a.batch, seed=0)

    print(f"date      {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"command   {' '.join([sys.executable] + sys.argv)}")
    print(f"machine   {machine()}")
    print(f"load avg  {' '.join(f'{x:.2f}' for x in os.getloadavg())} (before)")
    print(f"versions  pixlime {pixlime.__version__}, dask {dask.__version__}, distributed {distributed.__version__}, "
          f"numpy {np.__version__}, Python {platform.python_version()}")
    print(f"work      {a.images} images 224x224x3 uint8 (arrays), {a.samples} samples, batch {a.batch} "
          f"-> {math.ceil(a.samples / a.batch)} model calls per image; slic; a dense-layer model; {a.rounds} rounds")

    model = make_model()
    ms_per_call = []
    for _ in range(20):
        b = np.stack(images[:a.batch])
        t0 = time.perf_counter()
        model(b)
        ms_per_call.append((time.perf_counter() - t0) * 1e3)
    print(f"model     {statistics.median(ms_per_call):.2f} ms per call of {a.batch} images (median of 20, here)")

    clusters, clients = {}, {}
    for n in (1, 2):
        clusters[n] = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
        clients[n] = distributed.Client(clusters[n])
    try:
        for n in (1, 2):  # warm-up: the workers import pixlime and build the model
            records = pixlime.dask.explain_many(clients[n], images[:2 * n], make_model, **options)
            assert all(r["ok"] for r in records), [r.get("error") for r in records]
        t0 = time.perf_counter()
        serial = pixlime.dask.explain_serial(images, make_model, **options)
        serial_rate = a.images / (time.perf_counter() - t0)
        rates = {1: [], 2: []}
        identical = True
        for r in range(a.rounds):
            for n in ((1, 2) if r % 2 == 0 else (2, 1)):
                t0 = time.perf_counter()
                records = pixlime.dask.explain_many(clients[n], images, make_model, **options)
                seconds = time.perf_counter() - t0
                assert all(rec["ok"] for rec in records), [rec.get("error") for rec in records]
                rates[n].append(a.images / seconds)
                print(f"round {r + 1}  {n} worker{'s' if n > 1 else ' '}  {seconds:6.2f} s  {a.images / seconds:6.2f} images/s")
                for x, y in zip(records, serial):
                    identical &= all(np.array_equal(lx["weights"], ly["weights"]) for lx, ly in zip(x["labels"], y["labels"]))
        m1, m2 = statistics.median(rates[1]), statistics.median(rates[2])
        print(f"serial    {serial_rate:.2f} images/s (explain_serial in this process, one run)")
        print(f"median    1 worker {m1:.2f} images/s, 2 workers {m2:.2f} images/s: ratio {m2 / m1:.2f}")
        print(f"results   identical to the serial run bit for bit: {'yes' if identical else 'NO'}")
        print(f"load avg  {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after)")
    finally:
        for n in (2, 1):
            clients[n].close()
            clusters[n].close()


if __name__ == "__main__":
    main()
