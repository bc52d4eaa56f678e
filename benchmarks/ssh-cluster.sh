#!/usr/bin/env bash
# ssh-cluster.sh - the seeds' way of running MPI in containers, for the benchmarks to compare
# with: containers running sshd on a --internal network, a generated key, a hostfile written
# the way users write it, and mpirun over ssh started in the first container.
#   ssh-cluster.sh setup WORK DIR          the image (built with mmdebstrap the first time),
#                                          a key and a network; DIR (read-only in every
#                                          container, at the same path) holds the programs
#   ssh-cluster.sh up WORK NAME K RANKS    K containers NAME0..NAMEK-1 answering ssh, and
#                                          their hostfile for RANKS ranks
#   ssh-cluster.sh run WORK NAME RANKS PROG ARGS...   mpirun in NAME0 over the hostfile
#   ssh-cluster.sh down WORK NAME K        removes the K containers
#   ssh-cluster.sh cold WORK K RANKS PROG ARGS...     up, run, down: what cmpirun --image
#                                          does in one command
#   ssh-cluster.sh teardown WORK           every container and the network of WORK, then WORK
# Everything is labelled cmpi.bench=ssh and cmpi.bench.work=WORK's name.
set -euo pipefail
ssh_image=cmpi-bench/bookworm-ssh:1
cmd=${1:?usage: ssh-cluster.sh setup|up|run|down|cold|teardown WORK ...}
work=${2:?WORK}
label=cmpi.bench.work=$(basename "$work")

load() {
	[ -f "$work/env" ] || { echo "ssh-cluster.sh: $work is not set up" >&2; exit 1; }
	# shellcheck source=/dev/null
	. "$work/env"
}

up() {
	local name=$1 k=$2 ranks=$3 i tries
	for ((i = 0; i < k; i++)); do
		docker run -d --rm --label cmpi.bench=ssh --label "$label" --network "$NET" \
			--name "$name$i" --hostname "$name$i" -v "$work/keys:/keys:ro" -v "$DIR:$DIR:ro" \
			"$ssh_image" sh -c 'mkdir -p /run/sshd /root/.ssh &&
				cp /keys/authorized_keys /keys/config /root/.ssh/ &&
				cp /keys/id /root/.ssh/id_ed25519 && chmod 600 /root/.ssh/* &&
				exec /usr/sbin/sshd -D -e' >/dev/null
	done
	# Every node answers ssh from the head: what mpirun's launch needs.
	for ((i = 0; i < k; i++)); do
		tries=0
		until docker exec "${name}0" ssh "$name$i" true 2>/dev/null; do
			((++tries < 200)) || { echo "ssh-cluster.sh: $name$i never answered ssh" >&2; return 1; }
			sleep 0.02
		done
	done
	# The hostfile users write by hand: each node with its share of the ranks.
	for ((i = 0; i < k; i++)); do
		echo "$name$i slots=$(((ranks + k - 1) / k))"
	done >"$work/keys/hosts.$name"
}

run() {
	local name=$1 ranks=$2
	shift 2
	docker exec "${name}0" mpirun --allow-run-as-root --hostfile "/keys/hosts.$name" -n "$ranks" "$@"
}

down() {
	local name=$1 k=$2 i ids=()
	for ((i = 0; i < k; i++)); do ids+=("$name$i"); done
	docker rm -f "${ids[@]}" >/dev/null 2>&1 || true
}

case $cmd in
setup)
	DIR=$(cd "${3:?DIR}" && pwd)
	if ! docker image inspect "$ssh_image" >/dev/null 2>&1; then
		echo "ssh-cluster.sh: building $ssh_image with mmdebstrap" >&2
		tar=$(mktemp /tmp/cmpi-ssh-image.XXXXXX)
		mmdebstrap --quiet --variant=apt --include=openssh-server,openmpi-bin,libopenmpi3 bookworm "$tar"
		docker import "$tar" "$ssh_image" >/dev/null
		rm -f "$tar"
	fi
	mkdir -p "$work/keys"
	ssh-keygen -q -t ed25519 -N '' -f "$work/keys/id" -C cmpi-bench
	cp "$work/keys/id.pub" "$work/keys/authorized_keys"
	printf 'Host *\n\tStrictHostKeyChecking no\n\tUserKnownHostsFile /dev/null\n\tLogLevel ERROR\n' \
		>"$work/keys/config"
	chmod 644 "$work/keys/id" # each container copies it and makes it 0600
	NET=cmpi-bench-$(basename "$work")
	docker network create --internal --label cmpi.bench=ssh --label "$label" "$NET" >/dev/null
	printf 'NET=%q\nDIR=%q\n' "$NET" "$DIR" >"$work/env"
	;;
up) load && up "${3:?NAME}" "${4:?K}" "${5:?RANKS}" ;;
run) load && run "${3:?NAME}" "${4:?RANKS}" "${@:5}" ;;
down) load && down "${3:?NAME}" "${4:?K}" ;;
cold)
	load
	k=${3:?K} ranks=${4:?RANKS}
	name=cold$$x
	trap 'down $name $k' EXIT
	up "$name" "$k" "$ranks"
	run "$name" "$ranks" "${@:5}"
	;;
teardown)
	ids=$(docker ps -aq --filter "label=$label")
	[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
	[ ! -f "$work/env" ] || { load && docker network rm "$NET" >/dev/null 2>&1 || true; }
	rm -rf "$work"
	;;
*)
	echo "usage: ssh-cluster.sh setup|up|run|down|cold|teardown WORK ..." >&2
	exit 2
	;;
esac
