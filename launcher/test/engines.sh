#!/usr/bin/env bash
# engines.sh CASE - cmpirun against engines and registries the test starts itself, on this
# machine only:
#   pull    a registry (Debian's docker-registry) on 127.0.0.1, and --pull from it
#   remote  a second dockerd with TLS in a network namespace of its own (an engine on
#           "another host"): the agent bundle goes in through the archive endpoint, and
#           the agents reach cmpirun at this host's address on the veth pair
#   lost    that engine killed mid-job (its socket gone), then restarted mid-job
#           (SIGTERM and started again)
#   hosts   four such "hosts" on a bridge, one job across them each through its own
#           engine; this host's engine and another's in one job; a host whose engine
#           is down; TLS files per host (certs=); a host lost mid-job (every process
#           on it killed); --cleanup with the hosts' file on the engines of two of them
#   hosts_mpi  test-mpi's hello, ring and allreduce (Open MPI and MPICH) across 2 and
#           4 such hosts, the programs uploaded with --stage; allreduce over an allgather
#           tree of the 4 hosts (--tree-fanout 1)
# Skipped (77) without a Docker engine, or without the tools a case needs.
set -u

CMPIRUN=${CMPIRUN:?set CMPIRUN to the cmpirun binary}
case_name=${1:?usage: engines.sh pull|remote|lost|hosts|hosts_mpi}
WORK=$(mktemp -d /tmp/cmpi-engines.XXXXXX)
OUT=$WORK/out
ERR=$WORK/err
CLEANUP=() # commands run at exit, last first

at_exit() {
	for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[$i]}" >/dev/null 2>&1; done
	rm -rf "$WORK"
}
trap at_exit EXIT

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout (first 20 lines)" >&2; head -n 20 "$OUT" >&2 2>/dev/null
	echo "--- stderr (first 40 lines)" >&2; head -n 40 "$ERR" >&2 2>/dev/null
	exit 1
}
skip() { echo "SKIP: $*"; exit 77; }

# run_job ARGS...: cmpirun -v ARGS; sets RC and JOB (the job id from the verbose log).
run_job() {
	"$CMPIRUN" -v "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
	JOB=$(sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\)[: ].*/\1/p' "$ERR" | head -n 1)
}
# run_tls_job ARGS...: run_job with the test bed's client certificate.
run_tls_job() { DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$certs run_job "$@"; }
expect_rc() { [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1"; }
expect_err() { grep -qE -- "$1" "$ERR" || fail "stderr lacks: $1"; }
expect_ranks() { # N: lines "rank I of N" for every I, once each
	local i
	for ((i = 0; i < $1; i++)); do
		[ "$(grep -cx "rank $i of $1" "$OUT")" -eq 1 ] || fail "rank $i did not say hello once"
	done
}
# No container of the last job is left on the engine (docker ARGS... names it), within 5 s.
no_containers_left() {
	[ -n "$JOB" ] || fail "no job id in the verbose log"
	for _ in $(seq 1 50); do
		[ -z "$("$@" ps -aq --filter "label=cmpi.job=$JOB")" ] && return 0
		sleep 0.1
	done
	fail "containers of job $JOB left: $("$@" ps -aq --filter "label=cmpi.job=$JOB" | tr '\n' ' ')"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# An image of one static program, /prog, that prints "rank R of N": it runs in any
# container, with no libraries and no working directory of ours.
static_image() { # NAME
	mkdir -p "$WORK/root/tmp"
	printf '%s\n' '#include <stdio.h>' '#include <stdlib.h>' \
		'#include <unistd.h>' \
		'int main(void) {' \
		'	char ns[64] = "";' \
		'	if (readlink("/proc/self/ns/net", ns, sizeof ns - 1) < 0) return 1;' \
		'	printf("rank %s of %s\n", getenv("CMPI_RANK"), getenv("CMPI_SIZE"));' \
		'	fprintf(stderr, "netns %s\n", ns);' \
		'	fflush(stdout);' \
		'	if (getenv("SLEEP")) sleep(atoi(getenv("SLEEP")));' \
		'	return 0;' \
		'}' |
		gcc -static -O2 -x c -o "$WORK/root/prog" - || skip "no static C library (libc6-dev)"
	tar -C "$WORK/root" -c . | docker import - "$1" >/dev/null || fail "cannot import $1"
}

# The test bed: N "other hosts", each a network namespace on a bridge of this host's
# ($here), with its own dockerd (and host name, hI) and TLS both ways at 198.18.251.(I+1). Sets here, certs,
# HOST_NS[I], HOST_ADDR[I] and HOST_ENGINE[I] (dockerd's pid) for I in 1..N.
hosts_up() { # N
	local n=$1 i
	command -v openssl >/dev/null || skip "no openssl"
	command -v nsenter >/dev/null || skip "no nsenter"
	command -v iptables >/dev/null || skip "no iptables"
	# A dockerd uses a running system containerd, whose shims would start the
	# containers in this host's network namespace: no "other host" then.
	[ -S /run/containerd/containerd.sock ] && skip "a system containerd runs here"
	# One test bed at a time on this machine (the engines' data directories
	# keep the MPI image between runs: loading it takes about 15 s).
	exec 9>/var/lib/cmpi-test-engine2.lock
	flock -w 300 9 || fail "another test bed holds /var/lib/cmpi-test-engine2.lock"

	here=198.18.251.1 bridge=cmpib$$
	ip link add "$bridge" type bridge || skip "cannot create a bridge"
	CLEANUP+=("ip link del $bridge")
	ip addr add "$here/24" dev "$bridge"
	ip link set "$bridge" up
	# Docker's FORWARD policy drops what crosses a bridge (br_netfilter):
	# let this one pass, host to host.
	iptables -I FORWARD -i "$bridge" -o "$bridge" -j ACCEPT || fail "cannot add the FORWARD rule"
	CLEANUP+=("iptables -D FORWARD -i $bridge -o $bridge -j ACCEPT")

	# TLS both ways, as DOCKER_TLS_VERIFY asks: a CA, one engine certificate
	# for every host's address, and ours.
	certs=$WORK/certs
	mkdir -p "$certs"
	local sans="IP:198.18.251.2"
	for ((i = 2; i <= n; i++)); do sans+=",IP:198.18.251.$((i + 1))"; done
	(
		cd "$certs" &&
			openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj /CN=cmpi-test-ca &&
			openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=cmpi-test-engine &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 \
				-out server-cert.pem -extfile <(echo "subjectAltName=$sans") &&
			openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=cmpirun &&
			openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 \
				-out cert.pem -extfile <(echo "extendedKeyUsage=clientAuth")
	) >/dev/null 2>&1 || fail "cannot make the certificates"
	for ((i = 1; i <= n; i++)); do
		HOST_NS[i]=cmpi-h$i-$$ HOST_ADDR[i]=198.18.251.$((i + 1))
		ip netns add "${HOST_NS[i]}" || skip "cannot create a network namespace"
		CLEANUP+=("ip netns del ${HOST_NS[i]}")
		ip link add "cmpi$$h$i" type veth peer name "cmpi$$p$i" || fail "cannot create a veth pair"
		CLEANUP+=("ip link del cmpi$$h$i")
		ip link set "cmpi$$h$i" master "$bridge" up
		ip link set "cmpi$$p$i" netns "${HOST_NS[i]}"
		ip -n "${HOST_NS[i]}" addr add "${HOST_ADDR[i]}/24" dev "cmpi$$p$i"
		ip -n "${HOST_NS[i]}" link set "cmpi$$p$i" up
		ip -n "${HOST_NS[i]}" link set lo up
	done
	for ((i = 1; i <= n; i++)); do host_start "$i"; done
}

# Starts (or starts again) host I's dockerd on its data directory.
host_start() { # I
	local i=$1
	# `ip netns exec` remounts /sys and dockerd then fails; nsenter does not. A UTS
	# namespace of its own names the host hI (its containers share the host's name).
	nsenter --net="/run/netns/${HOST_NS[i]}" unshare --uts sh -c 'hostname "$0" && exec "$@"' "h$i" \
		dockerd --data-root "/var/lib/cmpi-test-engine$((i + 1))" \
		--exec-root "$WORK/exec$i" --pidfile "$WORK/dockerd$i.pid" -H "tcp://${HOST_ADDR[i]}:2376" \
		--tlsverify --tlscacert "$certs/ca.pem" --tlscert "$certs/server-cert.pem" \
		--tlskey "$certs/server-key.pem" --bridge none --iptables=false --ip-masq=false \
		>"$WORK/dockerd$i.log" 2>&1 </dev/null 9>&- &
	HOST_ENGINE[i]=$!
	# dockerd leaves its namespace bind-mounted under the exec root, which
	# would keep the namespace (and the veth pair) alive.
	CLEANUP+=("umount $WORK/exec$i/netns/default")
	CLEANUP+=("kill ${HOST_ENGINE[i]}; wait ${HOST_ENGINE[i]}")
	wait_engine "$i" || { cat "$WORK/dockerd$i.log" >&2; fail "host $i's engine did not answer"; }
}
wait_engine() { # I
	for _ in $(seq 1 100); do host_docker "$1" version >/dev/null 2>&1 && return 0; sleep 0.2; done
	return 1
}
# host_docker I ARGS...: the docker CLI against host I's engine.
host_docker() {
	local i=$1
	shift
	DOCKER_HOST="tcp://${HOST_ADDR[i]}:2376" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$certs" docker "$@"
}
# Loads image NAME from this host's engine into every host's that lacks it, at once.
hosts_load() { # NAME N
	local i loads=()
	for ((i = 1; i <= $2; i++)); do
		host_docker "$i" image inspect "$1" >/dev/null 2>&1 && continue
		[ -f "$WORK/image.tar" ] || docker save "$1" >"$WORK/image.tar" || fail "cannot save $1"
		host_docker "$i" load -i "$WORK/image.tar" >/dev/null &
		loads+=($!)
	done
	for i in "${loads[@]}"; do wait "$i"; done
	for ((i = 1; i <= $2; i++)); do
		host_docker "$i" image inspect "$1" >/dev/null 2>&1 || fail "cannot load $1 on host $i"
	done
	rm -f "$WORK/image.tar"
}

# A second engine, "another host": host 1 of a test bed of one. Sets ns, here, there,
# certs, remote (the docker CLI's environment for it) and engine (dockerd's pid).
engine2_up() {
	hosts_up 1
	ns=${HOST_NS[1]} there=${HOST_ADDR[1]} engine=${HOST_ENGINE[1]}
	remote=(env DOCKER_HOST="tcp://$there:2376" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$certs")
}
engine2_start() {
	host_start 1
	engine=${HOST_ENGINE[1]}
}

docker info >/dev/null 2>&1 || skip "no Docker engine (scripts/engine.sh)"

case $case_name in
pull)
	command -v docker-registry >/dev/null || skip "no docker-registry (apt-get install docker-registry)"
	port=$(free_port)
	cat >"$WORK/registry.yml" <<-EOF
		version: 0.1
		log: {level: warn}
		storage: {filesystem: {rootdirectory: $WORK/registry}}
		http: {addr: 127.0.0.1:$port}
	EOF
	docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
	registry=$!
	CLEANUP+=("kill $registry; wait $registry")
	image=127.0.0.1:$port/cmpi-test/static:1
	CLEANUP+=("docker rmi $image")
	for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
	curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || { cat "$WORK/registry.log" >&2; fail "the registry did not answer"; }
	static_image "$image"
	docker push "$image" >/dev/null || fail "cannot push to the test registry"
	docker rmi "$image" >/dev/null

	# Missing, and no --pull: said, and nothing asked of the registry.
	run_job -n 2 --image "$image" /prog
	expect_rc 1
	expect_err "^cmpirun: image '$image' not found on the engine at unix://.*\(--pull pulls it\)$"
	docker image inspect "$image" >/dev/null 2>&1 && fail "pulled without --pull"

	# --pull: progress on stderr (not a terminal: a line per layer), then the job.
	run_job -n 2 --pull --image "$image" /prog
	expect_rc 0
	expect_err "^cmpirun: image '$image' is not on the engine at unix://.*; pulling it$"
	expect_err "^cmpirun: pulling $image: 1 of 1 layers$"
	expect_err "^cmpirun: pulled $image in [0-9.]+ s$"
	expect_ranks 2
	no_containers_left docker

	# A tag the registry does not have: the engine's and the registry's words.
	run_job -n 2 --pull --image "127.0.0.1:$port/cmpi-test/static:404" /prog
	expect_rc 1
	expect_err "^cmpirun: cannot pull the image: the engine at unix://.* said 404: .*manifest unknown"
	;;
remote)
	engine2_up
	# Without the TLS settings the engine is not reached, and cmpirun says where.
	run_job -n 1 --engine "tcp://$there:2376" --image cmpi-test/static:1 /prog
	expect_rc 1
	expect_err "^cmpirun: .*tcp://$there:2376"

	# A static program: nothing of ours is mounted there, the bundle is uploaded.
	static_image cmpi-test/static:1 # on the local engine, then moved over
	docker save cmpi-test/static:1 | "${remote[@]}" docker load >/dev/null || fail "cannot load the image"
	docker rmi cmpi-test/static:1 >/dev/null
	run_tls_job -n 3 --agents 2 --engine "tcp://$there:2376" --image cmpi-test/static:1 /prog
	expect_rc 0
	expect_ranks 3
	expect_err "control server on $here:[0-9]+$"
	# The ranks ran in the other "host's" network namespace, not this one's.
	there_ns=$(ip netns exec "$ns" readlink /proc/self/ns/net)
	[ "$(grep -cxF "netns $there_ns" "$ERR")" -eq 3 ] || fail "the ranks did not run in $ns ($there_ns)"
	no_containers_left "${remote[@]}" docker

	# MPI there, the image's own Open MPI and mpi4py: a checked allreduce over
	# two containers.
	if ! "${remote[@]}" docker image inspect cmpi-test/bookworm-mpi:1 >/dev/null 2>&1; then
		docker image inspect cmpi-test/bookworm-mpi:1 >/dev/null 2>&1 || skip "no image cmpi-test/bookworm-mpi:1"
		docker save cmpi-test/bookworm-mpi:1 | "${remote[@]}" docker load >/dev/null || fail "cannot load the MPI image"
	fi
	run_tls_job -n 4 --agents 2 --engine "tcp://$there:2376" --image cmpi-test/bookworm-mpi:1 \
		python3 -c 'from mpi4py import MPI; c = MPI.COMM_WORLD; print("rank %d of %d sum %d" % (c.rank, c.size, c.allreduce(c.rank)))'
	expect_rc 0
	[ "$(grep -c '^rank [0-3] of 4 sum 6$' "$OUT")" -eq 4 ] || fail "the allreduce did not give 6 on every rank"
	no_containers_left "${remote[@]}" docker
	"${remote[@]}" docker rmi cmpi-test/static:1 >/dev/null
	;;
lost)
	# The engine's socket gone mid-job (its dockerd killed), then the engine
	# restarted mid-job. The agents talk to cmpirun directly, not through the
	# engine.
	engine2_up
	static_image cmpi-test/static:1
	docker save cmpi-test/static:1 | "${remote[@]}" docker load >/dev/null || fail "cannot load the image"
	docker rmi cmpi-test/static:1 >/dev/null
	CLEANUP+=("${remote[*]} docker rmi cmpi-test/static:1")
	tls=(env DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$certs")
	job_args=(-v -n 2 --agents 2 --timeout 60 --engine "tcp://$there:2376" --image cmpi-test/static:1)
	wait_ranks() { # both ranks said hello
		for _ in $(seq 1 200); do
			[ "$(grep -c '^rank [01] of 2$' "$OUT")" -eq 2 ] && return 0
			sleep 0.05
		done
		fail "the ranks did not start"
	}

	# 1. Gone until the job ends: the job runs to its end, and cmpirun says it
	# could not remove the containers, and how to.
	"${tls[@]}" "$CMPIRUN" "${job_args[@]}" -x SLEEP=3 /prog >"$OUT" 2>"$ERR" </dev/null &
	job=$!
	wait_ranks
	JOB=$(sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\)[: ].*/\1/p' "$ERR" | head -n 1)
	# A crash: dockerd and its containerd killed; the containers' shims live on.
	containerd=$(cat "$WORK/exec1/containerd/containerd.pid" 2>/dev/null)
	kill -KILL "$engine"
	wait "$engine" 2>/dev/null
	[ -n "$containerd" ] && kill -KILL "$containerd" 2>/dev/null
	t0=$(date +%s%N)
	wait "$job"
	RC=$?
	echo "socket gone: the job ended $((($(date +%s%N) - t0) / 1000000)) ms after, status $RC"
	expect_rc 0
	expect_err "^cmpirun: .*tcp://$there:2376"
	expect_err "run 'cmpirun --cleanup --engine tcp://$there:2376' once it answers"
	engine2_start
	# As cmpirun said: --cleanup once the engine is back.
	"${tls[@]}" "$CMPIRUN" --cleanup --engine "tcp://$there:2376" >"$OUT" 2>"$ERR" || fail "--cleanup failed"
	no_containers_left "${remote[@]}" docker

	# 2. Restarted mid-job (as a service manager does it: SIGTERM, then start):
	# an engine without live-restore stops its containers when it shuts down:
	# each agent gets SIGTERM, passes it to its ranks, and the job ends as one
	# whose ranks were terminated.
	"${tls[@]}" "$CMPIRUN" "${job_args[@]}" -x SLEEP=30 /prog >"$OUT" 2>"$ERR" </dev/null &
	job=$!
	wait_ranks
	JOB=$(sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\)[: ].*/\1/p' "$ERR" | head -n 1)
	t0=$(date +%s%N)
	kill -TERM "$engine"
	wait "$engine" 2>/dev/null
	engine2_start
	wait "$job"
	RC=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "engine restarted: the job ended $ms ms after the kill, status $RC"
	[ "$ms" -lt 20000 ] || fail "the job ran on for $ms ms after its containers were stopped"
	expect_rc 143
	expect_err "^cmpirun: rank [01] on node [01] \(pid [0-9]+\) killed by signal 15"
	"${tls[@]}" "$CMPIRUN" --cleanup --engine "tcp://$there:2376" >/dev/null 2>&1
	no_containers_left "${remote[@]}" docker
	;;
hosts)
	hosts_up 4
	static_image cmpi-test/static:1 # here, then on every host
	CLEANUP+=("docker rmi cmpi-test/static:1")
	hosts_load cmpi-test/static:1 4
	for i in 1 2 3 4; do
		CLEANUP+=("host_docker $i rmi cmpi-test/static:1")
		echo "h$i slots=2 engine=tcp://${HOST_ADDR[i]}:2376" >>"$WORK/hosts4"
		HOST_NETNS[i]=$(ip netns exec "${HOST_NS[i]}" readlink /proc/self/ns/net)
	done
	head -n 3 "$WORK/hosts4" >"$WORK/hosts3"
	no_containers_on() { # I: the last job left nothing on host I
		JOB=$JOB no_containers_left host_docker "$1"
	}

	# 1. Eight ranks on four hosts, two on each, in that host's network
	# namespace; the agents reach cmpirun on the bridge.
	run_tls_job -n 8 --hostfile "$WORK/hosts4" --image cmpi-test/static:1 /prog
	expect_rc 0
	expect_ranks 8
	expect_err "control server on $here:[0-9]+$"
	for i in 1 2 3 4; do
		[ "$(grep -cxF "netns ${HOST_NETNS[i]}" "$ERR")" -eq 2 ] || fail "host h$i did not run 2 ranks"
		no_containers_on "$i"
	done

	# 1b. TLS files per host (certs=DIR in the hostfile), with no DOCKER_CERT_PATH
	# or DOCKER_TLS_VERIFY: each host's engine is reached with its own directory.
	# A directory without the right files is that host's error, before anything starts.
	for i in 1 2; do
		mkdir -p "$WORK/certs-h$i"
		cp "$certs"/*.pem "$WORK/certs-h$i/"
		echo "h$i slots=1 engine=tcp://${HOST_ADDR[i]}:2376 certs=$WORK/certs-h$i" >>"$WORK/hosts-certs"
	done
	run_job -n 2 --hostfile "$WORK/hosts-certs" --image cmpi-test/static:1 /prog
	expect_rc 0
	expect_ranks 2
	rm "$WORK/certs-h2/key.pem"
	run_job -n 2 --hostfile "$WORK/hosts-certs" --image cmpi-test/static:1 /prog
	expect_rc 1
	expect_err "^cmpirun: host 'h2': .*tcp://${HOST_ADDR[2]//./\\.}:2376"
	no_containers_on 1

	# 2. This host's engine and another host's in one job (-H and --engine
	# HOST=URL): one rank here, one on h1.
	here_netns=$(readlink /proc/self/ns/net)
	run_tls_job -n 2 -H localhost,h1 --engine "h1=tcp://${HOST_ADDR[1]}:2376" --image cmpi-test/static:1 /prog
	expect_rc 0
	expect_ranks 2
	grep -qxF "netns $here_netns" "$ERR" || fail "no rank ran on this host"
	grep -qxF "netns ${HOST_NETNS[1]}" "$ERR" || fail "no rank ran on h1"
	no_containers_on 1
	no_containers_left docker

	# 3. A host whose engine is down: said before any container starts anywhere.
	kill -TERM "${HOST_ENGINE[4]}"
	wait "${HOST_ENGINE[4]}"
	run_tls_job -n 8 --hostfile "$WORK/hosts4" --image cmpi-test/static:1 /prog
	expect_rc 1
	expect_err "^cmpirun: host 'h4': .*tcp://${HOST_ADDR[4]}:2376"
	for i in 1 2 3; do
		[ -z "$(host_docker "$i" ps -aq --filter label=cmpi.job)" ] || fail "a container was started on h$i"
	done

	# 4. A host lost mid-job: every process of h3 (its engine, the agent and
	# ranks of its container) killed. The job ends, says which node went, and
	# the other hosts' containers go.
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$certs "$CMPIRUN" -v -n 6 --timeout 60 --hostfile "$WORK/hosts3" \
		--image cmpi-test/static:1 -x SLEEP=30 /prog >"$OUT" 2>"$ERR" </dev/null &
	job=$!
	for _ in $(seq 1 200); do
		[ "$(grep -c '^rank [0-5] of 6$' "$OUT")" -eq 6 ] && break
		sleep 0.05
	done
	[ "$(grep -c '^rank [0-5] of 6$' "$OUT")" -eq 6 ] || fail "the ranks did not start"
	JOB=$(sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\)[: ].*/\1/p' "$ERR" | head -n 1)
	t0=$(date +%s%N)
	# Only what runs in the test's own namespace: all of it started by this test.
	kill -KILL $(ip netns pids "${HOST_NS[3]}")
	wait "$job"
	RC=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "host lost: the job ended $ms ms after, status $RC, saying:"
	grep -v '^\[ *[0-9.]* ms\]' "$ERR" | grep -v '^netns ' | head -n 5
	[ "$RC" -ne 0 ] && [ "$RC" -ne 124 ] || fail "exit status $RC after a host was lost"
	[ "$ms" -lt 20000 ] || fail "the job ran on for $ms ms after a host was lost"
	expect_err "^cmpirun: lost the agent of node 2 \(h3\)"
	no_containers_on 1
	no_containers_on 2
	# The lost host's agent left its directory in that host's /dev/shm, which in this
	# bed is this machine's (host IPC): gone with a real host; here, ours to remove.
	# The other hosts' agents left nothing.
	left=$(ls -d /dev/shm/cmpi-"$JOB"-* /tmp/cmpi-"$JOB"-* 2>/dev/null | grep -v "^/dev/shm/cmpi-$JOB-2-")
	rm -rf /dev/shm/cmpi-"$JOB"-2-*
	[ -z "$left" ] || fail "left by the other hosts' agents: $left"

	# --cleanup with the hosts' file goes to every host's engine: a container on h1
	# and one on h2 labelled as a job of a cmpirun of this host that is gone (the
	# pid of a process that has exited), and one of a cmpirun still running (ours).
	true &
	dead=$!
	wait "$dead"
	for i in 1 2; do
		host_docker "$i" create --label cmpi.job=cleanup-test \
			--label "cmpi.launcher=$(hostname)/$dead/1" cmpi-test/static:1 /prog >/dev/null ||
			fail "cannot create a container on h$i"
	done
	host_docker 1 create --label cmpi.job=cleanup-test \
		--label "cmpi.launcher=$(hostname)/$$/$(awk '{print $22}' /proc/$$/stat)" \
		cmpi-test/static:1 /prog >/dev/null || fail "cannot create a container on h1"
	CLEANUP+=("host_docker 1 rm -f \$(host_docker 1 ps -aq --filter label=cmpi.job=cleanup-test)")
	head -n 2 "$WORK/hosts4" >"$WORK/hosts2"
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$certs "$CMPIRUN" --cleanup --hostfile "$WORK/hosts2" \
		>"$OUT" 2>"$ERR"
	RC=$?
	expect_rc 0
	for i in 1 2; do
		grep -qx "cmpirun: removed 1 container of finished jobs on tcp://${HOST_ADDR[i]}:2376.*" \
			"$OUT" || fail "--cleanup did not say it removed h$i's container"
	done
	grep -q "; kept 1 of jobs still running" "$OUT" || fail "--cleanup did not keep the live job's"
	[ "$(host_docker 1 ps -aq --filter label=cmpi.job=cleanup-test | wc -l)" -eq 1 ] ||
		fail "h1 does not have exactly the live job's container left"
	[ -z "$(host_docker 2 ps -aq --filter label=cmpi.job=cleanup-test)" ] ||
		fail "h2's container is still there"
	echo "--cleanup over the engines of 2 hosts: ok"
	;;
hosts_mpi)
	bin=${TEST_MPI_BIN:?set TEST_MPI_BIN to the build directory of test-mpi}
	image=cmpi-test/bookworm-mpi:1
	docker image inspect "$image" >/dev/null 2>&1 || skip "no image $image (scripts/test-images.sh)"
	hosts_up 4
	hosts_load "$image" 4
	for n in 2 4; do
		: >"$WORK/hosts$n"
		for ((i = 1; i <= n; i++)); do
			echo "h$i slots=$((4 / n)) engine=tcp://${HOST_ADDR[i]}:2376" >>"$WORK/hosts$n"
		done
		for mpi in openmpi mpich; do
			for prog in hello ring allreduce; do
				[ -x "$bin/$prog.$mpi" ] || fail "no $bin/$prog.$mpi"
				run_tls_job -n 4 --hostfile "$WORK/hosts$n" --image "$image" --stage "$bin/$prog.$mpi" \
					"./$prog.$mpi"
				expect_rc 0
				expect_err "all $n agents connected"
				case $prog in
				hello)
					# Each host's ranks on it, by its name.
					for ((i = 1; i <= n; i++)); do
						[ "$(grep -cE "^hello from rank [0-3] of 4 on h$i " "$OUT")" -eq $((4 / n)) ] ||
							fail "$prog.$mpi on $n hosts: not $((4 / n)) hellos on h$i"
					done
					;;
				ring) grep -qx 'ring ok: 10 laps, total 60' "$OUT" || fail "$prog.$mpi on $n hosts" ;;
				allreduce) grep -qx 'allreduce ok' "$OUT" || fail "$prog.$mpi on $n hosts" ;;
				esac
				echo "$prog.$mpi on $n hosts: ok"
				for ((i = 1; i <= n; i++)); do JOB=$JOB no_containers_left host_docker "$i"; done
			done
		done
	done
	# The allgather tree across hosts: a chain h1 <- h2 <- h3 <- h4, each agent
	# listening for its child on its host's own address.
	for mpi in openmpi mpich; do
		run_tls_job -n 4 --hostfile "$WORK/hosts4" --tree-fanout 1 --image "$image" \
			--stage "$bin/allreduce.$mpi" "./allreduce.$mpi"
		expect_rc 0
		grep -qx 'allreduce ok' "$OUT" || fail "allreduce.$mpi over the tree on 4 hosts"
		expect_err "allgather tree of 4 agents, fanout 1"
		for ((i = 2; i <= 4; i++)); do
			expect_err "cmpi-agent\\[$((i - 1))\\]: allgather tree: parent ${HOST_ADDR[i - 1]//./\\.}:[0-9]+,"
		done
		echo "allreduce.$mpi over a tree of 4 hosts: ok"
		for ((i = 1; i <= 4; i++)); do JOB=$JOB no_containers_left host_docker "$i"; done
	done
	;;
launch_ab)
	# Not a test (benchmarks/hosts-launch-ab.sh runs it): the launch of a static
	# program over the 4 hosts, R ranks a host, with cmpirun A ($CMPIRUN) and B
	# ($CMPIRUN_B) in turn, ROUNDS rounds (benchmarks/alternate.sh: min, median,
	# mean, max). Each build's ranks are checked once first.
	b=${CMPIRUN_B:?set CMPIRUN_B to the other cmpirun}
	hosts_up 4
	static_image cmpi-test/static:1
	CLEANUP+=("docker rmi cmpi-test/static:1")
	hosts_load cmpi-test/static:1 4
	for i in 1 2 3 4; do CLEANUP+=("host_docker $i rmi cmpi-test/static:1"); done
	export DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$certs
	for r in ${PER_HOST:-1 2}; do
		: >"$WORK/hosts"
		for i in 1 2 3 4; do echo "h$i slots=$r engine=tcp://${HOST_ADDR[i]}:2376" >>"$WORK/hosts"; done
		args="-n $((4 * r)) --hostfile $WORK/hosts --image cmpi-test/static:1 /prog"
		for bin in "$CMPIRUN" "$b"; do
			# shellcheck disable=SC2086 # args are words without spaces
			CMPIRUN=$bin run_job $args
			expect_rc 0
			expect_ranks $((4 * r))
		done
		echo "$r a host:"
		bash "$(dirname "$0")/../../benchmarks/alternate.sh" "${ROUNDS:-10}" A "$CMPIRUN $args" B "$b $args" ||
			fail "a run failed"
	done
	;;
*)
	echo "usage: engines.sh pull|remote|lost|hosts|hosts_mpi" >&2
	exit 2
	;;
esac
exit 0
