#!/usr/bin/env bash
# check-tcpbench.sh TCPBENCH - a server on 127.0.0.1 and a brief client run of each test: the
# title, the header and rows "%-10d%18.2f" with sizes doubling, figures positive; a bad test
# name gets the usage line. The server is ended by its PID.
set -u
bench=$1
work=$(mktemp -d /tmp/cmpi-tcpbench.XXXXXX)
"$bench" server >"$work/port" 2>"$work/server.err" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$work"/* >&2; exit 1; }
for _ in $(seq 1 50); do grep -q '^port ' "$work/port" && break; sleep 0.05; done
port=$(awk '/^port / { print $2 }' "$work/port")
[ -n "$port" ] || fail "the server said no port"

check() { # FIRST LAST: the table in $work/out
	awk -v first="$1" -v last="$2" '
		NR == 1 { if ($0 !~ /^# cmpirun raw TCP (Latency|Bandwidth) Test/) bad = 1; next }
		NR == 2 { if ($0 !~ /^# Size  /) bad = 1; next }
		{
			if (length($0) != 28 || $0 !~ /^[0-9]+ +[0-9]+\.[0-9][0-9]$/) { bad = 1; exit }
			want = rows ? prev * 2 : first
			if ($1 + 0 != want || $2 + 0 <= 0) { bad = 1; exit }
			prev = $1 + 0; rows++
		}
		END { exit bad || prev != last }' "$work/out"
}
"$bench" client 127.0.0.1 "$port" lat -m 1:64 -i 200 >"$work/out" || fail "lat failed"
check 1 64 || fail "lat: not the table it should be"
"$bench" client 127.0.0.1 "$port" bw -m 1024:4096 -t 0.1 >"$work/out" || fail "bw failed"
check 1024 4096 || fail "bw: not the table it should be"
"$bench" client 127.0.0.1 "$port" nonsense >"$work/out" 2>"$work/err" && fail "a bad test name was accepted"
grep -q '^usage: ' "$work/err" || fail "no usage line"
exit 0
