#!/usr/bin/env python3
"""`phonepack build` of a 512 MiB app against GNU tar and OpenSSL's SHA-256, outputs in RAM, in one run (issue 14).

    benchmarks/bench_build.py [--runs N] [--size-mib M] [--work DIR] [--binary PATH ...]

The app (the sample app plus one M MiB file of random bytes) and every output live in --work (default /dev/shm,
so disk write-back does not hide CPU cost; give a folder on disk for the other view). Best of N of:

  build  phonepack build APP -o out.tar --mtime 0     (the tar and its SHA-256, written to out.tar.sha256)
  tar    tar -cf t.tar -C APP .                       (GNU tar, no hashing)
  dgst   openssl dgst -sha256 out.tar                 (the fastest SHA-256 on the machine)

Target: build ≤ 1.10 × max(tar, dgst): hashing while writing should cost nothing on two cores. Peak RSS of the
builds from /usr/bin/time. The binary is the one scripts/install.sh builds (release, Swift runtime linked in);
--binary adds others (e.g. an older build) to the same run.
"""
import argparse, os, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def best(command, runs, clean):
    times = []
    for _ in range(runs):
        for name in clean:
            if os.path.exists(name):
                os.remove(name)
        start = time.perf_counter()
        subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--work", default="/dev/shm/phonepack-bench-build")
    parser.add_argument("--binary", action="append", default=[], help="another phonepack to measure alongside")
    args = parser.parse_args()
    sh(f"{ROOT}/scripts/setup.sh --bench >/dev/null")
    scratch = f"{ROOT}/.build-install"
    sh(f"cd {ROOT} && swift build -c release --product phonepack --static-swift-stdlib --scratch-path {scratch} >/dev/null")
    installed = subprocess.check_output(
        f"cd {ROOT} && swift build -c release --scratch-path {scratch} --show-bin-path", shell=True, text=True).strip()
    binaries = [f"{installed}/phonepack"] + args.binary
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(f"{ROOT}/samples/demo-app", f"{work}/app")
    with open(f"{work}/app/data/files/big.bin", "wb") as f:
        for _ in range(args.size_mib):
            f.write(os.urandom(1 << 20))
    out, sums, tarfile = f"{work}/out.tar", f"{work}/out.tar.sha256", f"{work}/t.tar"
    try:
        tar = best(f"tar -cf {tarfile} -C {work}/app .", args.runs, [tarfile])
        sh(f"{binaries[0]} build {work}/app -o {out} --mtime 0 -q >/dev/null")
        dgst = best(f"openssl dgst -sha256 {out}", args.runs, [])
        limit = max(tar, dgst)
        print(f"{args.size_mib} MiB app in {work}, best of {args.runs}: GNU tar {tar:.3f} s, openssl dgst {dgst:.3f} s")
        for binary in binaries:
            build = best(f"{binary} build {work}/app -o {out} --mtime 0 -q", args.runs, [out, sums])
            os.remove(out)
            sh(f"/usr/bin/time -o {work}/rss -f %M {binary} build {work}/app -o {out} --mtime 0 -q >/dev/null")
            rss = int(open(f"{work}/rss").read().split()[-1]) / 1024
            print(f"  {binary}: build {build:.3f} s = {build / limit:.2f} × max(tar, dgst), peak RSS {rss:.1f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
