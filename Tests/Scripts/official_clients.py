#!/usr/bin/env python3
"""Drives the emulator with the vendors' and AWS's own clients, none written here, and prints one JSON object:
for each client, each operation's result ("ok" or the error), so a test can require every one.

    official_clients.py OBS_ENDPOINT OSS_ENDPOINT ACCESS_KEY SECRET BUCKET

Clients: the AWS CLI (aws s3 …), boto3, s5cmd (SigV4 on the OBS port), esdk-obs-python (OBS native signature)
and oss2 (OSS V1 and V4). Each puts, lists, gets (byte for byte), copies (server-side) and deletes; then the same with a wrong secret,
which must be refused; boto3 also sends a wrong CRC-32, which must be refused with nothing stored.
"""
import json, os, subprocess, sys, tempfile

obs_ep, oss_ep, access_key, secret, bucket = sys.argv[1:6]
data = os.urandom(300_000)
big = os.urandom(9 * 1024 * 1024)  # over the AWS CLI's and s5cmd's multipart thresholds
results = {}


def record(client, op, fn):
    try:
        value = fn()
        results.setdefault(client, {})[op] = "ok" if value in (None, True) else f"unexpected: {value!r}"[:300]
    except Exception as e:  # every failure is reported, not raised
        results.setdefault(client, {})[op] = f"{type(e).__name__}: {e}"[:300]


def refused(fn):
    try:
        fn()
    except Exception:
        return True
    return "accepted"


work = tempfile.mkdtemp()
small_path, big_path = os.path.join(work, "small.bin"), os.path.join(work, "big.bin")
open(small_path, "wb").write(data)
open(big_path, "wb").write(big)
aws_env = dict(os.environ, AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.path.join(work, "no-config"),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "no-credentials"))


def run(args, env=aws_env):
    p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip()[-300:])
    return p.stdout


def same(path, expected):
    return open(path, "rb").read() == expected


# AWS CLI
aws = ["aws", "--endpoint-url", obs_ep, "s3"]
record("aws", "put", lambda: run(aws + ["cp", small_path, f"s3://{bucket}/aws/small.bin"]) and None)
record("aws", "put multipart", lambda: run(aws + ["cp", big_path, f"s3://{bucket}/aws/big.bin"]) and None)
record("aws", "list", lambda: "aws/big.bin" in run(aws + ["ls", f"s3://{bucket}/aws/", "--recursive"]))
record("aws", "get", lambda: (run(aws + ["cp", f"s3://{bucket}/aws/big.bin", os.path.join(work, "aws.bin")]),
                              same(os.path.join(work, "aws.bin"), big))[1])
record("aws", "copy", lambda: (run(aws + ["cp", f"s3://{bucket}/aws/big.bin", f"s3://{bucket}/aws/copy.bin"]),
                               run(aws + ["cp", f"s3://{bucket}/aws/copy.bin", os.path.join(work, "aws-copy.bin")]),
                               same(os.path.join(work, "aws-copy.bin"), big))[2])
record("aws", "delete", lambda: run(aws + ["rm", f"s3://{bucket}/aws/small.bin"]) and None)
record("aws", "wrong secret refused",
       lambda: refused(lambda: run(aws + ["ls", f"s3://{bucket}/"], dict(aws_env, AWS_SECRET_ACCESS_KEY="wrong"))))

# s5cmd
s5 = ["s5cmd", "--endpoint-url", obs_ep]
record("s5cmd", "put", lambda: run(s5 + ["cp", small_path, f"s3://{bucket}/s5/small.bin"]) and None)
record("s5cmd", "put multipart", lambda: run(s5 + ["cp", "-p", "5", big_path, f"s3://{bucket}/s5/big.bin"]) and None)
record("s5cmd", "list", lambda: "big.bin" in run(s5 + ["ls", f"s3://{bucket}/s5/*"]))
record("s5cmd", "get", lambda: (run(s5 + ["cp", f"s3://{bucket}/s5/big.bin", os.path.join(work, "s5.bin")]),
                                same(os.path.join(work, "s5.bin"), big))[1])
record("s5cmd", "copy", lambda: (run(s5 + ["cp", f"s3://{bucket}/s5/small.bin", f"s3://{bucket}/s5/copy.bin"]),
                                 run(s5 + ["cp", f"s3://{bucket}/s5/copy.bin", os.path.join(work, "s5-copy.bin")]),
                                 same(os.path.join(work, "s5-copy.bin"), data))[2])
record("s5cmd", "delete", lambda: run(s5 + ["rm", f"s3://{bucket}/s5/small.bin"]) and None)
record("s5cmd", "wrong secret refused",
       lambda: refused(lambda: run(s5 + ["ls", f"s3://{bucket}/*"], dict(aws_env, AWS_SECRET_ACCESS_KEY="wrong"))))

# boto3
import boto3
from botocore.config import Config


def s3(key_secret):
    return boto3.client("s3", endpoint_url=obs_ep, aws_access_key_id=access_key, aws_secret_access_key=key_secret,
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


c = s3(secret)
record("boto3", "put", lambda: c.put_object(Bucket=bucket, Key="boto/small.bin", Body=data) and None)
record("boto3", "list", lambda: [o["Key"] for o in c.list_objects_v2(Bucket=bucket, Prefix="boto/s")["Contents"]] == ["boto/small.bin"])
record("boto3", "get", lambda: c.get_object(Bucket=bucket, Key="boto/small.bin")["Body"].read() == data)
record("boto3", "copy", lambda: (c.copy_object(Bucket=bucket, Key="boto/copy.bin",
                                               CopySource={"Bucket": bucket, "Key": "boto/small.bin"}),
                                 c.get_object(Bucket=bucket, Key="boto/copy.bin")["Body"].read() == data)[1])
record("boto3", "delete", lambda: c.delete_object(Bucket=bucket, Key="boto/small.bin") and None)
record("boto3", "wrong CRC-32 refused, nothing stored", lambda: refused(
    lambda: c.put_object(Bucket=bucket, Key="boto/bad.bin", Body=data, ChecksumCRC32="AAAAAA==")) is True
    and c.list_objects_v2(Bucket=bucket, Prefix="boto/bad").get("KeyCount", 0) == 0)
record("boto3", "wrong secret refused", lambda: refused(lambda: s3("wrong").list_objects_v2(Bucket=bucket)))

# esdk-obs-python (OBS native)
from obs import ObsClient


def obs(key_secret):
    return ObsClient(access_key_id=access_key, secret_access_key=key_secret, server=obs_ep, path_style=True,
                     signature="obs", max_retry_count=0)


def ok(response):
    if response.status >= 300:
        raise RuntimeError(f"{response.status} {response.errorCode}")
    return response


o = obs(secret)
record("esdk-obs-python", "put", lambda: ok(o.putContent(bucket, "obs/small.bin", data)) and None)
record("esdk-obs-python", "list", lambda: [x.key for x in ok(o.listObjects(bucket, prefix="obs/")).body.contents] == ["obs/small.bin"])
record("esdk-obs-python", "get", lambda: ok(o.getObject(bucket, "obs/small.bin", loadStreamInMemory=True)).body.buffer == data)
record("esdk-obs-python", "copy", lambda: (ok(o.copyObject(bucket, "obs/small.bin", bucket, "obs/copy.bin")),
                                           ok(o.getObject(bucket, "obs/copy.bin", loadStreamInMemory=True)).body.buffer == data)[1])
record("esdk-obs-python", "delete", lambda: ok(o.deleteObject(bucket, "obs/small.bin")) and None)
record("esdk-obs-python", "wrong secret refused", lambda: refused(lambda: ok(obs("wrong").listObjects(bucket))))

# oss2 (OSS V1 and V4)
import oss2


def oss_bucket(version, key_secret):
    if version == "v1":
        return oss2.Bucket(oss2.Auth(access_key, key_secret), oss_ep, bucket)
    return oss2.Bucket(oss2.AuthV4(access_key, key_secret), oss_ep, bucket, region="cn-hangzhou")


for version in ("v1", "v4"):
    name = f"oss2 {version}"
    b = oss_bucket(version, secret)
    key = f"oss-{version}/small.bin"
    record(name, "put", lambda: b.put_object(key, data) and None)
    record(name, "list", lambda: [x.key for x in oss2.ObjectIterator(b, prefix=f"oss-{version}/")] == [key])
    record(name, "get", lambda: b.get_object(key).read() == data)
    record(name, "copy", lambda: (b.copy_object(bucket, key, key + ".copy"), b.get_object(key + ".copy").read() == data)[1])
    record(name, "delete", lambda: b.delete_object(key) and None)
    record(name, "wrong secret refused", lambda: refused(lambda: list(oss2.ObjectIterator(oss_bucket(version, "wrong")))))

print(json.dumps(results, indent=1, sort_keys=True))
