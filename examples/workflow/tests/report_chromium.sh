#!/usr/bin/env bash
# End-to-end test of the workflow program and its report in a real browser:
#   report_chromium.sh <pixlime_workflow> <work dir> [extra `all` options...]
# Runs every step on a small part of Fashion-MNIST with one corrupt validation file, explains
# the failing transaction too (it must fail with its reason while the others succeed),
# writes the report, then opens it in headless Chromium: a screenshot is taken and the DOM,
# dumped after the page's load event, must say that every <img> decoded (naturalWidth > 0);
# every image file the page names must exist. Exits 77 (skipped) without Chromium or the data.
set -euo pipefail
prog="$1"; work="$2"; shift 2

browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser="$(command -v "$b")"; break; fi
done
if [ -z "$browser" ]; then echo "SKIPPED: Chromium not installed (Debian: apt-get install chromium)"; exit 77; fi
idx="${PIXLIME_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
if [ ! -f "$idx/train-images-idx3-ubyte.gz" ]; then
  echo "SKIPPED: Fashion-MNIST not found in $idx (Debian: apt-get install dataset-fashion-mnist)"; exit 77
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

"$prog" --work "$work" prepare --idx-dir "$idx" --train-images 6000 --validation-images 400
# The layout: one folder per class under train/ and validation/.
[ "$(find "$work/data/train" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 10 ] || fail "expected 10 train class folders"
[ "$(find "$work/data/validation" -name '*.png' | wc -l)" -eq 400 ] || fail "expected 400 validation images"
[ -f "$work/data/train/sneaker/train-00006.png" ] || fail "missing readable file name train/sneaker/train-00006.png"
printf 'this is not a PNG' > "$work/data/validation/bag/validation-zz-corrupt.png"

"$prog" --work "$work" all --idx-dir "$idx" --train-images 6000 --validation-images 400 \
        --explain 6 --binary-explain 3 --faithfulness-images 0 "$@"

log="$work/transactions.jsonl"
[ "$(wc -l < "$log")" -eq 401 ] || fail "expected 401 transactions in $log"
bad_id="$(grep -F 'validation-zz-corrupt.png' "$log" | sed -E 's/.*"id":"([^"]+)".*/\1/')"
grep -F 'validation-zz-corrupt.png' "$log" | grep -q '"error":' || fail "the corrupt file's transaction has no error"
# Explaining the failing transaction plus a good one: the good one is done (or skipped as
# already done), the bad one fails with its reason, the exit status says so.
good_id="$(head -n 1 "$log" | sed -E 's/.*"id":"([^"]+)".*/\1/')"
set +e
"$prog" --work "$work" explain --id "$bad_id,$good_id" --samples 1000 > "$work/explain.out" 2>&1
rc=$?
set -e
cat "$work/explain.out"
[ "$rc" -eq 3 ] || fail "explain with a failing transaction should exit 3, got $rc"
grep -q "$bad_id FAILED: .*not an image" "$work/explain.out" || fail "no failure reason for $bad_id"
[ -f "$work/explanations/$bad_id/error.json" ] || fail "no error.json for $bad_id"
[ -f "$work/explanations/$good_id/explanation.json" ] || fail "no explanation for $good_id"
# Every record the workflow wrote follows the app layer's schema (app/schema/record.schema.json).
here="$(cd "$(dirname "$0")" && pwd)"
set +e
/usr/bin/python3 "$here/../../../app/tests/validate_records.py" "$work" > "$work/schema.out" 2>&1
rc=$?
set -e
cat "$work/schema.out"
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "records that do not follow the schema (validate_records.py exit $rc)"
"$prog" --work "$work" report > "$work/report.out"
cat "$work/report.out"
tail -n 1 "$work/report.out" | grep -q "^Report: $work/report/index.html$" || fail "the report path is not printed last"

html="$work/report/index.html"
n_img="$(grep -o '<img ' "$html" | wc -l)"
[ "$n_img" -eq 36 ] || fail "expected 36 images in the report (9 explained transactions x 4), found $n_img"
grep -q 'id="binary"' "$html" || fail "no binary section"
grep -q 'card failed' "$html" || fail "the failed transaction is not in the report"
grep -q 'card wrong' "$html" || fail "no wrong prediction in the report"
# Every image the page names exists.
grep -o '<img src="[^"]*"' "$html" | sed -E 's/<img src="([^"]*)"/\1/' | while read -r src; do
  [ -s "$work/report/$src" ] || fail "image $src named by the report does not exist"
done

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --hide-scrollbars)
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" "${flags[@]}" --user-data-dir="$profile" --window-size=1280,2000 \
  --screenshot="$work/screenshot.png" "file://$html" > "$work/chromium.out" 2>&1 || { cat "$work/chromium.out"; fail "chromium screenshot failed"; }
[ -s "$work/screenshot.png" ] || fail "no screenshot"
[ "$(head -c 8 "$work/screenshot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "the screenshot is not a PNG"
[ "$(stat -c %s "$work/screenshot.png")" -gt 50000 ] || fail "the screenshot is suspiciously small (blank page?)"
"$browser" "${flags[@]}" --user-data-dir="$profile" --virtual-time-budget=5000 --dump-dom "file://$html" \
  > "$work/dom.html" 2> "$work/chromium-dom.err" || { cat "$work/chromium-dom.err"; fail "chromium --dump-dom failed"; }
check="$(grep -o '<span id="image-check"[^>]*>[^<]*' "$work/dom.html" || true)"
echo "image check in the loaded page: $check"
echo "$check" | grep -q "data-total=\"$n_img\"" || fail "the page did not see $n_img images"
echo "$check" | grep -q "data-loaded=\"$n_img\"" || fail "not every image loaded"
echo "$check" | grep -q 'data-broken="0"' || fail "broken images"
echo "report OK: $n_img images loaded in Chromium; screenshot $work/screenshot.png"
