#!/usr/bin/env python3
"""vs-osu.py OSU_OPENMPI OSU_MPICH [--rounds N] [--json FILE] - our MPI latency and bw
(benchmarks/mpi) against the OSU Micro-Benchmarks' osu_latency and osu_bw built for the same
MPI, each under the MPI's own launcher (mpirun, hydra's mpiexec) and under cmpirun, 2 ranks,
both programs' default sizes (0 or 1 B to 4 MiB; OSU 5.3 has no -m) and iterations. OSU_* are directories holding
osu_latency and osu_bw built with that MPI's mpicc: OSU is built beside the project, never
in it. All eight runs of an MPI and benchmark alternate, ROUNDS times (default 5); prints the
per-size medians and the ratios ours/OSU (same launcher) and cmpirun/own launcher (same
program). A failed run or a table that cannot be read stops it.
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Failure, run, table  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHERS = {"openmpi": ("mpirun", ["mpirun.openmpi", "--allow-run-as-root", "-n", "2"]),
             "mpich": ("mpiexec.hydra", ["mpiexec.hydra", "-n", "2"])}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("osu_openmpi")
    p.add_argument("osu_mpich")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--json")
    p.add_argument("--build", default=os.environ.get("BUILD", os.path.join(HERE, "..", "build")))
    args = p.parse_args()
    build = os.path.abspath(args.build)
    cmpirun = [os.path.join(build, "bin", "cmpirun"), "-n", "2"]
    osu = {"openmpi": os.path.abspath(args.osu_openmpi), "mpich": os.path.abspath(args.osu_mpich)}
    results = {}
    try:
        for mpi in ("openmpi", "mpich"):
            own, own_cmd = LAUNCHERS[mpi]
            for bench, osu_name in (("latency", "osu_latency"), ("bw", "osu_bw")):
                progs = {"ours": [os.path.join(build, "benchmarks", f"{bench}.{mpi}")],
                         "OSU": [os.path.join(osu[mpi], osu_name)]}
                cases = [(prog, launcher, lcmd + progs[prog])
                         for prog in ("ours", "OSU")
                         for launcher, lcmd in ((own, own_cmd), ("cmpirun", cmpirun))]
                samples = {(prog, launcher): {} for prog, launcher, _ in cases}
                for r in range(args.rounds):
                    print(f"vs-osu: {mpi} {bench}: round {r + 1} of {args.rounds}",
                          file=sys.stderr, flush=True)
                    for prog, launcher, cmd in cases:
                        _, out = run(cmd, 600)
                        for size, v in table(out, cmd).items():
                            samples[(prog, launcher)].setdefault(size, []).append(v)
                results[(mpi, bench)] = (own, samples)
    except Failure as e:
        sys.exit(f"vs-osu: {e}")

    doc = []
    for (mpi, bench), (own, samples) in results.items():
        med = {k: {s: statistics.median(v) for s, v in d.items()} for k, d in samples.items()}
        sizes = sorted(set.intersection(*(set(d) for d in med.values())))
        print(f"\n# {bench}, {mpi}: medians of {args.rounds} rounds "
              f"({'us' if bench == 'latency' else 'MB/s'})")
        print(f"| size | ours, {own} | OSU, {own} | ours/OSU | ours, cmpirun | OSU, cmpirun | "
              f"OSU cmpirun/{own} |")
        print("|---|---|---|---|---|---|---|")
        for s in sizes:
            a, b = med[("ours", own)][s], med[("OSU", own)][s]
            c, d = med[("ours", "cmpirun")][s], med[("OSU", "cmpirun")][s]
            print(f"| {s} | {a:.2f} | {b:.2f} | {a / b:.3f} | {c:.2f} | {d:.2f} | {d / b:.3f} |")
        doc.append({"mpi": mpi, "benchmark": bench, "own_launcher": own,
                    "samples": {f"{prog} under {launcher}": {str(s): v for s, v in d.items()}
                                for (prog, launcher), d in samples.items()}})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
