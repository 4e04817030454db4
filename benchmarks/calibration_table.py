#!/usr/bin/env python3
"""Per-configuration table of bench_calibration's CSV, as Markdown (issue 24's table).

    python3 benchmarks/calibration_table.py calibration.csv > benchmarks/results/calibration.md

Each row: configuration, design, segments; at each calibrated sample count the measured rerun
top-5 Jaccard, the mean estimate, |estimate - measured| and the 95 % coverage; then the adaptive
stop's median model calls, the share of reruns that reached the target, the rerun Jaccard at the
stop, and the smallest fixed (ladder) count whose measured Jaccard reached the target. A cell
outside issue 24's bounds is marked with a *: |gap| > 0.05, coverage outside [0.90, 0.98], the
stop's agreement below target - 0.03 where the target is reachable, calls above 1.25x the
smallest fixed count, or a reached target where no fixed count reached it. Coverage is not
applicable where 2^K <= the sample count (every mask enumerated, no sampling error).
"""
import csv
import sys


def main(path, target=0.95):
    rows = list(csv.DictReader(open(path)))
    if not rows:
        sys.exit(f"{path}: no rows")
    counts = [int(k.split("_")[1]) for k in rows[0] if k and k.startswith("measured_")]
    head = ["configuration", "design", "K"]
    for n in counts:
        head += [f"J@{n}", f"est@{n}", f"gap@{n}", f"cov@{n}"]
    head += ["stop calls", "reached", "J at stop", "smallest fixed"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * 3 + "---:|" * (len(head) - 3))
    bad_rows = 0
    for r in rows:
        cells = [r["config"], r["design"], r["segments"]]
        bad = False
        for n in counts:
            j, e, c = float(r[f"measured_{n}"]), float(r[f"estimate_{n}"]), float(r[f"coverage_{n}"])
            gap = abs(e - j)
            mark_gap = "*" if gap > 0.05 else ""
            if 2 ** int(r["segments"]) <= n:  # every mask enumerated: no sampling error to cover
                cells += [f"{j:.3f}", f"{e:.3f}", f"{gap:.3f}{mark_gap}", "enumerated"]
                bad |= bool(mark_gap)
                continue
            mark_cov = "*" if not 0.90 <= c <= 0.98 else ""
            bad |= bool(mark_gap or mark_cov)
            cells += [f"{j:.3f}", f"{e:.3f}", f"{gap:.3f}{mark_gap}", f"{c:.3f}{mark_cov}"]
        calls, reached, js = float(r["adaptive_calls"]), float(r["adaptive_reached"]), float(r["adaptive_jaccard"])
        smallest = int(r["smallest_fixed_reaching"])
        mark_calls = "*" if smallest and calls > 1.25 * smallest else ""
        mark_reached = "*" if not smallest and reached > 0 else ""
        mark_j = "*" if smallest and js < target - 0.03 else ""
        bad |= bool(mark_calls or mark_reached or mark_j)
        cells += [f"{calls:.0f}{mark_calls}", f"{reached:.2f}{mark_reached}", f"{js:.3f}{mark_j}", str(smallest) if smallest else "none"]
        bad_rows += bad
        print("| " + " | ".join(cells) + " |")
    print(f"\n{len(rows) - bad_rows} of {len(rows)} rows inside every bound.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
