#!/usr/bin/env bash
# raw-tcp.sh [ROUNDS] - our raw TCP floor (build/bin/rawbench) against qperf on loopback, the
# four tests in turn, ROUNDS times (default 5): 1-byte one-way latency (rawbench tcp-lat
# against qperf tcp_lat, mean against mean, since qperf reports a mean) and 64 KiB streaming
# bandwidth for 2 s (rawbench tcp-bw against qperf tcp_bw). Prints the medians and the ratios
# the benchmark issue aims at: latency within 5% of qperf's, bandwidth at least 95% of it.
# A run of either tool that fails or gives no figure stops it, with what the tool said, and
# exits 1: a failure never becomes a figure. BUILD names the build folder (default build/).
# Installs qperf (Debian) when it is missing.
set -euo pipefail
rounds=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
die() {
	echo "raw-tcp.sh: $*" >&2
	exit 1
}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive number, not '$rounds'"
build=$(cd "${BUILD:-$here/../build}" && pwd) || die "no build folder: build first"
bench=$build/bin/rawbench
[ -x "$bench" ] || die "$bench missing: build first"
if ! command -v qperf >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qperf >/dev/null
fi

work=$(mktemp -d /tmp/cmpi-raw-tcp.XXXXXX)
ours_pid= qperf_pid=
cleanup() {
	for p in $ours_pid $qperf_pid; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

"$bench" server >"$work/port" 2>"$work/server.err" &
ours_pid=$!
qport=19765 # qperf's own default; its server cannot pick a free one
qperf -lp "$qport" >"$work/qperf.log" 2>&1 &
qperf_pid=$!
for _ in $(seq 1 100); do grep -q '^port ' "$work/port" && break; sleep 0.05; done
port=$(awk '/^port / { print $2 }' "$work/port")
[ -n "$port" ] || die "rawbench's server did not start: $(cat "$work/server.err")"
# qperf's server says nothing when it is up: wait for its port, or for it to die (the port
# taken by another qperf, say).
for _ in $(seq 1 100); do
	kill -0 "$qperf_pid" 2>/dev/null || break
	[ -n "$(ss -Hltn "sport = :$qport")" ] && break
	sleep 0.05
done
servers_alive() {
	kill -0 "$ours_pid" 2>/dev/null || die "rawbench's server died: $(cat "$work/server.err")"
	kill -0 "$qperf_pid" 2>/dev/null ||
		die "qperf's server (qperf -lp $qport) died: $(cat "$work/qperf.log")"
	[ -n "$(ss -Hltn "sport = :$qport")" ] || die "qperf's server is not listening on $qport"
}
servers_alive

positive() { # NAME VALUE: VALUE must be a number above 0
	awk -v v="$2" 'BEGIN { exit !(v ~ /^[0-9]+(\.[0-9]+)?$/ && v + 0 > 0) }' ||
		die "$1 gave no figure ('$2'): $(cat "$work/out" "$work/err")"
	echo "$2"
}
# Each prints one figure, microseconds or MB/s, or dies saying why.
ours_lat() {
	"$bench" client 127.0.0.1 "$port" tcp-lat -f -m 1:1 -i 50000 >"$work/out" 2>"$work/err" ||
		die "rawbench tcp-lat failed: $(cat "$work/err")"
	positive "rawbench tcp-lat" "$(awk '/^1 / { print $5 }' "$work/out")" # the mean
}
ours_median() {
	positive "rawbench tcp-lat" "$(awk '/^1 / { print $2 }' "$work/out")"
}
ours_bw() {
	"$bench" client 127.0.0.1 "$port" tcp-bw -m 65536:65536 -t 2 >"$work/out" 2>"$work/err" ||
		die "rawbench tcp-bw failed: $(cat "$work/err")"
	positive "rawbench tcp-bw" "$(awk '/^65536 / { print $2 }' "$work/out")"
}
qperf_figure() { # TEST: qperf's "latency = 13.2 us" or "bw = 3.26 GB/sec", in us or MB/s
	qperf -lp "$qport" -t 2 127.0.0.1 "$1" >"$work/out" 2>"$work/err" ||
		die "qperf $1 failed: $(cat "$work/out" "$work/err")"
	positive "qperf $1" "$(awk '
		$2 == "=" { v = $3; u = $4
			if (u == "us" || u == "MB/sec") print v
			else if (u == "ns" || u == "KB/sec") print v / 1000
			else if (u == "ms" || u == "GB/sec") print v * 1000
			else if (u == "sec") print v * 1000000
			else if (u == "bytes/sec") print v / 1000000
			exit }' "$work/out")"
}
for ((r = 0; r < rounds; r++)); do
	servers_alive
	v=$(ours_lat) || exit 1
	echo "ours_lat $v" >>"$work/samples"
	v=$(ours_median) || exit 1
	echo "ours_median $v" >>"$work/samples"
	v=$(qperf_figure tcp_lat) || exit 1
	echo "qperf_lat $v" >>"$work/samples"
	v=$(ours_bw) || exit 1
	echo "ours_bw $v" >>"$work/samples"
	v=$(qperf_figure tcp_bw) || exit 1
	echo "qperf_bw $v" >>"$work/samples"
done
median() { awk -v k="$1" '$1 == k { print $2 }' "$work/samples" | sort -g |
	awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ol=$(median ours_lat) om=$(median ours_median) ql=$(median qperf_lat)
ob=$(median ours_bw) qb=$(median qperf_bw)
echo "# raw TCP on loopback, $rounds rounds in turn, medians; $(date -u +%Y-%m-%d), $(nproc) CPUs"
echo "| test | rawbench | qperf | ratio |"
echo "|---|---|---|---|"
awk -v o="$ol" -v q="$ql" 'BEGIN { printf "| latency, 1 B one way, mean (us) | %.2f | %.2f | %.3f (aim <= 1.05) |\n", o, q, o / q }'
awk -v o="$ob" -v q="$qb" 'BEGIN { printf "| bandwidth, 64 KiB messages (MB/s) | %.0f | %.0f | %.3f (aim >= 0.95) |\n", o, q, o / q }'
awk -v m="$om" 'BEGIN { printf "rawbench tcp-lat median one way (qperf reports no median): %.2f us\n", m }'
