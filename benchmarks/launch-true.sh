#!/usr/bin/env bash
# launch-true.sh [ROUNDS] [RANKS] - wall time of `LAUNCHER -n RANKS /bin/true` for cmpirun
# (1 and 2 agents), Open MPI's mpirun and MPICH's hydra mpiexec, run in alternation; prints
# the table and the ratios of medians. No MPI here: this is the launcher's own cost.
set -euo pipefail
rounds=${1:-21}
ranks=${2:-4}
here=$(cd "$(dirname "$0")" && pwd)
cmpirun=${CMPIRUN:-$here/../build/bin/cmpirun}

medians=$(mktemp)
trap 'rm -f "$medians"' EXIT
echo "# /bin/true, $ranks ranks, $rounds alternating rounds, $(date -u +%Y-%m-%d), $(nproc) CPUs"
MEDIANS=$medians bash "$here/alternate.sh" "$rounds" \
	"cmpirun" "$cmpirun -n $ranks /bin/true" \
	"cmpirun --agents 2" "$cmpirun -n $ranks --agents 2 /bin/true" \
	"mpirun (Open MPI)" "mpirun.openmpi --allow-run-as-root --oversubscribe -n $ranks /bin/true" \
	"mpiexec (MPICH hydra)" "mpiexec.hydra -n $ranks /bin/true"
echo
awk -F'\t' '{ m[NR] = $2 } END {
	printf "cmpirun / mpirun median ratio: %.3f (aim: <= 0.5)\n", m[1] / m[3]
	printf "cmpirun / mpiexec.hydra median ratio: %.3f (aim: <= 1.0)\n", m[1] / m[4] }' "$medians"
