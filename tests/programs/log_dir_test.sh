#!/bin/sh
# --taskfarm-log-dir: every rank writes its lines to <dir>/rank-<R>.log as well as stderr.
#   log_dir_test.sh <program> <launcher and its flags...>
set -u
program=$1; shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$@" "$program" --taskfarm-log-dir="$dir/logs" --taskfarm-verbose > "$dir/out" 2>&1
status=$?
cat "$dir/out"
[ $status -eq 7 ] || { echo "FAILED: exit status $status, not 7"; exit 1; }
for rank in 0 1 2 3; do
  [ -f "$dir/logs/rank-$rank.log" ] || { echo "FAILED: no rank-$rank.log"; exit 1; }
done
grep -q "^taskfarm\[rank 0 scheduler@.*configuration: .*log_dir=$dir/logs" "$dir/logs/rank-0.log" ||
  { echo "FAILED: rank 0's log lacks the configuration line"; cat "$dir/logs/rank-0.log"; exit 1; }
echo "one log file per rank"
