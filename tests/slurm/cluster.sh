#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for testing the job scripts for real.
#   cluster.sh start DIR   install Slurm and munge if missing, write DIR/slurm.conf, start
#                          munged, slurmctld and slurmd, wait until the node is idle
#   cluster.sh stop DIR    stop the daemons by their PID files
# Clients find the cluster with SLURM_CONF=DIR/slurm.conf. Everything Slurm writes (state,
# spool, logs, PID files) stays in DIR; munge uses its packaged key.
# If Slurm cannot be installed, start writes the reason to DIR/unavailable and exits 77
# (skip), unless CI is set: there it fails.
set -uo pipefail
action=${1:?start or stop}
dir=$(realpath -m "${2:?the cluster directory}")
here=$(cd "$(dirname "$0")" && pwd)

stop_daemon() {  # by PID file, never by name: other Slurms on the machine are not ours
  local pidfile=$1
  [ -s "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  # A PID file outlives a reboot: the number may now be another program's.
  if [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = "$(basename "$pidfile" .pid)" ] && kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
}

stop() {
  stop_daemon "$dir/slurmd.pid"
  stop_daemon "$dir/slurmctld.pid"
  stop_daemon "$dir/munged.pid"
}

unavailable() {
  echo "$1" > "$dir/unavailable"
  if [ -n "${CI:-}" ]; then
    echo "FAILED: Slurm tier: $1 (CI must run this tier)"; exit 1
  fi
  echo "SKIPPED: Slurm tier: $1"; exit 77
}

if [ "$action" = stop ]; then
  stop; echo "slurm cluster stopped"; exit 0
fi
[ "$action" = start ] || { echo "usage: cluster.sh start|stop DIR" >&2; exit 2; }

mkdir -p "$dir"
rm -f "$dir/unavailable"
stop  # a cluster left over from an earlier run

[ "$(id -u)" -eq 0 ] || unavailable "the daemons must run as root (slurmd starts jobs as their users)"
"$here/../../scripts/install-deps.sh" --slurm || unavailable "the Slurm packages could not be installed"

# Another Slurm on these ports would answer our clients in place of ours.
for port in 6917 6918; do
  if (exec 3<> /dev/tcp/127.0.0.1/$port) 2> /dev/null; then
    echo "FAILED: port $port is taken (another Slurm test cluster still running? stop it with: $0 stop ITS_DIR)"
    exit 1
  fi
done
rm -rf "$dir/state" "$dir/spool"  # no jobs left over from an earlier run
mkdir -p "$dir/state" "$dir/spool"
if ! munge -n < /dev/null > /dev/null 2>&1; then  # else a munged runs already: use it
  mkdir -p /run/munge && chown munge:munge /run/munge
  # munged runs as user munge and writes its PID file where that user may.
  runuser -u munge -- munged --force --pid-file=/run/munge/taskfarm-test.pid || unavailable "munged did not start"
  cp /run/munge/taskfarm-test.pid "$dir/munged.pid"
fi

cat > "$dir/slurm.conf" <<CONF
ClusterName=taskfarm-test
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
# 32 slots on however many cores: the tier's jobs (two chains of 8 ranks, four examples of 4)
# run side by side, more ranks than this machine has cores; they mostly sleep.
NodeName=localhost NodeAddr=127.0.0.1 CPUs=32 State=UNKNOWN
SlurmdParameters=config_overrides
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
TaskPlugin=task/none
# With proctrack/linuxproc an mpirun inside a cancelled job can outlive the job.
ProctrackType=proctrack/cgroup
# Debian's OpenMPI starts under srun only with the pmix plugin.
MpiDefault=pmix
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
KillWait=10
# A job asking for more than the node has fails at once instead of pending forever.
EnforcePartLimits=ALL
ReturnToService=2
CONF
# Without this file Slurm's cgroup plugin does not find the v1 hierarchies mounted here.
cgroup=cgroup/v1
[ -f /sys/fs/cgroup/cgroup.controllers ] && cgroup=cgroup/v2  # a pure v2 machine
cat > "$dir/cgroup.conf" <<CONF
CgroupPlugin=$cgroup
CgroupMountpoint=/sys/fs/cgroup
CgroupAutomount=yes
CONF
export SLURM_CONF=$dir/slurm.conf

slurmctld -i -f "$SLURM_CONF" || unavailable "slurmctld did not start (see $dir/slurmctld.log)"
slurmd -N localhost -f "$SLURM_CONF" || unavailable "slurmd did not start (see $dir/slurmd.log)"
# A daemon's foreground process returns before the daemon has written its PID file (tens of
# ms here, longer on a loaded machine): a missing PID file is a daemon still starting, for 10 s.
for attempt in $(seq 150); do
  for daemon in slurmctld slurmd; do
    pid=$(cat "$dir/$daemon.pid" 2> /dev/null)
    [ -z "$pid" ] && [ "$attempt" -le 50 ] && continue
    kill -0 "$pid" 2> /dev/null && continue
    if [ -n "$pid" ]; then echo "FAILED: $daemon (PID $pid) died at start-up"
    else echo "FAILED: $daemon wrote no PID file within 10 s"; fi
    tail -20 "$dir/$daemon.log"; stop; exit 1
  done
  if timeout 10 scontrol ping >/dev/null 2>&1 && timeout 10 sinfo -h -N -o %t 2>/dev/null | grep -qx idle; then
    echo "slurm cluster up: $(timeout 10 sinfo -h -o '%P %D %c %t')"
    exit 0
  fi
  sleep 0.2
done
echo "FAILED: the Slurm node did not become idle within 30 s"
tail -20 "$dir/slurmctld.log" "$dir/slurmd.log"
exit 1
