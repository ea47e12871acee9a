#!/bin/sh
# A stop signal that reaches the ranks while the job is still starting (in MPI_Init, say),
# as a Slurm time-limit warning can, is honoured like one that comes later: every rank
# drains and exits with 128 + the signal; none is killed by it.
#   early_signal_test.sh <faults program> <launcher and its flags...>
set -u
program=$1; shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" "$program" wait > "$out" 2>&1 &
launcher=$!
# The moment all four rank processes exist, before the farm has started.
for _ in $(seq 1000); do [ "$(pgrep -c -f "^$program wait")" -ge 4 ] && break; sleep 0.005; done
pkill -USR1 -f "^$program wait"
wait $launcher
status=$?
cat "$out"
echo "SIGUSR1 sent as the ranks started; the launcher exited with status $status"
grep -q "exited on signal\|killed by signal" "$out" && { echo "FAILED: a rank was killed by the signal"; exit 1; }
[ $status -eq 138 ] || { echo "FAILED: exit status $status, not 138"; exit 1; }
grep -q "received SIGUSR1" "$out" || { echo "FAILED: no rank reported the signal"; exit 1; }
echo "early signal honoured"
