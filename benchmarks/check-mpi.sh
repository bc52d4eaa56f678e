#!/usr/bin/env bash
# check-mpi.sh CMPIRUN PROGRAM - run one MPI benchmark (mpi/*.c) briefly under cmpirun on two
# agents and check it: the OSU-style header and rows (sizes doubling up to -m, no figure
# negative, the last one positive), --json read back with a row and its samples for every
# size, -c passing, and
# -c failing with DATA VALIDATION ERROR when CMPI_BENCH_CORRUPT=1 spoils the data. Also refused:
# a bad option, -m with MIN above MAX, allreduce sizes not in whole ints, a --json FILE that
# cannot be written, and (point-to-point) a wrong rank count.
set -u
cmpirun=$1 prog=$2
name=$(basename "$prog")
name=${name%.*}
work=$(mktemp -d /tmp/cmpi-bench-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() {
	echo "FAIL ($name): $*" >&2
	head -n 40 "$work/out" "$work/err" >&2 2>/dev/null
	exit 1
}
run() { "$cmpirun" -n 2 --agents 2 "$prog" "$@" >"$work/out" 2>"$work/err" </dev/null; }

# The first size each program starts from, and its largest here.
case $name in
latency) first=0 max=1024 ;;
bw | bibw | mbw_mr | bcast | alltoall) first=1 max=1024 ;;
allreduce) first=4 max=1024 ;;
barrier) first=0 max=0 ;;
*) fail "unknown benchmark" ;;
esac
full=() columns=1
case $name in allreduce | bcast | alltoall | barrier) full=(-f) columns=4 ;; mbw_mr) columns=2 ;; esac

run -m "$max" -i 20 -x 2 -c "${full[@]}" --json "$work/out.json" || fail "the run failed"
awk -v first="$first" -v max="$max" -v columns="$columns" '
	NR == 1 { if ($0 !~ /^# cmpirun MPI .*Test \(/) { print "bad title: " $0; bad = 1 } next }
	NR == 2 { if ($0 !~ /^# Size  /) { print "bad header: " $0; bad = 1 } next }
	{
		# %-10d, then 18 wide %.2f figures (and with -f a 12 wide iteration count)
		if (columns == 4)
			ok = length($0) == 76 && $0 ~ /^[0-9]+ +[0-9]+\.[0-9][0-9] +[0-9]+\.[0-9][0-9] +[0-9]+\.[0-9][0-9] +[0-9]+$/
		else if (columns == 2)
			ok = length($0) == 46 && $0 ~ /^[0-9]+ +[0-9]+\.[0-9][0-9] +[0-9]+\.[0-9][0-9]$/
		else
			ok = length($0) == 28 && $0 ~ /^[0-9]+ +[0-9]+\.[0-9][0-9]$/
		if (!ok) { print "bad row: " $0; bad = 1; exit }
		want = rows == 0 ? first : (prev == 0 ? 1 : 2 * prev)
		# The bandwidth of small messages may print as 0.00 on a loaded machine;
		# the figure for the largest size must not.
		if ($1 + 0 != want || $2 + 0 < 0) { print "unexpected row: " $0; bad = 1; exit }
		prev = $1 + 0; last = $2 + 0; rows++
	}
	END { if (bad || prev != max || last <= 0) { print "rows end at " prev " (" last "), not " max; exit 1 } }
' "$work/out" || fail "the output is not the table it should be"
python3 - "$work/out.json" "$(grep -c '^[0-9]' "$work/out")" "$name" <<'PY' || fail "the JSON record is wrong"
import json, sys
doc = json.load(open(sys.argv[1]))
rows = doc["rows"]
assert len(rows) == int(sys.argv[2]), "a row per size"
assert doc["launcher"] == "cmpirun" and doc["ranks"] == 2
assert doc["validated"] is (sys.argv[3] != "barrier"), "validated: barrier has no data to check"
assert len(doc["cpu_binding"]) == 2 and doc["mpi_library"]
for r in rows:
    s = r["samples"]
    assert s["count"] == r["iterations"] == 20, r
    assert 0 <= s["min_us"] <= s["median_us"] <= s["p99_us"] <= s["max_us"], r
PY

if [ "$name" != barrier ]; then
	CMPI_BENCH_CORRUPT=1 run -m 64 -i 5 -c && fail "corrupted data passed the check"
	grep -q "DATA VALIDATION ERROR" "$work/err" || fail "no DATA VALIDATION ERROR line"
fi
run -m abc && fail "-m abc was accepted"
grep -q "^usage: " "$work/err" || fail "no usage line for a bad option"
run -m 8:4 && fail "-m 8:4 (min above max) was accepted"
grep -q "^usage: " "$work/err" || fail "no usage line for -m 8:4"
run -m "$max" -i 2 --json "$work/no-such-dir/out.json" && fail "a JSON file that cannot be written passed"
grep -q "cannot write" "$work/err" || fail "no line saying the JSON could not be written"
if [ "$name" = allreduce ]; then
	run -m 6:12 && fail "allreduce accepted sizes that are not whole ints"
	grep -q "multiples of 4 bytes" "$work/err" || fail "no line saying sizes must be multiples of 4"
fi
case $name in
latency | bw | bibw | mbw_mr)
	"$cmpirun" -n 3 "$prog" >"$work/out" 2>"$work/err" </dev/null && fail "3 ranks were accepted"
	grep -qE "needs (exactly 2|an even number of) ranks, not 3" "$work/err" || fail "no line saying how many ranks are needed"
	;;
esac
exit 0
