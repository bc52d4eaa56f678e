#!/usr/bin/env bash
# demo.sh - from a fresh machine: install what is missing, build, and run MPI hello world
# (Open MPI and MPICH builds, 8 ranks on 2 agents) with no variable set by hand.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/deps.sh"
bash "$top/scripts/build.sh" "$top/build"
set -x
"$top/build/bin/cmpirun" -n 8 --agents 2 "$top/build/test-mpi/hello.openmpi"
"$top/build/bin/cmpirun" -n 8 --agents 2 "$top/build/test-mpi/hello.mpich"
