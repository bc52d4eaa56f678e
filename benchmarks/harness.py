#!/usr/bin/env python3
"""harness.py - one command for the benchmark sets, with the compared tools in alternation.

    benchmarks/harness.py [--rounds N] [--out DIR] [--quick] [--no-containers]
                          [--scale-skip AGENTS:BYTES] [--scale-fanouts K,...] SET...

SET is one or more of:
  launch  MPI hello world to completion (every rank's line checked) over rank counts
          (1..64, oversubscribed): cmpirun with 1 agent and with min(ranks, 8) agents and
          mpirun (Open MPI); cmpirun and hydra's mpiexec (MPICH); in containers, cmpirun
          --image with 1 and min(ranks, 8) containers and the seeds' ssh cluster (cold:
          up, mpirun, down) with as many containers. cmpirun's own phases come from
          --report-json.
  fence   PMIx fences with data (build/bin/pmix_fence, median of 11 fences a run) over
          1..64 agents on 64 ranks and 1..256 agents on 256 ranks, payloads 1 B to 64 KiB
          per rank (64 KiB only on 64 ranks), against Open MPI's mpirun.
  pt2pt   latency and bandwidth against message size (benchmarks/mpi latency and bw), each
          MPI under cmpirun and under its own launcher.
  scale   the allgather's cost to the launcher as agents grow (scale-out issue): cmpirun
          -n K --agents K (one rank per agent) for K = 16..256, with the star and, with
          --scale-fanouts, trees of agents (--tree-fanout) in turn, build/bin/pmix_fence with 1 B,
          1 KiB and 16 KiB per rank, each point run with 11 fences and with 1 (the baseline:
          launch, wire-up, the verdict fence, teardown). cmpirun's own CPU (schedstat, read
          while it is a zombie, before it is reaped: /usr/bin/time would add the agents and
          ranks it reaps) and its peak RSS (VmHWM, polled); CPU per fence is
          (cpu(11) - cpu(1)) / 10, paired within a round. Trees are also shown as
          ratios to the star of the same rounds.

Each round runs every case of a set once, in the same order, so that noise on this shared
machine hits them alike; ROUNDS (default 5) rounds. A failed or wrong run stops the set
with a message: a figure is never made up. For each set, DIR/SET.json holds every sample
with min/median/max and the exact commands, and a markdown table of medians is printed.
benchmarks/plot.py DIR draws the charts. --quick: tiny sizes and counts (ctest uses it).
"""
import argparse
import datetime
import itertools
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGE = "cmpi-test/bookworm-mpi:1"
OMPI_ROOT = ["--allow-run-as-root", "--oversubscribe"]


class Failure(Exception):
    pass


def run(cmd, timeout, cwd=None):
    """Runs cmd; returns (wall ms, stdout). A non-zero exit or a timeout is a Failure."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise Failure(f"took over {timeout} s: {shlex.join(cmd)}")
    ms = (time.monotonic() - t0) * 1e3
    if p.returncode != 0:
        tail = "\n".join((p.stdout + p.stderr).splitlines()[-8:])
        raise Failure(f"exit status {p.returncode}: {shlex.join(cmd)}\n{tail}")
    return ms, p.stdout


class Case:
    """One thing measured: a tool at one x (ranks, agents, ...), sampled once per round.
    measure() returns {key: figure}, a figure per key (one key for a wall time, one per
    message size for a table)."""

    def __init__(self, tool, x, cmd, measure, **extra):
        self.tool, self.x, self.cmd, self.measure, self.extra = tool, x, cmd, measure, extra
        self.samples = {}  # key -> [figures]
        self.phases = {}   # launch: cmpirun phase -> [ms]

    def record(self, figures):
        for key, v in figures.items():
            self.samples.setdefault(key, []).append(v)


def summary(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values),
            "samples": values}


# ---- launch ----

def hello_checked(n):
    """The output must hold one hello line from each of n ranks."""
    def check(out):
        ranks = sorted(int(m) for m in re.findall(r"^hello from rank (\d+) of %d " % n, out, re.M))
        if ranks != list(range(n)):
            raise Failure(f"expected a hello from each of {n} ranks, got {len(ranks)}")
    return check


def launch_cases(args, build, work):
    cmpirun = os.path.join(build, "bin", "cmpirun")
    hello = {m: os.path.join(build, "test-mpi", f"hello.{m}") for m in ("openmpi", "mpich")}
    cluster = ["bash", os.path.join(HERE, "ssh-cluster.sh")]
    cases = []
    for n in args.ranks:
        k = min(n, 8)

        def timed(cmd, report=None, n=n):
            check = hello_checked(n)

            def measure(case):
                ms, out = run(cmd, args.timeout, cwd=build)
                check(out)
                if report:
                    with open(report) as f:
                        for phase, t in json.load(f)["phases"].items():
                            if t is not None:
                                case.phases.setdefault(phase, []).append(t)
                return {"wall_ms": ms}
            return measure

        def cmpi(tool, extra, mpi):
            report = os.path.join(work, f"report-{len(cases)}.json")
            cmd = [cmpirun, "-n", str(n), "--report-json", report] + extra + [hello[mpi]]
            cases.append(Case(tool, n, cmd, timed(cmd, report)))

        def other(tool, cmd):
            cases.append(Case(tool, n, cmd, timed(cmd)))

        cmpi("cmpirun (Open MPI)", [], "openmpi")
        if k > 1:
            cmpi(f"cmpirun --agents {k} (Open MPI)", ["--agents", str(k)], "openmpi")
        other("mpirun (Open MPI)", ["mpirun.openmpi"] + OMPI_ROOT + ["-n", str(n), hello["openmpi"]])
        cmpi("cmpirun (MPICH)", [], "mpich")
        other("mpiexec.hydra (MPICH)", ["mpiexec.hydra", "-n", str(n), hello["mpich"]])
        if args.containers:
            cmpi("cmpirun --image, 1 container", ["--image", IMAGE], "openmpi")
            other("ssh cluster cold, 1 container",
                  cluster + ["cold", work + "/ssh", "1", str(n), hello["openmpi"]])
            if k > 1:
                cmpi(f"cmpirun --image, {k} containers", ["--image", IMAGE, "--agents", str(k)],
                     "openmpi")
                other(f"ssh cluster cold, {k} containers",
                      cluster + ["cold", work + "/ssh", str(k), str(n), hello["openmpi"]])
    return cases


# ---- fence ----

def fence_cases(args, build, work):
    cmpirun = os.path.join(build, "bin", "cmpirun")
    fence = os.path.join(build, "bin", "pmix_fence")
    cases = []
    for n, agents, payloads in args.fence_configs:
        for size in payloads:
            tools = [(f"cmpirun, {a} agents", a, [cmpirun, "-n", str(n), "--agents", str(a)])
                     for a in agents if a <= n]
            tools.append(("mpirun (Open MPI)", 0, ["mpirun.openmpi"] + OMPI_ROOT + ["-n", str(n)]))
            for tool, a, launcher in tools:
                cmd = launcher + [fence, "-s", str(size), "-r", "11", "-t"]

                def measure(case, cmd=cmd):
                    _, out = run(cmd, args.timeout, cwd=build)
                    m = re.search(r"^pmix_fence ok: .* median_fence_us ([0-9.]+)$", out, re.M)
                    if not m:
                        raise Failure(f"no figure from {shlex.join(cmd)}")
                    return {"fence_us": float(m.group(1))}
                cases.append(Case(tool, a, cmd, measure, ranks=n, payload=size))
    return cases


# ---- pt2pt ----

ROW = re.compile(r"^(\d+)\s+([0-9.]+)$")


def table(out, cmd):
    rows = {}
    for line in out.splitlines():
        m = ROW.match(line)
        if m:
            rows[int(m.group(1))] = float(m.group(2))
    if not rows:
        raise Failure(f"no table rows from {shlex.join(cmd)}")
    return rows


def pt2pt_cases(args, build, work):
    cmpirun = os.path.join(build, "bin", "cmpirun")
    launchers = {"openmpi": ("mpirun", ["mpirun.openmpi"] + OMPI_ROOT + ["-n", "2"]),
                 "mpich": ("mpiexec.hydra", ["mpiexec.hydra", "-n", "2"])}
    cases = []
    for bench in ("latency", "bw"):
        for mpi, label in (("openmpi", "Open MPI"), ("mpich", "MPICH")):
            prog = [os.path.join(build, "benchmarks", f"{bench}.{mpi}"), "-m", args.max_size] + args.iters
            own, own_cmd = launchers[mpi]
            for tool, launcher in ((f"cmpirun ({label})", [cmpirun, "-n", "2"]),
                                   (f"{own} ({label})", own_cmd)):
                cmd = launcher + prog

                def measure(case, cmd=cmd):
                    _, out = run(cmd, args.timeout, cwd=build)
                    return table(out, cmd)
                cases.append(Case(tool, bench, cmd, measure, benchmark=bench, mpi=mpi))
    return cases


# ---- scale ----

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_field(pid, name, key):
    """The number after "key:" in /proc/pid/name, or None."""
    try:
        with open(f"/proc/{pid}/{name}") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def run_watched(cmd, timeout, cwd=None, poll=0.02):
    """Runs cmd and measures the process itself, not what it forks: waits for its exit
    without reaping it (waitid WNOWAIT), so that /proc/PID still describes the zombie, and
    reads its CPU there: schedstat's run time (ns) and stat's utime, stime (ticks; cutime,
    cstime are the children it reaped: agents, and through them the ranks). Peak RSS is
    VmHWM, polled every `poll` s while it runs (gone once it exits; growth in the last poll
    interval is missed). Returns (stdout and stderr, figures). Non-zero exit or a timeout
    is a Failure."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             cwd=cwd)
        hwm, threads = 0, 1
        try:
            while os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                if time.monotonic() - t0 > timeout:
                    p.terminate()  # cmpirun ends its agents on SIGTERM
                    try:
                        p.wait(10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
                    raise Failure(f"took over {timeout} s: {shlex.join(cmd)}")
                hwm = max(hwm, proc_field(p.pid, "status", "VmHWM") or 0)
                threads = max(threads, proc_field(p.pid, "status", "Threads") or 1)
                time.sleep(poll)
            ms = (time.monotonic() - t0) * 1e3
            with open(f"/proc/{p.pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{p.pid}/schedstat") as f:
                run_ns = int(f.read().split()[0])
        finally:
            if p.returncode is None:
                p.wait()
        out.seek(0)
        text = out.read()
    if p.returncode != 0:
        tail = "\n".join(text.splitlines()[-8:])
        raise Failure(f"exit status {p.returncode}: {shlex.join(cmd)}\n{tail}")
    f = stat[stat.rindex(")") + 2:].split()  # fields from 3 on: state is f[0]
    utime, stime, cutime, cstime = (int(v) / CLK_TCK for v in f[11:15])
    # schedstat is the main thread's; cmpirun's local runtime has no other (checked).
    cpu = run_ns / 1e9 if threads == 1 else utime + stime
    return text, {"wall_ms": ms, "cpu_s": cpu, "user_s": utime, "sys_s": stime,
                  "children_cpu_s": cutime + cstime, "maxrss_kib": hwm, "threads": threads}


def shape_name(fanout):
    return "default" if fanout is None else f"tree {fanout}" if fanout else "star"


def scale_cases(args, build, work):
    cmpirun = os.path.join(build, "bin", "cmpirun")
    fence = os.path.join(build, "bin", "pmix_fence")
    cases = []
    for k in args.scale_agents:
        for size in args.scale_payloads:
            if (k, size) in args.scale_skip:
                continue
            for fanout, rounds in itertools.product(args.scale_fanouts, (1, 11)):
                # None: cmpirun's own choice, no option (older builds have none).
                tree = [] if fanout is None else ["--tree-fanout", str(fanout)]
                cmd = [cmpirun, "-n", str(k), "--agents", str(k), *tree, fence, "-s", str(size),
                       "-r", str(rounds), "-t"]

                def measure(case, cmd=cmd):
                    out, figures = run_watched(cmd, args.timeout, cwd=build)
                    m = re.search(r"^pmix_fence ok: .* median_fence_us ([0-9.]+)$", out, re.M)
                    if not m:
                        raise Failure(f"no figure from {shlex.join(cmd)}")
                    figures["fence_us"] = float(m.group(1))
                    return figures
                shape = shape_name(fanout)
                tool = f"cmpirun {shape}, {rounds} fence{'s' if rounds > 1 else ''}"
                cases.append(Case(tool, k, cmd, measure, ranks=k, payload=size, fences=rounds,
                                  fanout=fanout))
    return cases


BLOB_OVERHEAD = 30


def scale_derived(doc):
    """Per (agents, payload): the 11-fence run's figures and the launcher's CPU per fence,
    (cpu(11) - cpu(1)) / 10 paired round by round (the two run one after the other)."""
    runs = {}
    for r in doc["results"]:
        # Runs before --scale-fanouts were the star; None sorts first.
        runs.setdefault((r["x"], r["payload"], r.get("fanout", 0)), {})[r["fences"]] = r["figures"]
    derived = []
    for (k, size, fanout), by in sorted(runs.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                      -1 if kv[0][2] is None
                                                                      else kv[0][2])):
        if 1 not in by or 11 not in by:
            continue
        many, one = by[11], by[1]

        def per_fence(key):
            return [(a - b) / 10 * 1e3 for a, b in
                    zip(many[key]["samples"], one[key]["samples"])]
        cpu = per_fence("cpu_s")
        job = per_fence("children_cpu_s")
        fence_ms = many["fence_us"]["median"] / 1e3
        # What the launcher sends per fence: every rank's blob, the payload plus about
        # 30 B of libpmix packing (cmpirun -v: 29, 1055, 16418 B a rank), to every agent
        # (star) or to its own children in the tree.
        # (cmpirun's default choice, fanout None, is counted as the star: an upper bound.)
        mib_out = min(k, fanout or k) * k * (size + BLOB_OVERHEAD) / 2**20
        derived.append({
            "agents": k, "payload": size, "fanout": fanout,
            "fence_ms": summary([v / 1e3 for v in many["fence_us"]["samples"]]),
            "launcher_cpu_per_fence_ms": summary(cpu),
            "launcher_cpu_per_fence_ms_from_medians":
                (many["cpu_s"]["median"] - one["cpu_s"]["median"]) / 10 * 1e3,
            "agents_and_ranks_cpu_per_fence_ms": summary(job),
            "mib_out_per_fence": mib_out,
            "launcher_cpu_ms_per_mib_out": statistics.median(cpu) / mib_out,
            "launcher_busy": statistics.median(cpu) / fence_ms if fence_ms > 0 else None,
            "launcher_maxrss_kib": summary(many["maxrss_kib"]["samples"]),
            "launcher_maxrss_kib_1_fence": one["maxrss_kib"]["median"],
            "wall_s": many["wall_ms"]["median"] / 1e3,
        })
    return derived


SETS = {"launch": launch_cases, "fence": fence_cases, "pt2pt": pt2pt_cases,
        "scale": scale_cases}


def run_set(name, args, build):
    with tempfile.TemporaryDirectory(prefix=f"cmpi-harness-{name}.") as work:
        ssh = name == "launch" and args.containers
        if ssh:
            run(["bash", os.path.join(HERE, "ssh-cluster.sh"), "setup", work + "/ssh", build], 900)
        try:
            cases = SETS[name](args, build, work)
            for r in range(args.rounds):
                print(f"harness: {name}: round {r + 1} of {args.rounds}, {len(cases)} cases",
                      file=sys.stderr, flush=True)
                for case in cases:
                    case.record(case.measure(case))
        finally:
            if ssh:
                subprocess.run(["bash", os.path.join(HERE, "ssh-cluster.sh"), "teardown",
                                work + "/ssh"], check=False)
    doc = {
        "set": name,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "kernel": os.uname().release,
        "rounds": args.rounds,
        "results": [],
    }
    for c in cases:
        entry = {"tool": c.tool, "x": c.x, "command": shlex.join(c.cmd), **c.extra,
                 "figures": {str(k): summary(v) for k, v in c.samples.items()}}
        if c.phases:
            entry["phases_ms"] = {p: summary(v) for p, v in c.phases.items()}
        doc["results"].append(entry)
    if name == "scale":
        doc["method"] = (
            "cmpirun -n K --agents K pmix_fence -s BYTES -r 11 -t and -r 1, one after the other "
            "in every round. fence_us: pmix_fence's median of its fences. cpu_s: cmpirun's own "
            "run time from /proc/PID/schedstat, read after it exited and before it was reaped "
            "(waitid WNOWAIT); user_s, sys_s: /proc/PID/stat in ticks; children_cpu_s: cutime + "
            "cstime, the agents and ranks it reaped. maxrss_kib: cmpirun's VmHWM, polled every "
            "20 ms. derived: per (K, BYTES), launcher CPU per fence = (cpu(11) - cpu(1)) / 10 "
            "paired within each round; mib_out_per_fence is an estimate, K * K * (BYTES + "
            f"{BLOB_OVERHEAD}) B; launcher_busy = CPU per fence / median fence.")
        doc["derived"] = scale_derived(doc)
        doc["skipped"] = [{"agents": k, "payload": b} for k, b in sorted(args.scale_skip)]
    path = os.path.join(args.out, f"{name}.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    print_table(doc)
    print(f"(all samples: {path})\n")


def print_tree_ratios(derived):
    """Each tree against the star of the same run, as ratios of medians (below 1: the tree
    does better): fence time, the launcher's CPU per fence, the agents' and ranks' CPU."""
    star = {(d["agents"], d["payload"]): d for d in derived if d.get("fanout", 0) == 0}
    trees = [d for d in derived if d.get("fanout") and (d["agents"], d["payload"]) in star]
    if not trees:
        return
    print("\n| agents | payload (B) | allgather | fence: tree/star | launcher CPU per fence: "
          "tree/star | agents+ranks CPU per fence: tree/star |")
    print("|---|---|---|---|---|---|")

    def ratio(d, s, key):
        a, b = d[key]["median"], s[key]["median"]
        return f"{a / b:.2f}" if b > 0 else "-"
    for d in trees:
        s = star[(d["agents"], d["payload"])]
        print(f"| {d['agents']} | {d['payload']} | tree {d['fanout']} | "
              f"{ratio(d, s, 'fence_ms')} | {ratio(d, s, 'launcher_cpu_per_fence_ms')} | "
              f"{ratio(d, s, 'agents_and_ranks_cpu_per_fence_ms')} |")


def print_table(doc):
    print(f"# {doc['set']}: medians of {doc['rounds']} rounds, {doc['date']}, {doc['cpus']} CPUs")
    if doc["set"] == "launch":
        print("| ranks | tool | wall ms | cmpirun phases: agents connected / ranks in MPI_Init / exited / cleaned up (ms) |")
        print("|---|---|---|---|")
        for r in doc["results"]:
            ph = r.get("phases_ms", {})
            steps = " / ".join(f"{ph[p]['median']:.0f}" if p in ph else "-" for p in
                               ("agents_connected", "ranks_in_mpi", "ranks_exited", "cleaned_up"))
            print(f"| {r['x']} | {r['tool']} | {r['figures']['wall_ms']['median']:.0f} | "
                  f"{steps if ph else ''} |")
    elif doc["set"] == "fence":
        print("| ranks | payload (B) | tool | median fence (us) |")
        print("|---|---|---|---|")
        for r in doc["results"]:
            print(f"| {r['ranks']} | {r['payload']} | {r['tool']} | "
                  f"{r['figures']['fence_us']['median']:.1f} |")
    elif doc["set"] == "scale":
        print("| agents | payload (B) | allgather | fence (ms) | launcher CPU per fence (ms, min..max) | "
              "launcher busy | MiB out per fence | launcher CPU per MiB out (ms) | "
              "agents+ranks CPU per fence (ms) | launcher peak RSS (MiB) | job wall, 11 fences (s) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for d in doc["derived"]:
            cpu = d["launcher_cpu_per_fence_ms"]
            shape = shape_name(d.get("fanout", 0))
            print(f"| {d['agents']} | {d['payload']} | {shape} | {d['fence_ms']['median']:.1f} | "
                  f"{cpu['median']:.2f} ({cpu['min']:.2f}..{cpu['max']:.2f}) | "
                  f"{d['launcher_busy']:.0%} | {d['mib_out_per_fence']:.2f} | "
                  f"{d['launcher_cpu_ms_per_mib_out']:.2f} | "
                  f"{d['agents_and_ranks_cpu_per_fence_ms']['median']:.1f} | "
                  f"{d['launcher_maxrss_kib']['median'] / 1024:.1f} | {d['wall_s']:.1f} |")
        for s in doc.get("skipped", []):
            print(f"(not run: {s['agents']} agents, {s['payload']} B)")
        print_tree_ratios(doc["derived"])
    else:
        for bench in ("latency", "bw"):
            rows = [r for r in doc["results"] if r["benchmark"] == bench]
            if not rows:
                continue
            sizes = sorted({int(s) for r in rows for s in r["figures"]})
            print(f"| {bench}: size | " + " | ".join(r["tool"] for r in rows) + " |")
            print("|---" * (len(rows) + 1) + "|")
            for s in sizes:
                cells = [f"{r['figures'][str(s)]['median']:.2f}" if str(s) in r["figures"] else "-"
                         for r in rows]
                print(f"| {s} | " + " | ".join(cells) + " |")


def main():
    p = argparse.ArgumentParser(description="Run benchmark sets in alternation; write JSON.")
    p.add_argument("sets", nargs="+", choices=sorted(SETS))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", default=None, help="directory for SET.json (default: BUILD/bench-results)")
    p.add_argument("--build", default=os.environ.get("BUILD", os.path.join(HERE, "..", "build")))
    p.add_argument("--quick", action="store_true", help="tiny counts and sizes (for tests)")
    p.add_argument("--no-containers", dest="containers", action="store_false")
    p.add_argument("--ranks", default=None, help="launch: rank counts, comma-separated")
    p.add_argument("--scale-skip", action="append", default=[], metavar="AGENTS:BYTES",
                   help="scale: leave this point out (repeatable), to bound the time")
    p.add_argument("--scale-fanouts", default="default", metavar="K,K...",
                   help="scale: the allgathers to run, in turn: 0 the star, K a tree of "
                        "fanout K (--tree-fanout K), 'default' cmpirun's own choice (no "
                        "option); default: default")
    p.add_argument("--timeout", type=int, default=600, help="seconds a run may take")
    args = p.parse_args()
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    build = os.path.abspath(args.build)
    args.out = os.path.abspath(args.out or os.path.join(build, "bench-results"))
    os.makedirs(args.out, exist_ok=True)
    if args.quick:
        args.ranks = [int(x) for x in (args.ranks or "1,2").split(",")]
        args.fence_configs = [(4, [1, 2], [1, 1024])]
        args.max_size, args.iters = "1024", ["-i", "50", "-x", "5"]
        args.scale_agents, args.scale_payloads = [2, 4], [1, 1024]
    else:
        args.ranks = [int(x) for x in (args.ranks or "1,2,4,8,16,32,64").split(",")]
        args.fence_configs = [(64, [1, 2, 4, 8, 16, 32, 64], [1, 1024, 65536]),
                              (256, [1, 16, 64, 256], [1, 1024])]
        args.max_size, args.iters = "1048576", []
        args.scale_agents, args.scale_payloads = [16, 32, 64, 128, 256], [1, 1024, 16384]
    args.scale_skip = {tuple(int(v) for v in pt.split(":")) for pt in args.scale_skip}
    args.scale_fanouts = [None if v == "default" else int(v) for v in args.scale_fanouts.split(",")]
    if args.containers and "launch" in args.sets:
        if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode:
            sys.exit(f"harness: no image {IMAGE} (scripts/test-images.sh), or give --no-containers")
    try:
        for name in args.sets:
            run_set(name, args, build)
    except Failure as e:
        sys.exit(f"harness: {e}")


if __name__ == "__main__":
    main()
