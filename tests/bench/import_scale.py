#!/usr/bin/env python3
"""effbench import at scale: Google Benchmark files of N benchmarks, imported
and checked for regressions, timed with their peak memory.

    tests/bench/import_scale.py [--effbench build/harness/cli/effbench]
                                [--sizes 12500,25000,50000,100000] [--reps 3]

Each file holds N benchmarks of `--reps` repetitions (iteration rows with a
cpu_time and a user counter, about 1.6 kB a benchmark, as the 123,722-benchmark
file of issue 25). Each size is imported twice into a fresh database, as two
commits, so that the second import's regression check reads a history. Prints
a line per size (seconds and peak RSS of each import) and the growth exponent
between sizes: about 1.0 is n log n or better; 2.0 was the quadratic check.
Target: 100,000 benchmarks imported and checked in <= 30 s at <= 500 MB RSS on
two cores. Exits 1 when a target is missed.
"""
import argparse
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def write_file(path, n, reps, seed):
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write('{"context": {"date": "2026-12-07T02:00:00+00:00", "host_name": "bench-host",'
                ' "executable": "./suite", "num_cpus": 2, "mhz_per_cpu": 2400,'
                ' "cpu_scaling_enabled": false, "caches": [{"type": "Data", "level": 1,'
                ' "size": 32768, "num_sharing": 1}], "library_version": "v1.7.1",'
                ' "library_build_type": "release"},\n "benchmarks": [\n')
        first = True
        for b in range(n):
            name = "BM_Family%d/Case<int, %d>/%d/real_time" % (b // 100, b % 7, b)
            base = 1000.0 * (1 + b % 97)
            for r in range(reps):
                t = base * (1 + rng.gauss(0, 0.01))
                row = {"name": name, "family_index": b // 100, "per_family_instance_index": b % 100,
                       "run_name": name, "run_type": "iteration", "repetitions": reps,
                       "repetition_index": r, "threads": 1, "iterations": 1000,
                       "real_time": t, "cpu_time": t * 0.99, "time_unit": "ns",
                       "items_per_second": 1e9 / t}
                f.write(("" if first else ",\n") + json.dumps(row))
                first = False
        f.write("\n]}\n")


def run_import(effbench, path, db, commit):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    p = subprocess.run([effbench, "import", "--input-format", "gbench", path, "--db", db,
                        "--commit", commit], capture_output=True, text=True)
    seconds = time.monotonic() - start
    # ru_maxrss of the children is the largest of any child so far: each size
    # runs in a fresh child of its own below, so this is this import's peak.
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if p.returncode != 0:
        sys.exit("import failed (%d): %s" % (p.returncode, p.stderr[-2000:]))
    return seconds, max(peak_kb, before) / 1024.0, p.stdout.strip()


def measure_one(effbench, n, reps):
    """Runs in a child process, so that ru_maxrss is this size's own."""
    work = tempfile.mkdtemp(prefix="effbench-import-scale-")
    try:
        a, b = os.path.join(work, "a.json"), os.path.join(work, "b.json")
        write_file(a, n, reps, 1)
        write_file(b, n, reps, 2)
        size_mb = os.path.getsize(a) / 1e6
        db = os.path.join(work, "scale.db")
        s1, rss1, _ = run_import(effbench, a, db, "c0000001")
        s2, rss2, out2 = run_import(effbench, b, db, "c0000002")
        print(json.dumps({"n": n, "file_mb": size_mb, "first_s": s1, "second_s": s2,
                          "peak_rss_mb": max(rss1, rss2), "summary": out2}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--effbench", default="build/harness/cli/effbench")
    ap.add_argument("--sizes", default="12500,25000,50000,100000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        measure_one(args.effbench, args.one, args.reps)
        return 0
    rows = []
    print("%9s %8s %10s %10s %10s" % ("benchmarks", "file MB", "import s", "again s", "peak MB"))
    for n in [int(x) for x in args.sizes.split(",")]:
        p = subprocess.run([sys.executable, __file__, "--effbench", args.effbench,
                            "--reps", str(args.reps), "--one", str(n)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(p.stdout + p.stderr)
        r = json.loads(p.stdout.strip().splitlines()[-1])
        rows.append(r)
        print("%9d %8.1f %10.2f %10.2f %10.0f" % (n, r["file_mb"], r["first_s"], r["second_s"],
                                                   r["peak_rss_mb"]), flush=True)
    for a, b in zip(rows, rows[1:]):
        k = math.log(b["second_s"] / a["second_s"]) / math.log(b["n"] / a["n"])
        print("growth %d -> %d: time ~ n^%.2f" % (a["n"], b["n"], k))
    largest = rows[-1]
    ok = True
    if largest["n"] >= 100000:
        worst = max(largest["first_s"], largest["second_s"])
        ok = worst <= 30 and largest["peak_rss_mb"] <= 500
        print("target (100,000 benchmarks: <= 30 s, <= 500 MB): %s (%.1f s, %.0f MB)" %
              ("met" if ok else "MISSED", worst, largest["peak_rss_mb"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
