#!/usr/bin/env bash
# Submits an lmsynth build as a Slurm array of parts and a merge job that runs once they all succeed.
#
#   deploy/slurm/submit.sh ARRAY OUT INPUT… [BUILD FLAGS…]
#   deploy/slurm/submit.sh 1-8 /data/lmsynth merged.jsonl.gz --preset swallow-v0.1
#
# ARRAY is sbatch's --array (1-8 or 0-7: 8 parts either way); OUT the folder of the parts and of the merged
# folder (OUT/merged). Prints the two job ids. `lmsynth` must be on the PATH of the nodes (npm install -g
# the packed tarball, README "Install"); extra sbatch options go in SBATCH_* variables as usual.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 ARRAY OUT INPUT… [BUILD FLAGS…]" >&2
  exit 1
fi
here=$(dirname "$(realpath "$0")")
array=$1
out=$(realpath -m "$2")
shift 2
mkdir -p "$out"
parts=$(LMSYNTH_OUT=$out LMSYNTH_ARGS="$*" sbatch --parsable --chdir="$PWD" --array="$array" --export=ALL "$here/parts.sbatch")
merge=$(LMSYNTH_OUT=$out sbatch --parsable --chdir="$PWD" --dependency="afterok:$parts" --kill-on-invalid-dep=yes --export=ALL "$here/merge.sbatch")
echo "$parts $merge"
