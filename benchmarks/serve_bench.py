#!/usr/bin/env python3
"""`pixlime serve` under load, over loopback (docs/serve.md; results in benchmarks/RESULTS.md):

    benchmarks/serve_bench.py PIXLIME [--seconds 10] [--explanations 12]

1. predictions per second and p50 / p99 latency with 1, 8 and 32 concurrent clients (wrk, Debian's
   package, keep-alive connections POSTing one 224x224 PNG to /v1/models/cnn:predict); each request
   is a transaction committed to the database (synchronous=FULL) before the answer;
2. explanations per minute with 1 and 2 workers (the service's defaults for photos: SLIC 100
   segments, 1000 samples), timed from the POST to the last task finished;
3. the server's memory (VmRSS, VmHWM) after 10,000 logged transactions, and the database's size.

The model is cheap on purpose (tests/models/make_models.py's CNN at 32x32, TorchScript): the
figures are the service's own costs (HTTP, decoding, resizing, SQLite), not a network's.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "serve", "tests"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pixlime")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--explanations", type=int, default=12)
    a = ap.parse_args()
    os.environ["PIXLIME_CLI"] = os.path.abspath(a.pixlime)
    os.environ["PIXLIME_SOURCE"] = SOURCE
    import serve_util
    serve_util.CLI = os.environ["PIXLIME_CLI"]
    if not shutil.which("wrk"):
        sys.exit("serve_bench: wrk is needed (Debian: apt-get install wrk)")
    models = serve_util.make_models()
    work = tempfile.mkdtemp(prefix="pixlime-serve-bench-")
    image = os.path.join(SOURCE, "tests", "data", "images", "chelsea_224.png")
    lua = os.path.join(work, "post.lua")
    with open(lua, "w") as f:
        f.write('local f = io.open("%s", "rb")\nwrk.method = "POST"\nwrk.body = f:read("*all")\nf:close()\n'
                'wrk.headers["Content-Type"] = "image/png"\n' % image)
    db = os.path.join(work, "db.sqlite")
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; pixlime {a.pixlime}")
    rows = []
    with serve_util.Server(db, *serve_util.model_args(models), "--workers", "0") as s:
        serve_util.predict(s.url, serve_util.image_bytes("chelsea_224.png"))  # one request: the model is warm
        with open(f"/proc/{s.proc.pid}/status") as f:
            start_rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) / 1024
        for clients in (1, 8, 32):
            out = subprocess.run(["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{a.seconds}s", "--latency", "-s", lua,
                                  s.url + "/v1/models/cnn:predict"], capture_output=True, text=True, timeout=a.seconds + 60).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            rows.append((clients, rps, lat.get("50"), lat.get("99"), int(errors.group(1)) if errors else 0))
            print(f"predict, {clients:2d} clients: {rps:8.1f} predictions/s, p50 {lat.get('50')}, p99 {lat.get('99')}, "
                  f"non-2xx {rows[-1][4]}", flush=True)
        count = serve_util.call(s.url + "/metrics").body.decode()
        logged = int(re.search(r"^pixlime_transactions_total (\d+)", count, re.M).group(1))
        while logged < 10000:  # top up to 10,000 transactions
            subprocess.run(["wrk", "-t", "2", "-c", "8", "-d", "5s", "-s", lua, s.url + "/v1/models/cnn:predict"], capture_output=True,
                           timeout=60)
            count = serve_util.call(s.url + "/metrics").body.decode()
            logged = int(re.search(r"^pixlime_transactions_total (\d+)", count, re.M).group(1))
        with open(f"/proc/{s.proc.pid}/status") as f:
            status = f.read()
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024
        hwm = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
        s.stop()
    size = sum(os.path.getsize(db + ext) for ext in ("", "-wal") if os.path.exists(db + ext)) / 2**20
    print(f"memory after 1 transaction: VmRSS {start_rss:.1f} MiB; after {logged} logged transactions: VmRSS {rss:.1f} MiB, "
          f"VmHWM {hwm:.1f} MiB; database {size:.1f} MiB (the image stored once)")

    photos = ["astronaut_224.png", "chelsea_224.png", "coffee_224.png", "rocket_224.png"]
    for workers in (1, 2):
        wdb = os.path.join(work, f"explain{workers}.sqlite")
        with serve_util.Server(wdb, *serve_util.model_args(models), "--workers", str(workers)) as s:
            txs = []
            for i in range(a.explanations):
                data = serve_util.image_bytes(photos[i % 4])
                txs.append(serve_util.predict(s.url, data).json()["predictions"][0]["transaction_id"])
            # Different seeds: each transaction its own task even for a repeated photo.
            t0 = time.time()
            tasks = []
            for i, tx in enumerate(txs):
                tasks += serve_util.call(s.url + "/v1/explanations", "POST", {"transactions": [tx], "overrides": {"seed": i}}).json()["tasks"]
            done = [serve_util.wait_task(s.url, t["id"], timeout=1800) for t in tasks]
            seconds = time.time() - t0
            assert all(d["status"] == "finished" for d in done), done
            calls = sum(d["record"]["model_calls"] for d in done)
            print(f"explanations, {workers} worker{'s' if workers > 1 else ''}: {len(done)} in {seconds:.1f} s = "
                  f"{60 * len(done) / seconds:.1f} per minute ({calls} model calls)", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(models, ignore_errors=True)


if __name__ == "__main__":
    main()
