#!/usr/bin/env bash
# test-install.sh layout|deb|completion BUILD - the installed tree, the .deb packages and the
# bash completion, checked from the outside (ctest label install).
#   layout      cmake --install into a temporary prefix: files where they belong, nothing
#               of the tests; the installed cmpirun runs a job and finds its agent and
#               bundle by itself; the manual page renders without warnings
#   deb         cpack -G DEB into a temporary directory: control fields and Depends,
#               contents, the extracted tree runs a job, apt-get can satisfy the Depends,
#               and the extracted tree runs the demo (8 ranks in containers; 77 without an engine)
#   completion  docs/cmpirun.bash in a plain bash: option names, their values, the program
set -euo pipefail
mode=$1
build=$(cd "$2" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)

tmp=$(mktemp -d /tmp/cmpi-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "test-install.sh $mode: FAIL: $*" >&2
	exit 1
}
must_exist() { # must_exist ROOT PATH...
	local root=$1 f
	shift
	for f in "$@"; do
		[ -e "$root/$f" ] || fail "$root/$f is missing"
	done
}
must_run() { # must_run PATH: ranks are found with nothing set, their output comes back
	local out
	out=$(cd "$tmp" && env -u CMPI_AGENT -u CMPI_AGENT_BUNDLE "$1" -n 2 /bin/true) ||
		fail "$1 -n 2 /bin/true exited $?"
	[ -z "$out" ] || fail "$1 -n 2 /bin/true printed '$out'"
	out=$(cd "$tmp" && env -u CMPI_AGENT -u CMPI_AGENT_BUNDLE "$1" -n 2 sh -c 'echo rank $CMPI_RANK' |
		sort | tr '\n' ' ')
	[ "$out" = "rank 0 rank 1 " ] || fail "$1 -n 2: ranks printed '$out'"
}
must_find_bundle() { # must_find_bundle PATH: --image gets past the bundle, to the engine
	local err
	err=$(cd "$tmp" && env -u CMPI_AGENT -u CMPI_AGENT_BUNDLE DOCKER_HOST= "$1" -n 1 \
		--image cmpi-none:0 --engine "unix://$tmp/no-engine.sock" /bin/true 2>&1) &&
		fail "$1 --image with no engine succeeded"
	case $err in
	*"agent bundle"*) fail "$1 did not find its agent bundle: $err" ;;
	*no-engine.sock*) ;;
	*) fail "$1 --image with no engine said: $err" ;;
	esac
}
version=$("$build/bin/cmpirun" --version | awk '{ print $NF }')

case $mode in
layout)
	p=$tmp/prefix
	cmake --install "$build" --prefix "$p" >/dev/null
	must_exist "$p" bin/cmpirun lib/cmpirun/cmpi-agent lib/cmpirun/cmpi-container \
		lib/cmpirun/cmpi-agent-bundle/bin/cmpi-agent \
		lib/cmpirun/cmpi-agent-bundle/lib/ld-linux-x86-64.so.2 lib/cmpirun/cmpi-agent-bundle.tar \
		lib/cmpirun/benchmarks/rawbench share/cmpirun/benchmarks/harness.py \
		share/cmpirun/benchmarks/plot.py share/man/man1/cmpirun.1 \
		share/bash-completion/completions/cmpirun share/doc/cmpirun/README.md
	for f in "$build"/benchmarks/*.openmpi "$build"/benchmarks/*.mpich; do
		[ -e "$f" ] && must_exist "$p" "lib/cmpirun/benchmarks/$(basename "$f")"
	done
	# Only cmpirun is a command; nothing of the tests is installed.
	[ "$(ls "$p/bin")" = cmpirun ] || fail "bin/ holds $(ls "$p/bin" | tr '\n' ' ')"
	extra=$(cd "$p" && find . -name 'test_*' -o -name pmix_fence -o -name 'hello*' \
		-o -name pmi1_real_mpich -o -name '*.a')
	[ -z "$extra" ] || fail "installed test programs: $extra"
	must_run "$p/bin/cmpirun"
	must_find_bundle "$p/bin/cmpirun"

	page=$p/share/man/man1/cmpirun.1
	grep -q "^\.TH CMPIRUN 1 .*\"cmpirun $version\"" "$page" ||
		fail "the manual page's .TH does not say cmpirun $version"
	if command -v man >/dev/null; then
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$tmp/page.txt") ||
			fail "man -l $page failed: $warn"
		[ -z "$warn" ] || fail "man -l $page warns: $warn"
		grep -q "^EXIT STATUS" "$tmp/page.txt" || fail "the rendered page has no EXIT STATUS"
	else
		echo "test-install.sh: no man here (man-db): the page is not rendered"
	fi
	;;

deb)
	# Into a directory of its own (-B): the build directory keeps no package.
	(cd "$build" && cpack -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) ||
		fail "cpack: $(cat "$tmp/cpack.log")"
	deb=$tmp/pkg/cmpirun_${version}_amd64.deb
	bundle=$tmp/pkg/cmpirun-agent-bundle_${version}_amd64.deb
	[ -e "$deb" ] && [ -e "$bundle" ] || fail "cpack made $(ls "$tmp/pkg"/*.deb)"
	[ "$(dpkg-deb -f "$deb" Package)" = cmpirun ] || fail "Package is not cmpirun"
	[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is not $version"
	[ "$(dpkg-deb -f "$deb" Maintainer)" = "cmpirun developers" ] || fail "Maintainer"
	depends=$(dpkg-deb -f "$deb" Depends)
	echo "cmpirun Depends: $depends"
	for d in libc6 libpmix2 libcurl4 libjansson4 libevent-2.1-7 libhwloc15 \
		"cmpirun-agent-bundle (= $version)"; do
		case ", $depends," in *", $d"[\ ,]*) ;; *) fail "Depends lacks $d: $depends" ;; esac
	done
	# The bundle's own glibc must not pin the host's.
	case $depends in *"libc6 (<<"* | *libmunge*) fail "Depends has the bundle's libraries: $depends" ;; esac
	[ -z "$(dpkg-deb -f "$bundle" Depends)" ] || fail "the bundle package has Depends"

	dpkg-deb -c "$deb" | awk '{ print $6 }' >"$tmp/contents"
	dpkg-deb -c "$bundle" | awk '{ print $6 }' >>"$tmp/contents"
	for f in usr/bin/cmpirun usr/lib/cmpirun/cmpi-agent usr/lib/cmpirun/cmpi-container usr/share/man/man1/cmpirun.1 \
		usr/share/bash-completion/completions/cmpirun usr/share/doc/cmpirun/README.md \
		usr/lib/cmpirun/cmpi-agent-bundle/bin/cmpi-agent usr/lib/cmpirun/cmpi-agent-bundle.tar; do
		grep -qxF "./$f" "$tmp/contents" || fail "the packages lack /$f"
	done
	debs=("$deb" "$bundle")
	bench=$tmp/pkg/cmpirun-benchmarks_${version}_amd64.deb
	if [ -e "$bench" ]; then
		dpkg-deb -c "$bench" >"$tmp/bench-contents"
		grep -q '/usr/lib/cmpirun/benchmarks/rawbench$' "$tmp/bench-contents" ||
			fail "cmpirun-benchmarks lacks rawbench"
		case $(dpkg-deb -f "$bench" Depends) in
		*"cmpirun (= $version)"*) ;;
		*) fail "cmpirun-benchmarks does not depend on cmpirun" ;;
		esac
		debs+=("$bench")
	fi

	root=$tmp/root
	for d in "${debs[@]}"; do dpkg-deb -x "$d" "$root"; done
	must_run "$root/usr/bin/cmpirun"
	must_find_bundle "$root/usr/bin/cmpirun"

	# The Depends can be met here, from what is installed (offline: no download).
	if command -v apt-get >/dev/null; then
		apt-get install --simulate -q "${debs[@]}" >"$tmp/apt.log" 2>&1 ||
			fail "apt-get install --simulate: $(cat "$tmp/apt.log")"
		grep -q '^Inst cmpirun ' "$tmp/apt.log" || fail "apt-get would not install cmpirun"
		echo "apt-get --simulate:"
		grep -E '^(Inst|Conf) ' "$tmp/apt.log"
	fi

	# The demo from the packaged files: 8 ranks in containers, the bundle from the package.
	image=cmpi-test/bookworm-mpi:1
	if ! docker image inspect "$image" >/dev/null 2>&1; then
		echo "SKIP: no engine or no image $image: the demo from the package did not run"
		exit 77
	fi
	out=$(cd "$build" && env -u CMPI_AGENT -u CMPI_AGENT_BUNDLE "$root/usr/bin/cmpirun" -n 8 \
		--image "$image" test-mpi/hello.openmpi) || fail "the demo from the package exited $?"
	[ "$(grep -c '^hello from rank [0-7] of 8 ' <<<"$out")" -eq 8 ] ||
		fail "the demo from the package printed: $out"
	echo "the demo from the package: 8 ranks in containers of $image"
	;;

completion)
	bash --norc --noprofile -s "$top/docs/cmpirun.bash" "$tmp" <<'EOF'
set -uf
source "$1"
tmp=$2
complete -p cmpirun | grep -q -- '-F _cmpirun' || { echo "no complete -F _cmpirun"; exit 1; }
bad=0
# expect LINE WANT...: what bash would offer at the end of LINE (COMP_WORDS as bash splits it)
expect() {
	local line=$1
	shift
	COMP_LINE=$line COMP_POINT=${#line}
	local IFS=$' \t\n'
	COMP_WORDS=($line)
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_cmpirun
	local got=" ${COMPREPLY[*]-} " w
	for w in "$@"; do
		if [[ $w == !* ]]; then
			[[ $got != *" ${w#!} "* ]] && continue
		elif [[ $got == *" $w "* ]]; then
			continue
		fi
		echo "'$line': wanted $w, got:$got"
		bad=1
	done
}
mkdir "$tmp/wdir.d"
touch "$tmp/hosts.txt"
expect "cmpirun --map" --map-by
expect "cmpirun --bind-to c" core !none
expect "cmpirun --bind-to " none core socket
expect "cmpirun -np 4 --map-by n" node
expect "cmpirun --bind-to core:o" overload-allowed
expect "cmpirun --map-by socket:" PE=
expect "cmpirun --report-j" --report-json
expect "cmpirun -" -np --oversubscribe --hostfile -genv --dry-run --version
expect "cmpirun --hostfile $tmp/ho" "$tmp/hosts.txt"
expect "cmpirun -f $tmp/ho" "$tmp/hosts.txt"
expect "cmpirun -wdir $tmp/" "$tmp/wdir.d" "!$tmp/hosts.txt"
expect "cmpirun -genv HOM" HOME
expect "cmpirun -n 2 tru" true
expect "cmpirun -n 2 -H a:2,b:2 tru" true
expect "cmpirun -n 2 ./prog --bi" "!--bind-to"
expect "cmpirun -n 2 ./prog : --bi" --bind-to
expect "cmpirun -genv A b --ti" --timeout
exit $bad
EOF
	;;

*)
	echo "usage: test-install.sh layout|deb|completion BUILD" >&2
	exit 2
	;;
esac
echo "test-install.sh $mode: ok"
