#!/usr/bin/env bash
# hosts-launch-ab.sh CMPIRUN_A CMPIRUN_B [ROUNDS] - the launch of a static program over the
# four "hosts" of the engines test bed (network namespaces with a dockerd and TLS each, on a
# bridge: launcher/test/engines.sh), 1 and 2 ranks a host, the two builds in turn
# (benchmarks/alternate.sh: min, median, mean and max wall time). Needs root, Docker and
# the tools engines.sh needs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: hosts-launch-ab.sh CMPIRUN_A CMPIRUN_B [ROUNDS]" >&2; exit 2; }
CMPIRUN=$1 CMPIRUN_B=$2 ROUNDS=${3:-10} exec bash "$top/launcher/test/engines.sh" launch_ab
