#!/usr/bin/env bash
# raw-tcp.sh [ROUNDS] - our raw TCP floor (build/bin/rawbench) against qperf on loopback, the
# four tests in turn, ROUNDS times (default 5): 1-byte one-way latency (rawbench tcp-lat's mean,
# as qperf's tcp_lat reports a mean) and 64 KiB streaming bandwidth for 2 s (rawbench tcp-bw
# against qperf tcp_bw). Prints the medians and the ratios the benchmark issue aims at:
# latency within 5% of qperf's, bandwidth at least 95% of it. Installs qperf (Debian) when it
# is missing. Any run that fails or prints no figure stops the script with exit status 1.
set -euo pipefail
rounds=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD:-$here/../build}" && pwd)
bench=$build/bin/rawbench
[ -x "$bench" ] || { echo "raw-tcp.sh: $bench missing: build first" >&2; exit 1; }
if ! command -v qperf >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qperf >/dev/null
fi

work=$(mktemp -d /tmp/cmpi-raw-tcp.XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
die() { echo "raw-tcp.sh: $*" >&2; exit 1; }
"$bench" server >"$work/port" 2>"$work/server.err" &
pids+=($!)
qport=19765 # qperf's own default; its server cannot pick a free one
qperf -lp "$qport" >"$work/qperf.log" 2>&1 &
qperf_pid=$!
pids+=($qperf_pid)
for _ in $(seq 1 50); do grep -q '^port ' "$work/port" && break; sleep 0.05; done
port=$(awk '/^port / { print $2 }' "$work/port")
[ -n "$port" ] || die "rawbench's server said no port: $(cat "$work/server.err")"
sleep 0.2 # qperf's server says nothing when it is up
kill -0 "$qperf_pid" 2>/dev/null || die "qperf's server did not start (port $qport taken?): $(cat "$work/qperf.log")"

# Each prints one figure (microseconds or MB/s), or fails.
figure() { # LABEL: the figure on stdin, which must be a positive number
	local v
	v=$(cat)
	awk -v v="$v" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v > 0) }' || die "$1 gave no figure ('$v')"
	echo "$v"
}
ours_lat() { "$bench" client 127.0.0.1 "$port" tcp-lat -m 1:1 -i 50000 -f | awk '/^1 / { print $5 }'; }
ours_bw() { "$bench" client 127.0.0.1 "$port" tcp-bw -m 65536:65536 -t 2 | awk '/^65536 / { print $2 }'; }
qperf_figure() { # TEST: qperf's "latency = 13.2 us" or "bw = 3.26 GB/sec", in us or MB/s
	qperf -lp "$qport" -t 2 127.0.0.1 "$1" | awk '
		$2 == "=" { v = $3; u = $4
			if (u == "ns") v /= 1000; else if (u == "ms") v *= 1000
			else if (u == "GB/sec") v *= 1000; else if (u == "KB/sec") v /= 1000
			print v }'
}
for ((r = 0; r < rounds; r++)); do
	echo "ours_lat $(ours_lat | figure "rawbench tcp-lat")" >>"$work/samples"
	echo "qperf_lat $(qperf_figure tcp_lat | figure "qperf tcp_lat")" >>"$work/samples"
	echo "ours_bw $(ours_bw | figure "rawbench tcp-bw")" >>"$work/samples"
	echo "qperf_bw $(qperf_figure tcp_bw | figure "qperf tcp_bw")" >>"$work/samples"
done
median() { awk -v k="$1" '$1 == k { print $2 }' "$work/samples" | sort -g |
	awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ol=$(median ours_lat) ql=$(median qperf_lat) ob=$(median ours_bw) qb=$(median qperf_bw)
echo "# raw TCP on loopback, $rounds rounds in turn, medians; $(date -u +%Y-%m-%d), $(nproc) CPUs"
echo "| test | rawbench | qperf | ratio |"
echo "|---|---|---|---|"
awk -v o="$ol" -v q="$ql" 'BEGIN { printf "| latency, 1 B one way, mean (us) | %.2f | %.2f | %.3f (aim <= 1.05) |\n", o, q, o / q }'
awk -v o="$ob" -v q="$qb" 'BEGIN { printf "| bandwidth, 64 KiB messages (MB/s) | %.0f | %.0f | %.3f (aim >= 0.95) |\n", o, q, o / q }'
