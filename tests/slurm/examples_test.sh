#!/usr/bin/env bash
# The Slurm job scripts run the examples and give the right answers.
#   examples_test.sh CLUSTER_DIR JOBSCRIPT EXAMPLES_DIR
set -u
CLUSTER=$(realpath "$1"); script=$(realpath "$2"); examples=$(realpath "$3")
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"

# example | arguments | the line its output must have
cases=(
  "01_square||^sum 332833500$"
  "02_monte_carlo|100003 1000|^trajectories 100003 in 101 batches, darts 6400192"
  "03_block_analysis|20000 7|^frames 20000 in 7 blocks"
  "04_as_completed||^consumed 12 results as they completed"
)
export SBATCH_NTASKS=4  # scheduler, client, 2 workers: the jobs run side by side on the node
failed=0
for case in "${cases[@]}"; do
  IFS='|' read -r example arguments expected <<< "$case"
  mkdir "$work/$example" && cd "$work/$example"
  # shellcheck disable=SC2086  # the arguments are words
  submit "tf-$example" "$script" "$examples/$example" $arguments > /dev/null || { echo "FAILED: sbatch"; exit 1; }
  cd "$work"
done
for case in "${cases[@]}"; do
  IFS='|' read -r example arguments expected <<< "$case"
  wait_for_jobs "tf-$example" 60 || exit 1
  out=$(cat "$work/$example"/tf-"$example"-*.out)
  echo "--- $example $arguments ---"; echo "$out"
  if ! grep -Eq "$expected" <<< "$out"; then
    echo "FAILED: $example under $(basename "$script") lacks the line '$expected'"; failed=1
  fi
done
[ $failed -eq 0 ] && echo "examples right under $(basename "$script")"
