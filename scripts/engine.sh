#!/usr/bin/env bash
# engine.sh - make sure a Docker engine answers on /var/run/docker.sock: install docker.io
# and start dockerd when there is none (root). Leaves a running engine alone.
set -euo pipefail
sock=/var/run/docker.sock

answers() { curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }

answers && exit 0
if ! command -v dockerd >/dev/null; then
	echo "engine.sh: installing docker.io"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends docker.io curl >/dev/null
fi
echo "engine.sh: starting dockerd (log: /var/log/cmpi-dockerd.log)"
setsid dockerd >/var/log/cmpi-dockerd.log 2>&1 </dev/null &
for _ in $(seq 1 150); do
	answers && exit 0
	sleep 0.2
done
echo "engine.sh: dockerd did not answer within 30 s; see /var/log/cmpi-dockerd.log" >&2
exit 1
