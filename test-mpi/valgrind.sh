#!/usr/bin/env bash
# valgrind.sh agent|launcher - runs bare jobs with cmpi-agent (agent) or cmpirun itself
# (launcher) under valgrind's memcheck, and fails on any error or definite leak it finds
# in them. The agent's main paths: Open MPI and MPICH hello on 2 agents, a failing
# rank, MPI_Abort. Known leaks inside libpmix are in scripts/valgrind.supp.
set -u

WHAT=${1:?usage: valgrind.sh agent|launcher}
CMPIRUN=${CMPIRUN:?set CMPIRUN to the cmpirun binary}
BIN_DIR=${TEST_MPI_BIN:?set TEST_MPI_BIN to the directory of the compiled programs}
TOP=$(cd "$(dirname "$0")/.." && pwd)
AGENT=${CMPI_REAL_AGENT:-$(dirname "$CMPIRUN")/cmpi-agent}
command -v valgrind >/dev/null || { echo "SKIP: no valgrind (scripts/deps.sh installs it)"; exit 77; }

WORK=$(mktemp -d /tmp/cmpi-valgrind.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out
ERR=$WORK/err
mkdir "$WORK/logs"
# One log per process (%p): the agents, and any child they fork that does not exec.
VALGRIND=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
	--show-leak-kinds=definite --track-fds=no --num-callers=30
	"--suppressions=$TOP/scripts/valgrind.supp" "--log-file=$WORK/logs/vg.%p.log")

fail() {
	echo "FAIL: valgrind $WHAT, $CASE: $*" >&2
	echo "--- stdout (first 20 lines)" >&2; head -n 20 "$OUT" >&2 2>/dev/null
	echo "--- stderr (first 40 lines)" >&2; head -n 40 "$ERR" >&2 2>/dev/null
	exit 1
}

# The agent is started through this wrapper ($CMPI_AGENT), with its arguments.
cat >"$WORK/agent" <<EOF
#!/bin/sh
exec $(printf '%q ' "${VALGRIND[@]}") $(printf '%q' "$AGENT") "\$@"
EOF
chmod +x "$WORK/agent"

# run CASE STATUS ARGS...: one job (its agents or cmpirun under valgrind); its exit
# status must be STATUS and every valgrind log must be clean.
run() {
	CASE=$1
	local want=$2 log n=0
	shift 2
	rm -f "$WORK"/logs/*
	if [ "$WHAT" = agent ]; then
		CMPI_AGENT=$WORK/agent "$CMPIRUN" --timeout 120 "$@" >"$OUT" 2>"$ERR" </dev/null
	else
		"${VALGRIND[@]}" "$CMPIRUN" --timeout 120 "$@" >"$OUT" 2>"$ERR" </dev/null
	fi
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "exit status $rc, expected $want"
	for log in "$WORK"/logs/vg.*.log; do
		# A child between fork and exec is valgrind's too; its exec ends the log early.
		grep -qs 'ERROR SUMMARY' "$log" || continue
		n=$((n + 1))
		grep -q 'ERROR SUMMARY: 0 errors' "$log" && continue
		echo "--- $log" >&2
		cat "$log" >&2
		fail "valgrind found errors"
	done
	[ "$n" -gt 0 ] || fail "no valgrind summary: did the $WHAT run under valgrind?"
	echo "$CASE: clean ($n processes checked)"
}

hello="$BIN_DIR/hello"
case $WHAT in
agent)
	run openmpi_hello 0 -n 2 --agents 2 "$hello.openmpi"
	grep -c '^hello from rank' "$OUT" | grep -qx 2 || fail "not 2 hello lines"
	run mpich_hello 0 -n 2 --agents 2 "$hello.mpich"
	grep -c '^hello from rank' "$OUT" | grep -qx 2 || fail "not 2 hello lines"
	run failing_rank 3 -n 4 --agents 2 sh -c '[ "$CMPI_RANK" = 2 ] && exit 3; exec sleep 30'
	run abort_openmpi 7 -n 4 --agents 2 "$BIN_DIR/abort.openmpi"
	run abort_mpich 7 -n 4 --agents 2 "$BIN_DIR/abort.mpich"
	run not_found 127 -n 2 no-such-program-here
	;;
launcher)
	run openmpi_hello 0 -n 2 --agents 2 "$hello.openmpi"
	run failing_rank 3 -n 4 --agents 2 sh -c '[ "$CMPI_RANK" = 2 ] && exit 3; exec sleep 30'
	;;
*) echo "usage: valgrind.sh agent|launcher" >&2; exit 2 ;;
esac
echo "PASS: valgrind $WHAT"
