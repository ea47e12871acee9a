#!/bin/sh
# A stop signal ends a farm that writes a report (Options::report): the client writes the page
# a last time before it leaves. SIGTERM goes to the launcher while 4 tasks of 1.5 s run; the
# page must then be the final one and count the 4 tasks.
#   report_on_stop_test.sh PROGRAM [LAUNCHER...]
program=$1; shift
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$@" "$program" few --taskfarm-report="$work/r.html" > "$work/out" 2>&1 &
job=$!
sleep 1.5
kill -TERM $job
wait $job
status=$?
grep -q 'received SIGTERM' "$work/out" || { echo "FAILED: the signal did not reach the farm (status $status)"; cat "$work/out"; exit 1; }
[ -f "$work/r.html" ] || { echo "FAILED: no report after the signal"; cat "$work/out"; exit 1; }
grep -q '"final":true' "$work/r.html" || { echo "FAILED: the last page written is not the final one"; exit 1; }
grep -q '"tasks":4' "$work/r.html" || { echo "FAILED: the final page does not count the 4 tasks"; exit 1; }
echo "report written at the stop (status $status)"
