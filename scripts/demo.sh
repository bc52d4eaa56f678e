#!/usr/bin/env bash
# demo.sh - from a fresh machine: install what is missing, build, start a Docker engine, build
# the demo image, and run MPI hello world with 8 ranks in containers of it (Open MPI and
# MPICH builds of the same program), with no ssh, hostfile or variable set by hand.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/deps.sh"
bash "$top/scripts/build.sh" "$top/build"
bash "$top/scripts/engine.sh"
bash "$top/scripts/test-images.sh"
cd "$top/build" # containers see the working directory, so the programs are found there
set -x
./bin/cmpirun -n 8 --image cmpi-test/bookworm-mpi:1 test-mpi/hello.openmpi
./bin/cmpirun -n 8 --agents 2 --image cmpi-test/bookworm-mpi:1 test-mpi/hello.mpich
