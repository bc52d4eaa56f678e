#!/usr/bin/env bash
# test.sh [--sanitize | --all] - install what is missing, build, run every test with ctest.
#   (none)      the normal build in build/
#   --sanitize  an ASan+UBSan build in build-asan/ (all but the soak, label soak)
#   --all       both, one after the other, then a short fuzzing run (what CI runs)
# A skipped test is a failure: a suite that quietly ran no container test proves nothing.
# Only tests labelled needs-rdma may skip (no RDMA device here).
# CMPI_ALLOW_SKIP=1 lets tests skip (a machine with no container engine or no Podman).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-normal}

bash "$top/scripts/deps.sh"
allow_skip=${CMPI_ALLOW_SKIP:-0}
# The container tests need an engine and the test images (about 90 s to build
# the first time), podman.client a Podman service.
setup() {
	bash "$@" && return 0
	[ "$allow_skip" = 1 ] || { echo "test.sh: $* failed (CMPI_ALLOW_SKIP=1 skips the tests that need it)" >&2; exit 1; }
	echo "test.sh: WARNING: $* failed: the tests that need it will be skipped" >&2
}
setup "$top/scripts/engine.sh"
setup "$top/scripts/test-images.sh"
setup "$top/scripts/podman.sh"

# run_suite DIR CTEST_ARGS -- CMAKE_ARGS...
run_suite() {
	local dir=$1 ctest_args=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do ctest_args+=("$1"); shift; done
	shift || true
	echo "== building $(basename "$dir") $*"
	bash "$top/scripts/build.sh" "$dir" "$@"
	echo "== testing $(basename "$dir") ${ctest_args[*]}"
	local log=$dir/ctest.log
	ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" "${ctest_args[@]}" | tee "$log" # pipefail: its status
	# Tests labelled needs-rdma skip on a host without an RDMA device (these
	# machines have none); any other skip fails the run.
	local hw skipped
	hw=$(ctest --test-dir "$dir" -N -L needs-rdma | sed -n 's/^ *Test *#[0-9]*: //p')
	skipped=$(grep '\*\*\*Skipped' "$log" | sed 's/.*Test *#[0-9]*: \([^ ]*\) .*/\1/' |
		grep -vxF -f <(printf '%s\n' $hw) || true)
	if [ "$allow_skip" != 1 ] && [ -n "$skipped" ]; then
		echo "test.sh: tests were skipped (CMPI_ALLOW_SKIP=1 allows it):" $skipped >&2
		return 1
	fi
}

# Any sanitizer report fails the test that triggered it.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export LSAN_OPTIONS=suppressions=$top/scripts/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The soak (200 jobs, about 3 minutes) runs once, in the normal build: the
# sanitizer build repeats every other test.
sanitized=(-LE soak -- -DCMPI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
case $mode in
normal) run_suite "$top/build" ;;
--sanitize) run_suite "$top/build-asan" "${sanitized[@]}" ;;
--all)
	run_suite "$top/build"
	run_suite "$top/build-asan" "${sanitized[@]}"
	echo "== fuzzing: each libFuzzer harness 20 s on a copy of its seed corpus (scripts/fuzz.sh)"
	bash "$top/scripts/fuzz.sh" || {
		echo "test.sh: fuzzing failed: a harness crashed (its reproducer is named above)" >&2
		exit 1
	}
	;;
*)
	echo "usage: scripts/test.sh [--sanitize | --all]" >&2
	exit 2
	;;
esac
