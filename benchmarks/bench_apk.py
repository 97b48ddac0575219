#!/usr/bin/env python3
"""Times phonepack's APK signature verification on a 2 GiB signed APK against apksigner and OpenSSL's SHA-256.

    benchmarks/bench_apk.py [--runs N] [--size-mib N]

The APK (benchmarks/work/big-apk/, reused when present): samples/make-sample.sh's app plus stored assets of
random bytes up to --size-mib (default 2048), written as a plain ZIP (no ZIP64: Android signs none), aligned by
zipalign and signed by Debian's apksigner (v1+v2+v3). It is timed where it lies on disk and from a copy on tmpfs
(/dev/shm), each best of N runs with the page cache warm:

  inspect   phonepack inspect big.apk --json   (manifest + v2/v3 content digests and signatures, as verify)
  apksigner apksigner verify big.apk           (the reference verifier, a JVM)
  dgst      openssl dgst -sha256 big.apk       (one SHA-256 pass: the single-core floor)

Target (issue 27): >= 1 GB/s of SHA-256 over the APK, constant memory (peak RSS from /usr/bin/time).
"""
import argparse, os, shutil, subprocess, sys, time, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def phonepack():
    sh(f"cd {ROOT} && swift build -c release --product phonepack >/dev/null")
    return subprocess.check_output(
        f"cd {ROOT} && swift build -c release --show-bin-path", shell=True, text=True).strip() + "/phonepack"


def make_apk(path, size_mib):
    done = path + f".{size_mib}.complete"
    if os.path.exists(done):
        return
    folder = os.path.join(WORK, "big-apk-app")
    shutil.rmtree(folder, ignore_errors=True)
    sh(f"{ROOT}/samples/make-sample.sh {folder} --unsigned >/dev/null")
    unsigned = os.path.join(WORK, "big-unsigned.apk")
    zipfile.ZIP64_LIMIT = (1 << 32) - 2  # classic ZIP fields are unsigned 32-bit: no ZIP64 below 4 GiB
    shutil.copy(os.path.join(folder, "base.apk"), unsigned)
    chunk = 256 << 20
    with zipfile.ZipFile(unsigned, "a", compression=zipfile.ZIP_STORED) as z:
        for index in range(size_mib * (1 << 20) // chunk):
            with z.open(f"assets/part{index:02d}.bin", "w") as out:
                for _ in range(chunk // (8 << 20)):
                    out.write(os.urandom(8 << 20))
    aligned = os.path.join(WORK, "big-aligned.apk")
    sh(f"zipalign -f -p 4 {unsigned} {aligned}")
    sh(f"apksigner sign --key {ROOT}/samples/keys/demo.pk8 --cert {ROOT}/samples/keys/demo.x509.pem "
       f"--out {path} {aligned}")
    for leftover in (unsigned, aligned, path + ".idsig"):
        if os.path.exists(leftover):
            os.remove(leftover)
    open(done, "w").close()


def timed(cmd, runs):
    best, rss = float("inf"), 0
    tf = os.path.join(WORK, "time.txt")
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(f"/usr/bin/time -o {tf} -f %M {cmd}", shell=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"bench_apk: {cmd} failed ({result.returncode})")
        best = min(best, elapsed)
        rss = max(rss, int(open(tf).read().split()[-1]))
    return best, rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=2048)
    args = parser.parse_args()
    sh(f"{ROOT}/scripts/setup.sh --bench")
    os.makedirs(WORK, exist_ok=True)
    binary = phonepack()
    apk = os.path.join(WORK, "big.apk")
    make_apk(apk, args.size_mib)
    size = os.path.getsize(apk)
    load = os.getloadavg()[0]
    print(f"APK {size / (1 << 30):.2f} GiB, {os.cpu_count()} cores, load average {load:.2f}")
    copies = [("disk", apk)]
    shm = "/dev/shm/phonepack-big.apk"
    if os.path.isdir("/dev/shm") and shutil.disk_usage("/dev/shm").free > size * 2:
        shutil.copy(apk, shm)
        copies.append(("tmpfs", shm))
    try:
        print(f"{'where':6} {'command':10} {'seconds':>8} {'GB/s':>6} {'peak RSS':>10} {'÷ dgst':>7}")
        for where, path in copies:
            sh(f"cat {path} > /dev/null")  # warm the page cache
            rows = [
                ("inspect", f"{binary} inspect {path} --json"),
                ("dgst", f"openssl dgst -sha256 {path}"),
                ("apksigner", f"apksigner verify {path}"),
            ]
            results = {name: timed(cmd, args.runs) for name, cmd in rows}
            for name, (seconds, rss) in results.items():
                ratio = seconds / results["dgst"][0]
                print(f"{where:6} {name:10} {seconds:8.3f} {size / seconds / 1e9:6.2f} {rss / 1024:8.1f} MiB {ratio:7.2f}")
            inspect = results["inspect"][0]
            verdict = "meets" if size / inspect >= 1e9 else "MISSES"
            print(f"{where:6} target: >= 1 GB/s -> {size / inspect / 1e9:.2f} GB/s ({verdict})")
    finally:
        if os.path.exists(shm):
            os.remove(shm)


if __name__ == "__main__":
    main()
