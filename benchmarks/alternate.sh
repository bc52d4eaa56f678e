#!/usr/bin/env bash
# alternate.sh ROUNDS LABEL COMMAND [LABEL COMMAND ...] - runs the commands in alternation
# (A B C A B C ...) so that machine noise hits all alike, and prints a markdown table of wall
# times (min/median/mean/max ms). With MEDIANS=FILE it also writes "LABEL<TAB>median" lines.
# A command that fails or takes over 60 s stops the run. Commands are split on spaces (no
# shell in between, whose start-up would be timed too), so paths must not contain any.
set -euo pipefail
set -f
rounds=$1
shift
labels=() cmds=()
while [ $# -ge 2 ]; do
	labels+=("$1")
	cmds+=("$2")
	shift 2
done

samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
# shellcheck disable=SC2086 # splitting the commands is the point
for c in "${cmds[@]}"; do timeout 60 $c >/dev/null 2>&1 || true; done # warm caches once
for ((r = 0; r < rounds; r++)); do
	for i in "${!cmds[@]}"; do
		t0=$(date +%s%N)
		# shellcheck disable=SC2086
		timeout 60 ${cmds[$i]} >/dev/null 2>&1 ||
			{ echo "failed or hung: ${cmds[$i]}" >&2; exit 1; }
		t1=$(date +%s%N)
		echo "$i $(((t1 - t0) / 1000))" >>"$samples"
	done
done

[ -n "${MEDIANS:-}" ] && : >"$MEDIANS"
printf '| %-36s | %8s | %9s | %8s | %8s |\n' command "min ms" "median ms" "mean ms" "max ms"
printf '|%s|%s|%s|%s|%s|\n' -------------------------------------- ---------- ----------- ---------- ----------
for i in "${!cmds[@]}"; do
	read -r mn md mean mx < <(awk -v i="$i" '$1 == i { print $2 / 1000 }' "$samples" | sort -n |
		awk '{ v[NR] = $1; s += $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		       printf "%.2f %.2f %.2f %.2f\n", v[1], m, s / NR, v[NR] }')
	printf '| %-36s | %8s | %9s | %8s | %8s |\n' "${labels[$i]}" "$mn" "$md" "$mean" "$mx"
	[ -n "${MEDIANS:-}" ] && printf '%s\t%s\n' "${labels[$i]}" "$md" >>"$MEDIANS"
done
exit 0
