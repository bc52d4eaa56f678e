#!/usr/bin/env bash
# launch-hello.sh [ROUNDS] [RANKS] - wall time of an MPI hello world (MPI_Init, one line,
# MPI_Finalize) under cmpirun (1 and 2 agents) against each MPI's own launcher: Open MPI's
# mpirun for the Open MPI build, MPICH's hydra mpiexec for the MPICH build. All six run in
# alternation; prints the table and the ratios of medians.
set -euo pipefail
rounds=${1:-21}
ranks=${2:-4}
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../build}
cmpirun=${CMPIRUN:-$build/bin/cmpirun}
ompi=$build/test-mpi/hello.openmpi
mpich=$build/test-mpi/hello.mpich
for f in "$cmpirun" "$ompi" "$mpich"; do
	[ -x "$f" ] || { echo "launch-hello.sh: $f missing: build first (scripts/build.sh)" >&2; exit 1; }
done

medians=$(mktemp)
trap 'rm -f "$medians"' EXIT
echo "# hello world, $ranks ranks, $rounds alternating rounds, $(date -u +%Y-%m-%d), $(nproc) CPUs"
MEDIANS=$medians bash "$here/alternate.sh" "$rounds" \
	"cmpirun, Open MPI" "$cmpirun -n $ranks $ompi" \
	"cmpirun --agents 2, Open MPI" "$cmpirun -n $ranks --agents 2 $ompi" \
	"mpirun (Open MPI)" "mpirun.openmpi --allow-run-as-root --oversubscribe -n $ranks $ompi" \
	"cmpirun, MPICH" "$cmpirun -n $ranks $mpich" \
	"cmpirun --agents 2, MPICH" "$cmpirun -n $ranks --agents 2 $mpich" \
	"mpiexec (MPICH hydra)" "mpiexec.hydra -n $ranks $mpich"
echo
awk -F'\t' '{ m[NR] = $2 } END {
	printf "cmpirun / mpirun (Open MPI hello): %.3f, with 2 agents %.3f (aim: <= 0.5)\n", m[1] / m[3], m[2] / m[3]
	printf "cmpirun / mpiexec.hydra (MPICH hello): %.3f, with 2 agents %.3f (aim: <= 1.0)\n", m[4] / m[6], m[5] / m[6] }' "$medians"
