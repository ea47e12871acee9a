#!/bin/sh
# Runs after the suite (make test): no process of it may outlive it. Looks for processes running a program of this build tree, launchers (mpirun, orted),
# and children a task left (their command lines carry "taskfarm-test-child"). Ends any it
# finds, after naming them, so that they do not disturb the next run either.
# Usage: no_leftover_processes.sh <build directory>
build=$1
self=$$
left=$(ps -eo pid=,args= | while read -r pid args; do
    [ "$pid" = "$self" ] && continue
    case "$args" in
    *no_leftover_processes*|*ctest*|make\ *|*/make\ *) continue ;;
    *"$build/"*|*taskfarm-test-child*) echo "$pid $args" ;;
    esac
done)
if [ -n "$left" ]; then
    echo "FAILED: processes left behind by the tests:"
    echo "$left"
    echo "$left" | while read -r pid args; do kill -KILL "$pid" 2>/dev/null; done
    exit 1
fi
echo "no process left behind"
