#!/bin/sh
# A flipped byte in the middle of a journal costs only the record it is in: the next run says
# so in a line from the client, reruns just that task, and takes every other result from the
# journal.   journal_damage_test.sh <resume program> [launcher and its flags...]
set -u
program=$1; shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export TASKFARM_JOURNAL="$dir/run.journal"
n=8

"$@" "$program" finish $n "$dir/executions" > "$dir/first.out" 2>&1 || { cat "$dir/first.out"; echo "FAILED: first run"; exit 1; }
first=$(wc -l < "$dir/executions")
# Flip one byte in the middle of the file: inside one record of the eight.
size=$(stat -c %s "$TASKFARM_JOURNAL")
middle=$((size / 2))
byte=$(od -An -tu1 -j $middle -N1 "$TASKFARM_JOURNAL" | tr -d ' ')
printf "$(printf '\\%03o' $(( (byte + 1) % 256 )))" | dd of="$TASKFARM_JOURNAL" bs=1 seek=$middle conv=notrunc 2>/dev/null

"$@" "$program" finish $n "$dir/executions" > "$dir/second.out" 2>&1
status=$?
cat "$dir/second.out"
[ $status -eq 0 ] || { echo "FAILED: the run after the damage ended with $status"; exit 1; }
grep -q "taskfarm\[rank [01] [a-z ]*client@.*\]: journal .*: 1 damaged record skipped" "$dir/second.out" ||
  { echo "FAILED: no line from the client about the damaged record"; exit 1; }
reran=$(( $(wc -l < "$dir/executions") - first ))
[ "$reran" -le 1 ] || { echo "FAILED: $reran tasks ran again; only the damaged one should have"; exit 1; }
echo "a damaged record costs only itself ($reran task ran again)"
