#!/usr/bin/env bash
# deps.sh - install the Debian packages cmpirun needs to build and test (root; skips what is there).
set -euo pipefail

packages=(gcc libc6-dev make cmake pkg-config libevent-dev libcmocka-dev libpmix-dev libhwloc-dev hwloc-nox
	openmpi-bin libopenmpi-dev mpich libmpich-dev python3-mpi4py libcurl4-openssl-dev libjansson-dev
	curl mmdebstrap docker-registry openssl iproute2 gnuplot-nox libibverbs-dev
	dpkg-dev file man-db groff-base clang libclang-rt-dev valgrind
	slurmctld slurmd slurm-client munge)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# docker-registry's package starts a registry on :5000, all interfaces, and Slurm's and
# munge's start their daemons; the tests start their own, on 127.0.0.1 or in namespaces. Debian's policy-rc.d convention keeps packages from starting
# services while it is in place (only when there is none already).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
