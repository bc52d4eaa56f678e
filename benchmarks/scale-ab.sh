#!/usr/bin/env bash
# scale-ab.sh BUILD_A BUILD_B OUT [ROUNDS] - the harness's scale set (16..256 agents, the star's
# fences) with two builds, one round each in turn (A, B, A, B, ...), then the medians over
# the rounds side by side with B/A ratios. OUT gets A-R/ and B-R/ (scale.json each) and
# table.md. Used for the star's shared fence frame: A before, B after.
set -euo pipefail
a=$(realpath "${1:?usage: scale-ab.sh BUILD_A BUILD_B OUT [ROUNDS]}")
b=$(realpath "${2:?usage: scale-ab.sh BUILD_A BUILD_B OUT [ROUNDS]}")
out=${3:?usage: scale-ab.sh BUILD_A BUILD_B OUT [ROUNDS]}
rounds=${4:-3}
here=$(dirname "$(realpath "$0")")
mkdir -p "$out"
for ((r = 1; r <= rounds; r++)); do
	python3 "$here/harness.py" --rounds 1 --build "$a" --out "$out/A-$r" scale
	python3 "$here/harness.py" --rounds 1 --build "$b" --out "$out/B-$r" scale
done
python3 - "$out" "$rounds" <<'PY' | tee "$out/table.md"
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(kind):
    points = {}
    for r in range(1, rounds + 1):
        for d in json.load(open(f"{out}/{kind}-{r}/scale.json"))["derived"]:
            p = points.setdefault((d["agents"], d["payload"]), {"fence": [], "cpu": [], "rss": []})
            p["fence"].append(d["fence_ms"]["median"])
            p["cpu"].append(d["launcher_cpu_per_fence_ms"]["median"])
            p["rss"].append(d["launcher_maxrss_kib"]["median"] / 1024)
    return points
a, b, m = load("A"), load("B"), statistics.median
print("| agents | payload (B) | fence ms A | B | B/A | launcher CPU per fence ms A | B | B/A | peak RSS MiB A | B |")
print("|---|---|---|---|---|---|---|---|---|---|")
for k in sorted(a):
    fa, fb, ca, cb = m(a[k]["fence"]), m(b[k]["fence"]), m(a[k]["cpu"]), m(b[k]["cpu"])
    print(f"| {k[0]} | {k[1]} | {fa:.1f} | {fb:.1f} | {fb / fa:.2f} | {ca:.2f} | {cb:.2f} | "
          f"{cb / ca:.2f} | {m(a[k]['rss']):.1f} | {m(b[k]['rss']):.1f} |")
PY
