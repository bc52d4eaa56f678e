#!/usr/bin/env bash
# podman.sh - make sure Podman's Docker-compatible service answers on /run/cmpi-podman.sock,
# with a tiny test image (three symlinks, no files: enough for create/inspect/remove). On these
# machines Podman's containers cannot start (setrlimit is refused), so only its API is tested.
set -euo pipefail
sock=/run/cmpi-podman.sock
image=localhost/cmpi-test/tiny:1

answers() { curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }

if ! command -v podman >/dev/null; then
	echo "podman.sh: installing podman"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends podman >/dev/null
fi
if ! answers; then
	rm -f "$sock"
	setsid podman system service --time=0 "unix://$sock" >/var/log/cmpi-podman.log 2>&1 </dev/null &
	for _ in $(seq 1 100); do answers && break; sleep 0.2; done
	answers || { echo "podman.sh: the service did not answer; see /var/log/cmpi-podman.log" >&2; exit 1; }
fi
if ! podman image exists "$image"; then
	root=$(mktemp -d /tmp/cmpi-tiny.XXXXXX)
	ln -s usr/bin "$root/bin"
	tar -C "$root" -c . | podman import - "$image" >/dev/null
	rm -rf "$root"
fi
