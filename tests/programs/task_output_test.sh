#!/bin/sh
# --taskfarm-task-output-dir: each task's stdout and stderr in <dir>/task-<id>.out/.err, and
# none of it in the job's own output. The program compares the files with what each task
# printed; this script checks the job's stdout and stderr, on a farm (threads_per_worker=1,
# then isolated with 2 threads), when a task crashes its worker, inline (no launcher,
# local_workers=0) and in the local farm (no launcher, isolated).
#   task_output_test.sh <program> <launcher and its flags...>
set -u
program=$1; shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

fail() { echo "FAILED: $*"; exit 1; }

# run <name> <expected status> <command...>: stdout and stderr kept apart, both shown.
run() {
  name=$1; expected=$2; shift 2
  mkdir -p "$dir/$name.scratch"
  "$@" > "$dir/$name.stdout" 2> "$dir/$name.stderr"
  status=$?
  echo "--- $name: exit status $status; stdout:"; cat "$dir/$name.stdout"
  echo "--- $name: stderr:"; cat "$dir/$name.stderr"
  if [ "$expected" = nonzero ]; then
    [ $status -ne 0 ] || fail "$name: exit status 0, not non-zero"
  else
    [ $status -eq "$expected" ] || fail "$name: exit status $status, not $expected"
  fi
  ! grep -q "task-print" "$dir/$name.stdout" "$dir/$name.stderr" || fail "$name: a task's output reached the job's output"
}

# A checking run: the program saw the files it expected, the client's own line is on
# stdout, and the runtime's configuration line (on stderr) names the directory.
checked() {
  name=$1
  grep -q "^task output works" "$dir/$name.stdout" || fail "$name: the files are not what the tasks printed"
  grep -q "^client says hello" "$dir/$name.stdout" || fail "$name: the client's own output is missing"
  grep -q "configuration: .*task_output_dir=$dir/$name.out" "$dir/$name.stderr" ||
    fail "$name: no configuration line naming the directory on stderr"
}

run farm 0 "$@" "$program" check "$dir/farm.out" "$dir/farm.scratch" \
  --taskfarm-task-output-dir="$dir/farm.out" --taskfarm-verbose
checked farm

# Isolated, two tasks at a time per worker; the directory from the environment.
TASKFARM_TASK_OUTPUT_DIR="$dir/isolated.out" TASKFARM_ISOLATE=1 TASKFARM_THREADS_PER_WORKER=2 \
  run isolated 0 "$@" "$program" check-isolated "$dir/isolated.out" "$dir/isolated.scratch" --taskfarm-verbose
checked isolated

# The crash report, written while the task's stderr goes to its file, reaches the job's stderr.
run crash nonzero "$@" "$program" crash --taskfarm-task-output-dir="$dir/crash.out"
grep -q "task [0-9]* crashed the process: SIGSEGV" "$dir/crash.stderr" || fail "crash: no crash report on stderr"
! grep -rq "crashed" "$dir/crash.out" || fail "crash: the crash report went into a task's file"
grep -q "^task-print before the crash$" "$dir"/crash.out/task-*.err || fail "crash: the task's own line is not in its file"

# No launcher and local_workers=0: tasks run inline in the client.
run inline 0 env TASKFARM_LOCAL_WORKERS=0 "$program" check "$dir/inline.out" "$dir/inline.scratch" \
  --taskfarm-task-output-dir="$dir/inline.out" --taskfarm-verbose
checked inline
# No launcher, the local farm: isolated, since its roles share one process's stdout and stderr.
run local 0 env TASKFARM_LOCAL_WORKERS=2 "$program" check-isolated "$dir/local.out" "$dir/local.scratch" \
  --taskfarm-task-output-dir="$dir/local.out" --taskfarm-isolate --taskfarm-verbose
checked local

echo "each task's output in its own files"
