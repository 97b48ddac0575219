#!/usr/bin/env python3
"""Pushes the sample app to 10,000 emulated CPH servers with phonepack and counts what it cost; then a staged
release to the same fleet whose third wave has a failing server, and how fast it halts.

    benchmarks/bench_fleet.py [--servers N] [--job-seconds S] [--runs R] [--waves 1,1%,10%,100%]

The emulator (release build) plays OBS and CPH; every emulated job takes --job-seconds. Reported per run:
wall time of `phonepack push huawei` (submit + wait), the API calls it made (from the emulator's request
log: share-apps pushes, ListJobs polls), the lower bounds ceil(N / 100) pushes and ceil(N / 100) ListJobs
pages per poll round, the client's CPU time and peak RSS, and wall time minus the emulated job time (the
client's and the protocol's own cost).

The staged release (`release --waves W --servers @file`, emulator started with --fail-targets on one server
of the third wave) reports per wave its targets, PushShareApps and ListJobs calls (from the log, split where a
wave's first push follows the previous wave's polls), then the time from the failing job's end (its push plus
the job time) to the client's exit, and the client's CPU time and peak RSS.
"""
import argparse, json, math, os, shutil, signal, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work", "fleet")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--job-seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--waves", default="1,1%,10%,100%")
    args = parser.parse_args()
    sh(f"{ROOT}/scripts/setup.sh --bench >/dev/null")
    sh(f"cd {ROOT} && swift build -c release --product phonepack >/dev/null && swift build -c release --product phonepack-emulator >/dev/null")
    bindir = subprocess.check_output(f"cd {ROOT} && swift build -c release --show-bin-path", shell=True, text=True).strip()
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    emulator, env = start_emulator(bindir, args, [])
    try:
        sh(f"{bindir}/phonepack build {ROOT}/samples/demo-app -o obs://my-cph-bucket/apps/demo.tar >/dev/null", env=env)
        with open(f"{WORK}/servers.txt", "w") as f:
            f.write("\n".join(f"server{i:04d}" for i in range(1, args.servers + 1)) + "\n")
        log = f"{WORK}/data/requests.jsonl"
        for run in range(args.runs):
            before = sum(1 for _ in open(log))
            start = time.perf_counter()
            out = subprocess.run(
                f"/usr/bin/time -o {WORK}/time.txt -f '%M %U %S' {bindir}/phonepack push huawei --tar "
                f"obs://my-cph-bucket/apps/demo.tar --package com.example.phonepack.demo --servers @{WORK}/servers.txt --json",
                shell=True, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - start
            rss, user, system = open(f"{WORK}/time.txt").read().split()[-3:]
            outcomes = json.loads(out.stdout)["targets"]
            ok = sum(1 for o in outcomes if o["state"] == "succeeded")
            calls = [json.loads(line) for line in list(open(log))[before:]]
            pushes = sum(1 for c in calls if c["path"].endswith("share-apps"))
            polls = sum(1 for c in calls if c["path"].endswith("cloud-phone/jobs"))
            minimum = math.ceil(args.servers / 100)
            print(f"run {run + 1}: {ok}/{args.servers} succeeded in {wall:.2f} s (emulated job time {args.job_seconds:.0f} s, "
                  f"overhead {wall - args.job_seconds:.2f} s); pushes {pushes} (minimum {minimum}); ListJobs calls {polls} "
                  f"({polls / minimum:.1f} rounds of {minimum} pages); client CPU {float(user) + float(system):.2f} s, "
                  f"peak RSS {int(rss) / 1024:.1f} MiB", flush=True)
    finally:
        emulator.send_signal(signal.SIGKILL)
        emulator.wait()
    staged(bindir, args)


def start_emulator(bindir, args, extra):
    shutil.rmtree(f"{WORK}/data", ignore_errors=True)
    emulator = subprocess.Popen(
        [f"{bindir}/phonepack-emulator", "--data", f"{WORK}/data", "--bucket", "my-cph-bucket", "--servers",
         str(args.servers), "--job-seconds", str(args.job_seconds)] + extra,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = dict(pair.split("=", 1) for pair in emulator.stdout.readline().split()[1:])
    env = dict(os.environ, PHONEPACK_OBS_ENDPOINT=ready["obs"], PHONEPACK_CPH_ENDPOINT=ready["cph"],
               OBS_ACCESS_KEY_ID="PHONEPACKEMULATORAK", OBS_SECRET_ACCESS_KEY="phonepack-emulator-secret",
               HUAWEICLOUD_SDK_PROJECT_ID="0123456789abcdef", PHONEPACK_STATE_DIR=f"{WORK}/state",
               PHONEPACK_CONFIG=f"{WORK}/none.toml")
    return emulator, env


def wave_sizes(spec, total):
    sizes, reached = [], 0
    for step in spec.split(","):
        target = min(int(step), total) if not step.endswith("%") else -(-total * int(step[:-1]) // 100)
        if target > reached:
            sizes.append(target - reached)
        reached = max(reached, target)
    if reached < total:
        sizes.append(total - reached)
    return sizes


def staged(bindir, args):
    sizes = wave_sizes(args.waves, args.servers)
    if len(sizes) < 3:
        sys.exit("--waves needs at least three waves for the staged run")
    failing = sizes[0] + sizes[1] + 1  # the first server of the third wave
    emulator, env = start_emulator(bindir, args, ["--fail-targets", f"server{failing:04d}"])
    try:
        log = f"{WORK}/data/requests.jsonl"
        out = subprocess.run(
            f"/usr/bin/time -o {WORK}/time.txt -f '%M %U %S' {bindir}/phonepack release {ROOT}/samples/demo-app "
            f"--to obs://my-cph-bucket/apps/staged.tar --servers @{WORK}/servers.txt --waves {args.waves} --json",
            shell=True, env=env, capture_output=True, text=True)
        exited = time.time()
        rss, user, system = open(f"{WORK}/time.txt").read().split()[-3:]
        record = json.loads(out.stdout)
        calls = [json.loads(line) for line in open(log)]
        waves, current, polling = [], None, False
        for call in calls:
            if call["path"].endswith("share-apps"):
                if current is None or polling:
                    current = {"pushes": 0, "polls": 0, "first": call["time"]}
                    waves.append(current)
                    polling = False
                current["pushes"] += 1
            elif call["path"].endswith("cloud-phone/jobs") and current is not None:
                current["polls"] += 1
                polling = True
        failed_end = waves[2]["first"] + args.job_seconds
        print(f"staged release to {args.servers} servers, waves {args.waves} ({', '.join(map(str, sizes))}), "
              f"server{failing:04d} failing: exit {out.returncode}, status {record['status']}", flush=True)
        for index, wave in enumerate(waves):
            print(f"  wave {index + 1}: {sizes[index]} server{'' if sizes[index] == 1 else 's'}, {wave['pushes']} PushShareApps (minimum "
                  f"{math.ceil(sizes[index] / 100)}), {wave['polls']} ListJobs", flush=True)
        print(f"  not started: {len(sizes) - len(waves)} waves, "
              f"{sum(1 for t in record['targets'] if t['state'] == 'pending')} servers pending", flush=True)
        print(f"  failing job's end to halt: {exited - failed_end:.2f} s; client CPU {float(user) + float(system):.2f} s, "
              f"peak RSS {int(rss) / 1024:.1f} MiB", flush=True)
    finally:
        emulator.send_signal(signal.SIGKILL)
        emulator.wait()


if __name__ == "__main__":
    main()
