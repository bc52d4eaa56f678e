#!/usr/bin/env bash
# test.sh [--sanitize | --all] - install what is missing, build, run every test with ctest.
#   (none)      the normal build in build/
#   --sanitize  an ASan+UBSan build in build-asan/
#   --all       both, one after the other (what CI runs)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-normal}

bash "$top/scripts/deps.sh"
# The container tests need an engine and the test images (about 90 s to build
# the first time). Without them those tests are skipped, and said to be: the
# rest of the suite still runs.
if ! bash "$top/scripts/engine.sh" || ! bash "$top/scripts/test-images.sh"; then
	echo "test.sh: WARNING: no container engine or no test images: the container tests will be skipped" >&2
fi
if ! bash "$top/scripts/podman.sh"; then
	echo "test.sh: WARNING: no Podman service: podman.client will be skipped" >&2
fi

run_suite() {
	local dir=$1
	shift
	echo "== building $(basename "$dir") $*"
	bash "$top/scripts/build.sh" "$dir" "$@"
	echo "== testing $(basename "$dir")"
	ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
}

# Any sanitizer report fails the test that triggered it.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export LSAN_OPTIONS=suppressions=$top/scripts/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

case $mode in
normal) run_suite "$top/build" ;;
--sanitize) run_suite "$top/build-asan" -DCMPI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug ;;
--all)
	run_suite "$top/build"
	run_suite "$top/build-asan" -DCMPI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	;;
*)
	echo "usage: scripts/test.sh [--sanitize | --all]" >&2
	exit 2
	;;
esac
