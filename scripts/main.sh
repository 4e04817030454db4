#!/usr/bin/env bash
# The main command: the image-model workflow on Fashion-MNIST, end to end, through `pixlime serve`.
#
#   scripts/main.sh [pixlime_workflow "all" options...]     (run from anywhere; works in the repo root)
#
# 1. installs the Debian packages it needs when they are missing (as root: apt-get; else sudo),
# 2. builds examples/workflow and the pixlime command in Release (build/main),
# 3. runs `pixlime_workflow all --train-only`: lays Fashion-MNIST out as workflow-out/data/{train,validation}/<class>/
#    (with --data DIR: uses DIR/{train,validation}/<class>/ as they are; DIR is never written) and
#    trains and stores the 10-class MLP and the binary (footwear) one,
# 4. deploys both model files on `pixlime serve` (an ephemeral port on 127.0.0.1, the database
#    workflow-out/service.db, 2 explanation workers),
# 5. runs `pixlime_workflow all --server URL`: scores the 10,000 validation images through the API
#    (the service's database is the transaction log), requests explanations of a mix of
#    transactions through the API, runs the faithfulness check and writes the report from the
#    service's results,
# 6. stops the service (SIGTERM; it exits 0) and prints how to open its dashboard on the database,
# 7. prints, last, where the report is ("Report: <path>", once).
#
# Outputs go to ./workflow-out/ (or $PIXLIME_WORK). A rerun skips what is done (data layout,
# trained models, transactions already logged, explanations) and continues an interrupted
# scoring; pass --retrain to train again. See docs/workflow.md.
# PIXLIME_BUILD_DIR names the build folder (default build/main); with PIXLIME_CONFIGURE=0 it must
# be an already configured build of this repository (the test suite's), which is then only
# brought up to date for the two programs, keeping its own options.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
work="${PIXLIME_WORK:-workflow-out}"
build="${PIXLIME_BUILD_DIR:-build/main}"
t0=$(date +%s)

bash scripts/install-deps.sh cmake make g++ pkg-config libeigen3-dev libstb-dev doctest-dev nlohmann-json3-dev libcli11-dev \
  zlib1g-dev libcpp-httplib-dev libsqlite3-dev dataset-fashion-mnist
echo "[setup] packages ready ($(( $(date +%s) - t0 )) s)"

t1=$(date +%s)
echo "[build] configuring and building examples/workflow and the pixlime command (Release) in $build"
# Only the .pxm backend is needed: libtorch and OpenCV are left out (their backends would double the build).
if [ "${PIXLIME_CONFIGURE:-1}" = 0 ]; then
  [ -f "$build/CMakeCache.txt" ] || { echo "[build] PIXLIME_CONFIGURE=0 but $build is not a configured build folder" >&2; exit 2; }
else
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPIXLIME_BUILD_TESTS=OFF -DPIXLIME_BUILD_EXAMPLES=ON \
        -DPIXLIME_BUILD_BENCHMARKS=OFF -DPIXLIME_INSTALL=OFF -DPIXLIME_PYTHON=OFF \
        -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON -DCMAKE_DISABLE_FIND_PACKAGE_OpenCV=ON >/dev/null
fi
if ! cmake --build "$build" --target pixlime_workflow pixlime_cli -j"$(nproc)" >"$build/build.log" 2>&1; then
  tail -n 60 "$build/build.log" >&2
  echo "[build] failed (full log: $build/build.log)" >&2
  exit 1
fi
prog="$build/examples/workflow/pixlime_workflow"
cli="$build/cli/pixlime"
echo "[build] done in $(( $(date +%s) - t1 )) s"

echo "[main] training ($(( $(date +%s) - t0 )) s so far)"
"$prog" --work "$work" all --train-only "$@"

# The service: the trained model files, the database in the work folder, an ephemeral port.
mkdir -p "$work"
db="$work/service.db"
models=(--model "fashion=$work/model/model.pxm")
[ -f "$work/binary/model/model.pxm" ] && models+=(--model "footwear=$work/binary/model/model.pxm")
serve_log="$work/service.log"
"$cli" serve "${models[@]}" --db "$db" --port 0 --workers 2 2>"$serve_log" &
serve_pid=$!
stop_service() {
  if [ -n "${serve_pid:-}" ] && kill -0 "$serve_pid" 2>/dev/null; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
}
trap stop_service EXIT
url=""
for _ in $(seq 1 300); do  # at most 30 s
  url="$(sed -nE 's/^pixlime serve: listening on (http:[^ ]+).*/\1/p' "$serve_log" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  cat "$serve_log" >&2
  echo "[serve] pixlime serve did not start (log: $serve_log)" >&2
  exit 1
fi
echo "[serve] pixlime serve at $url (database $db, log $serve_log)"

echo "[main] scoring and explaining through the service ($(( $(date +%s) - t0 )) s so far)"
args=()
for a in "$@"; do [ "$a" = "--retrain" ] || args+=("$a"); done  # trained above
out="$work/workflow.out"
set +e
# The report's path is printed last, after the service has stopped: held back here.
"$prog" --work "$work" all --server "$url" ${args[@]+"${args[@]}"} | tee "$out" | grep --line-buffered -v '^Report: '
rc=${PIPESTATUS[0]}
set -e

kill -TERM "$serve_pid"
set +e
wait "$serve_pid"
serve_rc=$?
set -e
serve_pid=""
echo "[serve] stopped (exit status $serve_rc). The dashboard on the same database:"
echo "  $cli serve --db $db    then open http://127.0.0.1:8080/"
[ "$serve_rc" -eq 0 ] || { tail -n 20 "$serve_log" >&2; exit 1; }
[ "$rc" -eq 0 ] || exit "$rc"
grep '^Report: ' "$out" | tail -n 1
