#!/usr/bin/env bash
# fault-matrix.sh - every fault of faults.sh once, bare and in containers, Open MPI and MPICH,
# as one markdown table (docs/reliability.md). Failures' details go to stderr; the exit
# status is 1 when any case failed.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
: "${CMPIRUN:?set CMPIRUN to the cmpirun binary}" "${TEST_MPI_BIN:?set TEST_MPI_BIN to build/test-mpi}"
FAULTS="segv exit abort timeout kill_rank oom kill_agent kill_container engine_restart sigint sigterm kill_launcher"

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), cmpirun $("$CMPIRUN" --version | awk '{print $2}')"
echo
echo "| fault | where | MPI | time to end (ms) | exit code | message | leaks | result |"
echo "|---|---|---|---|---|---|---|---|"
failed=0
for fault in $FAULTS; do
	for where in bare container; do
		case $where:$fault in bare:kill_container | bare:engine_restart) continue ;; esac
		for mpi in openmpi mpich; do
			bash "$HERE/faults.sh" "$where" "$mpi" "$fault"
			[ $? -eq 1 ] && failed=1
		done
	done
done
exit $failed
