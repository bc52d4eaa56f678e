#!/usr/bin/env python3
"""plot.py DIR - PNG charts from what harness.py wrote in DIR, drawn by gnuplot (Debian's
gnuplot-nox): the medians, with min..max bars where a chart has room for them.

    launch.json -> launch.png         launch time against ranks, per tool
                   launch-phases-bare.png, launch-phases-image.png   cmpirun's own phases
                                      against ranks, stacked (1 agent, bare / 1 container)
    fence.json  -> fence-N.png        fence time against agents, per payload, N ranks
    pt2pt.json  -> latency.png, bandwidth.png   against message size, per MPI and launcher
    scale.json  -> scale.png          the allgather against agents (one rank each), per payload
                                      (and per star or tree, when the run had several): fence
                                      time, cmpirun's CPU per fence, its peak RSS

Prints the path of each chart it wrote. Exits 1 when gnuplot fails or DIR has no results.
"""
import json
import os
import subprocess
import sys


def quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def gnuplot(script, data_blocks, out, size="1000,600"):
    """Runs gnuplot with the inline data blocks ($d0, $d1, ...) and the script."""
    text = [f'set terminal pngcairo size {size} font "sans,10"', f"set output {quote(out)}",
            "set grid", "set key outside right top"]
    for i, rows in enumerate(data_blocks):
        text.append(f"$d{i} << EOD")
        text += [" ".join(str(v) for v in row) for row in rows]
        text.append("EOD")
    text += script
    p = subprocess.run(["gnuplot"], input="\n".join(text) + "\n", text=True, capture_output=True)
    if p.returncode != 0 or not os.path.getsize(out):
        sys.exit(f"plot.py: gnuplot failed for {out}:\n{p.stderr}")
    print(out)


def lines(title, xlabel, ylabel, series, out, logx=True, logy=False, bars=True):
    """series: [(name, [(x, median, min, max)])] -> one line (with min..max bars) each."""
    script = [f"set title {quote(title)}", f"set xlabel {quote(xlabel)}",
              f"set ylabel {quote(ylabel)}"]
    if logx:
        script.append("set logscale x 2")
    if logy:
        script.append("set logscale y 10")
    plots = []
    for i, (name, _) in enumerate(series):
        style = "yerrorlines" if bars else "linespoints"
        cols = "1:2:3:4" if bars else "1:2"
        # The tools we compare with in dashes, ours solid.
        dash = "dashtype 2" if not name.startswith("cmpirun") else "dashtype 1"
        plots.append(f"$d{i} using {cols} with {style} {dash} title {quote(name)}")
    script.append("plot " + ", ".join(plots))
    gnuplot(script, [pts for _, pts in series], out)


def point(fig):
    return fig["median"], fig["min"], fig["max"]


def plot_launch(doc, outdir):
    by_tool = {}
    for r in doc["results"]:
        # "cmpirun --agents 8" and "--agents 2" are one line: min(ranks, 8) agents.
        tool = r["tool"]
        for k in ("2", "4", "8"):
            tool = tool.replace(f"--agents {k} ", "--agents min(n,8) ")
            tool = tool.replace(f", {k} containers", ", min(n,8) containers")
        by_tool.setdefault(tool, []).append((r["x"], *point(r["figures"]["wall_ms"])))
    lines(f"MPI hello world to completion ({doc['cpus']} CPUs, oversubscribed above that; "
          f"medians of {doc['rounds']})", "ranks", "wall time (ms)",
          sorted(by_tool.items()), os.path.join(outdir, "launch.png"), logy=True)
    for tool, name in (("cmpirun (Open MPI)", "launch-phases-bare.png"),
                       ("cmpirun --image, 1 container", "launch-phases-image.png")):
        rows = sorted((r for r in doc["results"] if r["tool"] == tool and "phases_ms" in r),
                      key=lambda r: r["x"])
        if rows:
            phases_stacked(tool, rows, os.path.join(outdir, name))


PHASES = ["setup", "agents_started", "agents_connected", "ranks_started", "ranks_in_mpi",
          "first_fence", "ranks_exited", "cleaned_up"]


def phases_stacked(tool, rows, out):
    """One bar per rank count: the time from one phase to the next, stacked."""
    data, names = [], []
    for r in rows:
        ph = {p: r["phases_ms"][p]["median"] for p in PHASES if p in r["phases_ms"]}
        before, steps = 0.0, []
        for p in PHASES:
            if p in ph:
                steps.append(max(ph[p] - before, 0.0))
                before = ph[p]
            else:
                steps.append(0.0)  # not reached (a lone agent's fences, say)
        data.append([r["x"]] + [f"{v:.2f}" for v in steps])
    names = [f"to {p.replace('_', ' ')}" for p in PHASES]
    script = [f"set title {quote('cmpirun phases, Open MPI hello world: ' + tool + ' (medians)')}",
              "set style data histograms", "set style histogram rowstacked",
              "set style fill solid 0.8 border -1", "set boxwidth 0.7",
              "set xlabel 'ranks'", "set ylabel 'ms from the phase before'", "set yrange [0:*]"]
    plots = [f"$d0 using {i + 2}:xtic(1) title {quote(n)}" for i, n in enumerate(names)]
    script.append("plot " + ", ".join(plots))
    gnuplot(script, [data], out)


def plot_fence(doc, outdir):
    for n in sorted({r["ranks"] for r in doc["results"]}):
        series = []
        rows = [r for r in doc["results"] if r["ranks"] == n]
        for size in sorted({r["payload"] for r in rows}):
            mine = [(r["x"], *point(r["figures"]["fence_us"])) for r in rows
                    if r["payload"] == size and r["x"] > 0]
            theirs = [r for r in rows if r["payload"] == size and r["x"] == 0]
            series.append((f"cmpirun, {size} B per rank", sorted(mine)))
            if theirs:  # mpirun has no agent count: a flat line across the chart
                m = point(theirs[0]["figures"]["fence_us"])
                series.append((f"mpirun (Open MPI), {size} B per rank",
                               [(mine[0][0], *m), (mine[-1][0], *m)]))
        lines(f"PMIx fence with collect, {n} ranks (median of 11 fences a run, medians of "
              f"{doc['rounds']} runs)", "agents", "fence (us)", series,
              os.path.join(outdir, f"fence-{n}.png"), logy=True)


def plot_pt2pt(doc, outdir):
    for bench, ylabel, name, logy in (("latency", "latency (us)", "latency.png", True),
                                      ("bw", "bandwidth (MB/s, 10^6)", "bandwidth.png", True)):
        series = []
        for r in doc["results"]:
            if r["benchmark"] != bench:
                continue
            pts = sorted((int(s), *point(f)) for s, f in r["figures"].items())
            # log scale: size 0 cannot be drawn
            series.append((r["tool"], [p for p in pts if p[0] > 0]))
        if series:
            lines(f"MPI {bench} between 2 ranks on one host (medians of {doc['rounds']})",
                  "message size (bytes)", ylabel, series, os.path.join(outdir, name), logy=logy)


def plot_scale(doc, outdir):
    """Three panels side by side, agents on a log2 axis, one line per payload (and per
    allgather, star or tree of a fanout, when the run had several: trees dashed)."""
    panels = (("fence_ms", 1, "median fence (ms)"),
              ("launcher_cpu_per_fence_ms", 1, "cmpirun CPU per fence (ms)"),
              ("launcher_maxrss_kib", 1 / 1024, "cmpirun peak RSS (MiB), 11 fences"))
    payloads = sorted({d["payload"] for d in doc["derived"]})
    # None (cmpirun's default choice) is drawn as a fanout of its own, first.
    fanouts = sorted({d.get("fanout", 0) for d in doc["derived"]}, key=lambda f: -1 if f is None else f)
    what = "star allgather" if fanouts == [0] else "allgather, star and trees,"
    blocks, script = [], [
        "set termoption noenhanced",
        "set multiplot layout 1,3 title " + quote(
            f"cmpirun's {what} against agents, one rank each: pmix_fence, 11 fences a run "
            f"(medians of {doc['rounds']} rounds, min..max bars; {doc['cpus']} CPUs)"),
        "set logscale x 2", "set logscale y 10",
        "set xlabel 'agents'", "set key inside top left"]
    for key, scale, ylabel in panels:
        plots = []
        for size in payloads:
            for fanout in fanouts:
                pts = []
                for d in sorted(doc["derived"], key=lambda d: d["agents"]):
                    if d["payload"] != size or d.get("fanout", 0) != fanout:
                        continue
                    f = d[key]
                    med, lo, hi = f["median"] * scale, f["min"] * scale, f["max"] * scale
                    if med > 0:  # a log axis: a per-fence cost lost in the noise is left out
                        pts.append((d["agents"], med, max(lo, med / 100), hi))
                if pts:
                    name = f"{size} B per rank"
                    if fanouts != [0]:
                        name += (", default" if fanout is None else
                                 f", tree {fanout}" if fanout else ", star")
                    dash = f"dashtype {2 + fanouts.index(fanout)}" if fanout else "dashtype 1"
                    plots.append(f"$d{len(blocks)} using 1:2:3:4 with yerrorlines {dash} "
                                 f"title {quote(name)}")
                    blocks.append(pts)
        if key == "launcher_cpu_per_fence_ms" and fanouts == [0] and blocks and len(blocks[-1]) > 1:
            # What the star sends grows as agents^2: a guide through the largest payload's
            # first point.
            (x0, y0, _, _), x1 = blocks[-1][0], blocks[-1][-1][0]
            plots.append(f"$d{len(blocks)} using 1:2 with lines dashtype 2 lc rgb 'gray' "
                         f"title 'grows as agents^2 (bytes sent)'")
            blocks.append([(x0, y0), (x1, y0 * (x1 / x0) ** 2)])
        script += [f"set ylabel {quote(ylabel)}", "plot " + (", ".join(plots) or "NaN notitle")]
    script.append("unset multiplot")
    gnuplot(script, blocks, os.path.join(outdir, "scale.png"),
            size="1500,550" if fanouts == [0] else "1800,700")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot.py DIR (where harness.py wrote its JSON)")
    outdir = sys.argv[1]
    done = 0
    for name, draw in (("launch", plot_launch), ("fence", plot_fence), ("pt2pt", plot_pt2pt),
                       ("scale", plot_scale)):
        path = os.path.join(outdir, f"{name}.json")
        if os.path.exists(path):
            with open(path) as f:
                draw(json.load(f), outdir)
            done += 1
    if not done:
        sys.exit(f"plot.py: no launch.json, fence.json, pt2pt.json or scale.json in {outdir}")


if __name__ == "__main__":
    main()
