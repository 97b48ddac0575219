#!/usr/bin/env python3
"""A delta release beside a full upload of the same tar, in one run, on the emulator over a 100 Mbit/s link.

    benchmarks/bench_delta.py [--obb-mib 1024] [--rate 12M]

v1: a signed 30 MiB APK, a 1 GiB OBB and 2,000 data files; v2: a new APK (new code, new 30 MiB of assets) and 20
changed data files (benchmarks/work/delta/, reused). Both release builds (phonepack and phonepack-emulator), one
emulator on loopback, every transfer at --limit-rate 12M (about 100 Mbit/s):

  v1        phonepack release v1 → apps/app-42.tar            (whole: nothing to copy from)
  delta     phonepack release v2 → apps/app-43.tar            (copies what v1 has, sends the rest)
  full      phonepack release v2 → apps/app-43-full.tar --no-delta

Then apps/app-43.tar is downloaded and compared with `phonepack build v2` byte for byte.
Targets (issue 29): the delta sends <= 5 % of its tar's bytes and finishes >= 10x faster than the full upload.
"""
import argparse, json, os, shutil, subprocess, sys, time, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work", "delta")
PKG = "com.example.phonepack.demo"


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def binaries():
    sh(f"cd {ROOT} && swift build -c release --product phonepack >/dev/null")
    sh(f"cd {ROOT} && swift build -c release --product phonepack-emulator >/dev/null")
    bindir = subprocess.check_output(f"cd {ROOT} && swift build -c release --show-bin-path", shell=True,
                                     text=True).strip()
    return bindir + "/phonepack", bindir + "/phonepack-emulator"


def apk(path, version, assets_mib):
    """A signed APK with `assets_mib` of random stored assets (each version its own bytes)."""
    folder = os.path.join(WORK, f"apk-{version}")
    shutil.rmtree(folder, ignore_errors=True)
    sh(f"{ROOT}/samples/make-sample.sh {folder} --unsigned --version-code {version} >/dev/null")
    unsigned = os.path.join(folder, "base.apk")
    with zipfile.ZipFile(unsigned, "a", compression=zipfile.ZIP_STORED) as z:
        with z.open("assets/content.bin", "w") as out:
            for _ in range(assets_mib):
                out.write(os.urandom(1 << 20))
    sh(f"zipalign -f -p 4 {unsigned} {folder}/aligned.apk")
    sh(f"apksigner sign --v4-signing-enabled false --key {ROOT}/samples/keys/demo.pk8 "
       f"--cert {ROOT}/samples/keys/demo.x509.pem --out {path} {folder}/aligned.apk")
    shutil.rmtree(folder)


def make_versions(obb_mib):
    done = os.path.join(WORK, f"versions-{obb_mib}.complete")
    v1, v2 = os.path.join(WORK, "v1"), os.path.join(WORK, "v2")
    if os.path.exists(done):
        for folder in (v1, v2):  # an earlier version of this script let apksigner write a v4 .idsig beside them
            if os.path.exists(os.path.join(folder, "base.apk.idsig")):
                os.remove(os.path.join(folder, "base.apk.idsig"))
        return v1, v2
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    sh(f"{ROOT}/samples/make-sample.sh {v1} >/dev/null")
    apk(os.path.join(v1, "base.apk"), 42, 30)
    with open(os.path.join(v1, "obb", f"main.42.{PKG}.obb"), "wb") as f:
        for _ in range(obb_mib):
            f.write(os.urandom(1 << 20))
    files = os.path.join(v1, "data", "files")
    for i in range(2000):
        with open(os.path.join(files, f"f{i:04d}.bin"), "wb") as f:
            f.write(os.urandom(4096))
    shutil.copytree(v1, v2, symlinks=True)
    apk(os.path.join(v2, "base.apk"), 43, 30)
    for i in range(20):
        with open(os.path.join(v2, "data", "files", f"f{i * 97:04d}.bin"), "wb") as f:
            f.write(os.urandom(4096))
    open(done, "w").close()
    return v1, v2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--obb-mib", type=int, default=1024)
    parser.add_argument("--rate", default="12M")
    args = parser.parse_args()
    sh(f"{ROOT}/scripts/setup.sh --bench")
    phonepack, emulator = binaries()
    v1, v2 = make_versions(args.obb_mib)
    run_dir = os.path.join(WORK, "run")
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    log = open(os.path.join(run_dir, "emulator.out"), "w")
    emu = subprocess.Popen([emulator, "--data", os.path.join(run_dir, "emu"), "--bucket", "my-cph-bucket",
                            "--servers", "1", "--job-seconds", "0.1"], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            text = open(os.path.join(run_dir, "emulator.out")).read()
            if "READY" in text:
                break
            time.sleep(0.1)
        endpoints = dict(part.split("=", 1) for part in text.split("READY", 1)[1].split())
        env = dict(os.environ,
                   PHONEPACK_OBS_ENDPOINT=endpoints["obs"], PHONEPACK_CPH_ENDPOINT=endpoints["cph"],
                   PHONEPACK_IAM_ENDPOINT=endpoints["iam"], OBS_ACCESS_KEY_ID="PHONEPACKEMULATORAK",
                   OBS_SECRET_ACCESS_KEY="phonepack-emulator-secret", HUAWEICLOUD_SDK_PROJECT_ID="0123456789abcdef",
                   PHONEPACK_IAM_USER="phonepack", PHONEPACK_IAM_PASSWORD="phonepack-emulator-password",
                   PHONEPACK_STATE_DIR=os.path.join(run_dir, "state"),
                   PHONEPACK_CONFIG=os.path.join(run_dir, "none.toml"))

        def release(app, key, *extra):
            start = time.perf_counter()
            result = subprocess.run([phonepack, "release", app, "--to", f"obs://my-cph-bucket/apps/{key}",
                                     "--servers", "server0001", "--mtime", "2024-03-15", "--limit-rate", args.rate,
                                     "--json", *extra], env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            if result.returncode != 0:
                sys.exit(f"bench_delta: release {key} failed: {result.stderr[-600:]}")
            return elapsed, json.loads(result.stdout)["delivery"]

        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, --limit-rate {args.rate}")
        rows = [("v1", *release(v1, "app-42.tar")), ("delta", *release(v2, "app-43.tar")),
                ("full", *release(v2, "app-43-full.tar", "--no-delta"))]
        print(f"{'release':8} {'seconds':>8} {'tar':>12} {'sent':>12} {'copied':>12} {'sent %':>7}")
        for name, seconds, d in rows:
            sent, size = d.get("sentBytes") or 0, d["size"]
            print(f"{name:8} {seconds:8.1f} {size:12,} {sent:12,} {d.get('copiedBytes') or 0:12,} "
                  f"{100 * sent / size:6.2f}%")
        local = os.path.join(run_dir, "v2-local.tar")
        sh(f"{phonepack} build {v2} -o {local} --mtime 2024-03-15 >/dev/null")
        got = os.path.join(run_dir, "v2-stored.tar")
        subprocess.run([phonepack, "download", "obs://my-cph-bucket/apps/app-43.tar", got], env=env, check=True,
                       capture_output=True)
        identical = subprocess.run(["cmp", "-s", local, got]).returncode == 0
        delta, full = rows[1], rows[2]
        ratio = full[1] / delta[1]
        share = 100 * delta[2]["sentBytes"] / delta[2]["size"]
        print(f"delta sends {share:.2f}% of the tar ({'meets' if share <= 5 else 'MISSES'} <= 5%), "
              f"{ratio:.1f}x faster than the full upload ({'meets' if ratio >= 10 else 'MISSES'} >= 10x); "
              f"object {'identical to' if identical else 'DIFFERS FROM'} a local build")
    finally:
        emu.terminate()
        emu.wait()


if __name__ == "__main__":
    main()
