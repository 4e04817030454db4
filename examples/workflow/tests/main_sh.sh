#!/usr/bin/env bash
# scripts/main.sh end to end on a user's small folder (--data), with its own build folder:
#   main_sh.sh <repo> <pixlime_workflow> <scratch dir> [extra `all` options...]
# The report's path is printed exactly once, as the last line; the user's folder is left
# byte for byte as it was. (<pixlime_workflow>, the test build's, only makes the user's
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

PIXLIME_WORK="$scratch/work" PIXLIME_BUILD_DIR="$scratch/build" bash "$repo/scripts/main.sh" --data "$mine" \
  --explain 2 --binary-explain 1 --faithfulness-images 2 "$@" > "$scratch/main.out"
cat "$scratch/main.out"
[ "$(grep -c '^Report: ' "$scratch/main.out")" -eq 1 ] || fail "the report path should be printed once, found $(grep -c '^Report: ' "$scratch/main.out")"
tail -n 1 "$scratch/main.out" | grep -qx "Report: $scratch/work/report/index.html" || fail "the report path is not the last line"
[ -s "$scratch/work/report/index.html" ] || fail "no report"
[ "$(fingerprint "$mine")" = "$before" ] || fail "main.sh --data changed the user's folder"
[ ! -e "$scratch/work/data" ] || fail "main.sh --data laid data out in the work folder"
echo "main.sh: report path once, last; the --data folder untouched"
