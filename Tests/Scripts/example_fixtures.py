#!/usr/bin/env python3
"""Makes the files and the cloud state every example in phonepack's help and README names, so that each example
runs as printed (ExamplesTests). The emulator's endpoints and keys come from the environment, as for a user.

    example_fixtures.py WORK PHONEPACK     prints one JSON object: what each placeholder of the examples stands for

Files in WORK: myapp/ (com.example.app 1.4.2, signed), base.apk, split_config.arm64_v8a.apk, app.apk, app.tar (+ its
.sha256 and manifest), export.tar, seed-export.tar (com.example.game), monday.tar, tuesday.tar, new.tar and v2.tar
(1.5, versionCode 43), big.tar, data.tar, big.obb, seed-data/, www/, data/, unpacked/ (export.tar extracted),
id lists and secrets.
Objects: apps/, exports/, backups/, seed/, tmp/, old-exports/ in obs://my-cph-bucket and
oss://cloudphone-saved-bucket-demo. Releases: one of each cloud (so that a rollback has something to go back to),
a push of each cloud with --no-wait (its request, job and task ids), and one multipart upload left open.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

WORK, PHONEPACK = sys.argv[1], sys.argv[2]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OBS, OSS = "obs://my-cph-bucket", "oss://cloudphone-saved-bucket-demo"
SERVERS = [f"server{n:04d}" for n in range(1, 21)]
PHONES = ["phone0001", "phone0002", "phone0003"]
INSTANCES = ["acp-0001", "acp-0002", "acp-0003"]


def run(*args, stdin=None):
    result = subprocess.run(list(args), cwd=WORK, capture_output=True, text=True, input=stdin, timeout=300)
    if result.returncode != 0:
        sys.exit(f"example_fixtures.py: {' '.join(args)} exited {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


def phonepack(*args):
    return run(PHONEPACK, *args)


def write(name, text):
    path = os.path.join(WORK, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def sample(folder, *options):
    run(os.path.join(ROOT, "samples/make-sample.sh"), os.path.join(WORK, folder), *options)


os.makedirs(WORK, exist_ok=True)
# Apps: the one every example names, an older build of it (same versionCode: something to roll back to), its next
# version, a second package, and a split.
sample("myapp", "--package", "com.example.app")
sample("oldapp", "--package", "com.example.app", "--version-name", "1.4.2-previous")
sample("newapp", "--package", "com.example.app", "--version-code", "43", "--version-name", "1.5")
sample("gameapp", "--package", "com.example.game")
sample(".", "--package", "com.example.app", "--split", "config.arm64_v8a")
shutil.copy(os.path.join(WORK, "myapp/base.apk"), os.path.join(WORK, "base.apk"))
shutil.copy(os.path.join(WORK, "myapp/base.apk"), os.path.join(WORK, "app.apk"))
write("oldapp/data/files/state.txt", "first-run=long-ago\n")

MTIME = ["--mtime", "2024-03-15"]
phonepack("build", "myapp/", "-o", "app.tar", "--manifest", *MTIME)
phonepack("build", "myapp/", "-o", "export.tar", *MTIME)
phonepack("build", "myapp/", "-o", "monday.tar", *MTIME)
write("myapp-tuesday/placeholder", "")
shutil.rmtree(os.path.join(WORK, "myapp-tuesday"))
shutil.copytree(os.path.join(WORK, "myapp"), os.path.join(WORK, "myapp-tuesday"))
write("myapp-tuesday/data/files/state.txt", "first-run=done\nlevel=8\n")
phonepack("build", "myapp-tuesday/", "-o", "tuesday.tar", *MTIME)
phonepack("build", "gameapp/", "-o", "seed-export.tar", *MTIME)
phonepack("build", "oldapp/", "-o", "old.tar", *MTIME)
phonepack("build", "newapp/", "-o", "new.tar", *MTIME)
shutil.copy(os.path.join(WORK, "new.tar"), os.path.join(WORK, "v2.tar"))
with open(os.path.join(WORK, "newapp/obb/main.43.com.example.app.obb"), "wb") as f:
    f.write(os.urandom(3 << 20))
phonepack("build", "newapp/", "-o", "big.tar", *MTIME)
with open(os.path.join(WORK, "big.obb"), "wb") as f:
    f.write(os.urandom(12 << 20))

# Plain files and folders.
write("seed-data/levels/1.json", '{"level": 1}\n')
write("seed-data/levels/2.json", '{"level": 2}\n')
write("seed-data/README.txt", "seed data for every phone\n")
write("www/index.html", "<!doctype html><title>phonepack</title>\n")
write("data/notes.txt", "a file pushed to phones\n")
run("tar", "-cf", "data.tar", "data/")
write("servers.txt", "\n".join(SERVERS) + "\n")
write("s.txt", "\n".join(SERVERS) + "\n")
write("ids.txt", "\n".join(SERVERS[:2]) + "\n")
write("phones.txt", "\n".join(PHONES[:2]) + "\n")
write("p.txt", "\n".join(PHONES[:2]) + "\n")
write("i.txt", "\n".join(INSTANCES[:2]) + "\n")
write("sk.txt", "example-secret-key-from-a-file\n")
write("proxy-url.txt", "http://proxyuser:proxy-password@127.0.0.1:3128\n")
phonepack("extract", "export.tar", "-C", "unpacked/", "-q")

# Objects the examples read, copy, list and remove.
for source, target in [
    ("app.tar", f"{OBS}/apps/app.tar"), ("app.tar", f"{OBS}/apps/app-1.4.tar"), ("old.tar", f"{OBS}/apps/old.tar"),
    ("app.apk", f"{OBS}/apps/app.apk"), ("export.tar", f"{OBS}/exports/phone0001.tar"),
    ("export.tar", f"{OBS}/exports/phone0002.tar"), ("export.tar", f"{OBS}/exports/2026-01/phone0001.tar"),
    ("data.tar", f"{OBS}/exports/phone0003/data.tar"), ("data.tar", f"{OBS}/backups/data.tar"),
    ("export.tar", f"{OBS}/seed.tar"), ("data.tar", f"{OBS}/files.tar"), ("data.tar", f"{OBS}/tmp/scratch.tar"),
    ("data.tar", f"{OBS}/old-exports/phone0001.tar"),
    ("app.apk", f"{OSS}/apps/app.apk"), ("app.apk", f"{OSS}/app.apk"), ("export.tar", f"{OSS}/exports/phone0001.tar"),
    ("data.tar", f"{OSS}/data.tar"),
]:
    phonepack("upload", source, target, "-q")
phonepack("upload", "app.tar", f"{OBS}/apps/v1.tar", "--keep-layout", "-q")
phonepack("upload", "-r", "seed-data/", f"{OSS}/seed/", "-q")

# A release of each cloud before the examples' own: a rollback goes back to these.
phonepack("release", "oldapp/", "--to", f"{OBS}/apps/app-previous.tar", "--servers", ",".join(SERVERS[:3]),
          *MTIME, "-q")
phonepack("build", "oldapp/", "-o", "old-build.tar", *MTIME)
phonepack("release", "oldapp/base.apk", "--to", f"{OSS}/apps/app-previous.apk", "--instances",
          ",".join(INSTANCES[:2]), "-q")

# Pushes whose ids `jobs wait` examples wait for.
huawei = json.loads(phonepack("push", "huawei", "--tar", f"{OBS}/apps/app.tar", "--package", "com.example.app",
                              "--servers", ",".join(SERVERS[:2]), "--no-wait", "--json"))
jobs = [target["jobID"] for target in huawei["targets"]]
alibaba = json.loads(phonepack("push", "alibaba", "--file", f"{OSS}/apps/app.apk", "--instances", INSTANCES[0],
                               "--no-wait", "--json"))
task = alibaba["targets"][0]["jobID"]

# A multipart upload left open (its client killed), for `uploads abort --upload-id`.
slow = subprocess.Popen([PHONEPACK, "upload", "big.obb", f"{OBS}/apps/big.obb", "-j", "1", "--limit-rate",
                         "2M", "-q"], cwd=WORK, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
upload_id = None
deadline = time.time() + 60
while upload_id is None and time.time() < deadline:
    time.sleep(0.3)
    listing = json.loads(phonepack("uploads", "ls", f"{OBS}/apps/", "--json"))
    for upload in listing.get("uploads", []):
        if upload.get("key") == "apps/big.obb":
            upload_id = upload["uploadID"]
slow.send_signal(signal.SIGKILL)
slow.wait()
if upload_id is None:
    sys.exit("example_fixtures.py: the interrupted upload never showed in uploads ls")

print(json.dumps({
    "REQUEST-ID": huawei["targets"][0]["requestID"], "JOB1": jobs[0], "JOB2": jobs[1], "TASK-ID": task,
    "UPLOAD-ID": upload_id,
}))
