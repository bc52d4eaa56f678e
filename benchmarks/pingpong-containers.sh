#!/usr/bin/env bash
# pingpong-containers.sh [ROUNDS] - the data path in containers: latency and bandwidth
# between two ranks (build/benchmarks/pingpong.{openmpi,mpich}) under each MPI's own
# launcher on bare metal, under cmpirun bare (1 and 2 agents), and under cmpirun in one
# container and in two containers (--agents 2 --image). Every case runs once per round, in
# turn; the table holds each figure's median over the rounds and its ratio to the MPI's
# own launcher.
set -euo pipefail
rounds=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../build}
cmpirun=${CMPIRUN:-$build/bin/cmpirun}
image=cmpi-test/bookworm-mpi:1
lat_sizes="1 8 8192"
bw_sizes="8192 1048576 4194304"

cases=() labels=()
add() { labels+=("$1"); cases+=("$2"); }
for mpi in openmpi mpich; do
	prog=$build/benchmarks/pingpong.$mpi
	[ -x "$prog" ] || { echo "pingpong-containers.sh: $prog missing: build first" >&2; exit 1; }
	if [ $mpi = openmpi ]; then
		add "$mpi: mpirun" "mpirun.openmpi --allow-run-as-root -n 2 $prog"
	else
		add "$mpi: mpiexec.hydra" "mpiexec.hydra -n 2 $prog"
	fi
	add "$mpi: cmpirun" "$cmpirun -n 2 $prog"
	add "$mpi: cmpirun --agents 2" "$cmpirun -n 2 --agents 2 $prog"
	add "$mpi: cmpirun --image" "$cmpirun -n 2 --image $image $prog"
	add "$mpi: cmpirun --image --agents 2" "$cmpirun -n 2 --agents 2 --image $image $prog"
done

work=$(mktemp -d /tmp/cmpi-pingpong.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Rows "CASE KIND SIZE VALUE", one per figure per run.
for ((r = 0; r < rounds; r++)); do
	for i in "${!cases[@]}"; do
		# shellcheck disable=SC2086 # the case is a command line
		timeout 300 ${cases[$i]} >"$work/out" 2>"$work/err" </dev/null ||
			{ echo "failed: ${cases[$i]}" >&2; cat "$work/err" >&2; exit 1; }
		awk -v c="$i" '/Latency Test/ { k = "lat" } /Bandwidth Test/ { k = "bw" }
			/^[0-9]/ { print c, k, $1, $2 }' "$work/out" >>"$work/rows"
	done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
figure() { awk -v c="$1" -v k="$2" -v s="$3" '$1 == c && $2 == k && $3 == s { print $4 }' "$work/rows" | median; }

echo "# ping-pong between 2 ranks, $rounds rounds, medians; $(date -u +%Y-%m-%d), $(nproc) CPUs, image $image"
printf '| %-36s |' case
for s in $lat_sizes; do printf ' lat %s B (us) |' "$s"; done
for s in $bw_sizes; do printf ' bw %s B (MB/s) |' "$s"; done
echo
printf '|%s|' "--------------------------------------"
for _ in $lat_sizes $bw_sizes; do printf '%s|' "------------"; done
echo
for i in "${!cases[@]}"; do
	base=$((i / 5 * 5)) # each MPI's first case: its own launcher
	printf '| %-36s |' "${labels[$i]}"
	for s in $lat_sizes; do
		v=$(figure "$i" lat "$s") b=$(figure "$base" lat "$s")
		printf ' %s (%.2fx) |' "$v" "$(awk -v v="$v" -v b="$b" 'BEGIN { print v / b }')"
	done
	for s in $bw_sizes; do
		v=$(figure "$i" bw "$s") b=$(figure "$base" bw "$s")
		printf ' %s (%.2fx) |' "$v" "$(awk -v v="$v" -v b="$b" 'BEGIN { print v / b }')"
	done
	echo
done
