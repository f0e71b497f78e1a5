#!/usr/bin/env bash
# A one-node Slurm cluster in a folder of its own, for trying the recipes here (and for the test that runs
# them): Debian's slurmctld, slurmd and munge, as root, state and spool under the folder.
#
#   deploy/slurm/cluster.sh start DIR   # writes DIR/slurm.conf, starts munged, slurmctld, slurmd; waits until idle
#   deploy/slurm/cluster.sh stop DIR    # stops what start started
#
# Then `export SLURM_CONF=DIR/slurm.conf` for sbatch, squeue and sinfo.
set -euo pipefail
action=$1
dir=$(realpath -m "$2")
conf="$dir/slurm.conf"
case "$action" in
start)
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  host=$(hostname -s)
  cpus=$(nproc)
  memory=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
  # Ports of its own, so that it never meets another slurmctld on this machine.
  port=$((20000 + RANDOM % 20000))
  cat > "$conf" <<CONF
ClusterName=lmsynth
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
AuthInfo=socket=$dir/munge/munge.socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  munged --force --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  slurmctld -f "$conf"
  slurmd -f "$conf"
  export SLURM_CONF=$conf
  for _ in $(seq 1 60); do
    if sinfo -h -o %t 2>/dev/null | grep -qx idle; then exit 0; fi
    sleep 0.5
  done
  echo "slurm did not come up; logs in $dir" >&2
  tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
  exit 1
  ;;
stop)
  # Each daemon in turn, waiting until it has exited: they write their state and logs on the way out.
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
  done
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 1
  ;;
esac
