#!/usr/bin/env python3
"""What any stopping threshold on the stability estimate can do, from bench_calibration's trajectories.

    BENCH_CALIBRATION_DUMP=runs.jsonl bench_calibration --counts 300 [--limit N --offset J] ...
    python3 benchmarks/stop_rules.py runs.jsonl [--target 0.95]

The dump holds, per configuration, each rerun's rounds as the adaptive stop sees them (round end,
the estimate's two SIMEX levels, the projection to the cap, the top 5) and the smallest fixed sample
count whose measured rerun Jaccard reaches the target ("smallest"; 0: none does).

Prints, over the configurations where some fixed count reaches the target (issue 24, item 3):
  - for each threshold th, "stop at the first round whose estimate >= th": how many
    configurations meet both bounds at once (rerun top-5 Jaccard at the stop >= target - 0.03 and
    median calls <= 1.25 x smallest), and each bound alone;
  - how many meet both for SOME threshold, chosen per configuration knowing the answer (an
    oracle no real stop has): an upper limit on what any threshold on this estimate can reach
    with the stop's round schedule (detail::round_ends);
  - the configurations no threshold serves, by smallest fixed count and by their number of
    segments against the stop's first round (max(101, 2K + 1) samples).
"""
import argparse
import gzip
import itertools
import json
import statistics


def jaccard(a, b):
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 1.0


def mean_pairwise_jaccard(tops):
    pairs = list(itertools.combinations(tops, 2))
    return sum(jaccard(a, b) for a, b in pairs) / len(pairs)


def estimate(row):  # the stop's estimate: 2 S(w) - S(w + B xi0), clamped (detail::simulated_stability)
    return min(1.0, max(0.0, 2 * row[1] - row[2]))


def stop_at(run, threshold):
    for i, row in enumerate(run):
        if estimate(row) >= threshold:
            return row
    return run[-1]


def outcome(config, threshold, target):
    rows = [stop_at(run, threshold) for run in config["runs"]]
    agreement = mean_pairwise_jaccard([r[5:] for r in rows])
    calls = statistics.median(r[0] for r in rows)
    return agreement >= target - 0.03, calls <= 1.25 * config["smallest"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump", nargs="+", help="BENCH_CALIBRATION_DUMP files (JSON lines, or .gz)")
    ap.add_argument("--target", type=float, default=0.95)
    args = ap.parse_args()
    configs = []
    for path in args.dump:
        with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
            configs += [json.loads(line) for line in f if line.strip()]
    reachable = [c for c in configs if c["smallest"]]
    thresholds = [0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 1.0]
    print(f"{len(configs)} configurations, {len(reachable)} where some fixed count reaches {args.target}\n")
    print("| stop at estimate >= | agreement ok | calls <= 1.25 x smallest | both |\n|---:|---:|---:|---:|")
    served = {}
    for th in thresholds:
        results = [outcome(c, th, args.target) for c in reachable]
        for c, (j, n) in zip(reachable, results):
            if j and n:
                served[c["config"]] = th
        print(f"| {th} | {sum(j for j, _ in results)} | {sum(n for _, n in results)} | {sum(j and n for j, n in results)} |")
    left = [c for c in reachable if c["config"] not in served]
    print(f"\nSome threshold (chosen per configuration, knowing the answer) meets both on {len(served)} of {len(reachable)}.")
    by_smallest = {}
    for c in left:
        by_smallest[c["smallest"]] = by_smallest.get(c["smallest"], 0) + 1
    first_round_over = sum(max(101, 2 * c["k"] + 1) > 1.25 * c["smallest"] for c in left)
    print("The other", len(left), "by smallest fixed count:", dict(sorted(by_smallest.items())))
    print(f"Of them, {first_round_over} have a first round (max(101, 2K + 1) samples) above 1.25 x smallest.")


if __name__ == "__main__":
    main()
