#!/usr/bin/env bash
# End to end: `pixlime_workflow --data DIR all` uses the user's folder as it is, and no step
# writes into it; `prepare --data DIR` is refused.
#   data_untouched.sh <pixlime_workflow> <scratch dir> [extra `all` options...]
# The user's folder is a few hundred Fashion-MNIST images (laid out by `prepare` in another
# work folder and copied) plus two files that are not images. Its listing and every file's
# SHA-256 must be the same after the run. Exits 77 (skipped) without the data.
set -euo pipefail
prog="$1"; scratch="$2"; shift 2

idx="${PIXLIME_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
if [ ! -f "$idx/train-images-idx3-ubyte.gz" ]; then
  echo "SKIPPED: Fashion-MNIST not found in $idx (Debian: apt-get install dataset-fashion-mnist)"; exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$scratch"
mkdir -p "$scratch"
scratch="$(cd "$scratch" && pwd)"

"$prog" --work "$scratch/maker" prepare --idx-dir "$idx" --train-images 600 --validation-images 40
mine="$scratch/my images"
mkdir -p "$mine"
cp -r "$scratch/maker/data/train" "$scratch/maker/data/validation" "$mine/"
echo "my own images, do not touch" > "$mine/README.txt"
echo "not an image" > "$mine/train/bag/notes.txt"
fingerprint() { (cd "$1" && find . -printf '%y %m %p\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before="$(fingerprint "$mine")"
[ "$(echo "$before" | grep -c '^f ')" -eq 642 ] || fail "expected 642 files in the user's folder"

work="$scratch/work"
"$prog" --work "$work" --data "$mine" all --idx-dir "$idx" --explain 2 --binary-explain 1 --faithfulness-images 2 "$@" \
  > "$scratch/all.out"
cat "$scratch/all.out"
[ "$(fingerprint "$mine")" = "$before" ] || fail "the data folder changed: $(diff <(echo "$before") <(fingerprint "$mine") | head)"
[ ! -e "$work/data" ] || fail "all --data laid data out in the work folder"
grep -q -- "--data $mine: your folders are used as they are" "$scratch/all.out" || fail "all --data did not say that it uses the folder as it is"
[ "$(wc -l < "$work/transactions.jsonl")" -eq 40 ] || fail "expected 40 transactions (the user's validation images)"
[ "$(grep -cF "\"input\":\"$mine/validation/" "$work/transactions.jsonl")" -eq 40 ] || fail "transactions not of the user's images"
tail -n 1 "$scratch/all.out" | grep -q "^Report: $work/report/index.html$" || fail "the report path is not printed last"

# prepare --data is refused, and changes nothing.
set +e
"$prog" --work "$work" --data "$mine" prepare --idx-dir "$idx" > "$scratch/prepare.out" 2>&1
rc=$?
set -e
cat "$scratch/prepare.out"
[ "$rc" -eq 1 ] || fail "prepare --data should fail with status 1, got $rc"
grep -q "error: prepare lays Fashion-MNIST out only under the work folder" "$scratch/prepare.out" || fail "no clear refusal"
# A work folder inside the data folder is refused before anything is written.
set +e
"$prog" --work "$mine/out" --data "$mine" all > "$scratch/inside.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "is inside the data folder" "$scratch/inside.out" || fail "a work folder inside the data folder was not refused"
[ "$(fingerprint "$mine")" = "$before" ] || fail "the data folder changed"
echo "data folder untouched: $(echo "$before" | grep -c '^f ') files, byte for byte"
