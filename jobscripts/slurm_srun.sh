#!/bin/bash
# taskfarm on Slurm, ranks started by srun. Submit from the directory the results go to:
#   sbatch jobscripts/slurm_srun.sh ./analysis [arguments...]
# Rank 0 is the scheduler, rank 1 your client code, the other ranks are workers.
#SBATCH --job-name=taskfarm
#SBATCH --ntasks=8
#SBATCH --time=02:00:00
# Two minutes before the limit every rank gets SIGUSR1: the farm starts no more tasks, saves
# what finished to the journal and exits with 138. Slurm may send it up to a minute early.
#SBATCH --signal=USR1@120
#SBATCH --output=%x-%j.out

: "${1:?usage: sbatch slurm_srun.sh PROGRAM [ARGUMENTS...]}"

# Every finished task is recorded here; a job that runs this script again skips them.
export TASKFARM_JOURNAL=${TASKFARM_JOURNAL:-$SLURM_SUBMIT_DIR/$SLURM_JOB_NAME.journal}
# A status line in this log every minute (done / running / failed / total, rate, ETA).
export TASKFARM_PROGRESS_INTERVAL=${TASKFARM_PROGRESS_INTERVAL:-60}
# Huge pages for malloc: first touches of fresh memory cost far less (docs/performance.md).
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}

# Debian's OpenMPI (and many sites') starts under srun only through PMIx.
srun --mpi=pmix "$@"
status=$?

# Stopped by the time-limit warning: submit this script again, to run after this job, with
# the same arguments; it continues from the journal. A chain of at most FARM_MAX_RUNS jobs.
# (Options given on the sbatch command line are not carried over: put them above.)
run=${FARM_RUN:-1}
if [ $status -eq 138 ] && [ "$run" -lt "${FARM_MAX_RUNS:-10}" ]; then
  echo "time limit near: run $run stopped, submitting run $((run + 1)) to resume from $TASKFARM_JOURNAL"
  sbatch --dependency=afterany:"$SLURM_JOB_ID" --job-name="$SLURM_JOB_NAME" \
    --export=ALL,FARM_RUN=$((run + 1)) "$0" "$@"  # $0: Slurm's copy of this script
fi
# Done: the journal is put aside, so that the same command run here again computes afresh
# (move it back to reuse its results).
[ $status -eq 0 ] && mv -f "$TASKFARM_JOURNAL" "$TASKFARM_JOURNAL.done"
exit $status
