#!/usr/bin/env bash
# The transaction log survives a stop and a kill of `pixlime_workflow score`:
#   score_kill.sh <pixlime_workflow> <scratch dir> [images to score, default 2000]
# A model with a large input (280 x 280, so that scoring 2,000 images takes a few seconds)
# scores Fashion-MNIST validation images; the test waits until some transactions are in the
# log (it never sleeps for a fixed time) and then
#  1. sends SIGTERM: score stops after the transaction in hand, exits 130, every line complete;
#  2. reruns, and kill -9s it further on: the complete lines before the kill are intact;
#  3. cuts the last line in half (a write cut short) and reruns to the end: the torn line is
#     dropped, no transaction is lost or doubled, ids are consecutive, and the log equals an
#     uninterrupted run's (ids, inputs, labels, probabilities: everything but time and latency);
#  4. another model's or other inputs' scoring into that log is refused until --new-log, which
#     keeps the old log under a dated name.
# Exits 77 (skipped) without the data.
set -euo pipefail
prog="$1"; scratch="$2"; n="${3:-2000}"

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
mkdir -p "$scratch/reference"
cp -r "$work/model" "$scratch/reference/"
"$prog" --work "$scratch/reference" --data "$scratch/many/data" score > /dev/null
log="$work/transactions.jsonl"
score_cmd=("$prog" --work "$work" --data "$scratch/many/data" score)

lines() { if [ -f "$log" ]; then wc -l < "$log"; else echo 0; fi; }
# Starts score in the background and waits until the log holds at least $1 lines.
start_and_wait() {
  "${score_cmd[@]}" > "$scratch/score.out" 2>&1 &
  pid=$!  # the program itself (not a subshell), so that the signals reach it
  while [ "$(lines)" -lt "$1" ]; do
    kill -0 "$pid" 2>/dev/null || fail "score ended before $1 transactions were in the log: $(cat "$scratch/score.out")"
    sleep 0.01
  done
}
# Sends signal $1 to the running score.
signal() { kill "-$1" "$pid" 2>/dev/null || fail "score had ended before SIG$1 (the log was not written as it went?): $(cat "$scratch/score.out")"; }
wait_for() { set +e; wait "$pid"; rc=$?; set -e; }  # sets rc (not in a subshell: only this shell can wait)
# Every line a complete transaction record, ids tx-000001.. consecutive.
check_lines() {
  local total; total="$(lines)"
  [ "$(grep -c '^{"id":"tx-[0-9]\{6\}","input":".*,"latency_ms":[0-9.e+-]*}$' "$log")" -eq "$total" ] || fail "an incomplete line in the log"
  sed -E 's/^\{"id":"tx-([0-9]+)".*/\1/' "$log" | awk '$1 + 0 != NR { exit 1 }' || fail "ids are not consecutive"
}

# 1. SIGTERM: a clean stop.
start_and_wait 100
signal TERM
wait_for
cat "$scratch/score.out"
[ "$rc" -eq 130 ] || fail "score stopped by SIGTERM should exit 130, got $rc"
grep -q "interrupted after" "$scratch/score.out" || fail "no word of the interruption"
[ "$(tail -c 1 "$log" | od -An -c | tr -d ' ')" = '\n' ] || fail "the log does not end with a complete line"
check_lines
l1="$(lines)"
[ "$l1" -lt "$n" ] || fail "scoring finished before SIGTERM arrived"
head -n "$l1" "$log" > "$scratch/after-term.jsonl"

# 2. kill -9 further on.
start_and_wait $((l1 + 100))
signal KILL
wait_for
cat "$scratch/score.out"
[ "$rc" -eq 137 ] || fail "kill -9 should give 137, got $rc"
grep -q "already holds $l1 of $n transactions of this model: continuing from input $((l1 + 1))" "$scratch/score.out" ||
  fail "the rerun did not continue after the $l1 transactions"
l2="$(lines)"
[ "$l2" -lt "$n" ] || fail "scoring finished before kill -9 arrived"
head -n "$l2" "$log" | grep -c '^{"id":"tx-[0-9]\{6\}",.*}$' | grep -qx "$l2" || fail "a complete line before the kill is damaged"
cmp -s "$scratch/after-term.jsonl" <(head -n "$l1" "$log") || fail "lines written before SIGTERM changed"
echo "killed with $l2 complete transactions in the log"

# 3. A write cut short, then a rerun to the end.
last="$(tail -n 1 "$log" | wc -c)"
truncate -s "-$((last / 2))" "$log"
"${score_cmd[@]}" > "$scratch/score.out"
cat "$scratch/score.out"
grep -q "dropped the incomplete last line" "$scratch/score.out" || fail "the torn line was not reported"
[ "$(lines)" -eq "$n" ] || fail "expected $n transactions, found $(lines)"
check_lines
[ "$(sed -E 's/.*"input":"([^"]*)".*/\1/' "$log" | sort -u | wc -l)" -eq "$n" ] || fail "an input scored twice"
strip() { sed -E 's/,"time":"[^"]*","latency_ms":[0-9.e+-]*\}$/}/' "$1"; }
cmp -s <(strip "$log") <(strip "$scratch/reference/transactions.jsonl") || fail "the log differs from an uninterrupted run's"

# Nothing left to do: the log stays as it is.
cp "$log" "$scratch/complete.jsonl"
"${score_cmd[@]}" > "$scratch/score.out"
grep -q "nothing to score" "$scratch/score.out" || fail "a complete log was scored again"
cmp -s "$log" "$scratch/complete.jsonl" || fail "a complete log changed on a rerun"

# 4. Other inputs: refused; --new-log keeps the old log under a dated name.
set +e
"${score_cmd[@]}" --score-limit 10 > "$scratch/score.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q -- "--new-log" "$scratch/score.out" || fail "scoring other inputs into the log was not refused"
cmp -s "$log" "$scratch/complete.jsonl" || fail "a refused run changed the log"
"${score_cmd[@]}" --score-limit 10 --new-log > "$scratch/score.out"
cat "$scratch/score.out"
old="$(sed -nE 's/.*a new log: the previous one is kept as (.*)$/\1/p' "$scratch/score.out")"
[ -n "$old" ] && cmp -s "$old" "$scratch/complete.jsonl" || fail "--new-log did not keep the old log"
[ "$(lines)" -eq 10 ] || fail "the new log should hold 10 transactions"
echo "score survived SIGTERM, kill -9 and a torn line: $n transactions, none lost or doubled"
