#!/bin/sh
# An isolated task's processes (its child, and what the task started there) do not outlive
# the job, however it ends: the client returns while the task runs (its worker leaves
# anyway), or the job is aborted (mpirun kills the ranks). The task runs
# system("sleep 300.<tag>"), which must be gone, and the job must not wait for it.
#   orphans_test.sh <hazards program> <launcher and its flags...>
set -u
program=$1; shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The pids of the processes whose command line holds 300.<tag> (this grep's own holds 300\.).
left() { grep -l -a -e "300\.$1" /proc/[0-9]*/cmdline 2>/dev/null | sed 's|^/proc/\([0-9]*\)/cmdline$|\1|'; }
for mode in isolated-left-running isolated-job-aborts; do
  tag=$$$(date +%N)
  start=$(date +%s)
  timeout 30 "$@" "$program" $mode $tag > "$dir/out" 2>&1
  status=$?
  elapsed=$(( $(date +%s) - start ))
  cat "$dir/out"
  [ $status -ne 124 ] || { echo "FAILED: $mode: the job was still running after 30 s"; }
  if [ $mode = isolated-left-running ] && [ $status -ne 0 ]; then echo "FAILED: $mode: exit status $status, not 0"; fi
  if [ $mode = isolated-job-aborts ] && [ $status -eq 0 ]; then echo "FAILED: $mode: exit status 0"; fi
  [ $elapsed -le 15 ] || echo "FAILED: $mode: the job took $elapsed s"
  tries=0
  pids=$(left $tag)
  while [ -n "$pids" ] && [ $tries -lt 30 ]; do
    sleep 0.1
    tries=$((tries + 1))
    pids=$(left $tag)
  done
  if [ -n "$pids" ]; then
    echo "FAILED: $mode: the task's processes outlived the job:"
    ps -o pid,ppid,pgid,args -p "$(echo $pids | tr ' ' ',')"
    kill -9 $pids 2>/dev/null  # ours: clean up
    exit 1
  fi
  echo "$mode: ended in $elapsed s, status $status, nothing left running"
done
echo "no process of an isolated task outlives its job"
