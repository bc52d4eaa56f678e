#!/usr/bin/env bash
# containers-vs-ssh.sh [ROUNDS] [RANKS] - MPI hello world (Open MPI, RANKS ranks, default 8)
# in containers, three ways, all in alternation:
#   - the container floor: `docker run --rm --network host IMG true`, and bare cmpirun;
#   - cmpirun --image with 1, 2 and RANKS containers (--agents);
#   - the seeds' way, what users do today (ssh-cluster.sh): containers running sshd on a
#     user-defined --internal network, a generated key, a hostfile, and mpirun over ssh
#     started in the first container. "cold" brings the cluster up, runs mpirun and removes
#     the cluster (what cmpirun --image does too); "warm" is only `docker exec head mpirun`
#     against a cluster that is already up.
# Prints the table and the aims: cmpirun --image within 50 ms of floor + bare cmpirun, and
# at most a third of the ssh cluster's (cold) time. ssh-cluster.sh builds
# cmpi-bench/bookworm-ssh:1 with mmdebstrap the first time (openssh-server's own install makes
# its host keys, baked into the image as the seeds do); everything is removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../build}
build=$(cd "$build" && pwd)
cmpirun=${CMPIRUN:-$build/bin/cmpirun}
cd "$build" # containers see the working directory: the programs must be under it
hello=$build/test-mpi/hello.openmpi
image=cmpi-test/bookworm-mpi:1
cluster="bash $here/ssh-cluster.sh"

rounds=${1:-11}
RANKS=${2:-8}
for f in "$cmpirun" "$hello"; do
	[ -x "$f" ] || { echo "containers-vs-ssh.sh: $f missing: build first (scripts/build.sh)" >&2; exit 1; }
done
docker image inspect "$image" >/dev/null 2>&1 || { echo "containers-vs-ssh.sh: no $image (scripts/test-images.sh)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/cmpi-bench-ssh.XXXXXX)
medians=$(mktemp)
trap '$cluster teardown "$WORK"; rm -f "$medians"' EXIT
$cluster setup "$WORK" "$build"

# The warm clusters stay up through the rounds; first, a check that mpirun over ssh
# really runs every rank.
for k in 1 2 "$RANKS"; do $cluster up "$WORK" "warm${k}x" "$k" "$RANKS"; done
lines=$($cluster run "$WORK" warm2x "$RANKS" "$hello" | grep -c '^hello from rank')
[ "$lines" -eq "$RANKS" ] || { echo "containers-vs-ssh.sh: mpirun over ssh gave $lines of $RANKS hellos" >&2; exit 1; }

warm() { echo "docker exec warm${1}x0 mpirun --allow-run-as-root --hostfile /keys/hosts.warm${1}x -n $RANKS $hello"; }
echo "# MPI hello world (Open MPI), $RANKS ranks, $rounds alternating rounds, $(date -u +%Y-%m-%d), $(nproc) CPUs"
MEDIANS=$medians bash "$here/alternate.sh" "$rounds" \
	"docker run --rm (floor)" "docker run --rm --network host $image true" \
	"cmpirun (bare)" "$cmpirun -n $RANKS $hello" \
	"cmpirun --image" "$cmpirun -n $RANKS --image $image $hello" \
	"cmpirun --image --agents 2" "$cmpirun -n $RANKS --agents 2 --image $image $hello" \
	"cmpirun --image --agents $RANKS" "$cmpirun -n $RANKS --agents $RANKS --image $image $hello" \
	"ssh cluster, 1 container, cold" "$cluster cold $WORK 1 $RANKS $hello" \
	"ssh cluster, 2 containers, cold" "$cluster cold $WORK 2 $RANKS $hello" \
	"ssh cluster, $RANKS containers, cold" "$cluster cold $WORK $RANKS $RANKS $hello" \
	"ssh cluster, 1 container, warm" "$(warm 1)" \
	"ssh cluster, 2 containers, warm" "$(warm 2)" \
	"ssh cluster, $RANKS containers, warm" "$(warm "$RANKS")"
echo
awk -F'\t' '{ m[NR] = $2 } END {
	printf "cmpirun --image - (floor + bare cmpirun): %+.0f ms (aim: <= +50 ms)\n", m[3] - (m[1] + m[2])
	printf "cmpirun --image / ssh cluster cold: 1 container %.3f, 2 containers %.3f, %d containers %.3f (aim: <= 0.333)\n", m[3] / m[6], m[4] / m[7], '"$RANKS"', m[5] / m[8]
	printf "cmpirun --image / ssh cluster warm: 1 container %.3f, 2 containers %.3f, %d containers %.3f\n", m[3] / m[9], m[4] / m[10], '"$RANKS"', m[5] / m[11] }' "$medians"
echo "(the cold ssh rows include starting bash, a few ms)"
