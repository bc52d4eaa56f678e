#!/usr/bin/env bash
# bind-ab.sh [ROUNDS] - cmpirun's default binding against --bind-to none: 8 KiB bandwidth
# between 2 ranks (build/benchmarks/bw.{openmpi,mpich}), the two alternating in each
# round; prints each MPI's medians and their ratio.
set -euo pipefail
rounds=${1:-7}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD:-$here/../build}" && pwd)
cd "$build"
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
for _ in $(seq "$rounds"); do
	for mpi in openmpi mpich; do
		for mode in default none; do
			args=()
			[ $mode = none ] && args=(--bind-to none)
			v=$(./bin/cmpirun -n 2 "${args[@]}" "benchmarks/bw.$mpi" -m 8192:8192 -i 2000 |
				awk '$1 == 8192 { print $2 }')
			[ -n "$v" ] || { echo "bind-ab.sh: no figure from bw.$mpi ($mode)" >&2; exit 1; }
			echo "$mpi $mode $v" >>"$samples"
		done
	done
done
python3 - "$samples" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    mpi, mode, value = line.split()
    runs[(mpi, mode)].append(float(value))
print("| MPI | default | --bind-to none | ratio |")
print("|---|---|---|---|")
for mpi in ("openmpi", "mpich"):
    a, b = statistics.median(runs[(mpi, "default")]), statistics.median(runs[(mpi, "none")])
    print(f"| {mpi} | {a:.0f} MB/s | {b:.0f} MB/s | {a / b:.2f} |")
PY
