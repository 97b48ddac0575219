#!/usr/bin/env python3
"""`phonepack release` of a 1 GiB app against `phonepack upload` of the same finished tar (issue 14, item 4).

    benchmarks/bench_release.py [--size-mib 1024] [--runs 5] [--disk] [--binary OLD/phonepack] [--limit-rate 200M]

The app is a real aapt APK with a stored asset of --size-mib (bench_archive's `make_app`, no data files); the
emulator (release build) plays OBS and CPH with its data on tmpfs (/dev/shm), or on disk with --disk, as do
the release's work folder (TMPDIR) and the finished tar. Interleaved, best of --runs:

  upload   phonepack upload APP.tar obs://bucket/up.tar          (the tar built once beforehand)
  release  phonepack release APP --to obs://bucket/rel.tar --servers server0001 --no-wait
           (build + verify + upload + one PushShareApps; the object is deleted before each run, so it uploads)

and prints release / upload (target ≤ 1.2), with each one's CPU time (user + system) and peak RSS. With
--binary, that phonepack's release runs too, in the same loop against the same emulator (before / after).
With --limit-rate every command sends at most that many bytes per second, as over a real link: the loopback
emulator otherwise makes the upload CPU-bound on the same cores the build needs.
"""
import argparse, json, os, shutil, signal, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_archive import make_app, sh  # noqa: E402


def run(cmd, env):
    start = time.perf_counter()
    out = subprocess.run(f"/usr/bin/time -o {env['BENCH_TIME']} -f '%M %U %S' {cmd}", shell=True, env=env,
                         capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {cmd}\n{out.stderr}")
    rss, user, system = open(env["BENCH_TIME"]).read().split()[-3:]
    return wall, float(user) + float(system), int(rss) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--disk", action="store_true", help="emulator data, work folder and tar on disk")
    parser.add_argument("--binary", help="an older phonepack whose release is measured too")
    parser.add_argument("--limit-rate", help="bandwidth cap for every command, e.g. 200M")
    args = parser.parse_args()
    sh(f"{ROOT}/scripts/setup.sh --bench >/dev/null")
    sh(f"cd {ROOT} && swift build -c release --product phonepack >/dev/null && "
       f"swift build -c release --product phonepack-emulator >/dev/null")
    bindir = subprocess.check_output(f"cd {ROOT} && swift build -c release --show-bin-path", shell=True,
                                     text=True).strip()
    app = os.path.join(HERE, "work", f"release-app-{args.size_mib}")
    make_app(app, args.size_mib << 20, 0)
    work = os.path.join(HERE, "work", "release-run") if args.disk else "/dev/shm/phonepack-bench-release"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(f"{work}/tmp")
    emulator = subprocess.Popen(
        [f"{bindir}/phonepack-emulator", "--data", f"{work}/data", "--bucket", "my-cph-bucket", "--servers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = dict(pair.split("=", 1) for pair in emulator.stdout.readline().split()[1:])
    env = dict(os.environ, PHONEPACK_OBS_ENDPOINT=ready["obs"], PHONEPACK_CPH_ENDPOINT=ready["cph"],
               OBS_ACCESS_KEY_ID="PHONEPACKEMULATORAK", OBS_SECRET_ACCESS_KEY="phonepack-emulator-secret",
               HUAWEICLOUD_SDK_PROJECT_ID="0123456789abcdef", PHONEPACK_STATE_DIR=f"{work}/state",
               PHONEPACK_CONFIG=f"{work}/none.toml", TMPDIR=f"{work}/tmp", BENCH_TIME=f"{work}/time.txt")
    pp = f"{bindir}/phonepack"
    try:
        sh(f"{pp} build {app} -o {work}/app.tar --mtime 0 >/dev/null", env=env)
        size = os.path.getsize(f"{work}/app.tar")
        print(f"app: {size / 2**20:.0f} MiB tar; data on {'disk' if args.disk else 'tmpfs'}; best of {args.runs}"
              + (f"; --limit-rate {args.limit_rate}" if args.limit_rate else ""), flush=True)
        rate = f" --limit-rate {args.limit_rate}" if args.limit_rate else ""
        release = "release {app} --to obs://my-cph-bucket/rel.tar --mtime 0 --servers server0001 --no-wait" + rate
        commands = [
            ("upload", f"{pp} upload {work}/app.tar obs://my-cph-bucket/up.tar" + rate, "up.tar"),
            ("release", f"{pp} " + release.format(app=app), "rel.tar"),
        ]
        if args.binary:
            commands.append(("old", f"{args.binary} " + release.format(app=app), "rel.tar"))
        best = {name: (float("inf"), 0, 0) for name, _, _ in commands}
        for r in range(args.runs):
            for name, cmd, key in commands:
                subprocess.run(f"{pp} rm 'obs://my-cph-bucket/{key}*'", shell=True,
                               env=env, capture_output=True)
                sh("sync")
                wall, cpu, rss = run(cmd, env)
                print(f"  run {r + 1} {name:8} {wall:6.3f} s  CPU {cpu:6.2f} s  RSS {rss:5.1f} MiB", flush=True)
                if wall < best[name][0]:
                    best[name] = (wall, cpu, rss)
        up = best["upload"]
        for name, (wall, cpu, rss) in best.items():
            print(f"{name:8} {wall:.3f} s (CPU {cpu:.2f} s, {rss:.1f} MiB)"
                  + ("" if name == "upload" else f"  {name} / upload = {wall / up[0]:.2f}"))
        print("target: release / upload ≤ 1.2")
    finally:
        emulator.send_signal(signal.SIGKILL)
        emulator.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
