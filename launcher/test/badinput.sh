#!/usr/bin/env bash
# badinput.sh CASE - what cmpirun does with input it must refuse: one clear line on
# stderr, the exit status README's table gives, and nothing of the job left behind.
# Every job runs with -v: the -v lines (timestamped) are set aside before counting
# cmpirun's own lines, and they name the job and its agents for the leftover checks.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
IMAGE=cmpi-test/bookworm-mpi:1
ENGINE_PID=""
trap 'stop_engine; rm -rf "$WORK"' EXIT

# The lines cmpirun wrote on stderr other than -v's "[  12.345 ms] ..." ones.
plain_err() { grep -vE '^\[ *[0-9.]+ ms\] ' "$ERR"; }

# expect_one_line REGEX: exactly one line of cmpirun's own, and it matches REGEX.
expect_one_line() {
	local n
	n=$(plain_err | wc -l)
	[ "$n" -eq 1 ] || fail "expected one line on stderr, got $n"
	plain_err | grep -qE -- "$1" || fail "the line does not match: $1"
}

# A usage error: status 2, one line saying what is wrong and the usage line,
# nothing on stdout, and no job begun (no agent, no job id in -v).
expect_usage_error() {
	[ "$RC" -eq 2 ] || fail "'cmpirun $*' exited $RC, expected 2"
	[ "$(grep -c '^cmpirun: ' "$ERR")" -eq 1 ] || fail "'cmpirun $*': expected one 'cmpirun:' line"
	grep -q '^Usage: cmpirun' "$ERR" || fail "'cmpirun $*' printed no usage line"
	[ "$(wc -l <"$ERR")" -eq 2 ] || fail "'cmpirun $*': more than the error and usage lines"
	[ ! -s "$OUT" ] || fail "'cmpirun $*' printed on stdout"
	grep -qE 'started agent|cmpirun: job ' "$ERR" && fail "'cmpirun $*' began a job"
	return 0
}

need_engine() {
	docker image inspect "$IMAGE" >/dev/null 2>&1 ||
		{ echo "SKIP: no engine or no image $IMAGE (scripts/test-images.sh)"; exit 77; }
}

# No container carries the last job's label (AutoRemove may take a moment).
expect_no_containers() {
	local jobid left
	# Also "job ID ended with status 1", for a job that ended before its agents.
	jobid=$(sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\)[: ].*/\1/p' "$ERR" | head -n 1)
	[ -n "$jobid" ] || fail "no job id in the verbose log"
	for _ in $(seq 1 50); do
		left=$(docker ps -aq --filter "label=cmpi.job=$jobid")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	fail "containers of job $jobid left: $left"
}

# start_engine MODE: fake_engine.py on $WORK/engine.sock; ENGINE_URL names it.
start_engine() {
	ENGINE_URL=unix://$WORK/engine.sock
	python3 "$HERE/fake_engine.py" "$WORK/engine.sock" "$1" 2>"$WORK/engine.log" &
	ENGINE_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$WORK/engine.sock" ] && return 0
		sleep 0.05
	done
	fail "the fake engine did not start"
}

stop_engine() {
	[ -n "$ENGINE_PID" ] && kill "$ENGINE_PID" 2>/dev/null && wait "$ENGINE_PID" 2>/dev/null
	ENGINE_PID=""
}

case_options() {
	local args
	# Each string is one command line; words split on blanks ('' stands for an empty word).
	for args in "-n" "-n x true" "--map-by" "--map-by diagonal true" "--bind-to foo true" \
		"-H '' true" "--hostfile /nonexistent true" "-x 1BAD=2 true" "-x =2 true" \
		"-n 1 true :" "-n 1 true : -n 1" "--timeout -1 true" "--agents x true"; do
		eval "set -- $args"
		run_job "$@"
		expect_usage_error "$args"
	done
}

case_too_many() {
	run_job -n 100000 true
	expect_usage_error "-n 100000 true"
	expect_err "cmpirun: -n must be a whole number from 1 to 65536, not '100000'"
}

# 60000 ranks on this one machine: within the parser's limit, but more processes
# than a machine like this one should be asked to fork. Run as nobody with few
# processes allowed (root ignores RLIMIT_NPROC), so that a launcher that does fork
# them blindly cannot take the machine down: it must end, say why, and leave nothing.
case_many_ranks() {
	local run=() cmpirun=$CMPIRUN t0 t1
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || { echo "SKIP: root without setpriv: no safe way to run it"; exit 77; }
		run=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		# The build may be where nobody cannot reach (/root): both programs, side
		# by side as cmpirun looks for its agent, in a directory nobody can read.
		mkdir "$WORK/bin" && cp "$CMPIRUN" "$(dirname "$CMPIRUN")/cmpi-agent" "$WORK/bin/" &&
			chmod 755 "$WORK" "$WORK/bin" || fail "cannot copy the programs"
		cmpirun=$WORK/bin/cmpirun
	fi
	t0=$(now_ms)
	(cd / && ulimit -u 1000 && exec "${run[@]}" "$cmpirun" -v --timeout 20 -n 60000 true) \
		>"$OUT" 2>"$ERR" </dev/null
	RC=$?
	t1=$(now_ms)
	echo "cmpirun -n 60000 true: status $RC after $((t1 - t0)) ms: $(plain_err | head -n 1)"
	[ "$RC" -ne 0 ] || fail "exit status 0"
	[ "$RC" -ne 124 ] || fail "it ran into --timeout"
	[ $((t1 - t0)) -lt 30000 ] || fail "took $((t1 - t0)) ms"
	# The agent measures the node and refuses before the first fork.
	expect_one_line '^cmpi-agent\[0\]: 60000 ranks on one node need .*; starting none$'
	check_no_leftovers
}

case_no_image() {
	need_engine
	run_job -n 2 --agents 2 --image cmpi-none/nothing:0 true
	expect_rc 1
	expect_one_line "^cmpirun: image 'cmpi-none/nothing:0' not found on the engine at "
	grep -q 'started agent' "$ERR" && fail "an agent was started"
	expect_no_containers
}

# An engine that answers every request with an error: its own words, status 1.
case_engine_error() {
	start_engine fail
	run_job -n 2 --image "$IMAGE" --engine "$ENGINE_URL" true
	expect_rc 1
	expect_one_line "^cmpirun: .*the engine at $ENGINE_URL said 500: boom$"
	grep -q 'started agent' "$ERR" && fail "an agent was started"
	return 0
}

# An engine that refuses to create the containers, after a good ping and image:
# the engine's words once, status 1, and no container of the job on the real engine.
case_engine_create() {
	start_engine create
	run_job -n 2 --agents 2 --image "$IMAGE" --engine "$ENGINE_URL" true
	expect_rc 1
	grep -q 'POST /v1.40/containers/create' "$WORK/engine.log" || fail "no container was asked for"
	expect_one_line "^cmpirun: cannot create a container: the engine at $ENGINE_URL said 500: boom$"
}

# An engine that accepts the connection and never answers (a hung dockerd): the
# job must not wait forever, whatever --timeout says.
case_engine_silent() {
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(16)
time.sleep(120)' "$WORK/silent.sock" &
	ENGINE_PID=$!
	for _ in $(seq 1 100); do [ -S "$WORK/silent.sock" ] && break; sleep 0.05; done
	local t0 t1
	t0=$(now_ms)
	timeout -s KILL 40 "$CMPIRUN" -v --timeout 5 -n 2 --image "$IMAGE" \
		--engine "unix://$WORK/silent.sock" true >"$OUT" 2>"$ERR" </dev/null
	RC=$?
	t1=$(now_ms)
	[ $((t1 - t0)) -lt 30000 ] || fail "still waiting for the engine after $((t1 - t0)) ms"
	[ "$RC" -ne 0 ] || fail "exit status 0"
	expect_one_line '^cmpirun: '
}

case_engine_missing() {
	run_job -n 2 --image "$IMAGE" --engine "unix://$WORK/no-such.sock" true
	expect_rc 1
	expect_one_line "^cmpirun: cannot reach the container engine at unix://$WORK/no-such.sock: "
}

# A directory is found but cannot be executed: README's 127, "cannot be executed".
case_directory() {
	run_job -n 2 /tmp
	expect_rc 127
	expect_one_line "^cmpirun: cannot execute '/tmp': Permission denied$"
	check_no_leftovers
}

case_not_found() {
	run_job -n 2 --agents 2 no-such-program-here
	expect_rc 127
	expect_one_line "^cmpirun: cannot execute 'no-such-program-here': No such file or directory$"
	check_no_leftovers
	run_job -n 2 /nonexistent/prog
	expect_rc 127
	expect_one_line "^cmpirun: cannot execute '/nonexistent/prog': No such file or directory$"
	check_no_leftovers
}

"case_$1"
echo "PASS: $1"
