#!/bin/bash
# taskfarm on (Son of / Univa / Altair) Grid Engine. Submit from the directory the results
# go to:  qsub jobscripts/sge.sh ./analysis [arguments...]
#$ -N taskfarm
#$ -cwd
#$ -j y
#$ -S /bin/bash
# A parallel environment with 8 slots: its name is the site's (`qconf -spl` lists them).
#$ -pe mpi 8
# s_rt, five minutes before h_rt, sends SIGUSR1: the farm saves what finished and exits 138.
#$ -l h_rt=02:00:00,s_rt=01:55:00

[ $# -gt 0 ] || { echo "usage: qsub sge.sh PROGRAM [ARGUMENTS...]"; exit 2; }
export TASKFARM_JOURNAL=${TASKFARM_JOURNAL:-$PWD/taskfarm.journal}
export TASKFARM_PROGRESS_INTERVAL=${TASKFARM_PROGRESS_INTERVAL:-60}
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}

# OpenMPI reads the parallel environment's hosts itself ($PE_HOSTFILE) and starts remote
# ranks with qrsh (the PE needs control_slaves TRUE).
mpirun -np "$NSLOTS" -x TASKFARM_JOURNAL -x TASKFARM_PROGRESS_INTERVAL -x GLIBC_TUNABLES "$@" &
mpirun_pid=$!
trap 'kill -USR1 $mpirun_pid' USR1
wait $mpirun_pid
status=$?
while kill -0 $mpirun_pid 2>/dev/null; do wait $mpirun_pid; status=$?; done

# Exit status 99 tells Grid Engine to run this job again, with the same options and
# arguments: it continues from the journal.
if [ $status -eq 138 ]; then
  echo "soft runtime limit: stopped, asking Grid Engine to run the job again (exit 99)"
  exit 99
fi
exit $status
