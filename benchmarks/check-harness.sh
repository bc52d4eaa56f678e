#!/usr/bin/env bash
# check-harness.sh BUILD - harness.py --quick (two rounds, no containers) over the launch,
# fence, pt2pt and scale sets (scale with the star and a tree of fanout 2), then plot.py: each set's JSON has every case with its samples and
# cmpirun's phases, and every chart is a PNG. A failing run must fail the harness.
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/cmpi-harness-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$work/log" >&2 2>/dev/null; exit 1; }

python3 "$here/harness.py" --build "$build" --out "$work" --quick --rounds 2 --no-containers \
	--scale-fanouts 0,2 launch fence pt2pt scale >"$work/log" 2>&1 || fail "the harness failed"
python3 - "$work" <<'PY' || fail "the JSON is not what it should be"
import json, os, sys
d = sys.argv[1]
launch = json.load(open(os.path.join(d, "launch.json")))
tools = {(r["tool"], r["x"]) for r in launch["results"]}
for n in (1, 2):
    for t in ("cmpirun (Open MPI)", "mpirun (Open MPI)", "cmpirun (MPICH)", "mpiexec.hydra (MPICH)"):
        assert (t, n) in tools, (t, n)
for r in launch["results"]:
    w = r["figures"]["wall_ms"]
    assert len(w["samples"]) == 2 and 0 < w["min"] <= w["median"] <= w["max"], r
    if r["tool"].startswith("cmpirun"):
        assert r["phases_ms"]["ranks_exited"]["median"] > 0, r
fence = json.load(open(os.path.join(d, "fence.json")))
assert {(r["x"], r["payload"]) for r in fence["results"]} == {(1, 1), (2, 1), (0, 1), (1, 1024), (2, 1024), (0, 1024)}
pt = json.load(open(os.path.join(d, "pt2pt.json")))
for r in pt["results"]:
    sizes = sorted(int(s) for s in r["figures"])
    assert sizes[-1] == 1024 and all(len(f["samples"]) == 2 for f in r["figures"].values()), r
scale = json.load(open(os.path.join(d, "scale.json")))
assert {(r["x"], r["payload"], r["fences"], r["fanout"]) for r in scale["results"]} == \
    {(k, b, f, t) for k in (2, 4) for b in (1, 1024) for f in (1, 11) for t in (0, 2)}
for r in scale["results"]:
    f = r["figures"]
    ok = all(len(f[k]["samples"]) == 2 for k in ("fence_us", "cpu_s", "maxrss_kib"))
    # cmpirun's own CPU and RSS were read (not 0, not absurd)
    assert ok and f["cpu_s"]["min"] > 0 and 1024 < f["maxrss_kib"]["min"] < 1 << 20, r
assert {(x["agents"], x["payload"], x["fanout"]) for x in scale["derived"]} == \
    {(k, b, t) for k in (2, 4) for b in (1, 1024) for t in (0, 2)}
for x in scale["derived"]:
    assert len(x["launcher_cpu_per_fence_ms"]["samples"]) == 2, x
PY
grep -q '^| 2 | cmpirun (Open MPI) | [0-9]* | ' "$work/log" || fail "no launch table"
grep -q '^| 4 | 1024 | star | [0-9.]* | ' "$work/log" || fail "no scale table"
grep -q '^| 4 | 1024 | tree 2 | [0-9.-]* | ' "$work/log" || fail "no tree/star ratios"
python3 "$here/plot.py" "$work" >"$work/plots" 2>&1 || fail "plot.py failed: $(cat "$work/plots")"
for png in launch launch-phases-bare fence-4 latency bandwidth scale; do
	[ "$(head -c 4 "$work/$png.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] || fail "$png.png is not a PNG"
done

# A broken program stops the harness with its message, not a figure.
mkdir -p "$work/broken/bin" "$work/broken/test-mpi"
ln -s "$build/bin/cmpirun" "$work/broken/bin/cmpirun"
printf '#!/bin/sh\necho "hello from rank 0 of 1 on x (pid 1)"\nexit 3\n' >"$work/broken/test-mpi/hello.openmpi"
chmod +x "$work/broken/test-mpi/hello.openmpi"
python3 "$here/harness.py" --build "$work/broken" --out "$work/broken" --quick --rounds 1 --no-containers \
	--ranks 1 launch >"$work/log" 2>&1 && fail "a failing program passed"
grep -q "^harness: exit status 3: " "$work/log" || fail "no line saying which run failed"
exit 0
