#!/usr/bin/env python3
"""Small-file extract, side by side: phonepack (and, with --baseline, another phonepack build) against GNU tar
and bsdtar on 20,000 files of 4 KiB in 100 folders (and "floor": phonepack's own system calls with nothing else,
extract_floor.c), into tmpfs (/dev/shm: CPU cost, no disk write-back noise) and
into a folder on disk. Prints best-of-N and median CPU (user + system) and wall time, and the ratios.

    benchmarks/bench_extract.py [--runs 10] [--only tmpfs|disk] [--baseline /path/to/older/phonepack]
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work", "extract")


def build():
    subprocess.run(["swift", "build", "-c", "release", "--product", "phonepack"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build", "release", "phonepack")


def make_tar():
    tar = os.path.join(WORK, "small.tar")
    if os.path.exists(tar):
        return tar
    tree = os.path.join(WORK, "tree")
    for d in range(100):
        os.makedirs(os.path.join(tree, "d%03d" % d), exist_ok=True)
        for f in range(200):
            with open(os.path.join(tree, "d%03d" % d, "f%03d" % f), "wb") as out:
                out.write(os.urandom(4096))
    subprocess.run(["tar", "-cf", tar, "-C", tree, "."], check=True)
    return tar


def measure(cmd, target):
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    subprocess.run(["sync"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    subprocess.run(cmd + [target], check=True, stdout=subprocess.DEVNULL)
    wall = time.time() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--only", choices=["tmpfs", "disk"], help="one of the two targets (disk runs take minutes)")
    p.add_argument("--baseline", help="another phonepack binary to compare with (e.g. a build of an older commit)")
    args = p.parse_args()
    os.makedirs(WORK, exist_ok=True)
    tar = make_tar()
    tools = {"phonepack": [build(), "extract", tar, "-C"]}
    if args.baseline:
        tools["baseline"] = [args.baseline, "extract", tar, "-C"]
    floor = os.path.join(WORK, "extract_floor")
    if shutil.which("gcc") and subprocess.run(
            ["gcc", "-O2", "-o", floor, os.path.join(HERE, "extract_floor.c")]).returncode == 0:
        tools["floor"] = [floor, tar]  # phonepack's system calls alone (extract_floor.c)
    tools["gnutar"] = ["tar", "-xf", tar, "--no-same-owner", "-C"]
    if shutil.which("bsdtar"):
        tools["bsdtar"] = ["bsdtar", "-xf", tar, "--no-same-owner", "-C"]
    for label, target in [("tmpfs", "/dev/shm/phonepack-bench-extract"), ("disk", os.path.join(WORK, "out"))]:
        if args.only and args.only != label:
            continue
        results = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, cmd in tools.items():  # interleaved, so drift hits every tool alike
                results[name].append(measure(cmd, target))
        shutil.rmtree(target, ignore_errors=True)
        print("%s (%d runs):" % (label, args.runs))
        best = {}
        for name, values in results.items():
            cpu = sorted(c for _, c in values)
            wall = sorted(w for w, _ in values)
            best[name] = cpu[0]
            print("  %-10s cpu best %.3f s median %.3f s   wall best %.3f s median %.3f s"
                  % (name, cpu[0], statistics.median(cpu), wall[0], statistics.median(wall)))
        for other in [n for n in tools if n != "phonepack"]:
            print("  phonepack / %-8s best cpu %.2f" % (other, best["phonepack"] / best[other]))


if __name__ == "__main__":
    sys.exit(main())
