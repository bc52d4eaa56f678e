#!/usr/bin/env bash
# engines.sh CASE - cmpirun against engines and registries the test starts itself, on this
# machine only:
#   pull    a registry (Debian's docker-registry) on 127.0.0.1, and --pull from it
#   remote  a second dockerd with TLS in a network namespace of its own (an engine on
#           "another host"): the agent bundle goes in through the archive endpoint, and
#           the agents reach cmpirun at this host's address on the veth pair
#   lost    that engine killed mid-job (its socket gone), then restarted mid-job
#           (SIGTERM and started again)
# Skipped (77) without a Docker engine, or without the tools a case needs.
set -u

CMPIRUN=${CMPIRUN:?set CMPIRUN to the cmpirun binary}
case_name=${1:?usage: engines.sh pull|remote|lost}
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

# A second engine, "another host": a dockerd with TLS in a network namespace of its own,
# reached at $there from this host's $here on a veth pair. Sets ns, here, there, certs,
# data, remote (the docker CLI's environment for it) and engine (dockerd's pid).
engine2_up() {
	command -v openssl >/dev/null || skip "no openssl"
	command -v nsenter >/dev/null || skip "no nsenter"
	# A dockerd uses a running system containerd, whose shims would start the
	# containers in this host's network namespace: no "other host" then.
	[ -S /run/containerd/containerd.sock ] && skip "a system containerd runs here"
	# One such engine at a time on this machine (its data directory keeps the
	# MPI image between runs: loading it takes about 15 s).
	data=/var/lib/cmpi-test-engine2
	mkdir -p "$data"
	exec 9>"$data.lock"
	flock -w 120 9 || fail "another remote-engine test holds $data.lock"

	# "Another host": a network namespace with a veth pair to this one.
	ns=cmpi-h2-$$ here=198.18.251.1 there=198.18.251.2
	ip netns add "$ns" || skip "cannot create a network namespace"
	CLEANUP+=("ip netns del $ns")
	ip link add "cmpi$$a" type veth peer name "cmpi$$b" || fail "cannot create a veth pair"
	CLEANUP+=("ip link del cmpi$$a")
	ip link set "cmpi$$b" netns "$ns"
	ip addr add "$here/24" dev "cmpi$$a"
	ip link set "cmpi$$a" up
	ip -n "$ns" addr add "$there/24" dev "cmpi$$b"
	ip -n "$ns" link set "cmpi$$b" up
	ip -n "$ns" link set lo up

	# TLS both ways, as DOCKER_TLS_VERIFY asks: a CA, the engine's certificate
	# for its address, and ours.
	certs=$WORK/certs
	mkdir -p "$certs"
	(
		cd "$certs" &&
			openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj /CN=cmpi-test-ca &&
			openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj "/CN=$there" &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 \
				-out server-cert.pem -extfile <(echo "subjectAltName=IP:$there") &&
			openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=cmpirun &&
			openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 \
				-out cert.pem -extfile <(echo "extendedKeyUsage=clientAuth")
	) >/dev/null 2>&1 || fail "cannot make the certificates"
	engine2_start
}

# Starts (or starts again) the second engine's dockerd on the same data directory.
engine2_start() {
	# `ip netns exec` remounts /sys and dockerd then fails; nsenter does not.
	nsenter --net="/run/netns/$ns" dockerd --data-root "$data" --exec-root "$WORK/exec" \
		--pidfile "$WORK/dockerd.pid" -H "tcp://$there:2376" --tlsverify \
		--tlscacert "$certs/ca.pem" --tlscert "$certs/server-cert.pem" --tlskey "$certs/server-key.pem" \
		--bridge none --iptables=false --ip-masq=false >"$WORK/dockerd.log" 2>&1 </dev/null 9>&- &
	engine=$!
	# dockerd leaves its namespace bind-mounted under the exec root, which
	# would keep the namespace (and the veth pair) alive.
	CLEANUP+=("umount $WORK/exec/netns/default")
	CLEANUP+=("kill $engine; wait $engine")
	remote=(env DOCKER_HOST="tcp://$there:2376" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$certs")
	for _ in $(seq 1 100); do "${remote[@]}" docker version >/dev/null 2>&1 && break; sleep 0.2; done
	"${remote[@]}" docker version >/dev/null 2>&1 || { cat "$WORK/dockerd.log" >&2; fail "the second engine did not answer"; }
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
	run_tls_job() { DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$certs run_job "$@"; }
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
	containerd=$(cat "$WORK/exec/containerd/containerd.pid" 2>/dev/null)
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
*)
	echo "usage: engines.sh pull|remote|lost" >&2
	exit 2
	;;
esac
exit 0
