#!/usr/bin/env bash
# Scoring through `pixlime serve` survives a stop and a kill of the workflow (the client):
#   serve_kill.sh <pixlime_workflow> <pixlime> <scratch dir> [images to score, default 2000]
# A model with a large input (280 x 280, so that scoring 2,000 images takes a few seconds) is
# deployed on a real `pixlime serve` (ephemeral port, its own database); `score --server` scores
# Fashion-MNIST validation images, and the test waits until the service has logged some (it never
# sleeps for a fixed time), then
#  1. sends SIGTERM to the workflow: it stops after the request in hand and exits 130;
#  2. reruns it and kill -9s it further on;
#  3. reruns it to the end: the service's log holds every input exactly once (ids consecutive,
#     tx-<model>-000001 ...), and a further rerun has nothing to score;
#  4. stops the server with SIGTERM: it exits 0.
# Exits 77 (skipped) without the data.
set -euo pipefail
prog="$1"; cli="$2"; scratch="$3"; n="${4:-2000}"

idx="${PIXLIME_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
if [ ! -f "$idx/train-images-idx3-ubyte.gz" ]; then
  echo "SKIPPED: Fashion-MNIST not found in $idx (Debian: apt-get install dataset-fashion-mnist)"; exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$scratch"
mkdir -p "$scratch"
scratch="$(cd "$scratch" && pwd)"
[ "$n" -ge 400 ] || fail "score at least 400 images (the test stops score after 100, and again 100 later)"

"$prog" --work "$scratch/small" prepare --idx-dir "$idx" --train-images 300 --validation-images 50 > /dev/null
"$prog" --work "$scratch/many" prepare --idx-dir "$idx" --train-images 10 --validation-images "$n" > /dev/null
work="$scratch/work"
"$prog" --work "$work" --data "$scratch/small/data" train --width 280 --height 280 --hidden 64 --epochs 1 > /dev/null

"$cli" serve --model "big=$work/model/model.pxm" --db "$scratch/service.db" --port 0 --workers 1 2> "$scratch/serve.log" &
serve_pid=$!
trap 'kill -TERM "$serve_pid" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 300); do
  url="$(sed -nE 's/^pixlime serve: listening on (http:[^ ]+).*/\1/p' "$scratch/serve.log" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || fail "pixlime serve did not start: $(cat "$scratch/serve.log")"
score_cmd=("$prog" --work "$work" --data "$scratch/many/data" --server "$url" score)

# The transactions the service logged (its own counter: this server process logged them all).
logged() { curl -s "$url/metrics" | sed -nE 's/^pixlime_transactions_total ([0-9]+)$/\1/p'; }
start_and_wait() {
  "${score_cmd[@]}" > "$scratch/score.out" 2>&1 &
  pid=$!
  while [ "$(logged)" -lt "$1" ]; do
    kill -0 "$pid" 2>/dev/null || fail "score ended before $1 transactions were logged: $(cat "$scratch/score.out")"
    sleep 0.01
  done
}
signal() { kill "-$1" "$pid" 2>/dev/null || fail "score had ended before SIG$1: $(cat "$scratch/score.out")"; }
wait_for() { set +e; wait "$pid"; rc=$?; set -e; }

# 1. SIGTERM: a clean stop after the request in hand.
start_and_wait 100
signal TERM
wait_for
cat "$scratch/score.out"
[ "$rc" -eq 130 ] || fail "score stopped by SIGTERM should exit 130, got $rc"
grep -q "interrupted after" "$scratch/score.out" || fail "no word of the interruption"
l1="$(logged)"
[ "$l1" -lt "$n" ] || fail "scoring finished before SIGTERM arrived"

# 2. kill -9 further on.
start_and_wait $((l1 + 100))
signal KILL
wait_for
[ "$rc" -eq 137 ] || fail "kill -9 should give 137, got $rc"
grep -q "the service's log already holds $l1 of $n transactions of this model" "$scratch/score.out" ||
  fail "the rerun did not continue after the $l1 transactions: $(cat "$scratch/score.out")"
l2="$(logged)"
[ "$l2" -lt "$n" ] || fail "scoring finished before kill -9 arrived"
echo "killed with $l2 transactions logged"

# 3. A rerun to the end: every input once.
"${score_cmd[@]}" > "$scratch/score.out"
cat "$scratch/score.out"
grep -q "^\[score\] $n transactions (0 failed)" "$scratch/score.out" || fail "expected $n transactions"
/usr/bin/python3 - "$url" "$n" <<'PY' || fail "the service's log is not every input exactly once"
import json, sys, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
rows, cursor = [], None
while True:
    q = url + "/v1/transactions?model=big&limit=1000" + ("&cursor=" + cursor if cursor else "")
    page = json.load(urllib.request.urlopen(q))
    rows += page["transactions"]
    cursor = page["next_cursor"]
    if not cursor:
        break
ids = sorted(r["id"] for r in rows)
inputs = [r["metadata"]["input"] for r in rows]
prefix = ids[0][:-6]
ok = len(rows) == n and ids == [prefix + "%06d" % (i + 1) for i in range(n)] and len(set(inputs)) == n
print(f"service log: {len(rows)} transactions, {len(set(inputs))} inputs, ids {ids[0]} .. {ids[-1]}")
sys.exit(0 if ok else 1)
PY
before="$(logged)"
"${score_cmd[@]}" > "$scratch/score.out"
grep -q "nothing to score" "$scratch/score.out" || fail "a complete log was scored again"
[ "$(logged)" -eq "$before" ] || fail "a rerun logged transactions again"

# 4. The server stops cleanly.
kill -TERM "$serve_pid"
set +e; wait "$serve_pid"; src=$?; set -e
trap - EXIT
[ "$src" -eq 0 ] || fail "pixlime serve stopped by SIGTERM should exit 0, got $src: $(tail -n 5 "$scratch/serve.log")"
echo "score through the service survived SIGTERM and kill -9 of the client: $n transactions, each input once"
