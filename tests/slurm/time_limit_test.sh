#!/usr/bin/env bash
# A farm that reaches its Slurm time limit mid-run: the job script's time-limit warning stops
# it, the script resubmits itself, and the chain of jobs resumes from the journal until every
# result is in. No task that finished in one job runs again in a later one.
#   time_limit_test.sh CLUSTER_DIR LONG_FARM JOBSCRIPT...
# With several job scripts their chains run side by side (each takes 8 of the node's slots
# and about 90 s, mostly naps), and the test passes when every chain does.
set -u
CLUSTER=$(realpath "$1"); program=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
if [ $# -gt 3 ]; then
  shift 2
  logs=(); pids=()
  for script; do
    logs+=("$(mktemp)")
    "$0" "$CLUSTER" "$program" "$script" > "${logs[-1]}" 2>&1 &
    pids+=($!)
  done
  failed=0
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed=1
    echo "=== $(basename "${@:$((i + 1)):1}") ==="; cat "${logs[$i]}"
    grep -q "^resumed after the time limit$" "${logs[$i]}" || failed=1
    rm -f "${logs[$i]}"
  done
  [ $failed -eq 0 ] || { echo "FAILED: a chain of jobs did not resume to its end"; exit 1; }
  echo "resumed after the time limit under every job script"; exit 0
fi
script=$(realpath "$3")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"

# 4000 naps of 0.5 s on 6 workers x 4 threads: 83 s of work. With --time=2 and the warning
# 60 s before the limit, the warning comes 30-60 s into a job here (Slurm checks limits
# about every 30 s, and its manual allows a warning up to a minute early, so as early as the
# start: the farm honours one that comes while it starts up). So the first job is cut short
# and a chain of two or three jobs finishes the work.
n=4000
name=tf-limit-$$
# The warning goes where the script sends it: to the ranks, or to the batch shell (B:).
target=$(grep -q -- '--signal=B:' "$script" && echo B:)
export SBATCH_TIMELIMIT=2 SBATCH_SIGNAL=${target}USR1@60 SBATCH_NTASKS=8
export TASKFARM_THREADS_PER_WORKER=4 TASKFARM_PROGRESS_INTERVAL=5
submit "$name" "$script" "$program" $n 500 "$work/executions" > /dev/null || { echo "FAILED: sbatch"; exit 1; }
wait_for_jobs "$name" 400 || exit 1

jobs=$(ls "$name"-*.out | sed 's/.*-\([0-9]*\)\.out/\1/' | sort -n)
for job in $jobs; do echo "--- job $job ---"; grep -v '^finished ' "$name-$job.out"; done
last=$(echo "$jobs" | tail -1)
count=$(echo "$jobs" | wc -l)
[ "$count" -ge 2 ] || { echo "FAILED: the first job was not stopped by its time limit"; exit 1; }
for job in $jobs; do
  [ "$job" = "$last" ] && break
  grep -q "time limit near: run .* stopped, submitting run" "$name-$job.out" ||
    { echo "FAILED: job $job did not stop at its time-limit warning and resubmit"; exit 1; }
done
grep -qx "all $n results correct" "$name-$last.out" || { echo "FAILED: the last job lacks correct results"; exit 1; }
grep -q "progress: $n/$n done ([0-9]* from the journal)" "$name-$last.out" ||
  { echo "FAILED: the last job's progress does not count what it found in the journal"; exit 1; }

# Executions, counted: every input ran, and none whose result reached a client ran again.
distinct=$(cut -d' ' -f1 "$work/executions" | sort -u | wc -l)
[ "$distinct" -eq $n ] || { echo "FAILED: $distinct of $n inputs ran"; exit 1; }
# For each run of an input after its first: the job of the run before must not have seen it
# finish.
again=0
while read -r input job; do
  if grep -qx "finished $input" "$name-$job.out"; then
    echo "FAILED: input $input finished in job $job and ran again"; exit 1
  fi
  again=$((again + 1))
done < <(awk '$1 in last { print $1, last[$1] } { last[$1] = $2 }' "$work/executions")
echo "$count jobs; $(wc -l < "$work/executions") executions of $n inputs; ran again (unfinished at a stop): $again"
# At most the 24 tasks running at each stop run again.
[ $again -le $((24 * (count - 1))) ] || { echo "FAILED: more ran again than were running at the stops"; exit 1; }
echo "resumed after the time limit"
