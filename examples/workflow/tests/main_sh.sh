#!/usr/bin/env bash
# scripts/main.sh end to end on a user's small folder (--data), with its own build folder:
#   main_sh.sh <repo> <pixlime_workflow> <scratch dir> [extra `all` options...]
# The models are scored and explained through `pixlime serve`: the accuracy is printed, the
# transaction log is the service's database (no transactions.jsonl), the service stops with
# status 0 and the way to its dashboard is printed; the report shows the accuracy and the
# explained transactions. The report's path is printed exactly once, as the last line; the
# user's folder is left byte for byte as it was. (<pixlime_workflow>, the test build's, only makes the user's
# images; main.sh builds and runs its own.) Exits 77 (skipped) without the data.
set -euo pipefail
repo="$1"; prog="$2"; scratch="$3"; shift 3

idx="${PIXLIME_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
if [ ! -f "$idx/train-images-idx3-ubyte.gz" ]; then
  echo "SKIPPED: Fashion-MNIST not found in $idx (Debian: apt-get install dataset-fashion-mnist)"; exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$scratch"
scratch="$(cd "$scratch" && pwd)"
rm -rf "$scratch/maker" "$scratch/mine" "$scratch/work"  # the build folder is kept: reruns build incrementally

"$prog" --work "$scratch/maker" prepare --idx-dir "$idx" --train-images 600 --validation-images 40 > /dev/null
mine="$scratch/mine"
mkdir -p "$mine"
cp -r "$scratch/maker/data/train" "$scratch/maker/data/validation" "$mine/"
echo "my own images" > "$mine/README.txt"
fingerprint() { (cd "$1" && find . -printf '%y %m %p\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before="$(fingerprint "$mine")"

# The test suite's own build (PIXLIME_TEST_BUILD_DIR, set by ctest) is reused as it is configured:
# main.sh then only checks that the two programs are up to date instead of building them again.
if [ -n "${PIXLIME_TEST_BUILD_DIR:-}" ]; then
  build_env=(PIXLIME_BUILD_DIR="$PIXLIME_TEST_BUILD_DIR" PIXLIME_CONFIGURE=0)
else
  build_env=(PIXLIME_BUILD_DIR="$scratch/build")
fi
env PIXLIME_WORK="$scratch/work" "${build_env[@]}" bash "$repo/scripts/main.sh" --data "$mine" \
  --explain 2 --binary-explain 1 --faithfulness-images 2 "$@" > "$scratch/main.out"
cat "$scratch/main.out"
[ "$(grep -c '^Report: ' "$scratch/main.out")" -eq 1 ] || fail "the report path should be printed once, found $(grep -c '^Report: ' "$scratch/main.out")"
tail -n 1 "$scratch/main.out" | grep -qx "Report: $scratch/work/report/index.html" || fail "the report path is not the last line"
[ -s "$scratch/work/report/index.html" ] || fail "no report"
[ "$(fingerprint "$mine")" = "$before" ] || fail "main.sh --data changed the user's folder"
[ ! -e "$scratch/work/data" ] || fail "main.sh --data laid data out in the work folder"
# Scored through the service: the accuracy of the 40 images, the log in the service's database.
grep -Eq '^\[score\] 40 transactions \(0 failed\), accuracy [0-9.]+% \([0-9]+/40\) .*the service.s log' "$scratch/main.out" ||
  fail "no accuracy of the 40 transactions scored through the service"
grep -Eq '^\[score --binary\] 40 transactions \(0 failed\), accuracy [0-9.]+%' "$scratch/main.out" || fail "no binary accuracy"
[ -s "$scratch/work/service.db" ] || fail "no service database"
[ ! -e "$scratch/work/transactions.jsonl" ] || fail "a transactions.jsonl was written: the log should be the service's"
grep -q "^\[serve\] stopped (exit status 0)" "$scratch/main.out" || fail "the service did not stop with status 0"
grep -q "serve --db $scratch/work/service.db" "$scratch/main.out" || fail "no word of the dashboard"
# The report: the accuracy table and the explained transactions (2 + 1 cards, 4 images each).
html="$scratch/work/report/index.html"
grep -q "accuracy of the scored" "$html" || fail "no accuracy in the report"
grep -q "pixlime serve at http://127.0.0.1:" "$html" || fail "the report does not name the service's log"
[ "$(grep -o '<img ' "$html" | wc -l)" -eq 12 ] || fail "expected 12 images (3 explained transactions) in the report"
for f in "$scratch"/work/explanations/*/explanation.json "$scratch"/work/binary/explanations/*/explanation.json; do
  grep -q '"task_id"' "$f" || fail "$f is not a record of the service"
done
echo "main.sh: scored and explained through pixlime serve; report path once, last; the --data folder untouched"
