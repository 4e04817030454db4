#!/usr/bin/env python3
"""Checks the backend examples (examples/backends/) for ctest.

    check_backend.py run OUT_DIR MODEL -- PROGRAM ARG...
        Runs PROGRAM ARG... in OUT_DIR (emptied of earlier output first) and checks what it
        prints (the top label, five "segment weight" pairs, "wrote positive.png negative.png")
        and that positive.png and negative.png are PNG images of the input image's size; its
        output is kept in OUT_DIR/output.txt. Exit 77 (skipped) when MODEL does not exist (the
        model fixture was skipped: no torch).
    check_backend.py compare A/output.txt B/output.txt [--rtol 1e-3]
        Two programs' explanations of the same model agree: the same top label and probability
        (to 1e-5), the same five segments in the same order, each weight within rtol of the
        largest |weight| of either. Exit 77 when an output is missing.
"""
import argparse
import os
import re
import struct
import subprocess
import sys

LINE = re.compile(r"top label: (\S+) \(p = ([0-9.]+)\)\ntop segments:((?: \d+ \S+){5})\nwrote positive.png negative.png\n")


def parse(text):
    m = LINE.search(text)
    if not m:
        return None
    fields = m.group(3).split()
    return m.group(1), float(m.group(2)), [(int(fields[i]), float(fields[i + 1])) for i in range(0, 10, 2)]


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def run(args):
    os.makedirs(args.out_dir, exist_ok=True)
    for name in ("positive.png", "negative.png", "output.txt"):  # no earlier run's output compared
        if os.path.exists(os.path.join(args.out_dir, name)):
            os.remove(os.path.join(args.out_dir, name))
    if not os.path.exists(args.model):
        print(f"check_backend.py: no model {args.model} (the model fixture was skipped): skipped")
        return 77
    result = subprocess.run(args.command, cwd=args.out_dir, stdout=subprocess.PIPE, universal_newlines=True)
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        print(f"FAIL: {args.command[0]} exited with {result.returncode}")
        return 1
    parsed = parse(result.stdout)
    if parsed is None:
        print("FAIL: the output is not 'top label: ... / top segments: (5 x segment weight) / wrote ...'")
        return 1
    with open(os.path.join(args.out_dir, "output.txt"), "w") as f:
        f.write(result.stdout)
    for name in ("positive.png", "negative.png"):
        size = png_size(os.path.join(args.out_dir, name))
        if size is None:
            print(f"FAIL: {name} is missing or not a PNG")
            return 1
        if size != (224, 224):
            print(f"FAIL: {name} is {size[0]}x{size[1]}, not 224x224 like the input")
            return 1
    label, p, top = parsed
    if len({s for s, _ in top}) != 5 or max(abs(w) for _, w in top) == 0:
        print("FAIL: five distinct segments with non-zero weights expected")
        return 1
    print(f"check_backend.py: {label} p={p}, top segments {[s for s, _ in top]}, positive.png and negative.png 224x224")
    return 0


def compare(args):
    outs = []
    for path in (args.a, args.b):
        if not os.path.exists(path):
            print(f"check_backend.py: no {path} (its test was skipped): skipped")
            return 77
        outs.append(parse(open(path).read()))
    (la, pa, ta), (lb, pb, tb) = outs
    print(f"A: {la} p={pa} {ta}\nB: {lb} p={pb} {tb}")
    failures = []
    if la != lb:
        failures.append(f"top labels differ: {la} vs {lb}")
    if abs(pa - pb) > 1e-5:
        failures.append(f"probabilities differ: {pa} vs {pb}")
    if [s for s, _ in ta] != [s for s, _ in tb]:
        failures.append(f"top segments differ: {[s for s, _ in ta]} vs {[s for s, _ in tb]}")
    scale = max(abs(w) for _, w in ta + tb)
    for (sa, wa), (sb, wb) in zip(ta, tb):
        if abs(wa - wb) > args.rtol * scale:
            failures.append(f"weights differ: segment {sa} {wa!r} vs segment {sb} {wb!r} (tolerance {args.rtol} x {scale:.3g})")
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print(f"check_backend.py: the same explanation (weights within {args.rtol} of the largest)")
    return 1 if failures else 0


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["run"]:
        if "--" not in argv:
            sys.exit("usage: check_backend.py run OUT_DIR MODEL -- PROGRAM ARG...")
        cut = argv.index("--")
        ns = argparse.Namespace(out_dir=argv[1], model=argv[2], command=argv[cut + 1:])
        return run(ns)
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["compare"])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rtol", type=float, default=1e-3)
    return compare(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
