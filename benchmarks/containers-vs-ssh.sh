#!/usr/bin/env bash
# containers-vs-ssh.sh [ROUNDS] [RANKS] - MPI hello world (Open MPI, RANKS ranks, default 8)
# in containers, three ways, all in alternation:
#   - the container floor: `docker run --rm --network host IMG true`, and bare cmpirun;
#   - cmpirun --image with 1, 2 and RANKS containers (--agents);
#   - the seeds' way, what users do today: containers running sshd on a user-defined
#     --internal network, a generated key, a hostfile, and mpirun over ssh started in the
#     first container. "cold" brings the cluster up, runs mpirun and removes the cluster
#     (what cmpirun --image does too); "warm" is only `docker exec head mpirun` against a
#     cluster that is already up.
# Prints the table and the aims: cmpirun --image within 50 ms of floor + bare cmpirun, and
# at most a third of the ssh cluster's (cold) time. Builds cmpi-bench/bookworm-ssh:1 with
# mmdebstrap the first time (openssh-server's own install makes its host keys, baked into
# the image as the seeds do). Everything it creates is labelled cmpi.bench=ssh and removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../build}
build=$(cd "$build" && pwd)
cmpirun=${CMPIRUN:-$build/bin/cmpirun}
cd "$build" # containers see the working directory: the programs must be under it
hello=$build/test-mpi/hello.openmpi
image=cmpi-test/bookworm-mpi:1
ssh_image=cmpi-bench/bookworm-ssh:1

# ---- the seeds' cluster (also run as `containers-vs-ssh.sh --cold K` by the harness) ----

# cluster_up PREFIX K: K sshd containers PREFIX0..PREFIXK-1 on $NET, answering ssh.
cluster_up() {
	local prefix=$1 k=$2 i
	for ((i = 0; i < k; i++)); do
		docker run -d --rm --label cmpi.bench=ssh --network "$NET" --name "$prefix$i" \
			--hostname "$prefix$i" -v "$KEYS:/keys:ro" -v "$build:$build:ro" "$ssh_image" \
			sh -c 'mkdir -p /run/sshd /root/.ssh && cp /keys/authorized_keys /keys/config /root/.ssh/ &&
			       cp /keys/id /root/.ssh/id_ed25519 && chmod 600 /root/.ssh/* &&
			       exec /usr/sbin/sshd -D -e' >/dev/null
	done
	# Every node answers ssh from the head: what mpirun's launch needs.
	for ((i = 0; i < k; i++)); do
		local tries=0
		until docker exec "${prefix}0" ssh "$prefix$i" true 2>/dev/null; do
			((++tries < 200)) || { echo "containers-vs-ssh.sh: $prefix$i never answered ssh" >&2; return 1; }
			sleep 0.02
		done
	done
	hostfile "$prefix" "$k" >"$KEYS/hosts.$prefix"
}

# The hostfile users write by hand: each node, with its share of the ranks.
hostfile() {
	local prefix=$1 k=$2 i
	for ((i = 0; i < k; i++)); do
		echo "$prefix$i slots=$(((RANKS + k - 1) / k))"
	done
}

cluster_mpirun() {
	local prefix=$1
	docker exec "${prefix}0" mpirun --allow-run-as-root --hostfile "/keys/hosts.$prefix" \
		-n "$RANKS" "$hello" >/dev/null
}

cluster_down() {
	local prefix=$1 k=$2 i ids=()
	for ((i = 0; i < k; i++)); do ids+=("$prefix$i"); done
	docker rm -f "${ids[@]}" >/dev/null 2>&1 || true
}

if [ "${1:-}" = --cold ]; then
	k=$2
	prefix=cold$$x
	trap 'cluster_down $prefix $k' EXIT
	cluster_up "$prefix" "$k"
	cluster_mpirun "$prefix"
	exit 0
fi

# ---- the benchmark ----
rounds=${1:-11}
RANKS=${2:-8}
for f in "$cmpirun" "$hello"; do
	[ -x "$f" ] || { echo "containers-vs-ssh.sh: $f missing: build first (scripts/build.sh)" >&2; exit 1; }
done
docker image inspect "$image" >/dev/null 2>&1 || { echo "containers-vs-ssh.sh: no $image (scripts/test-images.sh)" >&2; exit 1; }
if ! docker image inspect "$ssh_image" >/dev/null 2>&1; then
	echo "containers-vs-ssh.sh: building $ssh_image with mmdebstrap" >&2
	tar=$(mktemp /tmp/cmpi-ssh-image.XXXXXX)
	mmdebstrap --quiet --variant=apt --include=openssh-server,openmpi-bin,libopenmpi3 bookworm "$tar"
	docker import "$tar" "$ssh_image" >/dev/null
	rm -f "$tar"
fi

WORK=$(mktemp -d /tmp/cmpi-bench-ssh.XXXXXX)
KEYS=$WORK/keys
NET=cmpi-bench-$$
export NET KEYS RANKS
cleanup() {
	local ids
	ids=$(docker ps -aq --filter label=cmpi.bench=ssh)
	[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
	docker network rm "$NET" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$KEYS"
ssh-keygen -q -t ed25519 -N '' -f "$KEYS/id" -C cmpi-bench
cp "$KEYS/id.pub" "$KEYS/authorized_keys"
cat >"$KEYS/config" <<EOF
Host *
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	LogLevel ERROR
EOF
chmod 644 "$KEYS/id" # copied (and made 0600) by each container's start command
docker network create --internal --label cmpi.bench=ssh "$NET" >/dev/null

# The warm clusters stay up through the rounds; first, a check that mpirun over ssh
# really runs every rank.
for k in 1 2 "$RANKS"; do cluster_up "warm${k}x" "$k"; done
lines=$(docker exec warm2x0 mpirun --allow-run-as-root --hostfile /keys/hosts.warm2x -n "$RANKS" \
	"$hello" | grep -c '^hello from rank')
[ "$lines" -eq "$RANKS" ] || { echo "containers-vs-ssh.sh: mpirun over ssh gave $lines of $RANKS hellos" >&2; exit 1; }

warm() { echo "docker exec warm${1}x0 mpirun --allow-run-as-root --hostfile /keys/hosts.warm${1}x -n $RANKS $hello"; }
medians=$WORK/medians
echo "# MPI hello world (Open MPI), $RANKS ranks, $rounds alternating rounds, $(date -u +%Y-%m-%d), $(nproc) CPUs"
MEDIANS=$medians bash "$here/alternate.sh" "$rounds" \
	"docker run --rm (floor)" "docker run --rm --network host $image true" \
	"cmpirun (bare)" "$cmpirun -n $RANKS $hello" \
	"cmpirun --image" "$cmpirun -n $RANKS --image $image $hello" \
	"cmpirun --image --agents 2" "$cmpirun -n $RANKS --agents 2 --image $image $hello" \
	"cmpirun --image --agents $RANKS" "$cmpirun -n $RANKS --agents $RANKS --image $image $hello" \
	"ssh cluster, 1 container, cold" "bash $0 --cold 1" \
	"ssh cluster, 2 containers, cold" "bash $0 --cold 2" \
	"ssh cluster, $RANKS containers, cold" "bash $0 --cold $RANKS" \
	"ssh cluster, 1 container, warm" "$(warm 1)" \
	"ssh cluster, 2 containers, warm" "$(warm 2)" \
	"ssh cluster, $RANKS containers, warm" "$(warm "$RANKS")"
echo
awk -F'\t' '{ m[NR] = $2 } END {
	printf "cmpirun --image - (floor + bare cmpirun): %+.0f ms (aim: <= +50 ms)\n", m[3] - (m[1] + m[2])
	printf "cmpirun --image / ssh cluster cold: 1 container %.3f, 2 containers %.3f, %d containers %.3f (aim: <= 0.333)\n", m[3] / m[6], m[4] / m[7], '"$RANKS"', m[5] / m[8]
	printf "cmpirun --image / ssh cluster warm: 1 container %.3f, 2 containers %.3f, %d containers %.3f\n", m[3] / m[9], m[4] / m[10], '"$RANKS"', m[5] / m[11] }' "$medians"
echo "(the cold ssh rows include starting bash, a few ms)"
