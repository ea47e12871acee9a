#!/bin/sh
# taskfarm on one machine: one worker per core, plus the scheduler and the client. Those two
# mostly wait, and a waiting taskfarm rank sleeps, so two ranks more than cores cost little.
#   jobscripts/laptop.sh ./analysis [arguments...]
#   NP=6 jobscripts/laptop.sh ./analysis       another number of ranks
# Ctrl-C stops the farm within about 1.5 s (with TASKFARM_JOURNAL set, a rerun resumes).
np=${NP:-$(($(nproc) + 2))}
exec mpirun -np "$np" --oversubscribe "$@"
