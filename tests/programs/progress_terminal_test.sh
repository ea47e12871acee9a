#!/bin/sh
# The progress bar under mpirun: started from a terminal (script(1) makes a pseudo-terminal),
# the ranks' stderr is a pipe to mpirun, yet the client draws the bar ("[###...] "); with
# mpirun's stderr redirected to a file it writes status lines instead.
#   progress_terminal_test.sh "LAUNCHER..." PROGRAM
launcher=$1; program=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export TASKFARM_PROGRESS_INTERVAL=0.5
script -qec "$launcher $program few" "$work/typescript" > /dev/null 2>&1 < /dev/null || { echo "FAILED: the run under script ended with $?"; cat "$work/typescript"; exit 1; }
grep -q '\[[#.]\{30\}\] ' "$work/typescript" || { echo "FAILED: no bar on the terminal"; cat "$work/typescript"; exit 1; }
script -qec "$launcher $program few 2> $work/stderr" "$work/typescript2" > /dev/null 2>&1 < /dev/null || { echo "FAILED: the redirected run ended with $?"; exit 1; }
grep -q 'progress: 4/4 done' "$work/stderr" || { echo "FAILED: no status line in the file"; cat "$work/stderr"; exit 1; }
if grep -q '\[[#.]\{30\}\] ' "$work/stderr"; then echo "FAILED: a bar went into the file"; exit 1; fi
echo "bar on a terminal, lines in a file"
