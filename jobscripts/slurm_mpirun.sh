#!/bin/bash
# taskfarm on Slurm, ranks started by mpirun inside the allocation (mpirun reads the
# allocation from Slurm: one rank per task). Submit from the directory the results go to:
#   sbatch jobscripts/slurm_mpirun.sh ./analysis [arguments...]
#SBATCH --job-name=taskfarm
#SBATCH --ntasks=8
#SBATCH --time=02:00:00
# Two minutes before the limit this script (B:) gets SIGUSR1 and passes it to mpirun, which
# passes it to every rank: the farm saves what finished and exits with 138.
#SBATCH --signal=B:USR1@120
#SBATCH --output=%x-%j.out

: "${1:?usage: sbatch slurm_mpirun.sh PROGRAM [ARGUMENTS...]}"

export TASKFARM_JOURNAL=${TASKFARM_JOURNAL:-$SLURM_SUBMIT_DIR/$SLURM_JOB_NAME.journal}
export TASKFARM_PROGRESS_INTERVAL=${TASKFARM_PROGRESS_INTERVAL:-60}
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}

# bash runs a trap only between commands, so mpirun runs in the background while the script
# waits. A warning before mpirun has started is passed on once it has.
trap 'warned=1 interrupted=1; [ -n "${mpirun_pid:-}" ] && kill -USR1 "$mpirun_pid"' USR1
mpirun -x TASKFARM_JOURNAL -x TASKFARM_PROGRESS_INTERVAL -x GLIBC_TUNABLES "$@" &
mpirun_pid=$!
[ -n "${warned:-}" ] && kill -USR1 "$mpirun_pid"
status=
until [ -n "$status" ]; do  # a wait cut short by the trap returns 138: wait again for mpirun's own
  interrupted=
  wait "$mpirun_pid"; returned=$?
  [ -n "$interrupted" ] || status=$returned
done

run=${FARM_RUN:-1}
if [ $status -eq 138 ] && [ "$run" -lt "${FARM_MAX_RUNS:-10}" ]; then
  echo "time limit near: run $run stopped, submitting run $((run + 1)) to resume from $TASKFARM_JOURNAL"
  sbatch --dependency=afterany:"$SLURM_JOB_ID" --job-name="$SLURM_JOB_NAME" \
    --export=ALL,FARM_RUN=$((run + 1)) "$0" "$@"
fi
[ $status -eq 0 ] && mv -f "$TASKFARM_JOURNAL" "$TASKFARM_JOURNAL.done"
exit $status
