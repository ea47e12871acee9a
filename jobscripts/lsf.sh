#!/bin/bash
# taskfarm on IBM Spectrum LSF. Set the program below, then submit from the directory the
# results go to:  bsub < jobscripts/lsf.sh   (bsub reads the #BSUB lines from standard input)
#BSUB -J taskfarm
#BSUB -n 8
#BSUB -W 2:00
#BSUB -o taskfarm-%J.out
# Five minutes before the run limit LSF sends SIGUSR1: the farm saves what finished and
# exits 138, and -Q makes LSF queue the job again on that status: it continues from the journal.
#BSUB -wa USR1
#BSUB -wt 5
#BSUB -Q "138"
set -- ./analysis  # the program and its arguments

export TASKFARM_JOURNAL=${TASKFARM_JOURNAL:-$LS_SUBCWD/taskfarm.journal}
export TASKFARM_PROGRESS_INTERVAL=${TASKFARM_PROGRESS_INTERVAL:-60}
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}

trap 'warned=1 interrupted=1; [ -n "${mpirun_pid:-}" ] && kill -USR1 "$mpirun_pid"' USR1
# Debian's OpenMPI has no LSF support: it starts the ranks over ssh from LSF's host file.
mpirun -np "$(wc -l < "$LSB_DJOB_HOSTFILE")" --hostfile "$LSB_DJOB_HOSTFILE" \
  -x TASKFARM_JOURNAL -x TASKFARM_PROGRESS_INTERVAL -x GLIBC_TUNABLES "$@" &
mpirun_pid=$!
[ -n "${warned:-}" ] && kill -USR1 "$mpirun_pid"
status=
until [ -n "$status" ]; do  # a wait cut short by the trap returns 138: wait again for mpirun's own
  interrupted=
  wait "$mpirun_pid"; returned=$?
  [ -n "$interrupted" ] || status=$returned
done
[ $status -eq 138 ] && echo "run limit near: stopped; LSF queues the job again (-Q 138)"
[ $status -eq 0 ] && mv -f "$TASKFARM_JOURNAL" "$TASKFARM_JOURNAL.done"
exit $status
