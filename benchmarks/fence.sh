#!/usr/bin/env bash
# fence.sh [ROUNDS] [RANKS] - PMIx fences with data: build/bin/pmix_fence (a PMIx-only client:
# put a payload, commit, fence with collect, get and check every peer's) on RANKS ranks
# (default 64), payloads of 1 B, 1 KiB and 64 KiB per rank, under cmpirun with 1 to 64 agents
# and under Open MPI's mpirun. Each run reports the median of 11 fences; the table holds the
# median of those over ROUNDS runs (default 3), the commands in turn.
set -euo pipefail
rounds=${1:-3}
ranks=${2:-64}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD:-$here/../build}" && pwd)
cmpirun=${CMPIRUN:-$build/bin/cmpirun}
fence=$build/bin/pmix_fence
payloads="1 1024 65536"
agents="1 2 4 8 16 32 64"
[ -x "$fence" ] || { echo "fence.sh: $fence missing: build first" >&2; exit 1; }

labels=() cmds=()
for p in $payloads; do
	for a in $agents; do
		[ "$a" -le "$ranks" ] || continue
		labels+=("$p $a") cmds+=("$cmpirun -n $ranks --agents $a $fence -s $p -r 11 -t")
	done
	labels+=("$p mpirun") cmds+=("mpirun.openmpi --allow-run-as-root --oversubscribe -n $ranks $fence -s $p -r 11 -t")
done

work=$(mktemp -d /tmp/cmpi-fence.XXXXXX)
trap 'rm -rf "$work"' EXIT
for ((r = 0; r < rounds; r++)); do
	for i in "${!cmds[@]}"; do
		# shellcheck disable=SC2086 # the command line is split on purpose
		timeout 300 ${cmds[$i]} >"$work/out" 2>&1 </dev/null ||
			{ echo "failed: ${cmds[$i]}" >&2; tail -5 "$work/out" >&2; exit 1; }
		us=$(sed -n 's/^pmix_fence ok: .* median_fence_us \([0-9.]*\)$/\1/p' "$work/out")
		[ -n "$us" ] || { echo "no figure from: ${cmds[$i]}" >&2; exit 1; }
		echo "${labels[$i]} $us" >>"$work/samples"
	done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "# PMIx fence with collect, $ranks ranks, median of 11 fences per run, median of $rounds runs; $(date -u +%Y-%m-%d), $(nproc) CPUs"
printf '| payload per rank |'
for a in $agents; do [ "$a" -le "$ranks" ] && printf ' %s agents (us) |' "$a"; done
printf ' mpirun (us) |\n|---|'
for a in $agents mpirun; do [ "$a" = mpirun ] || [ "$a" -le "$ranks" ] && printf -- '---|'; done
echo
for p in $payloads; do
	printf '| %s B |' "$p"
	for a in $agents mpirun; do
		[ "$a" = mpirun ] || [ "$a" -le "$ranks" ] || continue
		printf ' %.1f |' "$(awk -v p="$p" -v a="$a" '$1 == p && $2 == a { print $3 }' "$work/samples" | median)"
	done
	echo
done
