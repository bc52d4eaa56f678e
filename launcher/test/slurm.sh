#!/usr/bin/env bash
# slurm.sh - cmpirun inside a Slurm allocation, on a real cluster the test starts on this
# machine from Debian's packages: munged, a slurmctld and four slurmd "nodes" h1..h4, each
# in a network namespace (on a bridge of this host's, 198.18.253.0/24) and a UTS namespace
# of its own, so that each has its own address and host name. srun starts the agents;
# test-mpi's programs (Open MPI and MPICH) run across the nodes.
# Skipped (77) without the Slurm packages or the namespaces.
set -u

CMPIRUN=${CMPIRUN:?set CMPIRUN to the cmpirun binary}
BIN=${TEST_MPI_BIN:?set TEST_MPI_BIN to the build directory of test-mpi}
WORK=$(mktemp -d /tmp/cmpi-slurm.XXXXXX)
chmod 755 "$WORK" # munged wants its socket's directories searchable by all
OUT=$WORK/out
ERR=$WORK/err
CLEANUP=() # commands run at exit, last first
here=198.18.253.1

at_exit() {
	for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[$i]}" >/dev/null 2>&1; done
	rm -rf "$WORK"
}
trap at_exit EXIT

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout (first 20 lines)" >&2; head -n 20 "$OUT" >&2 2>/dev/null
	echo "--- stderr (first 40 lines)" >&2; head -n 40 "$ERR" >&2 2>/dev/null
	for log in "$WORK"/log/*; do echo "--- $log (last 10 lines)" >&2; tail -n 10 "$log" >&2; done
	exit 1
}
skip() { echo "SKIP: $*"; exit 77; }

# stop PID: SIGTERM, then waits for it (it is our child) up to 10 s, then SIGKILL.
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

for tool in munged slurmctld slurmd salloc srun scontrol; do
	command -v "$tool" >/dev/null || skip "no $tool (apt-get install slurmctld slurmd slurm-client munge)"
done
command -v nsenter >/dev/null && command -v unshare >/dev/null || skip "no nsenter or unshare"
command -v iptables >/dev/null || skip "no iptables"

# One such cluster at a time on this machine: the addresses are fixed.
exec 9>/run/cmpi-test-slurm.lock
flock -w 300 9 || fail "another Slurm test holds /run/cmpi-test-slurm.lock"

# The network: a bridge here, and a namespace on it for the controller and each node.
bridge=cmpisl$$
ip link add "$bridge" type bridge || skip "cannot create a bridge"
CLEANUP+=("ip link del $bridge")
ip addr add "$here/24" dev "$bridge"
ip link set "$bridge" up
# Docker's FORWARD policy drops what crosses a bridge (br_netfilter): let this one pass.
iptables -I FORWARD -i "$bridge" -o "$bridge" -j ACCEPT || fail "cannot add the FORWARD rule"
CLEANUP+=("iptables -D FORWARD -i $bridge -o $bridge -j ACCEPT")
declare -A NS ADDR
add_host() { # NAME LAST-OCTET
	NS[$1]=cmpi-sl-$1-$$ ADDR[$1]=198.18.253.$2
	ip netns add "${NS[$1]}" || skip "cannot create a network namespace"
	CLEANUP+=("ip netns del ${NS[$1]}")
	ip link add "cmpi$$$1" type veth peer name "cmpi$$$1p" || fail "cannot create a veth pair"
	CLEANUP+=("ip link del cmpi$$$1")
	ip link set "cmpi$$$1" master "$bridge" up
	ip link set "cmpi$$$1p" netns "${NS[$1]}"
	ip -n "${NS[$1]}" addr add "${ADDR[$1]}/24" dev "cmpi$$$1p"
	ip -n "${NS[$1]}" link set "cmpi$$$1p" up
	ip -n "${NS[$1]}" link set lo up
}
NODES=(h1 h2 h3 h4)
add_host ctl 10
for i in "${!NODES[@]}"; do add_host "${NODES[i]}" $((i + 2)); done

# munge, with a key of this run's own.
mkdir -p "$WORK/munge" "$WORK/log" "$WORK/state" "$WORK/spool"
head -c 1024 /dev/urandom >"$WORK/munge/munge.key"
chmod 400 "$WORK/munge/munge.key"
munged -F -f --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/socket" \
	--pid-file="$WORK/munge/pid" --log-file="$WORK/log/munged.log" --seed-file="$WORK/munge/seed" \
	>/dev/null 2>&1 &
munge_pid=$!
CLEANUP+=("stop $munge_pid")

export SLURM_CONF=$WORK/slurm.conf
{
	echo "ClusterName=cmpitest"
	echo "SlurmctldHost=cmpictl(${ADDR[ctl]})"
	echo "AuthType=auth/munge"
	echo "AuthInfo=socket=$WORK/munge/socket"
	echo "CredType=cred/munge"
	echo "SlurmUser=root"
	echo "StateSaveLocation=$WORK/state"
	echo "SlurmdSpoolDir=$WORK/spool/%n"
	echo "SlurmctldPidFile=$WORK/slurmctld.pid"
	echo "SlurmdPidFile=$WORK/slurmd-%n.pid"
	echo "SlurmctldLogFile=$WORK/log/slurmctld.log"
	echo "SlurmdLogFile=$WORK/log/slurmd-%n.log"
	echo "ProctrackType=proctrack/linuxproc"
	echo "TaskPlugin=task/affinity"
	echo "SwitchType=switch/none"
	echo "MpiDefault=none"
	echo "SelectType=select/cons_tres"
	echo "SelectTypeParameters=CR_Core"
	echo "ReturnToService=2"
	echo "AccountingStorageType=accounting_storage/none"
	echo "JobAcctGatherType=jobacct_gather/none"
	for n in "${NODES[@]}"; do echo "NodeName=$n NodeAddr=${ADDR[$n]} CPUs=2 State=UNKNOWN"; done
	echo "PartitionName=test Nodes=ALL Default=YES MaxTime=10 State=UP"
} >"$SLURM_CONF"

# The daemons, each in its namespace under the host name Slurm knows it by.
# (nsenter, unshare and sh exec one another: $! is the daemon's pid.)
in_host() { # NAME HOSTNAME COMMAND...: runs COMMAND in NAME's namespaces, in the background
	local name=$1 hostname=$2
	shift 2
	nsenter --net="/run/netns/${NS[$name]}" unshare --uts sh -c 'hostname "$0" && exec "$@"' \
		"$hostname" "$@" >>"$WORK/log/$name.out" 2>&1 </dev/null 9>&- &
}
in_host ctl cmpictl slurmctld -D -i -f "$SLURM_CONF"
CLEANUP+=("stop $!")
declare -A SLURMD
for n in "${NODES[@]}"; do
	mkdir -p "$WORK/spool/$n"
	in_host "$n" "$n" slurmd -D -f "$SLURM_CONF"
	SLURMD[$n]=$!
	CLEANUP+=("stop $!")
done
for _ in $(seq 1 100); do
	[ "$(sinfo -h -o %t 2>/dev/null | sort -u)" = idle ] && break
	sleep 0.2
done
[ "$(sinfo -h -o %t 2>/dev/null | sort -u)" = idle ] || fail "the nodes did not become idle: $(sinfo 2>&1)"

# alloc N ARGS...: cmpirun -v ARGS inside an allocation of N nodes; sets RC.
alloc() {
	local n=$1
	shift
	timeout 120 salloc -N "$n" -n $((2 * n)) --quiet "$CMPIRUN" -v "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}
job_id() { sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\)[: ].*/\1/p' "$ERR" | head -n 1; }
expect_rc() { [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1"; }
expect_err() { grep -qE -- "$1" "$ERR" || fail "stderr lacks: $1"; }
# Nothing of the job is left on any node: only slurmd runs in each namespace, and no
# agent's private directory is left (the nodes share this machine's /tmp and /dev/shm).
no_leftovers() {
	local n left job
	job=$(job_id)
	[ -n "$job" ] || fail "no job id in the verbose log"
	for _ in $(seq 1 100); do
		left=$(ls -d /tmp/cmpi-"$job"-* /dev/shm/cmpi-"$job"-* 2>/dev/null | tr '\n' ' ')
		for n in "${NODES[@]}"; do
			for p in $(ip netns pids "${NS[$n]}"); do
				[ "$p" = "${SLURMD[$n]}" ] || left+=" $n:$(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)"
			done
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	fail "left on the nodes:$left"
}

# 1. Without --launcher-addr, and node names this host cannot resolve: said.
alloc 2 "$BIN/hello.openmpi"
expect_rc 1
expect_err "^cmpirun: cannot tell which address of this host the allocation's nodes reach \(node 'h1' has no IPv4 address here\): give --launcher-addr$"

# 2. Open MPI and MPICH over 2 and 4 nodes, 2 ranks on each: the allocation's
# nodes and slots are the hosts, srun started one agent on each.
for n in 2 4; do
	for mpi in openmpi mpich; do
		alloc "$n" --launcher-addr "$here" "$BIN/hello.$mpi"
		expect_rc 0
		for ((i = 1; i <= n; i++)); do
			[ "$(grep -cE "^hello from rank [0-9]+ of $((2 * n)) on h$i " "$OUT")" -eq 2 ] ||
				fail "hello.$mpi on $n nodes: not 2 ranks on h$i"
		done
		expect_err "all $n agents connected"
		no_leftovers
		echo "hello.$mpi on $n nodes: ok"
	done
	alloc "$n" --launcher-addr "$here" -n 4 "$BIN/ring.mpich"
	expect_rc 0
	grep -qx 'ring ok: 10 laps, total 60' "$OUT" || fail "ring.mpich on $n nodes"
	alloc "$n" --launcher-addr "$here" -n 4 "$BIN/allreduce.openmpi"
	expect_rc 0
	grep -qx 'allreduce ok' "$OUT" || fail "allreduce.openmpi on $n nodes"
	no_leftovers
	echo "ring.mpich and allreduce.openmpi on $n nodes: ok"
done

# Fewer ranks than nodes: srun starts agents on the plan's nodes only.
alloc 4 --launcher-addr "$here" -n 2 --map-by node "$BIN/hello.mpich"
expect_rc 0
[ "$(grep -cE '^hello from rank [01] of 2 on h[12] ' "$OUT")" -eq 2 ] || fail "-n 2 --map-by node on 4 nodes"
expect_err "all 2 agents connected"
no_leftovers

# 3. --dry-run shows the allocation's nodes; --image in an allocation is refused.
alloc 2 --dry-run -n 4 "$BIN/hello.openmpi"
expect_rc 0
grep -qx "node 1 h2 (2 slots) (Slurm allocation: srun starts its agent): 2 ranks 2-3" "$OUT" ||
	fail "--dry-run does not show the allocation"
alloc 2 --image cmpi-test/bookworm-mpi:1 "$BIN/hello.openmpi"
expect_rc 2
expect_err "^cmpirun: --image inside a Slurm allocation is not supported yet"

# 4. A failing rank fails the job; an agent killed on h2 mid-job ends it on both
# nodes, and srun's step with it.
alloc 2 --launcher-addr "$here" sh -c 'exit $((CMPI_RANK == 3 ? 7 : 0))'
expect_rc 7
no_leftovers
timeout 120 salloc -N 2 -n 4 --quiet "$CMPIRUN" -v --launcher-addr "$here" sleep 60 \
	>"$OUT" 2>"$ERR" </dev/null &
job=$!
agent=""
for _ in $(seq 1 200); do
	for p in $(ip netns pids "${NS[h2]}"); do
		grep -qa cmpi-agent "/proc/$p/cmdline" 2>/dev/null && agent=$p
	done
	[ -n "$agent" ] && grep -q "all 2 agents connected" "$ERR" && break
	sleep 0.05
done
[ -n "$agent" ] || fail "no agent on h2"
t0=$(date +%s%N)
kill -KILL "$agent"
wait "$job"
RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "agent on h2 killed: the job ended $ms ms after, status $RC"
expect_rc 1
expect_err "^cmpirun: lost the agent of node 1 \(h2\)"
no_leftovers
exit 0
