# Shared by the Slurm tier's tests: the cluster made by cluster.sh, and jobs run to their end.
# Sourced with CLUSTER set to the cluster directory.

# The tier is skipped (77) only where cluster.sh found that Slurm cannot be installed, never on CI.
if [ -f "$CLUSTER/unavailable" ]; then
  [ -n "${CI:-}" ] && { echo "FAILED: Slurm unavailable on CI: $(cat "$CLUSTER/unavailable")"; exit 1; }
  echo "SKIPPED: $(cat "$CLUSTER/unavailable")"; exit 77
fi
export SLURM_CONF=$CLUSTER/slurm.conf
# The examples never carry launcher flags; the harness gives mpirun what root needs.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# wait_for_jobs NAME SECONDS: waits until every job called NAME has ended. A job is
# unfinished in any state but the final ones (a job being signalled, for one, is SIGNALING).
# sbatch --wait polls every few seconds; squeue every 0.2 s ends a short job in 1-3 s.
wait_for_jobs() {
  local name=$1 deadline=$((SECONDS + $2)) states
  while [ $SECONDS -lt $deadline ]; do
    if states=$(timeout 10 squeue -h -n "$name" -t all -o %T); then
      grep -qvE '^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)$' <<< "$states" ||
        return 0
    fi
    sleep 0.2
  done
  echo "FAILED: jobs named $name unfinished after $2 s:"; timeout 10 squeue -n "$name" -t all
  timeout 10 scancel -n "$name"
  return 1
}

# submit NAME SCRIPT ARGS...: submits SCRIPT as job NAME in the current directory; prints the id.
submit() {
  local name=$1 id; shift
  id=$(timeout 30 sbatch --parsable --job-name="$name" "$@") || return 1
  [ -n "$id" ] && echo "${id%%;*}"
}
