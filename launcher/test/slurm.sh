#!/usr/bin/env bash
# slurm.sh [plain|image] - cmpirun inside a Slurm allocation, on a real cluster the test
# starts on this machine from Debian's packages: munged, a slurmctld and four slurmd "nodes"
# h1..h4, each in a network namespace (on a bridge of this host's, 198.18.253.0/24) and a
# UTS namespace of its own, so that each has its own address and host name. srun starts
# the agents; test-mpi's programs (Open MPI and MPICH) run across the nodes.
#   plain  the agents run on the nodes themselves
#   image  --image: each node also has a dockerd of its own (in its namespaces, the MPI
#          image loaded), which its slurmd, in a mount namespace of its own, sees at the
#          default socket; srun runs cmpi-container, which starts the node's agent there;
#          --pull from a registry on this host's bridge address
# Skipped (77) without the Slurm packages or the namespaces (and for image, an engine
# here with the test image).
set -u

CMPIRUN=${CMPIRUN:?set CMPIRUN to the cmpirun binary}
case_name=${1:-plain}
IMAGE=cmpi-test/bookworm-mpi:1
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
case $case_name in
plain) ;;
image)
	docker image inspect "$IMAGE" >/dev/null 2>&1 || skip "no engine or no image $IMAGE (scripts/test-images.sh)"
	# A dockerd uses a running system containerd, whose shims would start the
	# containers in this host's network namespace: no node of its own then.
	[ -S /run/containerd/containerd.sock ] && skip "a system containerd runs here"
	[ -S /run/docker.sock ] || skip "no /run/docker.sock to stand for each node's default socket"
	command -v docker-registry >/dev/null || skip "no docker-registry (apt-get install docker-registry)"
	command -v gcc >/dev/null || skip "no gcc"
	;;
*) echo "usage: slurm.sh [plain|image]" >&2; exit 2 ;;
esac

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
declare -A SLURMD DOCKERD
# node_docker NAME ARGS...: the docker CLI against node NAME's own engine (image case).
node_docker() {
	local n=$1
	shift
	docker -H "unix://$WORK/$n.sock" "$@"
}
if [ "$case_name" = image ]; then
	# A registry on this host's bridge address, which the nodes' engines trust (--pull).
	registry=$here:$(python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$here")
	printf '%s\n' "version: 0.1" "log: {level: warn}" "storage: {filesystem: {rootdirectory: $WORK/registry}}" \
		"http: {addr: $registry}" >"$WORK/registry.yml"
	docker-registry serve "$WORK/registry.yml" >"$WORK/log/registry.log" 2>&1 </dev/null 9>&- &
	CLEANUP+=("stop $!")
	# Each node's engine, in the node's namespaces (its containers share the node's
	# network and host name); the data directories keep the image between runs.
	for n in "${NODES[@]}"; do
		in_host "$n" "$n" dockerd --data-root "/var/lib/cmpi-test-slurm-$n" \
			--exec-root "$WORK/exec-$n" --pidfile "$WORK/dockerd-$n.pid" -H "unix://$WORK/$n.sock" \
			--bridge none --iptables=false --ip-masq=false --insecure-registry "$registry"
		DOCKERD[$n]=$!
		# dockerd leaves its namespace bind-mounted under the exec root.
		CLEANUP+=("umount $WORK/exec-$n/netns/default")
		CLEANUP+=("stop ${DOCKERD[$n]}")
	done
	loads=()
	for n in "${NODES[@]}"; do
		for _ in $(seq 1 100); do node_docker "$n" version >/dev/null 2>&1 && break; sleep 0.2; done
		node_docker "$n" version >/dev/null 2>&1 || fail "node $n's engine did not answer"
		node_docker "$n" image inspect "$IMAGE" >/dev/null 2>&1 && continue
		[ -f "$WORK/image.tar" ] || docker save "$IMAGE" >"$WORK/image.tar" || fail "cannot save $IMAGE"
		node_docker "$n" load -i "$WORK/image.tar" >/dev/null &
		loads+=($!)
	done
	for p in "${loads[@]}"; do wait "$p"; done
	rm -f "$WORK/image.tar"
	for n in "${NODES[@]}"; do
		node_docker "$n" image inspect "$IMAGE" >/dev/null 2>&1 || fail "cannot load $IMAGE on $n"
	done
fi
for n in "${NODES[@]}"; do
	mkdir -p "$WORK/spool/$n"
	if [ "$case_name" = image ]; then
		# In the node's engine's namespaces, and a mount namespace where the
		# default socket is that engine's: what srun's tasks see on a real node.
		nsenter --net="/run/netns/${NS[$n]}" --uts="/proc/${DOCKERD[$n]}/ns/uts" \
			unshare --mount sh -c 'mount --bind "$0" /run/docker.sock && exec "$@"' \
			"$WORK/$n.sock" slurmd -D -f "$SLURM_CONF" >>"$WORK/log/$n.out" 2>&1 </dev/null 9>&- &
	else
		in_host "$n" "$n" slurmd -D -f "$SLURM_CONF"
	fi
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
# Nothing of the job is left on any node: only slurmd (and dockerd with its containerd)
# runs in each namespace, no container of the job is left on a node's engine, and no
# agent's private directory is left (the nodes share this machine's /tmp and /dev/shm).
is_daemon() { # NODE PID
	[ "$2" = "${SLURMD[$1]}" ] && return 0
	[ -n "${DOCKERD[$1]:-}" ] || return 1
	[ "$2" = "${DOCKERD[$1]}" ] || [ "$(awk '{print $4}' "/proc/$2/stat" 2>/dev/null)" = "${DOCKERD[$1]}" ]
}
no_leftovers() {
	local n left job
	job=$(job_id)
	[ -n "$job" ] || fail "no job id in the verbose log"
	for _ in $(seq 1 100); do
		left=$(ls -d /tmp/cmpi-"$job"-* /dev/shm/cmpi-"$job"-* 2>/dev/null | tr '\n' ' ')
		for n in "${NODES[@]}"; do
			for p in $(ip netns pids "${NS[$n]}"); do
				is_daemon "$n" "$p" || left+=" $n:$(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)"
			done
			[ "$case_name" = image ] &&
				left+=$(node_docker "$n" ps -aq --filter "label=cmpi.job=$job" | sed "s/^/ $n:container /")
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	fail "left on the nodes:$left"
}

# With --image: each node's agent in a container on that node's own engine, which
# cmpirun never reaches.
image_case() {
	local mpi i id agent_job
	# The ranks start in cmpirun's directory, mounted alike in every container.
	cd "$BIN" || fail "no $BIN"

	# 1. Open MPI and MPICH over 4 nodes, 2 ranks on each: the host names are the
	# nodes', which only their own engines' containers have.
	for mpi in openmpi mpich; do
		alloc 4 --launcher-addr "$here" --image "$IMAGE" "./hello.$mpi"
		expect_rc 0
		for ((i = 1; i <= 4; i++)); do
			[ "$(grep -cE "^hello from rank [0-9]+ of 8 on h$i " "$OUT")" -eq 2 ] ||
				fail "hello.$mpi in containers on 4 nodes: not 2 ranks on h$i"
		done
		expect_err "all 4 agents connected"
		no_leftovers
		echo "hello.$mpi in containers on 4 nodes: ok"
	done
	alloc 2 --launcher-addr "$here" --image "$IMAGE" -n 4 ./ring.mpich
	expect_rc 0
	grep -qx 'ring ok: 10 laps, total 60' "$OUT" || fail "ring.mpich in containers on 2 nodes"
	alloc 2 --launcher-addr "$here" --image "$IMAGE" -n 4 ./allreduce.openmpi
	expect_rc 0
	grep -qx 'allreduce ok' "$OUT" || fail "allreduce.openmpi in containers on 2 nodes"
	no_leftovers
	echo "ring.mpich and allreduce.openmpi in containers on 2 nodes: ok"

	# 2. --dry-run says so; what cannot work inside an allocation is refused.
	alloc 2 --dry-run -n 4 --image "$IMAGE" ./hello.openmpi
	expect_rc 0
	grep -qx "node 1 h2 (2 slots) (Slurm allocation: srun starts its agent in a container on the node's engine): 2 ranks 2-3" "$OUT" ||
		fail "--dry-run does not show the containers"
	alloc 2 --image "$IMAGE" --stage hello.openmpi ./hello.openmpi
	expect_rc 2
	expect_err "^cmpirun: --stage is not supported inside a Slurm allocation"
	alloc 2 --image "$IMAGE" --engine tcp://127.0.0.1:1 ./hello.openmpi
	expect_rc 2
	expect_err "^cmpirun: --engine with a tcp:// URL is not supported inside a Slurm allocation"
	# DOCKER_HOST reaches the nodes through srun: a tcp:// one is refused there
	# (before anything connects to it).
	DOCKER_HOST=tcp://127.0.0.1:1 alloc 2 --launcher-addr "$here" --image "$IMAGE" ./hello.openmpi
	expect_rc 1
	expect_err "^cmpi-container on h[12]: the engine at tcp://127.0.0.1:1 is not this node's own"
	no_leftovers

	# 3. The image on h1's engine only: h2 says so, and the job ends everywhere.
	node_docker h1 tag "$IMAGE" cmpi-test/slurm-h1-only:1 || fail "cannot tag the image on h1"
	alloc 2 --launcher-addr "$here" --image cmpi-test/slurm-h1-only:1 ./hello.openmpi
	node_docker h1 rmi cmpi-test/slurm-h1-only:1 >/dev/null
	expect_rc 1
	expect_err "^cmpi-container on h2: image 'cmpi-test/slurm-h1-only:1' not found on this node's engine at unix://"
	no_leftovers

	# 4. The agent's container on h2 killed mid-job: the job ends on both nodes.
	timeout 120 salloc -N 2 -n 4 --quiet "$CMPIRUN" -v --launcher-addr "$here" --image "$IMAGE" \
		sleep 60 >"$OUT" 2>"$ERR" </dev/null &
	agent_job=$!
	id=""
	for _ in $(seq 1 400); do
		grep -q "all 2 agents connected" "$ERR" &&
			id=$(node_docker h2 ps -q --filter "label=cmpi.job=$(job_id)") && [ -n "$id" ] && break
		sleep 0.05
	done
	[ -n "$id" ] || fail "no agent's container on h2"
	node_docker h2 kill "$id" >/dev/null
	wait "$agent_job"
	RC=$?
	expect_rc 1
	expect_err "^cmpirun: lost the agent of node 1 \(h2\)"
	no_leftovers
	echo "agent's container on h2 killed: the job ended, status $RC"

	# 5. cmpirun itself killed outright mid-job, the allocation kept (a shell
	# waits on after it): its agents lose it and end, their containers go, and
	# nothing is left on any node or its engine while Slurm still holds the nodes.
	timeout 120 salloc -N 2 -n 4 --quiet sh -c '"$0" "$@"; exec sleep 60' "$CMPIRUN" -v \
		--launcher-addr "$here" --image "$IMAGE" sleep 60 >"$OUT" 2>"$ERR" </dev/null &
	agent_job=$!
	for _ in $(seq 1 400); do grep -q "all 2 agents connected" "$ERR" && break; sleep 0.05; done
	grep -q "all 2 agents connected" "$ERR" || fail "the agents did not connect"
	local salloc_pid shell_pid cmpirun_pid
	salloc_pid=$(ps -o pid= --ppid "$agent_job" | tr -d ' ')
	shell_pid=$(ps -o pid= --ppid "$salloc_pid" | tr -d ' ')
	cmpirun_pid=$(ps -o pid= --ppid "$shell_pid" | tr -d ' ')
	[ -n "$cmpirun_pid" ] && grep -qa cmpirun "/proc/$cmpirun_pid/cmdline" || fail "no cmpirun under salloc"
	local t0=$(date +%s%N)
	kill -KILL "$cmpirun_pid"
	no_leftovers
	echo "cmpirun killed: nothing left on the nodes $((($(date +%s%N) - t0) / 1000000)) ms after"
	kill -TERM "$shell_pid" # now the sleep: salloc's command ends, and the allocation
	wait "$agent_job"

	# 6. --pull: each node's engine pulls a missing image itself. The image: one
	# static program that says its rank, pushed from h1's engine to the registry.
	local static=$registry/cmpi-test/slurm-static:1
	mkdir -p "$WORK/root/tmp"
	printf '%s\n' '#include <stdio.h>' '#include <stdlib.h>' \
		'int main(void) { printf("rank %s of %s\n", getenv("CMPI_RANK"), getenv("CMPI_SIZE")); return 0; }' |
		gcc -static -O2 -x c -o "$WORK/root/prog" - || fail "cannot build a static program (libc6-dev)"
	tar -C "$WORK/root" -c . | node_docker h1 import - "$static" >/dev/null || fail "cannot import $static on h1"
	node_docker h1 push "$static" >/dev/null || fail "cannot push $static"
	for n in h1 h2; do
		node_docker "$n" rmi "$static" >/dev/null 2>&1
		CLEANUP+=("node_docker $n rmi $static")
	done
	alloc 2 --launcher-addr "$here" --image "$static" -n 4 /prog
	expect_rc 1
	expect_err "^cmpi-container on h[12]: image '$static' not found on this node's engine at unix://.*\(--pull pulls it\)$"
	no_leftovers
	alloc 2 --launcher-addr "$here" --pull --image "$static" -n 4 /prog
	expect_rc 0
	for n in h1 h2; do
		expect_err "^cmpi-container on $n: pulled $static in [0-9.]+ s$"
		node_docker "$n" image inspect "$static" >/dev/null 2>&1 || fail "$n's engine has no $static"
	done
	for i in 0 1 2 3; do
		[ "$(grep -cx "rank $i of 4" "$OUT")" -eq 1 ] || fail "--pull: rank $i did not say its rank once"
	done
	no_leftovers
	echo "--pull on 2 nodes: each node's engine pulled the image: ok"
}
if [ "$case_name" = image ]; then
	image_case
	exit 0
fi

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

# 3. --dry-run shows the allocation's nodes.
alloc 2 --dry-run -n 4 "$BIN/hello.openmpi"
expect_rc 0
grep -qx "node 1 h2 (2 slots) (Slurm allocation: srun starts its agent): 2 ranks 2-3" "$OUT" ||
	fail "--dry-run does not show the allocation"

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
