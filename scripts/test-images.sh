#!/usr/bin/env bash
# test-images.sh - build the container images the tests use, from Debian's packages with
# mmdebstrap (no registry is reachable), and `docker import` them; skips images already
# there. Uses this machine's apt sources: no mirror is named here.
#   cmpi-test/bookworm-mpi:1     Open MPI, MPICH, mpi4py, compilers (the host's release)
#   cmpi-test/bullseye-openmpi:1 Open MPI 4.1.0, glibc 2.31: older than the host
set -euo pipefail
work=$(mktemp -d /tmp/cmpi-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

build() {
	local name=$1 suite=$2 packages=$3
	if docker image inspect "$name" >/dev/null 2>&1; then
		return 0
	fi
	echo "test-images.sh: building $name ($suite: $packages)"
	mmdebstrap --quiet --variant=apt --include="$packages" "$suite" "$work/$suite.tar"
	docker import "$work/$suite.tar" "$name" >/dev/null
	rm -f "$work/$suite.tar"
}

build cmpi-test/bookworm-mpi:1 bookworm \
	openmpi-bin,libopenmpi-dev,mpich,libmpich-dev,python3-mpi4py,gcc,libc6-dev
build cmpi-test/bullseye-openmpi:1 bullseye openmpi-bin,libopenmpi-dev,gcc,libc6-dev
