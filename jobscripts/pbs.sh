#!/bin/bash
# taskfarm on PBS Pro or Torque. Set the program below, then submit from the directory the
# results go to:  qsub jobscripts/pbs.sh
#PBS -N taskfarm
#PBS -S /bin/bash
# Torque: nodes=2:ppn=4; PBS Pro: select=2:ncpus=4:mpiprocs=4. One rank per line of $PBS_NODEFILE.
#PBS -l nodes=2:ppn=4
#PBS -l walltime=02:00:00
#PBS -j oe
set -- ./analysis  # the program and its arguments

cd "$PBS_O_WORKDIR" || exit 1
export TASKFARM_JOURNAL=${TASKFARM_JOURNAL:-$PBS_O_WORKDIR/taskfarm.journal}
export TASKFARM_PROGRESS_INTERVAL=${TASKFARM_PROGRESS_INTERVAL:-60}
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}

trap 'warned=1 interrupted=1; [ -n "${mpirun_pid:-}" ] && kill -USR1 "$mpirun_pid"' USR1
# Debian's OpenMPI has no PBS (tm) support: it starts the ranks over ssh from the node file.
mpirun -np "$(wc -l < "$PBS_NODEFILE")" --hostfile "$PBS_NODEFILE" \
  -x TASKFARM_JOURNAL -x TASKFARM_PROGRESS_INTERVAL -x GLIBC_TUNABLES "$@" &
mpirun_pid=$!
[ -n "${warned:-}" ] && kill -USR1 "$mpirun_pid"

# PBS sends no warning before the walltime: a timer sends this script SIGUSR1 FARM_MARGIN
# seconds (300) before it. Torque gives the walltime in seconds; PBS Pro through qstat.
walltime=${PBS_WALLTIME:-}
if [ -z "$walltime" ] && hms=$(qstat -f "$PBS_JOBID" 2> /dev/null | sed -n 's/.*Resource_List.walltime = //p') &&
   [ -n "$hms" ]; then
  IFS=: read -r h m s <<< "$hms"
  walltime=$((10#$h * 3600 + 10#$m * 60 + 10#$s))
fi
if [ -n "$walltime" ]; then
  delay=$((walltime - ${FARM_MARGIN:-300}))
  [ $delay -gt 0 ] || delay=0
  (trap 'kill $sleeper' TERM; sleep $delay & sleeper=$!; wait $sleeper && kill -USR1 $$) &
  timer=$!
else
  echo "walltime unknown (no PBS_WALLTIME, no qstat): no warning before it"
fi

status=
until [ -n "$status" ]; do  # a wait cut short by the trap returns 138: wait again for mpirun's own
  interrupted=
  wait "$mpirun_pid"; returned=$?
  [ -n "$interrupted" ] || status=$returned
done
[ -n "${timer:-}" ] && kill "$timer" 2> /dev/null

# Stopped before the walltime: submit this script again, to run after this job; it continues
# from the journal. A chain of at most FARM_MAX_RUNS jobs.
run=${FARM_RUN:-1}
if [ $status -eq 138 ] && [ "$run" -lt "${FARM_MAX_RUNS:-10}" ]; then
  echo "walltime near: run $run stopped, submitting run $((run + 1)) to resume from $TASKFARM_JOURNAL"
  qsub -W depend=afterany:"$PBS_JOBID" -v FARM_RUN=$((run + 1)),TASKFARM_JOURNAL "$0"  # $0: PBS's copy of this script
fi
[ $status -eq 0 ] && mv -f "$TASKFARM_JOURNAL" "$TASKFARM_JOURNAL.done"
exit $status
