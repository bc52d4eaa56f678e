#!/usr/bin/env bash
# launch-true.sh [ROUNDS] [RANKS] - wall time of `LAUNCHER -n RANKS /bin/true` for cmpirun,
# Open MPI's mpirun and MPICH's hydra mpiexec, run in alternation (A B C A B C ...) so
# that machine noise hits all alike; prints min/median/mean/max in ms and the ratios of medians.
# A launcher that takes over 60 s counts as hung and stops the run.
set -euo pipefail
rounds=${1:-21}
ranks=${2:-4}
top=$(cd "$(dirname "$0")/.." && pwd)
cmpirun=${CMPIRUN:-$top/build/bin/cmpirun}

names=("cmpirun" "cmpirun --agents 2" "mpirun (Open MPI)" "mpiexec (MPICH hydra)")
cmds=("$cmpirun -n $ranks /bin/true"
	"$cmpirun -n $ranks --agents 2 /bin/true"
	"mpirun.openmpi --allow-run-as-root --oversubscribe -n $ranks /bin/true"
	"mpiexec.hydra -n $ranks /bin/true")

samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
for c in "${cmds[@]}"; do timeout 60 $c >/dev/null; done # warm the page cache once
for ((r = 0; r < rounds; r++)); do
	for i in "${!cmds[@]}"; do
		t0=$(date +%s%N)
		timeout 60 ${cmds[$i]} >/dev/null || { echo "failed or hung: ${cmds[$i]}" >&2; exit 1; }
		t1=$(date +%s%N)
		echo "$i $(((t1 - t0) / 1000))" >>"$samples"
	done
done

echo "# $rounds alternating rounds, $ranks ranks, $(date -u +%Y-%m-%d), $(nproc) CPUs"
printf '| %-24s | %8s | %8s | %8s | %8s |\n' launcher "min ms" "median ms" "mean ms" "max ms"
printf '|%s|%s|%s|%s|%s|\n' -------------------------- ---------- ----------- ---------- ----------
declare -a med
for i in "${!cmds[@]}"; do
	read -r mn md mean mx < <(awk -v i="$i" '$1 == i { print $2 / 1000 }' "$samples" | sort -n |
		awk '{ v[NR] = $1; s += $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		       printf "%.2f %.2f %.2f %.2f\n", v[1], m, s / NR, v[NR] }')
	med[$i]=$md
	printf '| %-24s | %8s | %9s | %8s | %8s |\n' "${names[$i]}" "$mn" "$md" "$mean" "$mx"
done
echo
awk -v c="${med[0]}" -v o="${med[2]}" -v h="${med[3]}" 'BEGIN {
	printf "cmpirun / mpirun median ratio: %.3f (aim: <= 0.5)\n", c / o
	printf "cmpirun / mpiexec.hydra median ratio: %.3f (aim: <= 1.0)\n", c / h }'
