#!/bin/sh
# A task's TaskError that the client lets escape main ends the job; the report's last page is
# written first and lists the failure.
#   report_on_task_error_test.sh PROGRAM [LAUNCHER...]   (PROGRAM: client_throws)
program=$1; shift
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$@" "$program" task --taskfarm-report="$work/r.html" > "$work/out" 2>&1
status=$?
[ $status -ne 0 ] || { echo "FAILED: the job ended with 0"; exit 1; }
[ -f "$work/r.html" ] || { echo "FAILED: no report after the task error"; cat "$work/out"; exit 1; }
grep -q 'input 7 is out of range' "$work/r.html" || { echo "FAILED: the report does not list the failure"; exit 1; }
echo "report written at the task error (status $status)"
