#!/usr/bin/env bash
# run.sh MPI PROG AGENTS - runs a real MPI (or PMIx) program under cmpirun and checks what its ranks printed.
# MPI is openmpi, mpich or pmix. The test sets no MPI variable: wiring the ranks up is cmpirun's job.
# Every job runs with -v so that its job id and agents can be checked for leftovers; the
# launcher's timestamped -v lines are removed before stderr is searched for the ranks' words.
set -u

[ $# -eq 3 ] || { echo "usage: run.sh openmpi|mpich|pmix PROG AGENTS" >&2; exit 2; }
MPI=$1 PROG=$2 AGENTS=$3
CMPIRUN=${CMPIRUN:?set CMPIRUN to the cmpirun binary}
HERE=$(cd "$(dirname "$0")" && pwd)
# Debian's mpi4py is for the system python; a pyenv or venv python3 on PATH lacks it.
PYTHON=${TEST_MPI_PYTHON:-/usr/bin/python3}
JOB_TIMEOUT=60

WORK=$(mktemp -d /tmp/cmpi-mpi.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out
ERR=$WORK/err     # everything cmpirun wrote on stderr
APPERR=$WORK/apperr # the same without the -v lines

fail() {
	echo "FAIL: $MPI $PROG with $AGENTS agents: $*" >&2
	echo "--- command: cmpirun -v $JOB_ARGS" >&2
	echo "--- stdout (first 40 lines)" >&2; head -n 40 "$OUT" >&2 2>/dev/null
	echo "--- stderr (first 60 lines)" >&2; head -n 60 "$ERR" >&2 2>/dev/null
	exit 1
}

# With CMPI_TEST_IMAGE set, every job runs in containers of that image; no
# engine or no image skips the test (ctest: 77).
IMAGE_ARGS=()
case "$MPI:$PROG" in
docker:* | *:no_mpi_in_image)
	for img in cmpi-test/bookworm-mpi:1 cmpi-test/bullseye-openmpi:1; do
		docker image inspect "$img" >/dev/null 2>&1 ||
			{ echo "SKIP: no engine or no image $img (scripts/test-images.sh)"; exit 77; }
	done
	;;
esac
if [ -n "${CMPI_TEST_IMAGE:-}" ]; then
	docker image inspect "$CMPI_TEST_IMAGE" >/dev/null 2>&1 ||
		{ echo "SKIP: no engine or no image $CMPI_TEST_IMAGE (scripts/test-images.sh)"; exit 77; }
	# cmpirun and the docker CLI here both follow DOCKER_HOST: that is the one
	# switch to run these tests on another engine (Podman, where it can start
	# containers).
	IMAGE_ARGS=(--image "$CMPI_TEST_IMAGE")
fi

# CMPI_TEST_ARGS: more cmpirun options for every job (--tree-fanout 2, say).
read -ra EXTRA_ARGS <<<"${CMPI_TEST_ARGS:-}"

# run_job N PROGRAM ARGS... : N ranks on $AGENTS agents; sets RC and ELAPSED_MS.
run_job() {
	local n=$1 t0
	shift
	JOB_ARGS="-n $n --agents $AGENTS --timeout $JOB_TIMEOUT ${IMAGE_ARGS[*]} ${EXTRA_ARGS[*]} $*"
	t0=$(date +%s%N)
	"$CMPIRUN" -v -n "$n" --agents "$AGENTS" --timeout "$JOB_TIMEOUT" "${IMAGE_ARGS[@]}" \
		"${EXTRA_ARGS[@]}" "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
	grep -vE '^\[ *[0-9.]+ ms\] ' "$ERR" >"$APPERR"
	check_no_leftovers
}

expect_rc() { [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1"; }
expect_line() { grep -qxE -- "$1" "$OUT" || fail "stdout lacks a line matching: $1"; }
# Exactly one such line: ranks started as singletons are each rank 0 and would all print it.
expect_one_line() {
	local n
	n=$(grep -cxE -- "$1" "$OUT")
	[ "$n" -eq 1 ] || fail "expected one line matching '$1', got $n (singletons?)"
}
expect_no_line() { grep -qE -- "$1" "$OUT" && fail "stdout has a line matching: $1"; return 0; }
expect_apperr() { grep -qiE -- "$1" "$APPERR" || fail "stderr (without -v lines) lacks: $1"; }

# Ranks started as singletons each say "0 of 1": the PMIx or PMI-1 wire-up did not happen.
expect_no_singletons() {
	grep -qE '(rank [0-9]+ of 1 |rank [0-9]+ of 1$|size 1 )' "$OUT" &&
		fail "ranks ran as singletons (\"of 1\"): the wire-up failed"
	return 0
}

alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# No agent and no process carrying the job's id may outlive cmpirun (ranks stuck in a
# barrier after an abort, say) for more than a few seconds.
check_no_leftovers() {
	local jobid pids p left
	jobid=$(sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\)[: ].*/\1/p' "$ERR" | head -n 1)
	[ -n "$jobid" ] || fail "no job id in the verbose log"
	pids=$(sed -n 's/.*started agent [0-9]* (pid \([0-9]*\)).*/\1/p' "$ERR")
	for _ in $(seq 1 100); do
		left=""
		for p in $pids $(grep -lsa "CMPI_JOBID=$jobid" /proc/[0-9]*/environ | cut -d/ -f3); do
			alive "$p" && left="$left $p"
		done
		[ -z "$left" ] && [ -z "${CMPI_TEST_IMAGE:-}" ] && [[ "$JOB_ARGS" != *--image* ]] && return 0
		[ -z "$left" ] && [ -z "$(docker ps -aq --filter "label=cmpi.job=$jobid")" ] && return 0
		sleep 0.05
	done
	[ -n "$left" ] && fail "processes of job $jobid left running:$left"
	fail "containers of job $jobid left: $(docker ps -aq --filter "label=cmpi.job=$jobid" | tr '\n' ' ')"
}

# hello N COMMAND...: one line per rank 0..N-1, each "of N", from N different processes.
check_hello() {
	local n=$1 lines
	shift
	run_job "$n" "$@"
	expect_no_singletons
	expect_rc 0
	lines=$(grep -cxE "hello from rank [0-9]+ of $n on [^ ]+ \(pid [0-9]+\)" "$OUT")
	if [ "$lines" -ne "$n" ] || [ "$(wc -l <"$OUT")" -ne "$n" ]; then
		fail "expected exactly $n hello lines of $n ranks, got $lines (of $(wc -l <"$OUT") lines)"
	fi
	[ "$(awk '{print $4}' "$OUT" | sort -n | tr '\n' ' ')" = "$(seq -s ' ' 0 $((n - 1))) " ] ||
		fail "ranks are not 0..$((n - 1)) exactly once each"
	[ "$(sed 's/.*(pid \([0-9]*\))$/\1/' "$OUT" | sort -u | wc -l)" -eq "$n" ] || fail "two ranks share a pid"
}

# A rank that leaves without MPI_Init, or between MPI_Init and MPI_Finalize, while the
# others wait for it: the job must end on its own, fail, and say which rank.
# (mpirun.openmpi and mpiexec.mpich both hang on the first; cmpirun must not.)
check_stray_exit() {
	run_job 4 "$@"
	[ "$RC" -ne 124 ] || fail "the job hung until --timeout"
	[ "$RC" -ne 0 ] || fail "exit status 0: a rank leaving early went unnoticed"
	expect_no_line "passed the barrier"
	[ -s "$APPERR" ] || fail "no message on stderr"
	expect_apperr 'rank 1([^0-9]|$)'
}

# need_bin NAME: sets BIN to the NAME program built for $MPI.
need_bin() {
	BIN=${TEST_MPI_BIN:?set TEST_MPI_BIN to the directory of the compiled programs}/$1.$MPI
	[ -x "$BIN" ] || { echo "FAIL: no program $BIN" >&2; exit 1; }
}

case "$MPI:$PROG" in
openmpi:hello | mpich:hello)
	need_bin hello
	JOB_TIMEOUT=40 # two jobs within ctest's 90 s
	check_hello 4 "$BIN"
	check_hello 8 "$BIN"
	;;
openmpi:report_timing | mpich:report_timing)
	# --report-timing and --report-json: every phase reached, in order; every rank's
	# times and end; a failing rank's status; a file that cannot be written is an error.
	need_bin hello
	run_job 4 --report-timing --report-json "$WORK/timing.json" "$BIN"
	expect_rc 0
	for phase in "setup" "agents started" "agents connected" "ranks forked" "ranks in MPI_Init" \
		"first fence via launcher" "ranks exited" "cleaned up"; do
		figure='[0-9]+\.[0-9]  \(\+[0-9]+\.[0-9]\)'
		# A lone agent holds PMIx fences itself: the launcher may see none.
		[ "$AGENTS" = 1 ] && [ "$phase" = "first fence via launcher" ] && figure="($figure|-)"
		grep -qE "^cmpirun:   $phase.* $figure$" "$APPERR" || fail "no timing line for '$phase'"
	done
	python3 - "$WORK/timing.json" "$AGENTS" <<'PY' || fail "the --report-json file is wrong"
import json, sys
doc = json.load(open(sys.argv[1]))
agents = int(sys.argv[2])
order = ["setup", "agents_started", "agents_connected", "ranks_started", "ranks_in_mpi",
         "first_fence", "ranks_exited", "cleaned_up"]
ph = doc["phases"]
assert list(ph) == order, ph
# A lone agent holds PMIx fences itself: the launcher may see none.
times = [ph[p] for p in order if not (p == "first_fence" and agents == 1 and ph[p] is None)]
assert None not in times and times == sorted(times), ph
assert doc["ranks"] == 4 and doc["agents"] == agents and doc["exit_status"] == 0
ranks = doc["per_rank"]
assert [r["rank"] for r in ranks] == [0, 1, 2, 3]
for r in ranks:
    assert r["how"] == "exited" and r["code"] == 0, r
    assert r["started_ms"] <= r["mpi_init_ms"] <= r["exited_ms"] <= ph["ranks_exited"], r
    assert r["node"] == r["rank"] * agents // 4, r
PY
	run_job 4 --report-json "$WORK/fail.json" sh -c 'exit $((CMPI_RANK == 0 ? 3 : 0))'
	expect_rc 3
	python3 - "$WORK/fail.json" <<'PY' || fail "the --report-json file of a failed job is wrong"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["exit_status"] == 3, doc
r0 = doc["per_rank"][0]
assert r0["how"] == "exited" and r0["code"] == 3, r0
PY
	run_job 4 --report-json "$WORK/no-such-dir/t.json" true
	expect_rc 1
	expect_apperr "cannot write --report-json $WORK/no-such-dir/t.json"
	;;
openmpi:hello8 | mpich:hello8)
	# 8 ranks only: with --agents 8, one rank per agent (the seeds' layout in containers).
	need_bin hello
	check_hello 8 "$BIN"
	;;
docker:stdio)
	# In containers as on bare metal: stdin to rank 0, every rank's output
	# whole lines, the first failing rank's status, 128+signal.
	printf 'line one\nline two\n' >"$WORK/input"
	"$CMPIRUN" -n 2 --agents 2 "${IMAGE_ARGS[@]}" sh -c 'if [ "$CMPI_RANK" = 0 ]; then sed "s/^/got: /"; else echo "rank 1 here" >&2; fi' \
		<"$WORK/input" >"$OUT" 2>"$ERR"
	RC=$?
	expect_rc 0
	[ "$(cat "$OUT")" = "$(printf 'got: line one\ngot: line two')" ] || fail "stdin did not reach rank 0 whole"
	grep -qx "rank 1 here" "$ERR" || fail "rank 1's stderr is missing"
	run_job 2 sh -c '[ "$CMPI_RANK" = 1 ] && exit 3; sleep 30'
	expect_rc 3
	expect_apperr '^cmpirun: rank 1 on node [0-9]+ \(pid [0-9]+\) exited with status 3'
	run_job 2 sh -c '[ "$CMPI_RANK" = 0 ] && kill -SEGV $$; sleep 30'
	expect_rc 139
	;;
openmpi:hello_py)
	"$PYTHON" -c 'import mpi4py' 2>/dev/null || { echo "FAIL: $PYTHON cannot import mpi4py" >&2; exit 1; }
	check_hello 4 "$PYTHON" "${TEST_MPI_BIN:-$HERE}/hello.py"
	;;
*:ring)
	need_bin ring
	run_job 4 "$BIN"
	expect_rc 0
	expect_one_line 'ring ok: 10 laps, total 60'
	;;
*:allreduce)
	need_bin allreduce
	run_job 4 "$BIN"
	expect_rc 0
	expect_one_line 'allreduce ok'
	;;
*:split_allgather)
	need_bin split_allgather
	run_job 4 "$BIN"
	expect_rc 0
	expect_one_line 'split_allgather ok'
	;;
*:abort)
	need_bin abort
	run_job 4 "$BIN"
	# "of 4": a singleton rank would abort with 7 too.
	expect_one_line 'rank 1 of 4 calling MPI_Abort with 7'
	expect_no_line "passed the barrier"
	expect_rc 7
	expect_apperr 'abort'
	;;
*:exit_after_finalize)
	need_bin exit_after_finalize
	run_job 4 "$BIN"
	expect_rc 3
	for r in 0 1 2 3; do
		[ "$(grep -cx "rank $r of 4 finalized" "$OUT")" -eq 1 ] || fail "no single 'rank $r of 4 finalized' line"
	done
	;;
*:no_init)
	need_bin no_init
	check_stray_exit "$BIN"
	expect_line 'rank 1 exiting 0 without MPI_Init'
	;;
*:exit_before_finalize)
	need_bin no_init
	check_stray_exit "$BIN" --exit-after-init
	expect_line 'rank 1 of 4 exiting 0 between MPI_Init and MPI_Finalize'
	;;
*:abort_in_fence)
	need_bin no_init
	run_job 4 "$BIN" --abort-before-init
	expect_rc 134 # 128 + SIGABRT, the first failure
	expect_line 'rank 1 calling abort\(\) while the others start MPI'
	expect_no_line "passed the barrier"
	expect_apperr '^cmpirun: rank 1 on node [0-9]+ \(pid [0-9]+\) killed by signal 6'
	;;
mpich:pmi2_client)
	# An MPI built for PMI-2 (MPICH's other wire protocol), which cmpirun does
	# not serve: one clear line and a failed job, not a hang.
	run_job 2 bash -c 'printf "000058cmd=fullinit;pmijobid=1;pmirank=$PMI_RANK;threaded=FALSE;" >&$PMI_FD; cat <&$PMI_FD; sleep 30'
	expect_rc 1
	expect_apperr '^cmpirun: rank [01] on node [0-9]+: its MPI library speaks PMI-2, which cmpirun does not serve'
	;;
mpich:pmi1_garbage)
	# A rank that writes garbage on its PMI socket ends the job; the agent lives on to clean up.
	run_job 2 bash -c 'printf "hello there\n" >&$PMI_FD; cat <&$PMI_FD; sleep 30'
	expect_rc 1
	expect_apperr '^cmpirun: rank [01] on node [0-9]+: its MPI library sent a line that is not PMI-1'
	;;
mpich:pmi_port)
	# A wrapper that closes the inherited PMI_FD (and drops the variable): MPICH
	# then finds the agent through PMI_PORT and names its rank with PMI_ID.
	need_bin hello
	check_hello 4 --pmi-port bash -c 'eval "exec $PMI_FD>&-"; exec env -u PMI_FD "$0"' "$BIN"
	# Without --pmi-port the agent listens on no port: nobody else on the host
	# can reach its PMI-1 server.
	run_job "$AGENTS" bash -c 'echo "port [${PMI_PORT:-}] id [${PMI_ID:-}]"'
	expect_rc 0
	[ "$(sort -u "$OUT")" = 'port [] id []' ] || fail "PMI_PORT or PMI_ID set without --pmi-port"
	;;
mpich:pmi1_dropped)
	# Rank 1 says cmd=init, then closes its PMI socket and keeps running: rank 0
	# would wait in the barrier for it forever. The job must end, saying why.
	run_job 2 bash -c '
		printf "cmd=init pmi_version=1 pmi_subversion=1\n" >&$PMI_FD
		read -r line <&$PMI_FD
		[ "$PMI_RANK" = 1 ] && { eval "exec $PMI_FD>&-"; sleep 30; }
		printf "cmd=barrier_in\n" >&$PMI_FD
		read -r line <&$PMI_FD
		echo "rank $PMI_RANK passed the barrier"'
	expect_rc 1
	expect_no_line "passed the barrier"
	expect_apperr '^cmpirun: rank 1 on node [0-9]+: its MPI library closed its PMI-1 connection without cmd=finalize'
	[ "$ELAPSED_MS" -lt 20000 ] || fail "took $ELAPSED_MS ms to notice"
	;;
mpich:fence_too_big)
	# One agent's puts over the frame limit (1 agent), or each agent's part
	# fits but all of them together do not (2 agents, 45,000 keys each).
	keys=70000
	[ "$AGENTS" -gt 1 ] && keys=45000
	run_job "$AGENTS" "$PYTHON" "$HERE/pmi1_bigput.py" "$keys"
	expect_rc 1
	# The ranks whose parts make it too much got to the barrier. Two agents'
	# parts are already too much: in a chain of 3 (tree.*) the middle agent
	# ends the job once it holds its own and its child's, and the top rank may
	# still be putting then.
	needed=$((AGENTS < 2 ? AGENTS : 2))
	[ "$(grep -c '^puts done$' "$OUT")" -ge "$needed" ] || fail "the ranks did not get to the barrier"
	expect_no_line "barrier_out"
	expect_apperr 'more than cmpirun carries'
	;;
pmix:dropped)
	# A rank drops its PMIx connection and lives on: the others would wait for
	# it in the fence. The job must end soon, saying why.
	FENCE=${PMIX_FENCE:?set PMIX_FENCE to the pmix_fence binary}
	run_job 2 "$FENCE" -s 16 --drop-rank 1
	expect_rc 1
	expect_line 'rank 1 dropped its PMIx connection'
	expect_no_line 'pmix_fence ok'
	if [ "$AGENTS" -eq 1 ]; then
		# One agent: libpmix ends the local fence at once with PARTIAL_SUCCESS
		# and rank 0 may fail on its own first; either way the job ends.
		expect_apperr 'lost its PMIx connection before PMIx_Finalize|rank 0 on node 0 .* exited with status 1'
	else
		expect_apperr '^cmpirun: rank 1 on node [0-9]+: its MPI library lost its PMIx connection before PMIx_Finalize'
	fi
	[ "$ELAPSED_MS" -lt 20000 ] || fail "took $ELAPSED_MS ms to notice"
	;;
docker:missing_image)
	run_job 2 --image cmpi-test/no-such-image:0 true
	expect_rc 1
	expect_apperr "^cmpirun: image 'cmpi-test/no-such-image:0' not found on the engine at unix://"
	;;
docker:no_engine)
	run_job 2 --image cmpi-test/bookworm-mpi:1 --engine unix:///nonexistent/docker.sock true
	expect_rc 1
	expect_apperr '^cmpirun: cannot reach the container engine at unix:///nonexistent/docker.sock: '
	;;
docker:no_program)
	run_job 2 --image cmpi-test/bookworm-mpi:1 ./no-such-program
	expect_rc 127
	expect_apperr "^cmpirun: cannot execute './no-such-program': No such file or directory"
	;;
*:no_mpi_in_image)
	# MPICH's program in the bullseye image, which has Open MPI only: the
	# image's loader refuses it, and the job says so and ends.
	need_bin hello
	run_job 2 --image cmpi-test/bullseye-openmpi:1 "$BIN"
	expect_rc 127
	expect_apperr 'libmpich.so.12: cannot open shared object file'
	;;
docker:cleanup)
	# An agent that cannot notice its launcher die (its container paused) keeps
	# its container after kill -9 of cmpirun; --cleanup removes it, and the
	# agent's directory in the host's /dev/shm.
	"$CMPIRUN" -v -n 2 --image cmpi-test/bookworm-mpi:1 sleep 60 >"$OUT" 2>"$ERR" </dev/null &
	job=$!
	for _ in $(seq 1 100); do grep -q "all 1 agents connected" "$ERR" && break; sleep 0.1; done
	jobid=$(sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\)[: ].*/\1/p' "$ERR" | head -n 1)
	container=$(docker ps -q --filter "label=cmpi.job=$jobid")
	[ -n "$container" ] || fail "no container for job $jobid"
	for _ in $(seq 1 100); do ls -d /dev/shm/cmpi-"$jobid"-* >/dev/null 2>&1 && break; sleep 0.1; done
	docker pause "$container" >/dev/null
	kill -KILL "$job"
	wait "$job" 2>/dev/null
	t0=$(date +%s%N)
	"$CMPIRUN" --cleanup >"$OUT" 2>"$ERR"
	RC=$?
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
	expect_rc 0
	expect_line 'cmpirun: removed [1-9][0-9]* containers? of finished jobs.*'
	[ -z "$(docker ps -aq --filter "label=cmpi.job=$jobid")" ] || fail "--cleanup left the container"
	ls -d /dev/shm/cmpi-"$jobid"-* >/dev/null 2>&1 && fail "--cleanup left /dev/shm/cmpi-$jobid-*"
	;;
docker:rdma_refused)
	# RDMA asks for unlimited locked memory; this machine's hard limit refuses
	# it, and the engine's refusal must reach the user whole.
	[ "$(ulimit -H -l)" = unlimited ] && { echo "SKIP: memlock is unlimited here"; exit 77; }
	CMPI_RDMA=on run_job 2 --image cmpi-test/bookworm-mpi:1 true
	expect_rc 1
	expect_apperr 'said 500: .*error setting rlimit type 8: operation not permitted'
	expect_apperr "raise this host's memlock hard limit, or set CMPI_RDMA=off"
	;;
docker:ends)
	# However a container job ends, its containers and ranks go: --timeout,
	# Ctrl-C (SIGINT) to cmpirun, and kill -9 of cmpirun (the agents see their
	# connection close and exit; AutoRemove does the rest).
	run_job 2 --timeout 2 sleep 60
	expect_rc 124
	for how in INT KILL; do
		"$CMPIRUN" -v -n 2 --agents 2 "${IMAGE_ARGS[@]}" sleep 60 >"$OUT" 2>"$ERR" </dev/null &
		job=$!
		for _ in $(seq 1 100); do grep -q "started 1 ranks" "$ERR" && break; sleep 0.1; done
		grep -q "started 1 ranks" "$ERR" || fail "the job did not start its ranks"
		kill -"$how" "$job"
		wait "$job"
		RC=$?
		[ "$how" = INT ] && expect_rc 130
		[ "$how" = KILL ] && expect_rc 137
		check_no_leftovers # waits up to 5 s for ranks and containers to go
	done
	;;
docker:agent_dies)
	# An agent that cannot even start in its container: the job ends at once
	# (not at the 30 s connect timeout) with the agent's own words.
	cp -r "$(dirname "$CMPIRUN")/cmpi-agent-bundle" "$WORK/bundle"
	echo "not a program" >"$WORK/bundle/bin/cmpi-agent"
	CMPI_AGENT_BUNDLE=$WORK/bundle run_job 2 --image cmpi-test/bookworm-mpi:1 true
	expect_rc 1
	expect_apperr "^cmpirun: agent [01]'s container: /.cmpi/bin/cmpi-agent: error while loading shared libraries"
	expect_apperr '^cmpirun: lost the agent of node [01]: it exited with status 127 before connecting$'
	[ "$ELAPSED_MS" -lt 10000 ] || fail "took $ELAPSED_MS ms to notice"
	# An agent that starts but never connects: --timeout still ends the job in
	# time (not at the 30 s connect timeout), and its container goes.
	printf 'int main(void) { for (;;) pause(); }\n' |
		gcc -include unistd.h -x c -o "$WORK/bundle/bin/cmpi-agent" - || fail "cannot compile the silent agent"
	CMPI_AGENT_BUNDLE=$WORK/bundle run_job 2 --timeout 2 --image cmpi-test/bookworm-mpi:1 true
	expect_rc 124
	[ "$ELAPSED_MS" -lt 10000 ] || fail "took $ELAPSED_MS ms to end"
	;;
docker:bullseye)
	# An older glibc and Open MPI (4.1.0, PMIx 3 client) than the agent's.
	mkdir -p bullseye
	docker run --rm --network none -v "$HERE:/src:ro" -v "$PWD/bullseye:/out" cmpi-test/bullseye-openmpi:1 \
		mpicc -o /out/hello /src/hello.c || fail "cannot compile hello in the bullseye image"
	check_hello 8 --image cmpi-test/bullseye-openmpi:1 ./bullseye/hello
	;;
*:mpmd)
	# Two programs in one MPI_COMM_WORLD: each rank knows its program (MPI_APPNUM,
	# from PMIx or PMI-1), and an allreduce spans both.
	need_bin placement
	run_job 2 "$BIN" first : -n 3 "$BIN" second
	expect_no_singletons
	expect_rc 0
	for r in 0 1; do expect_one_line "rank $r of 5 app 0 tag first node [0-9]+ cpus [0-9,-]+ sum OK"; done
	for r in 2 3 4; do expect_one_line "rank $r of 5 app 1 tag second node [0-9]+ cpus [0-9,-]+ sum OK"; done
	;;
*:map_by_node)
	# Round robin: rank r on node r % 2, so every node's ranks are scattered.
	need_bin placement
	run_job 6 --map-by node "$BIN"
	expect_no_singletons
	expect_rc 0
	for r in 0 1 2 3 4 5; do
		expect_one_line "rank $r of 6 app 0 tag - node $((r % 2)) cpus [0-9,-]+ sum OK"
	done
	;;
*:bind_core)
	# Each rank on its own core, as seen after MPI_Init (the library must not rebind).
	need_bin placement
	[ "$(hwloc-calc -N core all)" -ge 2 ] || { echo "SKIP: one core"; exit 77; }
	run_job 2 --bind-to core --report-bindings "$BIN"
	expect_no_singletons
	expect_rc 0
	for r in 0 1; do
		expect_one_line "rank $r of 2 app 0 tag - node [0-9]+ cpus $(hwloc-calc --po -I pu --sep , core:$r | tr , -) sum OK"
	done
	expect_apperr "MCW rank 1 bound to socket 0\[core 1\["
	;;
pmix:locality)
	# A bound rank learns its binding from the PMIx server (Open MPI uses it to tell
	# its peers' distance); an MPMD program's ranks learn their appnum.
	LOC=${PMIX_LOCALITY:?set PMIX_LOCALITY to the pmix_locality binary}
	[ "$(hwloc-calc -N core all)" -ge 2 ] || { echo "SKIP: one core"; exit 77; }
	run_job 2 --bind-to core:overload-allowed "$LOC" : -n 1 "$LOC"
	expect_rc 0
	for r in 0 1; do
		expect_one_line "rank $r appnum 0 local_rank $r cpuset [^ -]+ locality [^ -]+ topology xml"
	done
	# Three ranks on two cores with core binding need :overload-allowed; rank 2 shares core 0.
	expect_one_line "rank 2 appnum 1 local_rank 2 cpuset [^ ]+ locality [^ ]+ topology xml"
	c0=$(awk '$2 == 0 { print $8 }' "$OUT") c1=$(awk '$2 == 1 { print $8 }' "$OUT")
	[ "$c0" != "$c1" ] || fail "ranks 0 and 1 got the same PMIX_CPUSET ($c0)"
	# Unbound ranks get no cpuset.
	run_job 3 "$LOC"
	expect_rc 0
	expect_one_line "rank 2 appnum 0 local_rank 2 cpuset - locality - topology xml"
	;;
pmix:fence | pmix:fence_nocollect)
	FENCE=${PMIX_FENCE:?set PMIX_FENCE to the pmix_fence binary}
	args="-s 65536 -r 5 -t"
	[ "$PROG" = fence_nocollect ] && args="$args --no-collect"
	# shellcheck disable=SC2086
	run_job 4 "$FENCE" $args
	expect_no_singletons
	expect_rc 0
	expect_one_line 'pmix_fence ok: size 4 payload 65536 rounds 5 median_fence_us [0-9]+\.[0-9]'
	;;
pmix:fence_all)
	# One rank on each agent, every rank checking every other's data: with
	# --tree-fanout, the parts that went up and down the tree are all there.
	FENCE=${PMIX_FENCE:?set PMIX_FENCE to the pmix_fence binary}
	run_job "$AGENTS" "$FENCE" -s 3000 -r 20 -t
	expect_no_singletons
	expect_rc 0
	expect_one_line "pmix_fence ok: size $AGENTS payload 3000 rounds 20 median_fence_us [0-9]+\.[0-9]"
	grep -q "allgather tree of $AGENTS agents" "$ERR" || [ -z "${CMPI_TEST_ARGS:-}" ] ||
		fail "the job did not use the allgather tree"
	;;
pmix:tree_auto)
	# Without --tree-fanout: the star up to 64 agents, a tree of fanout 8 above.
	FENCE=${PMIX_FENCE:?set PMIX_FENCE to the pmix_fence binary}
	run_job "$AGENTS" "$FENCE" -s 100 -r 2
	expect_rc 0
	expect_one_line "pmix_fence ok: size $AGENTS payload 100 rounds 2"
	if [ "$AGENTS" -gt 64 ]; then
		grep -q "allgather tree of $AGENTS agents, fanout 8" "$ERR" || fail "no tree above 64 agents"
	else
		grep -q "allgather tree" "$ERR" && fail "a tree for $AGENTS agents"
		grep -q "fence pmix #0 done: .* from $AGENTS agents" "$ERR" || fail "not the star"
	fi
	;;
pmix:tree_lost)
	# A chain of agents (--tree-fanout 1): node 1 is node 0's child and node 2's
	# parent. SIGKILL to it while the ranks are in fences ends the job at once,
	# saying which, and leaves nothing on any node.
	FENCE=${PMIX_FENCE:?set PMIX_FENCE to the pmix_fence binary}
	JOB_ARGS="-n $AGENTS --agents $AGENTS --tree-fanout 1 $FENCE -s 1000 -r 1000000"
	# shellcheck disable=SC2086
	"$CMPIRUN" -v --timeout "$JOB_TIMEOUT" $JOB_ARGS >"$OUT" 2>"$ERR" </dev/null &
	launcher=$!
	for _ in $(seq 1 200); do
		grep -q "fence pmix #20 done" "$ERR" && break
		sleep 0.05
	done
	grep -q "fence pmix #20 done" "$ERR" || fail "no fences went through the tree"
	victim=$(sed -n 's/.*started agent 1 (pid \([0-9]*\)).*/\1/p' "$ERR")
	[ -n "$victim" ] || fail "no pid for agent 1 in the log"
	t0=$(date +%s%N)
	kill -KILL "$victim"
	wait "$launcher"
	RC=$?
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
	grep -vE '^\[ *[0-9.]+ ms\] ' "$ERR" >"$APPERR"
	check_no_leftovers
	expect_rc 1
	expect_apperr '^cmpirun: lost the agent of node 1: connection closed'
	[ "$ELAPSED_MS" -lt 10000 ] || fail "took $ELAPSED_MS ms to end after the agent was killed"
	echo "job ended $ELAPSED_MS ms after agent 1 was killed"
	;;
*)
	echo "run.sh: unknown test '$MPI $PROG'" >&2
	exit 2
	;;
esac
echo "PASS: $MPI $PROG with $AGENTS agents (last job $ELAPSED_MS ms)"
