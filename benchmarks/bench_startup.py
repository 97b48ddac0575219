#!/usr/bin/env python3
"""Start-up: phonepack's quick commands against tar's, side by side in one run (issue 14).

    benchmarks/bench_startup.py [--runs N] [--binary PATH ...]

Measured with `perf stat -r N` (mean wall time of N runs after a warm-up run): `--version`, `build --help`,
`inspect` (summary and --long) and `verify` of a 2,000-entry tar, against `tar --version` and `tar -tvf` of the same tar. By default the
binary is the one `scripts/install.sh` builds (release, Swift runtime linked in, in its own scratch folder);
--binary adds others (e.g. an older build) to the same run. Ratios are printed against `tar -tvf`.
"""
import argparse, os, re, shutil, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = "/dev/shm/phonepack-bench-startup"


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def mean_seconds(command, runs):
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run(["perf", "stat", "-r", str(runs)] + command, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True).stderr
    match = re.search(r"([0-9.]+) \+- [0-9.]+ seconds time elapsed", out)
    if not match:
        sys.exit(f"perf stat gave no time for {command}: {out[-500:]}")
    return float(match.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--binary", action="append", default=[], help="another phonepack to measure alongside")
    args = parser.parse_args()
    sh(f"{ROOT}/scripts/setup.sh --bench >/dev/null")
    if not shutil.which("perf"):
        sh("apt-get install -y -qq linux-perf >/dev/null")
    scratch = f"{ROOT}/.build-install"
    sh(f"cd {ROOT} && swift build -c release --product phonepack --static-swift-stdlib --scratch-path {scratch} >/dev/null")
    installed = subprocess.check_output(
        f"cd {ROOT} && swift build -c release --scratch-path {scratch} --show-bin-path", shell=True, text=True).strip()
    binaries = [f"{installed}/phonepack"] + args.binary
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(f"{WORK}/app/d")
    for i in range(2000):
        with open(f"{WORK}/app/d/f{i:05d}", "wb") as f:
            f.write(b"x" * (i % 700))
    tar = f"{WORK}/t.tar"
    sh(f"tar -cf {tar} -C {WORK}/app .")
    try:
        tar_list = mean_seconds(["tar", "-tvf", tar], args.runs)
        print(f"tar --version           {mean_seconds(['tar', '--version'], args.runs) * 1000:6.1f} ms")
        print(f"tar -tvf (2,000 entries) {tar_list * 1000:6.1f} ms")
        for binary in binaries:
            print(binary)
            for label, command in [("--version", ["--version"]), ("build --help", ["build", "--help"]),
                                   ("inspect", ["inspect", tar]), ("inspect --long", ["inspect", tar, "--long"]),
                                   ("verify --profile huawei-push-file",
                                                                                  ["verify", tar, "--profile", "huawei-push-file"])]:
                seconds = mean_seconds([binary] + command, args.runs)
                print(f"  {label:34} {seconds * 1000:6.1f} ms  ({seconds / tar_list:4.1f}× tar -tvf)")
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
