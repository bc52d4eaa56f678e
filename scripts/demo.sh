#!/usr/bin/env bash
# demo.sh - from a fresh machine: install what is missing, build, and run a 4-rank job.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/deps.sh"
bash "$top/scripts/build.sh" "$top/build"
set -x
"$top/build/bin/cmpirun" -n 4 --agents 2 --tag-output \
	sh -c 'echo "hello from rank $CMPI_RANK of $CMPI_SIZE on node $CMPI_NODE (pid $$)"'
