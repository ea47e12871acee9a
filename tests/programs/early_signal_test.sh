#!/bin/sh
# A stop signal that reaches every rank while the job is still starting (inside MPI_Init, as
# a Slurm time-limit warning can), is honoured like one that comes later: every rank drains
# and exits with 128 + the signal; none is killed by it.
#   early_signal_test.sh <faults program> <launcher and its flags...>
set -u
program=$1; shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
FAULTS_SIGNAL_IN_MPI_INIT=USR1 "$@" -x FAULTS_SIGNAL_IN_MPI_INIT "$program" wait > "$out" 2>&1
status=$?
cat "$out"
echo "SIGUSR1 raised inside MPI_Init on every rank; the launcher exited with status $status"
grep -q "exited on signal\|killed by signal" "$out" && { echo "FAILED: a rank was killed by the signal"; exit 1; }
[ $status -eq 138 ] || { echo "FAILED: exit status $status, not 138"; exit 1; }
[ "$(grep -c "received SIGUSR1" "$out")" -eq 4 ] || { echo "FAILED: not every rank reported the signal"; exit 1; }
echo "early signal honoured"
