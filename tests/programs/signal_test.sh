#!/bin/sh
# A signal to a running farm, sent as Slurm does at a time limit (to every rank at once:
# target "ranks") or to mpirun (target "launcher"), must end every rank within a second of
# reaching it, and the launcher with a non-zero status. mpirun passes SIGTERM and SIGINT on
# to the ranks only about a second after it gets them, so for the launcher the ranks get 3 s.
#   signal_test.sh <signal> <ranks|launcher> <faults program> <launcher and its flags...>
set -u
signal=$1; target=$2; program=$3; shift 3
limit_ms=1000
[ "$target" = launcher ] && limit_ms=3000
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" "$program" wait > "$out" 2>&1 &
launcher=$!
for _ in $(seq 200); do grep -q "farm running" "$out" && break; sleep 0.05; done
grep -q "farm running" "$out" || { cat "$out"; echo "FAILED: the farm did not start"; kill -9 $launcher; exit 1; }
start=$(date +%s%N)
if [ "$target" = ranks ]; then pkill -"$signal" -f "^$program wait"; else kill -s "$signal" $launcher; fi
ranks_ms=""
while [ -z "$ranks_ms" ]; do
  pgrep -f "^$program wait" > /dev/null || ranks_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ $(( ($(date +%s%N) - start) / 1000000 )) -gt 10000 ] && ranks_ms=10000
  sleep 0.02
done
wait $launcher
status=$?
launcher_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$out"
echo "SIG$signal to the $target: every rank gone after $ranks_ms ms; the launcher exited with status $status after $launcher_ms ms"
[ $status -ne 0 ] || { echo "FAILED: exit status 0"; exit 1; }
[ "$ranks_ms" -le $limit_ms ] || { echo "FAILED: the ranks took $ranks_ms ms to end, more than $limit_ms ms"; exit 1; }
[ "$launcher_ms" -le 5000 ] || { echo "FAILED: the launcher took $launcher_ms ms to end"; exit 1; }
echo "ended in time"
