#!/usr/bin/env bash
# job-start-cost.sh [ROUNDS] [AGENTS...] - what sending JOB to every agent costs cmpirun,
# against its whole CPU for the launch: perf samples cmpirun (1 kHz, DWARF call chains)
# while it starts K local agents of one rank each running true. A sample counts as JOB's
# when on_hello (which encodes and queues JOB) or libevent's socket writer is on its
# stack: with no rank output and no fence, JOB is nearly all cmpirun writes, so this is an
# upper bound. It is what job start through the allgather tree could take off cmpirun
# (issue 8). Needs perf; prints one line per run and the medians (ms: 1 sample = 1 ms).
# Default: 3 rounds of 64, 128 and 256 agents.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cmpirun=${CMPIRUN:-$top/build/bin/cmpirun}
rounds=${1:-3}
shift || true
agents=("${@:-64 128 256}")
read -ra agents <<<"${agents[*]}"
command -v perf >/dev/null || { echo "job-start-cost.sh: needs perf (apt-get install linux-perf)" >&2; exit 2; }
work=$(mktemp -d /tmp/cmpi-jobcost.XXXXXX)
trap 'rm -rf "$work"' EXIT

# count PERF_DATA: "SAMPLES_OF_CMPIRUN SAMPLES_SENDING_JOB"
count() {
	perf script -i "$1" -F comm,ip,sym 2>/dev/null | awk '
		/^[^\t]/ && NF { if (c) total++; if (c && h) hello++; c = ($1 == "cmpirun"); h = 0; next }
		/ (on_hello|evbuffer_write_atmost)$/ { h = 1 }
		END { if (c) total++; if (c && h) hello++; print total + 0, hello + 0 }'
}

declare -A all_total all_hello
for ((r = 1; r <= rounds; r++)); do
	for k in "${agents[@]}"; do
		perf record -q -e cpu-clock -F 1000 --call-graph dwarf,8192 -o "$work/perf.data" -- \
			"$cmpirun" --agents "$k" -n "$k" true >/dev/null 2>"$work/err" ||
			{ cat "$work/err" >&2; exit 1; }
		read -r total hello < <(count "$work/perf.data")
		echo "round $r, $k agents: cmpirun $total ms CPU, sending JOB at most $hello ms"
		all_total[$k]+="$total " all_hello[$k]+="$hello "
	done
done
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "| agents | cmpirun CPU for the launch (ms) | of it, sending JOB, at most (ms) |"
echo "|---|---|---|"
for k in "${agents[@]}"; do
	echo "| $k | $(median "${all_total[$k]}") | $(median "${all_hello[$k]}") |"
done
