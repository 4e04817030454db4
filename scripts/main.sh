#!/usr/bin/env bash
# The main command: the image-model workflow on Fashion-MNIST, end to end.
#
#   scripts/main.sh [pixlime_workflow "all" options...]     (run from anywhere; works in the repo root)
#
# 1. installs the Debian packages it needs when they are missing (as root: apt-get; else sudo),
# 2. builds examples/workflow in Release (build/main),
# 3. runs `pixlime_workflow all`: lays Fashion-MNIST out as workflow-out/data/{train,validation}/<class>/
#    (with --data DIR: uses DIR/{train,validation}/<class>/ as they are; DIR is never written),
#    trains the 10-class MLP and the binary (footwear) one, stores and deploys them, scores the
#    10,000 validation images into transaction logs, explains a mix of transactions, runs the
#    faithfulness check and writes the report,
# 4. prints, last, where the report is (the workflow's own last line, "Report: <path>").
#
# Outputs go to ./workflow-out/ (or $PIXLIME_WORK). A rerun skips what is done (data layout,
# trained models, complete transaction logs, explanations) and continues an interrupted
# transaction log; pass --retrain to train again. See docs/workflow.md.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
work="${PIXLIME_WORK:-workflow-out}"
build="${PIXLIME_BUILD_DIR:-build/main}"
t0=$(date +%s)

bash scripts/install-deps.sh cmake make g++ libeigen3-dev libstb-dev doctest-dev nlohmann-json3-dev libcli11-dev \
  zlib1g-dev dataset-fashion-mnist
echo "[setup] packages ready ($(( $(date +%s) - t0 )) s)"

t1=$(date +%s)
echo "[build] configuring and building examples/workflow (Release) in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPIXLIME_BUILD_TESTS=OFF -DPIXLIME_BUILD_EXAMPLES=ON \
      -DPIXLIME_BUILD_BENCHMARKS=OFF -DPIXLIME_INSTALL=OFF >/dev/null
if ! cmake --build "$build" --target pixlime_workflow -j"$(nproc)" >"$build/build.log" 2>&1; then
  tail -n 60 "$build/build.log" >&2
  echo "[build] failed (full log: $build/build.log)" >&2
  exit 1
fi
prog="$build/examples/workflow/pixlime_workflow"
echo "[build] done in $(( $(date +%s) - t1 )) s"

echo "[main] running the workflow ($(( $(date +%s) - t0 )) s so far)"
# The workflow's last line is the report's path ("Report: /abs/path/index.html"), printed once.
exec "$prog" --work "$work" all "$@"
