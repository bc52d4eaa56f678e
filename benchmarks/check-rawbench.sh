#!/usr/bin/env bash
# check-rawbench.sh RAWBENCH tcp|verbs - rawbench against a server of its own on 127.0.0.1.
#   tcp:   tcp-lat and tcp-bw tables (title, header, rows "%-10d%18.2f" with sizes doubling,
#          figures positive; -f's columns in order), usage errors exit 2 with a usage line,
#          raw requests answered (garbage refused; a verbs request to a server without a
#          device answered "no device"), and a server killed mid-test makes the client say so
#          in one line and exit 1.
#   verbs: send-lat, write-lat and write-bw with tiny sizes. Without an RDMA device each must
#          exit 77 with exactly one line, before connecting anywhere; then this exits 77 too,
#          which ctest reports as skipped.
# Servers run in process groups of their own (setsid), ended by their PID.
set -u
bench=$1 mode=$2
work=$(mktemp -d /tmp/cmpi-rawbench.XXXXXX)
groups=()
cleanup() {
	exec 2>/dev/null # bash's "Killed" notices
	for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*; do echo "--- ${f##*/}" >&2; cat "$f" >&2; done
	exit 1
}

start_server() { # NAME: a server whose port lands in $port
	setsid "$bench" server >"$work/$1.port" 2>"$work/$1.err" &
	groups+=($!)
	server=$!
	for _ in $(seq 1 100); do grep -q '^port ' "$work/$1.port" && break; sleep 0.05; done
	grep -qx 'port [0-9][0-9]*' "$work/$1.port" || fail "$1 said no port"
	port=$(awk '{ print $2 }' "$work/$1.port")
}

check() { # FIRST LAST TITLE COLUMNS: the table in $work/out
	awk -v first="$1" -v last="$2" -v title="$3" -v cols="$4" '
		NR == 1 { if (index($0, "# cmpirun " title " Test (") != 1) bad = 1; next }
		NR == 2 { if ($0 !~ /^# Size  /) bad = 1; next }
		{
			if (length($0) != 10 + 18 * cols || NF != cols + 1) { bad = 1; exit }
			for (i = 2; i <= NF; i++) if ($i !~ /^[0-9]+\.[0-9][0-9]$/ || $i + 0 <= 0) { bad = 1; exit }
			want = rows ? prev * 2 : first
			if ($1 !~ /^[0-9]+$/ || $1 + 0 != want) { bad = 1; exit }
			# -f latency: median, min, max, mean, p99, p99.9 (stdev may be 0 at times)
			if (cols == 7 && !($3 <= $2 && $2 <= $4 && $3 <= $5 && $5 <= $4 && $6 <= $7 && $7 <= $4)) { bad = 1; exit }
			prev = $1 + 0; rows++
		}
		END { exit bad || prev != last }' "$work/out"
}

usage_error() { # ARGS...: must exit 2 with "rawbench: why" and a usage line
	"$bench" "$@" >"$work/out" 2>"$work/err" </dev/null
	local rc=$?
	[ $rc -eq 2 ] || fail "'$*' exited $rc, not 2"
	head -1 "$work/err" | grep -q '^rawbench: ' || fail "'$*': no reason given"
	grep -q '^usage: rawbench server' "$work/err" || fail "'$*': no usage line"
	[ -s "$work/out" ] && fail "'$*' wrote to stdout"
	return 0
}

raw_exchange() { # HEX-BYTES: sent to the server as they are; the reply's first 8 bytes in hex
	exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to the server"
	printf "$(sed 's/\([0-9a-f][0-9a-f]\)/\\x\1/g; s/ //g' <<<"$1")" >&3
	timeout 5 head -c 8 <&3 | od -An -tx1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
	exec 3<&-
}

mid_test_death() { # TEST ARGS...: the server's group killed while the client runs
	start_server victim
	"$bench" client 127.0.0.1 "$port" "$@" >"$work/out" 2>"$work/err" &
	local client=$! rc
	# Wait for the connection's child: the test is running.
	for _ in $(seq 1 100); do [ -n "$(ps -o pid= --ppid "$server")" ] && break; sleep 0.05; done
	[ -n "$(ps -o pid= --ppid "$server")" ] || fail "$1: the client never reached the server"
	sleep 0.2
	{ kill -KILL -- "-$server" && wait "$server"; } 2>/dev/null # no "Killed" from bash
	wait "$client"
	rc=$?
	sed 's/^/  /' "$work/err"
	[ $rc -eq 1 ] || fail "$1: a server killed mid-test gave exit $rc, not 1"
	[ "$(wc -l <"$work/err")" -eq 1 ] || fail "$1: not one line on stderr"
	grep -Eq "^rawbench: $1, [0-9]+ B: cannot [a-z ]+ 127\.0\.0\.1:$port: " "$work/err" ||
		fail "$1: not the message it should be"
}

no_device_line() { # TEST: the one line a host without RDMA gets
	echo "rawbench: no RDMA device on this host ($1 needs one)"
}

case $mode in
tcp)
	start_server main
	"$bench" client 127.0.0.1 "$port" tcp-lat -m 1:64 -i 200 >"$work/out" || fail "tcp-lat failed"
	check 1 64 "raw TCP Latency" 1 || fail "tcp-lat: not the table it should be"
	"$bench" client 127.0.0.1 "$port" tcp-bw -m 1024:4096 -t 0.1 >"$work/out" || fail "tcp-bw failed"
	check 1024 4096 "raw TCP Bandwidth" 1 || fail "tcp-bw: not the table it should be"
	"$bench" client 127.0.0.1 "$port" tcp-lat -f -m 2:8 -i 300 >"$work/out" || fail "tcp-lat -f failed"
	check 2 8 "raw TCP Latency" 7 || fail "tcp-lat -f: not the table it should be"
	sed -n 2p "$work/out" | grep -q 'Latency (us) *Min (us) *Max (us) *Mean (us) *P99 (us) *P99.9 (us) *Stdev (us)$' ||
		fail "tcp-lat -f: not the header it should be"
	"$bench" client 127.0.0.1 "$port" tcp-bw -f -m 65536:65536 -t 0.1 >"$work/out" || fail "tcp-bw -f failed"
	check 65536 65536 "raw TCP Bandwidth" 2 || fail "tcp-bw -f: not the table it should be"

	usage_error
	usage_error frobnicate
	usage_error client 127.0.0.1 "$port" nonsense
	usage_error client 127.0.0.1 "$port" lat
	usage_error client 127.0.0.1 "$port" tcp-lat -z
	usage_error client 127.0.0.1 "$port" tcp-lat -i
	usage_error client 127.0.0.1 "$port" tcp-lat -i 0
	usage_error client 127.0.0.1 "$port" tcp-lat -i 4294967297
	usage_error client 127.0.0.1 "$port" tcp-lat -m 0:8
	usage_error client 127.0.0.1 "$port" tcp-bw -t 0
	usage_error client 127.0.0.1 70000 tcp-lat
	usage_error client 127.0.0.1 0 tcp-lat
	usage_error server -p 70000
	usage_error server -p abc
	usage_error server -p -1
	usage_error server -a nowhere

	# Garbage is refused with status 1; a verbs request where there is no device gets 2.
	reply=$(raw_exchange "47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a 0d 0a 0d 0a 0d 0a 0d 0a")
	[ "$reply" = "52 41 57 42 00 01 00 00" ] || fail "garbage answered '$reply'"
	if "$bench" client 127.0.0.1 1 send-lat >/dev/null 2>&1; [ $? -eq 77 ]; then
		req="52 41 57 42 00 01 00 03 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 0a"
		qp="00 01 05 00 00 00 00 01 00 00 00 01 00 00 00 01 $(printf '00 %.0s' $(seq 24))"
		reply=$(raw_exchange "$req $qp")
		[ "$reply" = "52 41 57 42 00 02 00 00" ] || fail "a verbs request answered '$reply'"
		grep -q 'asked for send-lat; no RDMA device here' "$work/main.err" ||
			fail "the server did not say why it refused"
	fi
	kill -0 "$server" 2>/dev/null || fail "the server died"

	mid_test_death tcp-lat -m 1:1 -i 10000000
	mid_test_death tcp-bw -m 65536:65536 -t 60
	exit 0
	;;
verbs)
	start_server main
	skipped=0
	for t in send-lat write-lat write-bw; do
		case $t in
		write-bw) args=(-m 1:64 -t 0.05) title="raw verbs RC RDMA Write Bandwidth" ;;
		send-lat) args=(-m 1:64 -i 100 -f) title="raw verbs RC Send Latency" ;;
		write-lat) args=(-m 1:64 -i 100) title="raw verbs RC RDMA Write Latency" ;;
		esac
		"$bench" client 127.0.0.1 "$port" "$t" "${args[@]}" >"$work/out" 2>"$work/err"
		rc=$?
		if [ $rc -eq 77 ]; then
			[ "$(cat "$work/err")" = "$(no_device_line "$t")" ] ||
				fail "$t: exit 77 without exactly the one no-device line"
			[ -s "$work/out" ] && fail "$t: exit 77 with something on stdout"
			# The same with nothing listening: 77 comes before any connection.
			"$bench" client 127.0.0.1 1 "$t" >"$work/out" 2>"$work/err"
			rc=$?
			[ $rc -eq 77 ] || fail "$t: exit $rc towards a closed port, not 77"
			[ "$(cat "$work/err")" = "$(no_device_line "$t")" ] ||
				fail "$t: not the one no-device line towards a closed port"
			skipped=$((skipped + 1))
			continue
		fi
		[ $rc -eq 0 ] || fail "$t exited $rc"
		cols=1
		[ $t = send-lat ] && cols=7
		check 1 64 "$title" $cols || fail "$t: not the table it should be"
	done
	kill -0 "$server" 2>/dev/null || fail "the server died"
	[ $skipped -eq 0 ] && exit 0
	[ $skipped -eq 3 ] || fail "some verbs tests ran and some found no device"
	echo "no RDMA device on this host: skipped"
	exit 77
	;;
*)
	echo "usage: check-rawbench.sh RAWBENCH tcp|verbs" >&2
	exit 2
	;;
esac
