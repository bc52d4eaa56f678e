#!/usr/bin/env bash
# bundle-agent.sh AGENT OUT - the agent with everything it needs to run in any x86-64 image,
# whatever its glibc: OUT/bin/cmpi-agent, OUT/lib/ with its shared libraries, the libpmix
# plugins (and theirs) and the dynamic loader. Started as
#   OUT/lib/ld-linux-x86-64.so.2 --library-path OUT/lib OUT/bin/cmpi-agent ...
# so no variable points the ranks it execs at the bundle's libraries. OUT.tar holds the same
# files under .cmpi/, for engines on other hosts (unpacked at / through the archive endpoint).
set -euo pipefail
agent=$1
out=$2
plugins=$(pkg-config --variable=libdir pmix)/pmix

rm -rf "$out" "$out.tar"
mkdir -p "$out/bin" "$out/lib/pmix"
cp "$agent" "$out/bin/cmpi-agent"
cp "$plugins"/*.so "$out/lib/pmix/"

# Every library the agent and the plugins load, found the way the loader
# finds them here; vdso is the kernel's.
libs() {
	local f
	for f in "$@"; do
		ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && NF == 2 { print $1 }'
	done
}
libs "$agent" "$plugins"/*.so | sort -u | while read -r lib; do
	cp -L "$lib" "$out/lib/"
done
loader=$(ldd "$agent" | awk '$1 ~ /ld-linux/ { print $1 }')
cp -L "$loader" "$out/lib/ld-linux-x86-64.so.2"

tar -C "$(dirname "$out")" --transform "s,^$(basename "$out"),.cmpi," --owner=0 --group=0 \
	--numeric-owner -cf "$out.tar" "$(basename "$out")"
