#!/bin/sh
# A journal that cannot be used ends the job at start-up, on every rank, within seconds:
# status 5 and a line from the client naming the journal. Each case is tried with the
# launcher given (or none, for one rank).
#   journal_unusable_test.sh <program> <other program> [launcher and its flags...]
set -u
program=$1; other=$2; shift 2
dir=$(mktemp -d)
cleanup() { chattr -i "$dir/immutable" 2>/dev/null; chmod 700 "$dir/immutable" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

mkdir "$dir/immutable" "$dir/a directory"
# Read-only even for root: an immutable directory where the file system has them.
chattr +i "$dir/immutable" 2>/dev/null || chmod 500 "$dir/immutable"
mkfifo "$dir/fifo"
echo "some notes" > "$dir/text"
TASKFARM_JOURNAL="$dir/other.journal" "$other" > /dev/null 2>&1  # a journal of another program

failed=0
for journal in "$dir/missing/run.journal" "$dir/immutable/run.journal" "$dir/a directory" /dev/full /dev/zero \
               "$dir/fifo" "$dir/text" "$dir/other.journal"; do
  start=$(date +%s)
  TASKFARM_JOURNAL=$journal timeout 20 "$@" "$program" > "$dir/out" 2>&1
  status=$?
  took=$(( $(date +%s) - start ))
  if [ $status -ne 5 ] || ! grep -q "taskfarm\[rank [01] .*client@.*\]: journal: .*$journal" "$dir/out" || [ $took -gt 10 ]; then
    cat "$dir/out"
    echo "FAILED: journal $journal: status $status after $took s (expected 5 with a 'journal:' line, within 10 s)"
    failed=1
  else
    echo "journal $journal: refused in $took s: $(grep 'journal:' "$dir/out" | head -1)"
  fi
done
[ $failed -eq 0 ] && echo "every unusable journal refused"
