#!/usr/bin/env bash
# fuzz.sh [--long] - build the libFuzzer harnesses with clang into build-fuzz/ and run each on
# a copy of its seed corpus (the committed corpus is never written).
#   (none)   20 s each: what CI runs (scripts/test.sh --all)
#   --long   1,000,000 executions each
# Prints, per harness, executions, seconds, exec/s, coverage (libFuzzer's cov/ft) and crashes.
# A crash (or leak, timeout, out of memory) fails the run and names its reproducer, which
# `build-fuzz/bin/NAME FILE` replays.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-short}
case $mode in
short) budget=(-max_total_time=20) ;;
--long) budget=(-runs=1000000) ;;
*)
	echo "usage: scripts/fuzz.sh [--long]" >&2
	exit 2
	;;
esac

# libFuzzer comes with Debian's clang in libclang-rt-dev, only a Recommends of clang.
missing=()
for p in clang libclang-rt-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "fuzz.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=$top/build-fuzz
# name, then its seed corpus
harnesses=(
	fuzz_msg "$top/common/test/fuzz-corpus/msg"
	fuzz_pmi1 "$top/pmix-server/test/fuzz-corpus/pmi1"
	fuzz_docker_json "$top/launcher/test/fuzz-corpus/docker_json"
)
targets=()
for ((i = 0; i < ${#harnesses[@]}; i += 2)); do
	targets+=("${harnesses[i]}")
done

echo "== fuzz: building ${targets[*]} in $build"
CC=clang cmake -S "$top" -B "$build" -DCMPI_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j 2 --target "${targets[@]}" >/dev/null

# Any sanitizer report is a crash; libFuzzer writes the input that caused it.
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unset LSAN_OPTIONS

failed=0
printf '%-18s %12s %8s %10s %8s %8s %s\n' harness executions seconds exec/s cov ft crashes
for ((i = 0; i < ${#harnesses[@]}; i += 2)); do
	name=${harnesses[i]}
	seeds=${harnesses[i + 1]}
	work=$build/fuzz/$name
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/crashes"
	cp "$seeds"/* "$work/corpus/"
	# Words of the protocol, next to the harness, when it has them.
	dict=()
	[ -f "$seeds/../../$name.dict" ] && dict=(-dict="$seeds/../../$name.dict")
	start=$(date +%s%N)
	rc=0
	"$build/bin/$name" "${budget[@]}" "${dict[@]}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" \
		>"$work/log" 2>&1 || rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
	last=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$work/log" | tail -1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	crashes=$(find "$work/crashes" -type f | wc -l)
	printf '%-18s %12s %8s %10s %8s %8s %s\n' "$name" "${execs:-?}" "$secs" "${rate:-?}" \
		"${cov:-?}" "${ft:-?}" "$crashes"
	if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
		failed=1
		echo "fuzz.sh: $name failed (exit status $rc); its log: $work/log" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*property failed)' "$work/log" | head -5 >&2 || true
		find "$work/crashes" -type f -printf 'fuzz.sh: reproducer: %p\n' >&2
	fi
done
exit $failed
