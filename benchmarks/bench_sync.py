#!/usr/bin/env python3
"""`phonepack sync` against `s5cmd sync` and `aws s3 sync`, to the same emulator (release build), in one run.

    benchmarks/bench_sync.py [--files N] [--big B] [--big-mib M] [--runs R]

Two trees: N files of 4 KiB (default 10,000, in 100 folders) and B files of M MiB (default 20 × 50 MiB), both
on tmpfs (/dev/shm) so the disk does not hide CPU cost. For each tool and tree, into its own prefix: a first
sync (everything copied), then 1 % of the files rewritten with new bytes of the same size, then a second sync
(only those must go). Reported per tool: wall seconds, files/s for the first sync, objects sent by the second
(PUTs and part uploads in the emulator's log), peak RSS. The emulator is one process on loopback, so all three
tools share its limits; the ratios are what matter.
"""
import argparse, json, os, random, shutil, signal, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = "/dev/shm/phonepack-bench-sync"  # --work DIR moves trees and emulator data (e.g. to disk)
SECRET = "phonepack-emulator-secret"


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def make_tree(path, count, size, folders):
    os.makedirs(path)
    for i in range(count):
        folder = os.path.join(path, f"d{i % folders:03d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"f{i:06d}"), "wb") as f:
            f.write(os.urandom(size))


def change_one_percent(path, seed):
    files = sorted(os.path.join(d, n) for d, _, names in os.walk(path) for n in names)
    chosen = random.Random(seed).sample(files, max(1, len(files) // 100))
    for name in chosen:
        size = os.path.getsize(name)
        with open(name, "wb") as f:
            f.write(os.urandom(size))
    return len(chosen)


def timed(cmd, env):
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f"{WORK}/rss"] + cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {p.stderr[-500:]}")
    return wall, int(open(f"{WORK}/rss").read().split()[-1]) / 1024


def sends(log, since):
    lines = open(log).read().splitlines()[since:]
    return sum(1 for line in lines if json.loads(line)["method"] == "PUT"), len(open(log).read().splitlines())


def main():
    global WORK
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=20)
    parser.add_argument("--big-mib", type=int, default=50)
    parser.add_argument("--work", default=WORK, help="where trees and emulator data go (default: tmpfs)")
    parser.add_argument("--tools", default="phonepack,s5cmd",
                        help="comma-separated: phonepack, s5cmd, aws (aws s3 sync is slow against the emulator: see README)")
    args = parser.parse_args()
    WORK = args.work
    sh(f"{ROOT}/scripts/setup.sh --bench >/dev/null")
    sh(f"cd {ROOT} && swift build -c release --product phonepack >/dev/null && swift build -c release --product phonepack-emulator >/dev/null")
    bindir = subprocess.check_output(f"cd {ROOT} && swift build -c release --show-bin-path", shell=True, text=True).strip()
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    trees = {"small": (args.files, 4096, 100), "big": (args.big, args.big_mib << 20, 1)}
    emulator = subprocess.Popen(
        [f"{bindir}/phonepack-emulator", "--data", f"{WORK}/data", "--bucket", "bench", "--secret-key", SECRET],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready = dict(pair.split("=", 1) for pair in emulator.stdout.readline().split()[1:])
        endpoint = ready["obs"]
        env = dict(os.environ, OBS_ACCESS_KEY_ID="PHONEPACKEMULATORAK", OBS_SECRET_ACCESS_KEY=SECRET,
                   AWS_ACCESS_KEY_ID="PHONEPACKEMULATORAK", AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
                   PHONEPACK_OBS_ENDPOINT=endpoint, PHONEPACK_STATE_DIR=f"{WORK}/state",
                   PHONEPACK_CONFIG=f"{WORK}/none.toml")
        log = f"{WORK}/data/requests.jsonl"
        tools = {
            "phonepack": lambda src, prefix: [f"{bindir}/phonepack", "sync", src, f"obs://bench/{prefix}/", "-j", "8"],
            "s5cmd": lambda src, prefix: ["s5cmd", "--endpoint-url", endpoint, "sync", src + "/", f"s3://bench/{prefix}/"],
            "aws": lambda src, prefix: ["aws", "--endpoint-url", endpoint, "s3", "sync", src, f"s3://bench/{prefix}/", "--only-show-errors"],
        }
        tools = {name: tools[name] for name in args.tools.split(",")}
        results = {}
        for tree, (count, size, folders) in trees.items():
            for tool, command in tools.items():
                src = f"{WORK}/{tree}-{tool}"
                make_tree(src, count, size, folders)
                since = len(open(log).read().splitlines()) if os.path.exists(log) else 0
                first, rss1 = timed(command(src, f"{tree}-{tool}"), env)
                _, since = sends(log, since)
                changed = change_one_percent(src, seed=7)
                second, rss2 = timed(command(src, f"{tree}-{tool}"), env)
                sent, _ = sends(log, since)
                results[(tree, tool)] = (first, second, sent, changed, max(rss1, rss2))
                print(f"{tree:5} {tool:9}: first {first:7.2f} s ({count / first:8.0f} files/s), re-sync of {changed} changed "
                      f"{second:6.2f} s, {sent} PUTs, peak RSS {max(rss1, rss2):6.1f} MiB", flush=True)
                shutil.rmtree(src)
        for tree in trees:
            p, s = results[(tree, "phonepack")], results[(tree, "s5cmd")]
            print(f"{tree}: phonepack first sync {s[0] / p[0]:.2f}× s5cmd's speed, re-sync {s[1] / p[1]:.2f}× faster")
    finally:
        emulator.send_signal(signal.SIGKILL)
        emulator.wait()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
