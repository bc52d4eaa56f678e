#!/usr/bin/env bash
# faults.sh WHERE MPI FAULT - one fault injected into a running MPI job of 4 ranks on 2 agents
# (ranks 0-1 on node 0, 2-3 on node 1), measured; prints one markdown row:
#   | fault | where | MPI | ms from the fault to the end | exit status | first cmpirun line | leaks | result |
# WHERE: bare, or container (--image cmpi-test/bookworm-mpi:1). MPI: openmpi or mpich.
# FAULT: segv exit abort timeout kill_rank oom kill_agent kill_container engine_restart
#        sigint sigterm kill_launcher
# Exit 0 when cmpirun ended as the README says, in time and leaving nothing behind; 1 when
# not; 77 when a container case has no engine or image, or oom has no memory cgroup.
set -u

[ $# -eq 3 ] || { echo "usage: faults.sh bare|container openmpi|mpich FAULT" >&2; exit 2; }
WHERE=$1 MPI=$2 FAULT=$3
CMPIRUN=${CMPIRUN:?set CMPIRUN to the cmpirun binary}
BIN=${TEST_MPI_BIN:?set TEST_MPI_BIN to the directory of the compiled programs}/fault.$MPI
IMAGE=cmpi-test/bookworm-mpi:1
BOUND_MS=15000 # generous: a rank's failure takes 1 s of grace, then 3 s to SIGKILL
LEAK_WAIT_S=5
OOM_LIMIT=$((128 << 20))

WORK=$(mktemp -d /tmp/cmpi-faults.XXXXXX)
OUT=$WORK/out
ERR=$WORK/err
CLEANUP=() # commands run at exit, last first
at_exit() {
	for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[$i]}" >/dev/null 2>&1; done
	rm -rf "$WORK"
}
trap at_exit EXIT

PROBLEMS=()
problem() { PROBLEMS+=("$*"); }
now_us() { echo "${EPOCHREALTIME/./}"; }
alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}
# Backticks would end the markdown code span; pipes would end the cell.
cell() { printf '%s' "$1" | tr '`|' "'/"; }

# row RESULT: the one line this script prints.
MS=- RC=- MSG="" LEAKS=-
row() {
	local msg=-
	[ -n "$MSG" ] && msg="\`$(cell "$MSG")\`"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$FAULT" "$WHERE" "$MPI" "$MS" "$RC" \
		"$msg" "$(cell "$LEAKS")" "$1"
}
not_run() { MSG="not run: $*"; row "not run"; exit 77; }
finish() {
	local p
	if [ ${#PROBLEMS[@]} -eq 0 ]; then
		row pass
		exit 0
	fi
	row FAIL
	for p in "${PROBLEMS[@]}"; do echo "FAIL: $FAULT $WHERE $MPI: $p" >&2; done
	echo "--- stderr (first 40 lines)" >&2
	head -n 40 "$ERR" >&2 2>/dev/null
	exit 1
}

case $MPI in openmpi | mpich) ;; *) echo "faults.sh: unknown MPI '$MPI'" >&2; exit 2 ;; esac
# What each fault must give: exit status, and a regex for cmpirun's first line.
case $FAULT in
segv) MODE=segv WANT_RC=139 WANT='^cmpirun: rank 1 on node 0 \(pid [0-9]+\) killed by signal 11 \(Segmentation fault\)$' ;;
exit) MODE=exit WANT_RC=3 WANT='^cmpirun: rank 1 on node 0 \(pid [0-9]+\) exited with status 3$' ;;
abort) MODE=abort WANT_RC=7 WANT='^cmpirun: rank 1 on node 0 called MPI_Abort with status 7' ;;
timeout) MODE=wait WANT_RC=124 WANT='^cmpirun: job exceeded --timeout 3 s; killing its ranks$' ;;
kill_rank | oom) MODE=wait WANT_RC=137 WANT='^cmpirun: rank 1 on node 0 \(pid [0-9]+\) killed by signal 9 \(Killed\)$' ;;
kill_agent | kill_container) MODE=wait WANT_RC=1 WANT='^cmpirun: lost the agent of node 1' ;;
sigint) MODE=wait WANT_RC=130 WANT='^cmpirun: caught SIGINT' ;;
sigterm) MODE=wait WANT_RC=143 WANT='^cmpirun: caught SIGTERM' ;;
kill_launcher) MODE=wait WANT_RC=137 WANT='' ;;
engine_restart) not_run "see launcher/test/engines.sh lost (container.engine_lost): a private engine of its own" ;;
*) echo "faults.sh: unknown fault '$FAULT'" >&2; exit 2 ;;
esac
[ "$FAULT" = oom ] && MODE=oom

IMAGE_ARGS=()
case $WHERE in
bare) [ "$FAULT" = kill_container ] && { echo "faults.sh: kill_container needs WHERE=container" >&2; exit 2; } ;;
container)
	docker image inspect "$IMAGE" >/dev/null 2>&1 || not_run "no engine or no image $IMAGE (scripts/test-images.sh)"
	IMAGE_ARGS=(--image "$IMAGE" --agents 2)
	;;
*) echo "faults.sh: unknown WHERE '$WHERE'" >&2; exit 2 ;;
esac
[ -x "$BIN" ] || { echo "FAIL: no program $BIN" >&2; exit 1; }

# oom: a memory cgroup of our own, so that the kernel's OOM killer acts on rank 1 alone and
# at 128 MiB, not on a shared machine's 24 GiB.
CGROUP=""
if [ "$FAULT" = oom ]; then
	if [ -w /sys/fs/cgroup/memory ]; then
		CGROUP=/sys/fs/cgroup/memory/cmpi-faults-$$
		mkdir "$CGROUP" && echo "$OOM_LIMIT" >"$CGROUP/memory.limit_in_bytes" || not_run "cannot make $CGROUP"
		# With swap accounting, the limit must cover swap too, or the hog swaps.
		[ -e "$CGROUP/memory.memsw.limit_in_bytes" ] && echo "$OOM_LIMIT" >"$CGROUP/memory.memsw.limit_in_bytes"
		OOM_EVENTS=$CGROUP/memory.oom_control
	elif [ -w /sys/fs/cgroup/cgroup.subtree_control ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
		CGROUP=/sys/fs/cgroup/cmpi-faults-$$
		mkdir "$CGROUP" && echo "$OOM_LIMIT" >"$CGROUP/memory.max" || not_run "cannot make $CGROUP"
		echo 0 >"$CGROUP/memory.swap.max" 2>/dev/null
		OOM_EVENTS=$CGROUP/memory.events
	else
		not_run "no writable memory cgroup to confine the OOM killer"
	fi
	CLEANUP+=("for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir $CGROUP && break; sleep 0.2; done")
fi

# In the work directory, which containers see at the same path: the program and the
# files the ranks write.
cp "$BIN" "$WORK/fault" || exit 1
cd "$WORK" || exit 1
TIMEOUT=60 # a safety net: a fault the job does not notice still ends it
[ "$FAULT" = timeout ] && TIMEOUT=3
T_LAUNCH=$(now_us)
"$CMPIRUN" -v -n 4 --agents 2 --timeout "$TIMEOUT" "${IMAGE_ARGS[@]}" ./fault "$MODE" "$WORK" \
	>"$OUT" 2>"$ERR" </dev/null &
JOB_PID=$!
JOBID=""
# Whatever happens, nothing of this job outlives the script (its own processes by PID,
# its containers by label).
CLEANUP+=('kill -KILL $JOB_PID')
CLEANUP+=('[ -n "$JOBID" ] && kill -KILL $(job_pids) ')
CLEANUP+=('[ -n "$JOBID" ] && [ $WHERE = container ] && docker rm -f $(docker ps -aq --filter label=cmpi.job=$JOBID)')

# A watchdog: cmpirun that does not end is killed, and that is a failure.
(
	trap 'kill $s; exit 0' TERM
	sleep 60 &
	s=$!
	wait $s
	kill -KILL "$JOB_PID"
) 2>/dev/null &
WATCHDOG=$!
CLEANUP+=("kill $WATCHDOG")

job_pids() { # the live processes that carry the job's id in their environment
	local p
	for p in $(grep -lsa "CMPI_JOBID=$JOBID" /proc/[0-9]*/environ | cut -d/ -f3); do
		alive "$p" && echo "$p"
	done
}
rank_pid() { # R: the live process of rank R, found as a user would, by its environment
	local p
	for p in $(job_pids); do
		tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "CMPI_RANK=$1" && { echo "$p"; return; }
	done
}

# Wait for the job id, then (faults from outside) for all 4 ranks in MPI.
for _ in $(seq 1 600); do
	JOBID=$(sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\)[: ].*/\1/p' "$ERR" | head -n 1)
	[ -n "$JOBID" ] && break
	alive "$JOB_PID" || break
	sleep 0.05
done
[ -n "$JOBID" ] || { problem "no job id in the verbose log"; finish; }
case $FAULT in segv | exit | abort) ;; *)
	for _ in $(seq 1 1200); do
		[ "$(ls "$WORK"/ready.? 2>/dev/null | wc -l)" -eq 4 ] && break
		alive "$JOB_PID" || break
		sleep 0.05
	done
	[ "$(ls "$WORK"/ready.? 2>/dev/null | wc -l)" -eq 4 ] || { problem "the 4 ranks did not get into MPI"; finish; }
	;;
esac

# The agents: their pids (bare: the -v log; containers: the engine's view of each).
AGENT_PIDS=()
for node in 0 1; do
	if [ "$WHERE" = bare ]; then
		AGENT_PIDS+=("$(sed -n "s/.*started agent $node (pid \([0-9]*\)).*/\1/p" "$ERR")")
	else
		c=$(docker ps -q --filter "label=cmpi.job=$JOBID" --filter "name=^cmpi-$JOBID-$node\$")
		CONTAINERS[node]=$c
		AGENT_PIDS+=("$(docker inspect -f '{{.State.Pid}}' "$c" 2>/dev/null)")
	fi
done

# The fault. bash reports a killed child ("Killed") on stderr at some later command: not ours.
exec 3>&2 2>/dev/null
T_FAULT=""
case $FAULT in
kill_rank)
	victim=$(rank_pid 1)
	[ "$victim" = "$(cat "$WORK/ready.1")" ] || problem "rank 1's pid from /proc ($victim) is not its own ($(cat "$WORK/ready.1"))"
	T_FAULT=$(now_us)
	kill -KILL "$victim"
	;;
oom)
	victim=$(rank_pid 1)
	echo "$victim" >"$CGROUP/cgroup.procs" || problem "cannot move rank 1 into $CGROUP"
	: >"$WORK/go" # fault.time is written when rank 1 starts to allocate
	;;
kill_agent)
	T_FAULT=$(now_us)
	kill -KILL "${AGENT_PIDS[1]}"
	;;
kill_container)
	T_FAULT=$(now_us)
	docker kill --signal KILL "${CONTAINERS[1]}" >/dev/null || problem "docker kill failed"
	;;
sigint | sigterm | kill_launcher)
	sig=${FAULT#sig}
	[ "$FAULT" = kill_launcher ] && sig="kill"
	T_FAULT=$(now_us)
	kill -"${sig^^}" "$JOB_PID"
	;;
esac
wait "$JOB_PID"
RC=$?
T_EXIT=$(now_us)
kill "$WATCHDOG"
exec 2>&3 3>&-

case $FAULT in
segv | exit | abort | oom)
	[ -s "$WORK/fault.time" ] && T_FAULT=$(($(cat "$WORK/fault.time") / 1000))
	;;
timeout) # the timer starts as the control server is up (the -v line's ms since start)
	up=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]* ms\] cmpirun: job .*control server on.*/\1/p' "$ERR" | head -n 1)
	T_FAULT=$((T_LAUNCH + (${up:-0} + 3000) * 1000))
	;;
esac
[ -n "$T_FAULT" ] || problem "no time for the fault (rank 1 wrote no fault.time)"

# gone_within S: waits up to S s until no process of the job, no agent and (containers)
# no container of it is left; sets LEFT to what is, and GONE_US to when all went.
gone_within() {
	local deadline=$(($(now_us) + $1 * 1000000)) p
	while :; do
		LEFT=""
		for p in "${AGENT_PIDS[@]}"; do [ -n "$p" ] && alive "$p" && LEFT="$LEFT agent:$p"; done
		for p in $(job_pids); do LEFT="$LEFT process:$p"; done
		if [ "$WHERE" = container ]; then
			for p in $(docker ps -aq --filter "label=cmpi.job=$JOBID"); do LEFT="$LEFT container:$p"; done
		fi
		GONE_US=$(now_us)
		[ -z "$LEFT" ] && return 0
		[ "$GONE_US" -gt "$deadline" ] && return 1
		sleep 0.05
	done
}

if [ "$FAULT" = kill_launcher ]; then
	# cmpirun cannot say anything: the end is when its agents, ranks and containers are gone.
	gone_within $((BOUND_MS / 1000))
	MS=$(((GONE_US - T_FAULT) / 1000))
	[ -z "$LEFT" ] || problem "left $((BOUND_MS / 1000)) s after kill -9 of cmpirun:$LEFT"
	MSG="(none: killed) ranks, agents$([ "$WHERE" = container ] && echo ", containers") gone in $MS ms"
	if [ "$WHERE" = container ]; then
		# The README: the containers go by themselves; --cleanup then finds nothing of this job.
		t0=$(now_us)
		"$CMPIRUN" --cleanup >"$WORK/cleanup.out" 2>&1
		crc=$?
		MSG="$MSG; --cleanup $(((($(now_us) - t0)) / 1000)) ms, status $crc: $(head -n 1 "$WORK/cleanup.out")"
		[ "$crc" -eq 0 ] || problem "cmpirun --cleanup exited with $crc"
	fi
else
	[ -n "$T_FAULT" ] && MS=$(((T_EXIT - T_FAULT) / 1000))
	MSG=$(grep -vE '^\[ *[0-9.]+ ms\] ' "$ERR" | grep -m 1 '^cmpirun: ')
	[ "$RC" -eq "$WANT_RC" ] || problem "exit status $RC, expected $WANT_RC"
	[[ $MSG =~ $WANT ]] || problem "cmpirun's first line '$MSG' does not match '$WANT'"
	gone_within "$LEAK_WAIT_S"
	[ -z "$LEFT" ] || problem "left $LEAK_WAIT_S s after cmpirun ended:$LEFT"
fi
[ "$FAULT" = kill_launcher ] && [ "$RC" -ne 137 ] && problem "cmpirun's status $RC after kill -9"
[ "$MS" != - ] && [ "$MS" -gt "$BOUND_MS" ] && problem "took $MS ms to end (bound $BOUND_MS)"

# Files: the agents' private directories (PMIx server and its socket, Open MPI's shared
# memory) and any socket bound under them.
FILES=""
for d in /tmp/cmpi-"$JOBID"-* /dev/shm/cmpi-"$JOBID"-*; do
	[ -e "$d" ] && FILES="$FILES $d"
done
grep -q "cmpi-$JOBID-" /proc/net/unix && FILES="$FILES socket:$(grep -m 1 -o "/[^ ]*cmpi-$JOBID-[^ ]*" /proc/net/unix)"
[ -z "$FILES" ] || problem "left behind:$FILES"
LEFT="${LEFT}${FILES}"
LEAKS=${LEFT# }
LEAKS=${LEAKS:-none}

if [ "$FAULT" = oom ]; then
	# A real OOM kill, counted by the cgroup, not some other SIGKILL.
	kills=$(awk '$1 == "oom_kill" {print $2}' "$OOM_EVENTS")
	[ "${kills:-0}" -ge 1 ] || problem "the cgroup counted no OOM kill"
	MSG="$MSG (cgroup oom_kill ${kills:-0})"
fi
finish
