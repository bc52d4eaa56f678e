#!/usr/bin/env bash
# cli.sh CASE - integration tests of cmpirun with real agents and real rank processes.
# Every job runs with -v, so its job id and agent PIDs can be checked for leftovers.
. "$(dirname "$0")/lib.sh"

case_four_ranks_two_agents() {
	run_job -n 4 --agents 2 sh -c 'echo "rank=$CMPI_RANK node=$CMPI_NODE"'
	expect_rc 0
	[ "$(sort "$OUT")" = "$(printf 'rank=0 node=0\nrank=1 node=0\nrank=2 node=1\nrank=3 node=1')" ] ||
		fail "unexpected ranks"
	check_no_leftovers
}

# Every agent connects at once, before the launcher accepts the first: none may be
# refused (a backlog of 128 and a cap of 64 handshakes did refuse some of 256).
case_many_agents() {
	run_job -n 300 --agents 300 sh -c 'echo "$CMPI_RANK"'
	expect_rc 0
	[ "$(sort -n "$OUT" | tr '\n' ' ')" = "$(seq -s ' ' 0 299) " ] || fail "not every rank ran once"
	check_no_leftovers
}

case_env_vars() {
	mkdir "$WORK/dir" && cd "$WORK/dir" || fail "cd"
	FROM_LAUNCHER=yes run_job -n 5 --agents 2 sh -c \
		'echo "$CMPI_RANK $CMPI_SIZE $CMPI_LOCAL_RANK $CMPI_LOCAL_SIZE $CMPI_NODE $CMPI_JOBID $FROM_LAUNCHER ${CMPI_AGENT_TOKEN:-notoken} $(pwd)"'
	expect_rc 0
	local jobid
	jobid=$(awk '{print $6}' "$OUT" | sort -u)
	[[ $jobid =~ ^[0-9a-f]{16}$ ]] || fail "bad or differing job ids: $jobid"
	# rank size local_rank local_size node: ranks 0-2 on node 0, 3-4 on node 1
	[ "$(awk '{print $1,$2,$3,$4,$5,$7,$8,$9}' "$OUT" | sort)" = "$(printf '%s\n' \
		"0 5 0 3 0 yes notoken $WORK/dir" "1 5 1 3 0 yes notoken $WORK/dir" \
		"2 5 2 3 0 yes notoken $WORK/dir" "3 5 0 2 1 yes notoken $WORK/dir" \
		"4 5 1 2 1 yes notoken $WORK/dir")" ] || fail "wrong rank environment"
	check_no_leftovers
}

case_wireup_env() {
	# Both wire-up environments for every rank, whatever its MPI, and what
	# Open MPI needs to accept a direct launch.
	local show='echo "$CMPI_RANK PMI_RANK=$PMI_RANK PMI_SIZE=$PMI_SIZE PMIX_RANK=$PMIX_RANK ${PMIX_NAMESPACE%%.*} $OMPI_MCA_schizo ${OMPI_MCA_btl_tcp_if_include:-unset} ${UCX_NET_DEVICES:-unset}"'
	run_job -n 2 sh -c "$show"
	expect_rc 0
	[ "$(sort "$OUT")" = "$(printf '%s\n' "0 PMI_RANK=0 PMI_SIZE=2 PMIX_RANK=0 cmpi ^orte unset unset" \
		"1 PMI_RANK=1 PMI_SIZE=2 PMIX_RANK=1 cmpi ^orte unset unset")" ] || fail "wrong wire-up environment"
	# Several local agents are several nodes on one host: MPI traffic between
	# them stays on loopback, unless the user chose otherwise.
	run_job -n 2 --agents 2 sh -c "$show"
	expect_rc 0
	grep -q '^1 .* lo lo$' "$OUT" || fail "with 2 agents, MPI is not kept on loopback"
	UCX_NET_DEVICES=mine run_job -n 2 --agents 2 sh -c "$show"
	grep -q '^1 .* lo mine$' "$OUT" || fail "the user's UCX_NET_DEVICES was overridden"
	# Open MPI refuses if_include and if_exclude together.
	OMPI_MCA_btl_tcp_if_exclude=docker0 run_job -n 2 --agents 2 sh -c "$show"
	grep -q '^1 .* unset lo$' "$OUT" || fail "if_include added next to the user's if_exclude"
	check_no_leftovers
}

case_default_ranks() {
	run_job sh -c 'echo $CMPI_SIZE'
	expect_rc 0
	[ "$(wc -l <"$OUT")" -eq "$(nproc)" ] || fail "expected one rank per CPU"
	[ "$(sort -u "$OUT")" = "$(nproc)" ] || fail "CMPI_SIZE is not the CPU count"
}

case_exit_code() {
	run_job -n 4 --agents 2 sh -c '[ "$CMPI_RANK" = 2 ] && exit 3; exit 0'
	expect_rc 3
	grep -qE '^cmpirun: rank 2 on node 1 \(pid [0-9]+\) exited with status 3$' "$ERR" ||
		fail "no line naming rank 2"
	check_no_leftovers
}

case_signal_exit() {
	run_job -n 2 --agents 2 sh -c '[ "$CMPI_RANK" = 1 ] && kill -SEGV $$; exit 0'
	expect_rc 139
	grep -qE '^cmpirun: rank 1 on node 1 \(pid [0-9]+\) killed by signal 11 \(Segmentation fault\)$' "$ERR" ||
		fail "no line naming the signal"
	check_no_leftovers
}

case_kill_on_failure() {
	local t0 t1
	t0=$(now_ms)
	run_job -n 4 --agents 2 sh -c \
		'echo $$ > '"$WORK"'/pid.$CMPI_RANK; if [ "$CMPI_RANK" = 1 ]; then sleep 0.3; exit 5; fi; exec sleep 60'
	t1=$(now_ms)
	expect_rc 5
	expect_err "rank 1 on node 0"
	[ $((t1 - t0)) -lt 15000 ] || fail "the other ranks were not killed ($((t1 - t0)) ms)"
	wait_gone 5 $(cat "$WORK"/pid.*) || fail "ranks left running"
	[ "$(grep -c '^cmpirun: ' "$ERR")" -eq 1 ] || fail "expected one line about the failure"
	check_no_leftovers
}

case_failure_keeps_lines() {
	# Rank 1 streams dots without a newline; rank 0 fails; rank 2 prints a line
	# within the grace period. The failure must not glue the dots to that line.
	run_job -n 3 sh -c 'case $CMPI_RANK in
		0) sleep 0.5; exit 3 ;;
		1) while :; do printf .; sleep 0.01; done ;;
		2) sleep 0.8; echo rank2-line; sleep 60 ;;
		esac'
	expect_rc 3
	grep -qx rank2-line "$OUT" || fail "rank 2's line was glued to another: $(grep rank2 "$OUT" | cut -c1-80)"
}

case_escaped_descendant() {
	# A rank starts a daemon in a session of its own and exits: the job ends
	# and the daemon goes with it.
	run_job -n 2 --agents 2 sh -c 'setsid sleep 37 >/dev/null 2>&1 </dev/null & echo $! > '"$WORK"'/daemon.$CMPI_RANK; echo started'
	expect_rc 0
	[ "$(grep -c started "$OUT")" -eq 2 ] || fail "ranks did not run"
	wait_gone 5 $(cat "$WORK"/daemon.*) || fail "a rank's daemon outlived the job"
	check_no_leftovers
	# A daemon with a child of its own: killing the daemon hands the child to
	# the agent, which must look again.
	run_job -n 1 sh -c 'setsid sh -c "sleep 77 & echo \$! > '"$WORK"'/grandchild; wait" >/dev/null 2>&1 </dev/null &
		while [ ! -s '"$WORK"'/grandchild ]; do sleep 0.05; done; echo started'
	expect_rc 0
	wait_gone 5 "$(cat "$WORK/grandchild")" || fail "a daemon's child outlived the job"
	check_no_leftovers
}

case_stdin_rank0() {
	printf 'line one\nline two\n' | "$CMPIRUN" -n 3 --agents 2 sh -c \
		'if [ "$CMPI_RANK" = 0 ]; then cat; else n=$(cat | wc -c); echo "rank $CMPI_RANK read $n"; fi' \
		>"$OUT" 2>"$ERR"
	RC=$?
	expect_rc 0
	[ "$(sort "$OUT")" = "$(printf 'line one\nline two\nrank 1 read 0\nrank 2 read 0')" ] ||
		fail "stdin did not reach rank 0 alone"
}

case_stdin_file() {
	# Bigger than every buffer on the way, from a regular file (not pollable).
	seq 1 700000 >"$WORK/in"
	"$CMPIRUN" -n 2 --agents 2 sh -c '[ "$CMPI_RANK" = 0 ] && exec cat; cat' \
		<"$WORK/in" >"$OUT" 2>"$ERR"
	RC=$?
	expect_rc 0
	cmp -s "$WORK/in" "$OUT" || fail "rank 0's copy of stdin differs"
}

case_stdin_flow_control() {
	# Rank 0 does not read while `yes` writes as fast as it can: memory must stay bounded.
	yes | "$CMPIRUN" -v -n 1 sh -c 'sleep 2; echo slept' >"$OUT" 2>"$ERR" &
	local job=$! agent rss_agent=0 rss_launcher=0 i a l
	sleep 0.3
	agent=$(sed -n 's/.*started agent 0 (pid \([0-9]*\)).*/\1/p' "$ERR")
	for i in 1 2 3 4 5; do # the peak of a few samples while the job runs
		sleep 0.25
		a=$(awk '/^VmRSS/ {print $2}' "/proc/$agent/status" 2>/dev/null || echo 0)
		l=$(awk '/^VmRSS/ {print $2}' "/proc/$job/status" 2>/dev/null || echo 0)
		[ "${a:-0}" -gt "$rss_agent" ] && rss_agent=$a
		[ "${l:-0}" -gt "$rss_launcher" ] && rss_launcher=$l
	done
	wait "$job"
	RC=$?
	expect_rc 0
	[ "$(cat "$OUT")" = slept ] || fail "rank output lost"
	[ "$rss_agent" -lt 150000 ] && [ "$rss_launcher" -lt 150000 ] ||
		fail "stdin buffered without bound: agent ${rss_agent} kB, cmpirun ${rss_launcher} kB"
	# Rank 0 that stops reading early ends the job normally.
	yes | "$CMPIRUN" -n 2 head -n 2 >"$OUT" 2>"$ERR"
	RC=$?
	expect_rc 0
	[ "$(cat "$OUT")" = "$(printf 'y\ny')" ] || fail "head saw the wrong input"
}

case_big_output() {
	# 4 ranks x 27000 lines x 95 bytes = 10.3 MB through two agents.
	run_job -n 4 --agents 2 sh -c \
		'seq -f "rank $CMPI_RANK line %06.0f xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" 1 27000'
	expect_rc 0
	[ "$(wc -c <"$OUT")" -eq $((4 * 27000 * 95)) ] || fail "lost or added bytes: $(wc -c <"$OUT")"
	# Every line whole, and each rank's lines complete and in order.
	awk '!(/^rank [0-3] line [0-9]+ x+$/ && length($0) == 94) { print "mangled: " $0; bad = 1; exit }
	     { n = $4 + 0; if (n != last[$2] + 1) { print "out of order: " $0; bad = 1; exit } last[$2] = n }
	     END { if (bad) exit 1; for (r = 0; r < 4; r++) if (last[r] != 27000) { print "rank " r " short"; exit 1 } }' \
		"$OUT" || fail "output mangled"
	check_no_leftovers
}

case_tag_output() {
	# Open MPI's format: [jobid,rank]<stream>:line
	run_job -n 3 --tag-output sh -c 'echo "out $CMPI_RANK"; echo "err $CMPI_RANK" >&2'
	expect_rc 0
	[ "$(sort "$OUT")" = "$(printf '[1,0]<stdout>:out 0\n[1,1]<stdout>:out 1\n[1,2]<stdout>:out 2')" ] ||
		fail "stdout not tagged"
	grep -qx '\[1,1\]<stderr>:err 1' "$ERR" || fail "stderr not tagged"
}

case_label() {
	# MPICH's -l: "[rank] line", on both streams.
	run_job -n 3 -l sh -c 'echo "out $CMPI_RANK"; echo "err $CMPI_RANK" >&2'
	expect_rc 0
	[ "$(sort "$OUT")" = "$(printf '[0] out 0\n[1] out 1\n[2] out 2')" ] || fail "stdout not labelled"
	grep -qx '\[2\] err 2' "$ERR" || fail "stderr not labelled"
}

case_blocked_stdout() {
	# Nothing reads cmpirun's stdout: --timeout must still kill the ranks.
	mkfifo "$WORK/fifo"
	exec 4<>"$WORK/fifo" # holds the fifo open, never reads
	"$CMPIRUN" -v -n 2 --agents 2 --timeout 2 sh -c 'echo $$ > '"$WORK"'/pid.$CMPI_RANK; exec yes' \
		>"$WORK/fifo" 2>"$ERR" </dev/null &
	local job=$! reader
	wait_for_two_ranks
	wait_gone 12 $(cat "$WORK"/pid.*) || fail "ranks outlived --timeout while stdout was blocked"
	check_no_leftovers
	# cmpirun now waits for its reader; give it one.
	cat <&4 >/dev/null &
	reader=$!
	wait "$job"
	RC=$?
	kill "$reader"
	exec 4<&-
	expect_rc 124
	expect_err "job exceeded --timeout 2 s"
	expect_err "output backlog high: pausing agents"
}

case_blocked_stderr() {
	# Stdout and stderr both stuck in one fifo: cmpirun's own messages must not
	# block it either, and no line may be torn.
	mkfifo "$WORK/fifo"
	exec 4<>"$WORK/fifo"
	"$CMPIRUN" -v -n 2 --agents 2 --timeout 2 sh -c 'echo $$ > '"$WORK"'/pid.$CMPI_RANK; exec yes' \
		>"$WORK/fifo" 2>&1 </dev/null &
	local job=$! reader
	wait_for_two_ranks
	wait_gone 12 $(cat "$WORK"/pid.*) || fail "ranks outlived --timeout while stderr was blocked"
	cat <&4 >"$OUT" &
	reader=$!
	wait "$job"
	RC=$?
	sleep 0.5 # let cat take the last bytes
	kill "$reader"
	exec 4<&-
	expect_rc 124
	grep -q "cmpirun: job exceeded --timeout 2 s" "$OUT" || fail "no timeout message"
	# Ranks' lines, and the launcher's and agents' own (-v), each whole.
	local whole='y|(\[ *[0-9.]+ ms\] )?(cmpirun|cmpi-agent\[[01]\]): .*'
	grep -vqxE "$whole" "$OUT" && fail "torn lines: $(grep -vxE "$whole" "$OUT" | head -3)"
	grep -q 'cmpi-agent\[1\]: ' "$OUT" || fail "the agents' messages are missing"
	return 0
}

case_one_file_two_streams() {
	# 2>&1 into a pipe: stdout and stderr lines of two ranks never tear each other.
	"$CMPIRUN" -n 2 --agents 2 sh -c \
		'seq -f "o$CMPI_RANK %07.0f" 1 300000 & seq -f "e$CMPI_RANK %07.0f" 1 300000 >&2; wait' \
		2>&1 </dev/null | cat >"$OUT"
	RC=${PIPESTATUS[0]}
	expect_rc 0
	[ "$(wc -l <"$OUT")" -eq 1200000 ] || fail "lines lost: $(wc -l <"$OUT")"
	[ "$(grep -cxE '[oe][01] [0-9]{7}' "$OUT")" -eq 1200000 ] ||
		fail "torn lines: $(grep -vxE '[oe][01] [0-9]{7}' "$OUT" | head -3)"
}

case_closed_stdio() {
	# cmpirun started with stdin, stdout or stderr closed still runs and ends.
	timeout 30 "$CMPIRUN" -n 2 sh -c 'seq 1 3000000; seq 1 100000 >&2' >&- 2>&- <&-
	RC=$?
	expect_rc 0
	timeout 30 "$CMPIRUN" -n 2 sh -c 'exit 3' >&- 2>&- <&-
	RC=$?
	expect_rc 3
}

case_slow_reader() {
	# A reader that starts late: cmpirun pauses the agents, then delivers every byte.
	"$CMPIRUN" -v -n 2 --agents 2 sh -c 'seq -f "rank $CMPI_RANK %07.0f" 1 1000000' 2>"$ERR" </dev/null |
		{ sleep 2; cat; } >"$OUT"
	RC=${PIPESTATUS[0]}
	expect_rc 0
	[ "$(wc -l <"$OUT")" -eq 2000000 ] || fail "lines lost: $(wc -l <"$OUT")"
	[ "$(grep -c '^rank 0 [0-9]*$' "$OUT")" -eq 1000000 ] &&
		[ "$(grep -c '^rank 1 [0-9]*$' "$OUT")" -eq 1000000 ] || fail "lines mangled or lost"
	expect_err "output backlog high: pausing agents"
	expect_err "output backlog low: resuming agents"
	check_no_leftovers
}

case_partial_line() {
	"$CMPIRUN" -n 1 sh -c 'printf "prompt> "; sleep 3; echo done' >"$OUT" 2>"$ERR" </dev/null &
	local pid=$! i
	for i in $(seq 1 50); do
		[ "$(cat "$OUT")" = "prompt> " ] && break
		sleep 0.05
	done
	[ "$(cat "$OUT")" = "prompt> " ] || fail "a line without newline was held back"
	wait "$pid"
	RC=$?
	expect_rc 0
	[ "$(cat "$OUT")" = "prompt> done" ] || fail "line not completed"
}

case_fd_hygiene() {
	# A rank holds no descriptor that cmpirun or its agent opened: only what
	# any child of this shell would inherit, plus its stdio.
	local base got
	# The one addition is PMI_FD, the rank's socket to its PMI-1 server.
	local list='[ -S /proc/self/fd/$PMI_FD ] || echo "PMI_FD is not a socket"; ls /proc/self/fd | grep -vx "$PMI_FD"'
	base=$(sh -c 'ls /proc/self/fd' </dev/null | sort -n | tr '\n' ' ')
	run_job -n 2 --agents 2 sh -c "$list"
	expect_rc 0
	got=$(sort -n "$OUT" | uniq | tr '\n' ' ')
	[ "$got" = "$base" ] || fail "ranks see descriptors [$got], expected [$base]"
	echo hi | "$CMPIRUN" -n 2 sh -c "$list" >"$OUT" 2>"$ERR"
	RC=$?
	expect_rc 0
	got=$(sort -n "$OUT" | uniq | tr '\n' ' ')
	[ "$got" = "$base" ] || fail "with stdin a pipe, ranks see [$got], expected [$base]"
}

case_timeout() {
	local t0 t1
	t0=$(now_ms)
	run_job -n 2 --agents 2 --timeout 1 sh -c 'echo $$ > '"$WORK"'/pid.$CMPI_RANK; exec sleep 60'
	t1=$(now_ms)
	expect_rc 124
	expect_err "job exceeded --timeout 1 s"
	[ $((t1 - t0)) -lt 10000 ] || fail "took $((t1 - t0)) ms"
	expect_ranks_gone
}

# start_sleeping_job SCRIPT_PREFIX [OPTIONS...]: a job of 2 ranks on 2 agents in the
# background; each rank runs SCRIPT_PREFIX, writes its PID, sleeps. Sets JOB_PID.
start_sleeping_job() {
	local prefix=$1
	shift
	"$CMPIRUN" -v -n 2 --agents 2 "$@" sh -c "$prefix"' echo $$ > '"$WORK"'/pid.$CMPI_RANK; exec sleep 60' \
		>"$OUT" 2>"$ERR" </dev/null &
	JOB_PID=$!
	wait_for_two_ranks
}

# signal_job SIG: sends SIG to the job start_sleeping_job started and waits for it
# to end; sets RC and ELAPSED_MS.
signal_job() {
	local t0
	t0=$(now_ms)
	kill -"$1" "$JOB_PID"
	wait "$JOB_PID"
	RC=$?
	ELAPSED_MS=$(($(now_ms) - t0))
}

case_sigint() {
	# The ranks ignore SIGINT: the first Ctrl-C is forwarded, the second kills.
	start_sleeping_job "trap '' INT;"
	kill -INT "$JOB_PID"
	sleep 0.5
	alive "$(cat "$WORK/pid.0")" || fail "rank did not survive an ignored SIGINT"
	signal_job INT
	expect_rc 130
	expect_err "caught SIGINT"
	expect_ranks_gone
}

case_sigint_then_failure() {
	# A forwarded SIGINT the ranks ignore must not switch off --timeout.
	start_sleeping_job "trap '' INT;" --timeout 2
	signal_job INT
	expect_rc 130
	expect_err "job exceeded --timeout 2 s"
	[ "$ELAPSED_MS" -lt 8000 ] || fail "--timeout ignored after SIGINT ($ELAPSED_MS ms)"
	expect_ranks_gone
	# Rank 0 dies of the SIGINT, rank 1 ignores it: the job still ends.
	rm -f "$WORK"/pid.*
	start_sleeping_job '[ "$CMPI_RANK" = 1 ] && trap "" INT;'
	signal_job INT
	expect_rc 130
	[ "$ELAPSED_MS" -lt 8000 ] || fail "rank 1 outlived rank 0's death ($ELAPSED_MS ms)"
	expect_ranks_gone
}

# A fake agent speaking the protocol by hand: HELLO for node 0 with the real
# token, then the frames in $FAKE_FRAMES (printf escapes).
make_fake_agent() {
	cat >"$WORK/fake-agent" <<'FAKE'
#!/usr/bin/env bash
hostport=$2
exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
token=$(echo "$CMPI_AGENT_TOKEN" | sed 's/../\\x&/g')
printf "\x01\x01\x00\x00\x00\x00\x00\x28${token}\x00\x00\x00\x00\x00\x00\x00\x01" >&3
printf "$FAKE_FRAMES" >&3
timeout 10 cat <&3 >/dev/null
FAKE
	chmod +x "$WORK/fake-agent"
}

case_duplicate_exit() {
	# EXIT (version 1, type 5, 13 bytes): rank 0, pid 1, exited, status 0. BYE: type 7.
	local exit0='\x01\x05\x00\x00\x00\x00\x00\x0d\x00\x00\x00\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00'
	local bye='\x01\x07\x00\x00\x00\x00\x00\x00'
	make_fake_agent
	FAKE_FRAMES="$exit0$exit0$bye" CMPI_AGENT="$WORK/fake-agent" run_job -n 2 true
	expect_rc 1
	expect_err "lost the agent of node 0: bad EXIT message"
	# One EXIT for rank 0 only, then BYE: rank 1 never reported.
	FAKE_FRAMES="$exit0$bye" CMPI_AGENT="$WORK/fake-agent" run_job -n 2 true
	expect_rc 1
	expect_err "finished before all its ranks did"
}

case_sigterm() {
	start_sleeping_job ""
	signal_job TERM
	expect_rc 143
	expect_ranks_gone
}

case_kill9_launcher() {
	start_sleeping_job ""
	local agents
	agents=$(sed -n 's/.*started agent [0-9]* (pid \([0-9]*\)).*/\1/p' "$ERR")
	[ "$(echo "$agents" | wc -w)" -eq 2 ] || fail "expected two agent PIDs"
	kill -KILL "$JOB_PID"
	wait "$JOB_PID" 2>/dev/null
	wait_gone 5 $agents $(cat "$WORK"/pid.*) || fail "agents or ranks outlived cmpirun"
	expect_no_job_dirs "$(job_id)"
}

case_kill9_agent() {
	# An agent killed mid-job: the job fails at once, naming it, and nothing of
	# it is left (its ranks die with it; cmpirun sweeps its directories).
	start_sleeping_job ""
	local victim
	victim=$(sed -n 's/.*started agent 1 (pid \([0-9]*\)).*/\1/p' "$ERR")
	[ -n "$victim" ] || fail "no PID for agent 1"
	ls -d /tmp/cmpi-*-1-* >/dev/null 2>&1 || fail "agent 1 made no PMIx directory"
	kill -KILL "$victim"
	wait "$JOB_PID"
	RC=$?
	expect_rc 1
	expect_err "lost the agent of node 1"
	expect_ranks_gone
}

# The control port from the verbose log of the job running in the background.
control_port() {
	local i port
	for i in $(seq 1 100); do
		port=$(sed -n 's/.*control server on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$ERR")
		[ -n "$port" ] && { echo "$port"; return 0; }
		sleep 0.05
	done
	return 1
}

# A stranger's connection is closed; the job goes on and ends well.
stranger_test() {
	"$CMPIRUN" -v -n 2 --agents 2 sh -c "sleep $1; echo done \$CMPI_RANK" >"$OUT" 2>"$ERR" </dev/null &
	local job=$! port t0 t1
	port=$(control_port) || fail "no control port in the log"
	t0=$(now_ms)
	exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to the control port"
	printf '%b' "$2" >&3
	timeout 15 cat <&3 >/dev/null # returns when the launcher closes the connection
	t1=$(now_ms)
	exec 3<&-
	wait "$job"
	RC=$?
	expect_rc 0
	[ "$(sort "$OUT")" = "$(printf 'done 0\ndone 1')" ] || fail "the job was disturbed"
	expect_err "rejected a control connection: $3"
	CLOSED_MS=$((t1 - t0))
}

case_wrong_token() {
	# A well-formed HELLO (version 1, type 1, 40 bytes) with a wrong token.
	local hello='\x01\x01\x00\x00\x00\x00\x00\x28'
	hello="$hello$(printf '\\x%02x' $(seq 1 40))"
	stranger_test 2 "$hello" "wrong token"
	[ "$CLOSED_MS" -lt 1500 ] || fail "wrong token not refused at once ($CLOSED_MS ms)"
	stranger_test 2 'GET / HTTP/1.0\r\n\r\n' "unknown protocol version"
}

case_connection_flood() {
	# Strangers hold hundreds of connections (silent, garbage, a wrong token)
	# before the agents connect: agents that start 1 s late must still get in
	# and the job run as if nobody were there.
	printf '#!/bin/sh\nsleep 1\nexec "%s" "$@"\n' "$(dirname "$CMPIRUN")/cmpi-agent" >"$WORK/late-agent"
	chmod +x "$WORK/late-agent"
	CMPI_AGENT=$WORK/late-agent "$CMPIRUN" -v -n 2 --agents 2 sh -c 'sleep 2; echo done $CMPI_RANK' \
		>"$OUT" 2>"$ERR" </dev/null &
	local job=$! port
	port=$(control_port) || fail "no control port in the log"
	python3 "$(dirname "$0")/flood.py" "$port" 4 >"$WORK/flood" || fail "flood.py failed"
	wait "$job"
	RC=$?
	cat "$WORK/flood"
	expect_rc 0
	[ "$(sort "$OUT")" = "$(printf 'done 0\ndone 1')" ] || fail "the job was disturbed"
	expect_err "evicted: too many connections waiting for a HELLO"
	expect_err "rejected a control connection: wrong token"
	check_no_leftovers
}

case_private_dirs() {
	# The agents' PMIx server directory and Open MPI's shared-memory directory
	# are the job user's alone (0700), while the job runs, and gone after.
	"$CMPIRUN" -v -n 2 --agents 2 sh -c 'sleep 2' >"$OUT" 2>"$ERR" </dev/null &
	local job=$! jobid d n=0
	for _ in $(seq 1 100); do
		jobid=$(job_id)
		[ -n "$jobid" ] && [ "$(ls -d /tmp/cmpi-"$jobid"-* /dev/shm/cmpi-"$jobid"-* 2>/dev/null | wc -l)" -eq 4 ] && break
		sleep 0.05
	done
	for d in /tmp/cmpi-"$jobid"-* /dev/shm/cmpi-"$jobid"-*; do
		[ -d "$d" ] || continue
		n=$((n + 1))
		[ "$(stat -c '%a %u' "$d")" = "700 $(id -u)" ] || fail "$d is $(stat -c '%a %u' "$d"), not 700 and ours"
	done
	[ "$n" -eq 4 ] || fail "expected 2 PMIx and 2 shared-memory directories, found $n"
	wait "$job"
	RC=$?
	expect_rc 0
	check_no_leftovers
}

case_silent_connection() {
	stranger_test 8 '' "no valid HELLO in time"
	[ "$CLOSED_MS" -ge 4000 ] && [ "$CLOSED_MS" -lt 7500 ] ||
		fail "silent connection closed after $CLOSED_MS ms, expected about 5 s"
}

case_trickle_connection() {
	# One byte a second of a plausible header: the 5 s limit is a deadline,
	# not an idle timeout.
	"$CMPIRUN" -v -n 1 sh -c 'sleep 9; echo done' >"$OUT" 2>"$ERR" </dev/null &
	local job=$! port t0 closed i reader
	port=$(control_port) || fail "no control port in the log"
	exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to the control port"
	t0=$(now_ms)
	(timeout 15 cat <&3 >/dev/null; now_ms >"$WORK/closed") &
	reader=$!
	for i in 1 2 3 4 5 6 7 8; do
		[ -s "$WORK/closed" ] && break
		printf '\x01' >&3 2>/dev/null
		sleep 1
	done
	wait "$reader"
	exec 3<&-
	closed=$(($(cat "$WORK/closed") - t0))
	wait "$job"
	RC=$?
	expect_rc 0
	[ "$(cat "$OUT")" = done ] || fail "the job was disturbed"
	expect_err "rejected a control connection: no valid HELLO in time"
	[ "$closed" -ge 4000 ] && [ "$closed" -lt 7000 ] ||
		fail "trickling connection closed after $closed ms, expected about 5 s"
}

case_not_found() {
	run_job -n 4 --agents 2 ./no-such-program
	expect_rc 127
	grep -qx "cmpirun: cannot execute './no-such-program': No such file or directory" "$ERR" ||
		fail "wrong message"
	[ "$(grep -c '^cmpirun: [^[]' "$ERR")" -eq 1 ] || fail "expected exactly one error line"
	check_no_leftovers
}

case_not_executable() {
	printf '#!/bin/sh\necho hi\n' >"$WORK/script"
	chmod 644 "$WORK/script"
	run_job -n 2 "$WORK/script"
	expect_rc 127
	expect_err "cannot execute '$WORK/script': Permission denied"
	check_no_leftovers
	run_job -n 2 "$WORK"
	expect_rc 127
	expect_err "cannot execute '$WORK': Permission denied"
	check_no_leftovers
}

case_spawn_failure() {
	# Out of descriptors: a launcher error (1), not "cannot execute" (127).
	(ulimit -n 20 && exec "$CMPIRUN" -v -n 8 true) >"$OUT" 2>"$ERR" </dev/null
	RC=$?
	expect_rc 1
	# The agent sees the descriptor limit before it forks, and says so.
	expect_err "cmpi-agent[0]: 8 ranks on one node need 104 file descriptors and the limit is 20 (ulimit -n); starting none"
	check_no_leftovers
}

case_bad_agent() {
	# An agent binary that cannot be executed: one clear line, status 1.
	printf 'garbage\n' >"$WORK/bad-agent"
	chmod +x "$WORK/bad-agent"
	CMPI_AGENT="$WORK/bad-agent" run_job -n 1 true
	expect_rc 1
	expect_err "cannot execute the agent '$WORK/bad-agent': Exec format error"
	expect_err "lost the agent of node 0: it exited with status 127 before connecting"
}

case_bad_options() {
	local args
	for args in "-n 0 true" "-n -2 true" "-n abc true" "-n 2x true" "--agents 0 true" \
		"-n 2 --agents 3 true" "--agents 65536 true" "--bogus true" "-n 2" "" "--timeout soon true"; do
		# shellcheck disable=SC2086
		"$CMPIRUN" $args >"$OUT" 2>"$ERR" </dev/null
		RC=$?
		[ "$RC" -eq 2 ] || fail "'cmpirun $args' exited $RC, expected 2"
		grep -q '^Usage: cmpirun' "$ERR" || fail "'cmpirun $args' printed no usage line"
		[ ! -s "$OUT" ] || fail "'cmpirun $args' printed on stdout"
	done
}

case_help() {
	"$CMPIRUN" --help >"$OUT" 2>"$ERR"
	RC=$?
	expect_rc 0
	local opt
	for opt in -np --agents --tag-output --timeout --verbose --help --version CMPI_LOCAL_RANK; do
		grep -q -- "$opt" "$OUT" || fail "--help does not mention $opt"
	done
}

"case_$1"
echo "PASS: $1"
