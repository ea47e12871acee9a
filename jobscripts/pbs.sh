#!/bin/bash
# taskfarm on PBS Pro or Torque. Submit from the directory the results go to, after setting
# the command below:  qsub jobscripts/pbs.sh
#PBS -N taskfarm
# Torque: nodes=2:ppn=4; PBS Pro: select=2:ncpus=4:mpiprocs=4. One rank per line of $PBS_NODEFILE.
#PBS -l nodes=2:ppn=4
#PBS -l walltime=02:00:00
#PBS -j oe
[ $# -gt 0 ] || set -- ./analysis  # the program and its arguments, unless given to the script

cd "$PBS_O_WORKDIR" || exit 1
export TASKFARM_JOURNAL=${TASKFARM_JOURNAL:-$PBS_O_WORKDIR/taskfarm.journal}
export TASKFARM_PROGRESS_INTERVAL=${TASKFARM_PROGRESS_INTERVAL:-60}
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}

# Debian's OpenMPI has no PBS (tm) support: it starts the ranks over ssh from the node file.
mpirun -np "$(wc -l < "$PBS_NODEFILE")" --hostfile "$PBS_NODEFILE" \
  -x TASKFARM_JOURNAL -x TASKFARM_PROGRESS_INTERVAL -x GLIBC_TUNABLES "$@" &
mpirun_pid=$!
trap 'kill -USR1 $mpirun_pid' USR1

# PBS gives no warning before the walltime: a timer sends the farm SIGUSR1 `margin` seconds
# before it (the farm then saves what finished and exits with 138).
margin=${MARGIN:-300}
walltime=$(qstat -f "$PBS_JOBID" 2>/dev/null | sed -n 's/.*Resource_List.walltime = //p')
if [ -n "$walltime" ]; then
  IFS=: read -r h m s <<< "$walltime"
  (sleep $((10#$h * 3600 + 10#$m * 60 + 10#$s - margin)) && kill -USR1 $$) &
  timer=$!
fi

wait $mpirun_pid
status=$?
while kill -0 $mpirun_pid 2>/dev/null; do wait $mpirun_pid; status=$?; done
[ -n "${timer:-}" ] && kill "$timer" 2>/dev/null

# Stopped before the walltime: submit this script again, to run after this job; it continues
# from the journal. A chain of at most MAX_RUNS jobs.
run=${RUN:-1}
if [ $status -eq 138 ] && [ "$run" -lt "${MAX_RUNS:-10}" ]; then
  echo "walltime near: run $run stopped, submitting run $((run + 1)) to resume from $TASKFARM_JOURNAL"
  qsub -W depend=afterany:"$PBS_JOBID" -v RUN=$((run + 1)),TASKFARM_JOURNAL "$0"  # $0: PBS's copy of this script
fi
exit $status
