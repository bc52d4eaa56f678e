# lib.sh - what the bare-host integration tests share (sourced by cli.sh and compat.sh):
# a work directory, running a job with -v, and checks that nothing of it is left.
set -u

CMPIRUN=${CMPIRUN:?set CMPIRUN to the cmpirun binary}
WORK=$(mktemp -d /tmp/cmpi-cli.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out
ERR=$WORK/err

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout (first 20 lines)" >&2; head -n 20 "$OUT" >&2 2>/dev/null
	echo "--- stderr (first 40 lines)" >&2; head -n 40 "$ERR" >&2 2>/dev/null
	exit 1
}

# run_job ARGS... : runs cmpirun -v ARGS with stdout/stderr in $OUT/$ERR; sets RC.
run_job() {
	"$CMPIRUN" -v "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}

expect_rc() { [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1"; }
expect_err() { grep -qF -- "$1" "$ERR" || fail "stderr lacks: $1"; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# A process is gone when /proc has no entry or only a zombie (its parent may be gone too).
alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# wait_gone SECONDS PID...: true once none of the PIDs is alive.
wait_gone() {
	local deadline=$(($(now_ms) + $1 * 1000)) pid left
	shift
	while :; do
		left=""
		for pid in "$@"; do alive "$pid" && left="$left $pid"; done
		[ -z "$left" ] && return 0
		[ "$(now_ms)" -gt "$deadline" ] && { echo "still alive:$left" >&2; return 1; }
		sleep 0.05
	done
}

# The id of the last job, from its verbose log.
job_id() { sed -n 's/.*job \([0-9a-f]\{16\}\):.*/\1/p' "$ERR" | head -n 1; }

# No agent of the last job and no process carrying its job id may be left.
check_no_leftovers() {
	local jobid pids p
	jobid=$(job_id)
	[ -n "$jobid" ] || fail "no job id in the verbose log"
	pids=$(sed -n 's/.*started agent [0-9]* (pid \([0-9]*\)).*/\1/p' "$ERR")
	wait_gone 5 $pids || fail "agents left running"
	for p in $(grep -lsa "CMPI_JOBID=$jobid" /proc/[0-9]*/environ | cut -d/ -f3); do
		alive "$p" && fail "rank process $p of job $jobid left running"
	done
	expect_no_job_dirs "$jobid"
}

# The agents' private directories (PMIx server, Open MPI's shared memory) of
# job $1 are gone: agents remove their own, cmpirun sweeps a killed agent's.
expect_no_job_dirs() {
	local d
	for d in /tmp/cmpi-"$1"-* /dev/shm/cmpi-"$1"-*; do
		[ -e "$d" ] && fail "left behind: $d"
	done
	return 0
}

# Waits until ranks 0 and 1 have written $WORK/pid.0 and pid.1.
wait_for_two_ranks() {
	local i
	for i in $(seq 1 200); do
		[ -s "$WORK/pid.0" ] && [ -s "$WORK/pid.1" ] && return 0
		sleep 0.05
	done
	fail "ranks did not start"
}

# The ranks that wrote $WORK/pid.* are gone, and so is everything else of the job.
expect_ranks_gone() {
	wait_gone 5 $(cat "$WORK"/pid.*) || fail "ranks left running"
	check_no_leftovers
}

