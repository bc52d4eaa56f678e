#!/usr/bin/env bash
# pingpong-containers.sh [ROUNDS] - the data path in containers: latency and bandwidth
# between two ranks (build/benchmarks/{latency,bw}.{openmpi,mpich}) under each MPI's own
# launcher on bare metal, under cmpirun bare (1 and 2 agents), and under cmpirun in one
# container and in two containers (--agents 2 --image). Every case runs once per round, in
# turn; the table holds each figure's median over the rounds and its ratio to the MPI's
# own launcher.
set -euo pipefail
rounds=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD:-$here/../build}" && pwd)
cmpirun=${CMPIRUN:-$build/bin/cmpirun}
image=cmpi-test/bookworm-mpi:1
cd "$build" # containers see the working directory: the programs must be under it
lat_sizes="1 8 8192"
bw_sizes="8192 1048576 4194304"

# Each case is a launcher command line; latency and bw are appended to it in turn.
cases=() labels=()
add() { labels+=("$1"); cases+=("$2"); }
for mpi in openmpi mpich; do
	for prog in latency bw; do
		[ -x "$build/benchmarks/$prog.$mpi" ] ||
			{ echo "pingpong-containers.sh: $build/benchmarks/$prog.$mpi missing: build first" >&2; exit 1; }
	done
	if [ $mpi = openmpi ]; then
		add "$mpi: mpirun" "mpirun.openmpi --allow-run-as-root -n 2"
	else
		add "$mpi: mpiexec.hydra" "mpiexec.hydra -n 2"
	fi
	add "$mpi: cmpirun" "$cmpirun -n 2"
	add "$mpi: cmpirun --agents 2" "$cmpirun -n 2 --agents 2"
	add "$mpi: cmpirun --image" "$cmpirun -n 2 --image $image"
	add "$mpi: cmpirun --image --agents 2" "$cmpirun -n 2 --agents 2 --image $image"
done
mpi_of() { case ${labels[$1]} in openmpi:*) echo openmpi ;; *) echo mpich ;; esac; }

work=$(mktemp -d /tmp/cmpi-pingpong.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Rows "CASE KIND SIZE VALUE", one per figure per run.
for ((r = 0; r < rounds; r++)); do
	for i in "${!cases[@]}"; do
		for prog in latency bw; do
			cmd="${cases[$i]} $build/benchmarks/$prog.$(mpi_of "$i")"
			# shellcheck disable=SC2086 # the case is a command line
			timeout 300 $cmd >"$work/out" 2>"$work/err" </dev/null ||
				{ echo "failed: $cmd" >&2; cat "$work/err" >&2; exit 1; }
			awk -v c="$i" -v k="${prog/latency/lat}" '/^[0-9]/ { print c, k, $1, $2 }' "$work/out" >>"$work/rows"
		done
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
