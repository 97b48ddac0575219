#!/usr/bin/env python3
"""Peak memory and time of listing and comparing archives of many entries, beside GNU tar, in one run.

    benchmarks/bench_listing.py [--entries 200000,400000] [--runs 3]

For each count, a tar of that many 10-byte files in 500 folders (benchmarks/work/, reused) and its extraction by
phonepack. Then, best of N runs, page cache warm, with the installed-style release binary:

  inspect --long   phonepack inspect T --long          vs  tar --numeric-owner -tvf T
  diff T DIR       phonepack diff T DIR                vs  tar -df T -C DIR   (GNU tar compares with the file system)
  diff T T         phonepack diff T T                  (a tar against a tar: GNU tar has no such verb)

Targets (issue 28): at 200,000 entries, inspect --long <= 32 MiB and diff <= 64 MiB peak RSS.
"""
import argparse, os, shutil, subprocess, sys, tarfile, io, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def phonepack():
    sh(f"cd {ROOT} && swift build -c release --product phonepack >/dev/null")
    return subprocess.check_output(
        f"cd {ROOT} && swift build -c release --show-bin-path", shell=True, text=True).strip() + "/phonepack"


def make(count, binary):
    tar = os.path.join(WORK, f"many-{count}.tar")
    folder = os.path.join(WORK, f"many-{count}")
    if not os.path.exists(tar + ".complete"):
        with tarfile.open(tar, "w", format=tarfile.GNU_FORMAT) as t:
            for i in range(count):
                info = tarfile.TarInfo("d%03d/f%07d.txt" % (i % 500, i))
                info.size, info.mtime = 10, 1700000000
                t.addfile(info, io.BytesIO(b"0123456789"))
        open(tar + ".complete", "w").close()
    if not os.path.isdir(folder):
        sh(f"{binary} extract {tar} -C {folder} >/dev/null")
    return tar, folder


def timed(cmd, runs, expect=(0,)):
    best, rss = float("inf"), 0
    tf = os.path.join(WORK, "time.txt")
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(f"/usr/bin/time -o {tf} -f %M {cmd}", shell=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if result.returncode not in expect:
            sys.exit(f"bench_listing: {cmd} exited {result.returncode}")
        best = min(best, elapsed)
        rss = max(rss, int(open(tf).read().split()[-1]))
    return best, rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", default="200000,400000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sh(f"{ROOT}/scripts/setup.sh --bench")
    os.makedirs(WORK, exist_ok=True)
    binary = phonepack()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'entries':>8} {'command':16} {'phonepack':>10} {'RSS':>9} {'GNU tar':>9} {'RSS':>9}")
    for count in (int(c) for c in args.entries.split(",")):
        tar, folder = make(count, binary)
        rows = [
            ("inspect --long", f"{binary} inspect {tar} --long", f"tar --numeric-owner -tvf {tar}"),
            ("diff T DIR", f"{binary} diff {tar} {folder}", f"tar -df {tar} -C {folder}"),
            ("diff T T", f"{binary} diff {tar} {tar}", None),
        ]
        for name, ours, theirs in rows:
            (t1, r1) = timed(ours, args.runs)
            line = f"{count:>8} {name:16} {t1:9.2f}s {r1 / 1024:7.1f}Mi"
            if theirs:
                (t2, r2) = timed(theirs, args.runs)
                line += f" {t2:8.2f}s {r2 / 1024:7.1f}Mi"
            print(line)


if __name__ == "__main__":
    main()
