#!/usr/bin/env python3
"""Times phonepack's archive paths against the standard tools on the same input, in one run, and prints ratios.

    benchmarks/bench_archive.py [--runs N] [--only large|small] [--keep]

Data sets (generated under benchmarks/work/, reused when present):
  large  an app whose base.apk is ~1 GiB (a real aapt APK with a 1 GiB stored asset) plus 3,000 small data files
  small  an app with 20,000 files of 4 KiB in 100 folders

Compared (each best of N runs, page cache warm, `sync` before every run so earlier writes don't bleed in):
  build   phonepack build DIR -o out.tar       (writes the tar and its SHA-256)
  tar     GNU tar -cf out.tar DIR              (no hashing)
  pipe    tar -cf - DIR | tee out.tar | sha256sum   (what users do today)
  dgst    openssl dgst -sha256 out.tar         (the fastest SHA-256 here)
  verify  phonepack verify out.tar             (all rules + SHA-256, one pass)
  extract phonepack extract out.tar -C DIR     (all safety checks), against bsdtar -xf and GNU tar -xf
          (each into a fresh folder, as root: the other two also restore owners)
Peak RSS comes from /usr/bin/time.
"""
import argparse, os, random, shutil, subprocess, sys, time, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def phonepack():
    sh(f"cd {ROOT} && swift build -c release --product phonepack >/dev/null")
    return subprocess.check_output(f"cd {ROOT} && swift build -c release --show-bin-path", shell=True, text=True).strip() + "/phonepack"


def make_app(path, big_bytes, small_files):
    if os.path.exists(path + ".complete"):
        return
    shutil.rmtree(path, ignore_errors=True)
    sh(f"{ROOT}/samples/make-sample.sh {path} >/dev/null")
    shutil.rmtree(os.path.join(path, "data"))
    if big_bytes:
        with zipfile.ZipFile(os.path.join(path, "base.apk"), "a", compression=zipfile.ZIP_STORED) as z:
            with z.open("assets/big.bin", "w", force_zip64=True) as out:
                left = big_bytes
                while left:
                    n = min(left, 8 << 20)
                    out.write(os.urandom(n))
                    left -= n
    for i in range(small_files):
        d = os.path.join(path, "data", f"d{i % 100:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
            f.write(os.urandom(4096))
    open(path + ".complete", "w").close()  # beside the app: build accepts only the app layout inside


def timed(cmd, runs, prepare=None):
    """Best wall time of `runs` runs and the peak RSS (KiB) of the first command in the pipeline."""
    best, rss = float("inf"), 0
    for _ in range(runs):
        if prepare:
            sh(prepare)
        sh("sync")
        tf = os.path.join(WORK, "time.txt")
        start = time.perf_counter()
        subprocess.run(f"/usr/bin/time -o {tf} -f %M {cmd}", shell=True, check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        rss = max(rss, int(open(tf).read().split()[-1]))
    return best, rss


def run_set(name, app, binary, runs):
    out = os.path.join(WORK, f"{name}.tar")
    rm = f"rm -f {WORK}/{name}*.tar*"
    r = {}
    r["build"] = timed(f"{binary} build {app} -o {out} --mtime 0", runs, rm)
    r["tar"] = timed(f"tar -cf {out}.gnu.tar -C {app} .", runs, rm)
    r["pipe"] = timed(f"sh -c 'tar -cf - -C {app} . | tee {out}.pipe.tar | sha256sum'", runs, rm)
    sh(f"{binary} build {app} -o {out} --mtime 0 >/dev/null")
    r["dgst"] = timed(f"openssl dgst -sha256 {out}", runs)
    r["verify"] = timed(f"{binary} verify {out}", runs)
    dest = os.path.join(WORK, f"{name}-x")
    fresh = f"rm -rf {dest} && mkdir {dest}"
    r["extract"] = timed(f"{binary} extract {out} -C {dest}", runs, fresh)
    r["bsdtar-x"] = timed(f"bsdtar -xf {out} -C {dest}", runs, fresh)
    r["gnutar-x"] = timed(f"tar -xf {out} -C {dest}", runs, fresh)
    sh(f"rm -rf {dest}")
    size = os.path.getsize(out)
    entries = int(subprocess.check_output(f"tar -tf {out} | wc -l", shell=True, text=True))
    return r, size, entries


def report(name, r, size, entries):
    print(f"\n## {name}: tar of {size / 2**20:.0f} MiB, {entries} entries")
    print(f"{'command':<9} {'seconds':>8} {'MB/s':>8} {'files/s':>9} {'peak RSS':>9}")
    for k, (t, rss) in r.items():
        print(f"{k:<9} {t:8.3f} {size / t / 1e6:8.0f} {entries / t:9.0f} {rss / 1024:7.1f}MiB")
    slower = max(r["tar"][0], r["dgst"][0])
    print(f"build / max(tar, dgst)  = {r['build'][0] / slower:.2f}   (target <= 1.10)")
    print(f"build / pipe            = {r['build'][0] / r['pipe'][0]:.2f}   (target < 1.00)")
    print(f"tar files/s / build files/s = {r['build'][0] / r['tar'][0]:.2f}   (target <= 1.00 for the small set)")
    print(f"verify / dgst           = {r['verify'][0] / r['dgst'][0]:.2f}   (target <= 1.10)")
    print(f"peak RSS build / verify = {r['build'][1] / 1024:.1f} / {r['verify'][1] / 1024:.1f} MiB   (target <= 32)")
    faster = min(r["bsdtar-x"][0], r["gnutar-x"][0])
    print(f"extract / min(bsdtar, GNU tar) = {r['extract'][0] / faster:.2f}   (target <= 1.00)")
    print(f"peak RSS extract        = {r['extract'][1] / 1024:.1f} MiB   (target <= 32)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--only", choices=["large", "small"])
    args = p.parse_args()
    sh(f"{ROOT}/scripts/setup.sh --bench")
    os.makedirs(WORK, exist_ok=True)
    binary = phonepack()
    sets = {"large": (1 << 30, 3000), "small": (0, 20000)}
    for name, (big, small) in sets.items():
        if args.only and args.only != name:
            continue
        app = os.path.join(WORK, f"app-{name}")
        make_app(app, big, small)
        r, size, entries = run_set(name, app, binary, args.runs)
        report(name, r, size, entries)


if __name__ == "__main__":
    main()
