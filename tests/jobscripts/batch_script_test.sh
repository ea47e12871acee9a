#!/usr/bin/env bash
# The PBS, Grid Engine and LSF job scripts, run outside their schedulers (none is installed
# here) with the environment each scheduler gives a job, faked: the script runs an example
# and gets its answer; a time-limit warning stops the farm the way the script asks its
# scheduler to run it again; that second run resumes from the journal.
#   batch_script_test.sh pbs|sge|lsf JOBSCRIPTS_DIR EXAMPLES_DIR LONG_FARM
set -u
kind=$1; script=$(realpath "$2/$kind.sh"); examples=$(realpath "$3"); program=$(realpath "$4")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
# Private copies, so that looking for leftover ranks finds no other test's.
cp "$examples/02_monte_carlo" "$program" "$work/" && examples=$work && program=$work/$(basename "$program")

# The launcher flags this machine needs come from the harness, never from the scripts.
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
printf 'localhost\n%.0s' 1 2 3 4 > "$work/hosts"  # 4 slots: scheduler, client, 2 workers
mkdir "$work/bin"; export PATH="$work/bin:$PATH"
case $kind in
  pbs)
    export PBS_O_WORKDIR=$work PBS_JOBID=7.fake PBS_NODEFILE=$work/hosts
    # PBS Pro's qstat tells the script its walltime; qsub records the resubmission.
    printf '#!/bin/sh\necho "    Resource_List.walltime = 02:00:00"\n' > bin/qstat
    printf '#!/bin/sh\necho "$@" >> %s/qsub.calls\necho 8.fake\n' "$work" > bin/qsub
    chmod +x bin/qstat bin/qsub ;;
  sge) export NSLOTS=4 JOB_ID=7 ;;
  lsf) export LSB_DJOB_HOSTFILE=$work/hosts LS_SUBCWD=$work LSB_JOBID=7 ;;
esac

# job_command PROGRAM ARGS...: sets `job` to the job script running that command, set up as
# its user would (PBS and LSF: in the script's `set --` line; Grid Engine: qsub's arguments).
job_command() {
  if [ "$kind" = sge ]; then
    job=("$script" "$@")
  else
    sed "s|^set -- ./analysis |set -- $* |" "$script" > "$work/job.sh" && chmod +x "$work/job.sh"
    job=("$work/job.sh")
  fi
}
# No rank outlives its job script: the script waited for mpirun, however it was signalled.
no_rank_left() {
  if pgrep -f "^$1" > /dev/null; then echo "FAILED: the script returned with ranks of $1 still running"; exit 1; fi
}

job_command "$examples/02_monte_carlo" 100003 1000
"${job[@]}" > example.out 2>&1
status=$?
cat example.out
no_rank_left "$examples/02_monte_carlo"
[ $status -eq 0 ] || { echo "FAILED: the example ended with $status"; exit 1; }
grep -q "^trajectories 100003 in 101 batches, darts 6400192" example.out || { echo "FAILED: wrong answer"; exit 1; }
[ -f taskfarm.journal.done ] && [ ! -f taskfarm.journal ] || { echo "FAILED: the finished job's journal was not put aside"; exit 1; }
if [ "$kind" = pbs ] && pgrep -f "^sleep 6900$" > /dev/null; then
  echo "FAILED: the walltime timer (from qstat: 2 h minus 300 s) outlived the job"; exit 1
fi

# 480 naps of 0.2 s on 2 workers x 4 threads: 12 s of work, warned once results flow (PBS:
# its timer, 5 s after the script starts; slow builds such as ThreadSanitizer's start later).
n=480
export TASKFARM_THREADS_PER_WORKER=4
job_command "$program" $n 200 "$work/executions"
if [ "$kind" = pbs ]; then
  PBS_WALLTIME=5 FARM_MARGIN=0 "${job[@]}" > first.out 2>&1  # its timer warns
  status=$?
else
  "${job[@]}" > first.out 2>&1 &  # the scheduler warns, after 16 results
  script_pid=$!
  for _ in $(seq 600); do [ "$(grep -c '^finished ' first.out)" -ge 16 ] && break; sleep 0.1; done
  kill -USR1 $script_pid
  wait $script_pid; status=$?
fi
grep -v '^finished ' first.out
no_rank_left "$program"
echo "first run: status $status, $(grep -c '^finished ' first.out) results"
case $kind in
  pbs) [ $status -eq 138 ] && grep -q -- "-W depend=afterany:7.fake -v FARM_RUN=2,TASKFARM_JOURNAL" qsub.calls ||
         { echo "FAILED: the script did not stop at the warning and resubmit itself"; cat qsub.calls; exit 1; } ;;
  sge) [ $status -eq 99 ] || { echo "FAILED: the script did not ask Grid Engine for a rerun (exit 99)"; exit 1; } ;;
  lsf) [ $status -eq 138 ] || { echo "FAILED: the script did not end with the requeue status 138"; exit 1; } ;;
esac
[ "$(grep -c '^finished ' first.out)" -lt $n ] || { echo "FAILED: the warning came after the end"; exit 1; }

FARM_RUN=2 TASKFARM_PROGRESS=on "${job[@]}" > second.out 2>&1
status=$?
grep -v '^finished ' second.out
no_rank_left "$program"
[ $status -eq 0 ] && grep -qx "all $n results correct" second.out || { echo "FAILED: the rerun ended with $status"; exit 1; }
# Its progress counts what the journal held as done, apart: at least what the first client saw.
resumed=$(sed -n "s|.*progress: $n/$n done (\([0-9]*\) from the journal).*|\1|p" second.out)
seen=$(grep -c '^finished ' first.out)
[ -n "$resumed" ] && [ "$resumed" -ge "$seen" ] && [ "$resumed" -lt $n ] ||
  { echo "FAILED: the rerun's progress does not count $seen or more tasks from the journal (got '$resumed')"; exit 1; }
distinct=$(cut -d' ' -f1 executions | sort -u | wc -l)
[ "$distinct" -eq $n ] || { echo "FAILED: $distinct of $n inputs ran"; exit 1; }
again=$(cut -d' ' -f1 executions | sort -n | uniq -d)
for input in $again; do
  grep -qx "finished $input" first.out && { echo "FAILED: input $input finished in the first run and ran again"; exit 1; }
done
echo "ran again (unfinished at the warning): $(echo $again | wc -w)"
echo "$kind script works"
