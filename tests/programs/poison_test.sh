#!/bin/sh
# A task that is running whenever the job is killed, twice in a row, is refused as poison
# on the third run instead of being run again.
#   poison_test.sh <resume program> <launcher and its flags...>
set -u
program=$1; shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export TASKFARM_JOURNAL="$dir/run.journal"
for run in 1 2; do
  "$@" "$program" hang > "$dir/out" 2>&1
  status=$?
  cat "$dir/out"
  [ $status -eq 143 ] || { echo "FAILED: run $run ended with $status, not 143"; exit 1; }
done
"$@" "$program" hang > "$dir/out" 2>&1
status=$?
cat "$dir/out"
[ $status -eq 0 ] || { echo "FAILED: the third run ended with $status"; exit 1; }
grep -q "refused: .*after 2 attempts: taskfarm::PoisonTask" "$dir/out" || { echo "FAILED: not refused as poison"; exit 1; }
echo "poison refused"
