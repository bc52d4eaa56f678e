#!/usr/bin/env bash
# check-pingpong.sh CMPIRUN PINGPONG - run pingpong briefly under cmpirun (2 ranks, 2 agents,
# data checked) and check its output: both headers, then rows "%-10d%18.2f" with sizes
# doubling from 1 to the maximum, positive figures. Also: 3 ranks are refused in one line.
set -u
cmpirun=$1 prog=$2
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$out" "$err" >&2; exit 1; }

"$cmpirun" -n 2 --agents 2 "$prog" -m 4096 -i 50 -c >"$out" 2>"$err" </dev/null || fail "pingpong failed"
awk '
	/^# cmpirun MPI Latency Test/ { table = "lat"; next }
	/^# cmpirun MPI Bandwidth Test/ { table = "bw"; next }
	/^# Size/ { expect = 1; next }
	{
		if (length($0) != 28 || $0 !~ /^[0-9]+ +[0-9]+\.[0-9][0-9]$/) { print "bad row: " $0; bad = 1; exit }
		if ($1 + 0 != expect || $2 + 0 <= 0) { print "unexpected row in " table ": " $0; bad = 1; exit }
		rows[table]++; expect *= 2
	}
	END { if (bad || rows["lat"] != 13 || rows["bw"] != 13) { print "rows: " rows["lat"] " latency, " rows["bw"] " bandwidth"; exit 1 } }
' "$out" || fail "the output is not two whole tables from 1 to 4096 bytes"

"$cmpirun" -n 3 "$prog" >"$out" 2>"$err" </dev/null && fail "3 ranks were accepted"
grep -q "pingpong: needs exactly 2 ranks, not 3" "$err" || fail "no line saying 2 ranks are needed"
exit 0
