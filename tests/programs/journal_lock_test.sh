#!/bin/sh
# Two jobs must not share a journal at the same time (each would write over the other's
# records). While one job runs with TASKFARM_JOURNAL=X, a second with the same journal is
# refused at start-up, within a few seconds, with status 5 and a line naming the holder;
# the first runs on and finishes, and its journal is whole.
#   journal_lock_test.sh <resume program> [launcher and its flags...]
# With no launcher the program runs inline (one rank).
set -u
program=$1; shift
dir=$(mktemp -d)
first=""
trap '[ -n "$first" ] && kill $first 2>/dev/null; rm -rf "$dir"' EXIT
export TASKFARM_JOURNAL="$dir/run.journal"
n=200  # tasks of 50 ms each: 10 s inline, 5 s on 2 workers

"$@" "$program" finish $n "$dir/first.executions" > "$dir/first.out" 2>&1 &
first=$!
# The first job holds the journal from before its first task runs.
for _ in $(seq 300); do [ -s "$dir/first.executions" ] && break; sleep 0.05; done
[ -s "$dir/first.executions" ] || { cat "$dir/first.out"; echo "FAILED: the first job ran no task"; exit 1; }

start=$(date +%s%N)
timeout 30 "$@" "$program" finish $n "$dir/second.executions" > "$dir/second.out" 2>&1
status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill -0 $first 2>/dev/null && first_state="still running" || first_state="already ended"
cat "$dir/second.out"
echo "the second job ended with status $status after $elapsed_ms ms; the first job was $first_state"
[ $status -eq 5 ] || { echo "FAILED: the second job ended with status $status, not 5"; exit 1; }
grep -q "journal:.*in use by another run (pid [0-9]* on host " "$dir/second.out" ||
  { echo "FAILED: the second job did not say the journal is in use, and by whom"; exit 1; }
[ $elapsed_ms -le 5000 ] || { echo "FAILED: the second job took $elapsed_ms ms to be refused"; exit 1; }
[ ! -s "$dir/second.executions" ] || { echo "FAILED: the refused job ran tasks"; exit 1; }

wait $first
status=$?
first=""
cat "$dir/first.out"
[ $status -eq 0 ] || { echo "FAILED: the first job ended with status $status"; exit 1; }
grep -q "all $n results correct" "$dir/first.out" || { echo "FAILED: the first job's results are wrong"; exit 1; }

# The refused job left the first one's journal whole: a third run (with the first one's
# arguments) finds every result in it and runs nothing.
ran=$(wc -l < "$dir/first.executions")
"$@" "$program" finish $n "$dir/first.executions" > "$dir/third.out" 2>&1 || { cat "$dir/third.out"; echo "FAILED: third run"; exit 1; }
[ "$(wc -l < "$dir/first.executions")" -eq "$ran" ] || { cat "$dir/third.out"; echo "FAILED: the third run ran tasks again"; exit 1; }
echo "journal lock works"
