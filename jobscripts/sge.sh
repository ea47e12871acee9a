#!/bin/bash
# taskfarm on (Son of / Univa / Altair) Grid Engine. Submit from the directory the results
# go to:  qsub jobscripts/sge.sh ./analysis [arguments...]
#$ -N taskfarm
#$ -cwd
#$ -j y
#$ -S /bin/bash
# A parallel environment with 8 slots: its name is the site's (`qconf -spl` lists them).
#$ -pe mpi 8
# At s_rt Grid Engine sends SIGUSR1, and ends the job the queue's `notify` time later (60 s
# by default): the farm saves what finished and exits with 138 within a second.
#$ -l h_rt=02:00:00,s_rt=01:55:00

: "${1:?usage: qsub sge.sh PROGRAM [ARGUMENTS...]}"
export TASKFARM_JOURNAL=${TASKFARM_JOURNAL:-$PWD/taskfarm.journal}
export TASKFARM_PROGRESS_INTERVAL=${TASKFARM_PROGRESS_INTERVAL:-60}
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}

trap 'warned=1 interrupted=1; [ -n "${mpirun_pid:-}" ] && kill -USR1 "$mpirun_pid"' USR1
# OpenMPI reads the parallel environment's hosts itself ($PE_HOSTFILE) and starts remote
# ranks with qrsh (the PE needs control_slaves TRUE).
mpirun -np "$NSLOTS" -x TASKFARM_JOURNAL -x TASKFARM_PROGRESS_INTERVAL -x GLIBC_TUNABLES "$@" &
mpirun_pid=$!
[ -n "${warned:-}" ] && kill -USR1 "$mpirun_pid"
status=
until [ -n "$status" ]; do  # a wait cut short by the trap returns 138: wait again for mpirun's own
  interrupted=
  wait "$mpirun_pid"; returned=$?
  [ -n "$interrupted" ] || status=$returned
done

# Exit status 99 tells Grid Engine to run this job again, with the same options and
# arguments (unless the cluster sets FORBID_RESCHEDULE): it continues from the journal.
if [ $status -eq 138 ]; then
  echo "soft runtime limit: stopped, asking Grid Engine to run the job again (exit 99)"
  exit 99
fi
[ $status -eq 0 ] && mv -f "$TASKFARM_JOURNAL" "$TASKFARM_JOURNAL.done"
exit $status
