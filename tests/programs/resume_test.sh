#!/bin/sh
# A run killed by SIGTERM (the wall-time limit) is run again with the same journal: it
# finishes with correct results, and no task that finished in the first run runs again.
#   resume_test.sh <resume program> <launcher and its flags...>
set -u
program=$1; shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export TASKFARM_JOURNAL="$dir/run.journal"
n=40

"$@" "$program" kill 16 $n "$dir/executions" > "$dir/first.out" 2>&1
status=$?
cat "$dir/first.out"
[ $status -eq 143 ] || { echo "FAILED: the killed run ended with $status, not 143"; exit 1; }
[ "$(stat -c %a "$TASKFARM_JOURNAL")" = 600 ] || { echo "FAILED: the journal is not mode 0600"; exit 1; }
first=$(wc -l < "$dir/executions")

"$@" "$program" finish $n "$dir/executions" > "$dir/second.out" 2>&1
status=$?
cat "$dir/second.out"
[ $status -eq 0 ] || { echo "FAILED: the resumed run ended with $status"; exit 1; }
grep -q "all $n results correct" "$dir/second.out" || { echo "FAILED: wrong results"; exit 1; }

# No task whose result the first run's client saw runs again. Only tasks the kill caught
# unfinished run twice: running on one of the 2 workers, or done with the result still on
# its way to the client.
total=$(wc -l < "$dir/executions")
twice=$(sort -n "$dir/executions" | uniq -d)
distinct=$(sort -u "$dir/executions" | wc -l)
echo "first run executed $first tasks; both runs $total, of $distinct inputs; ran twice: $(echo $twice)"
[ "$distinct" -eq $n ] || { echo "FAILED: not every input ran"; exit 1; }
seen=$(grep -c '^finished ' "$dir/first.out")
[ "$seen" -ge 16 ] || { echo "FAILED: the first run's client saw $seen results, fewer than 16"; exit 1; }
for i in $twice; do
  if grep -qx "finished $((i * i))" "$dir/first.out"; then
    echo "FAILED: input $i finished in the first run and ran again"; exit 1
  fi
done
[ $(echo $twice | wc -w) -le 4 ] || { echo "FAILED: more tasks ran twice than the kill could catch unfinished"; exit 1; }

# A third run finds everything in the journal and runs nothing.
"$@" "$program" finish $n "$dir/executions" > "$dir/third.out" 2>&1 || { cat "$dir/third.out"; echo "FAILED: third run"; exit 1; }
[ "$(wc -l < "$dir/executions")" -eq "$total" ] || { echo "FAILED: the third run ran tasks again"; exit 1; }
echo "resume works"
