#!/usr/bin/env python3
"""Drives the emulator with the vendors' and AWS's own clients, none written here, and prints one JSON object:
for each client, each operation's result ("ok" or the error), so a test can require every one.

    official_clients.py OBS_ENDPOINT OSS_ENDPOINT ACCESS_KEY SECRET BUCKET

Clients: the AWS CLI and s5cmd (SigV4 on the OBS port), boto3 (SigV4 and V2 presigned URLs), rclone's S3 backend,
esdk-obs-python (which signs V2 path-style, as an IP endpoint needs) and oss2 (OSS V1 and V4). Each runs the same matrix where the client can express it:
put with metadata and content headers, get, range get, head (metadata and headers read back with the client's own
prefix), list with pagination, server-side copy, multipart (with a part copied from another object), delete, batch
delete, presigned GET, conditional requests (a 304, a refused overwrite, a failed copy-source condition), ACL and
tagging sub-resources that must leave the object's bytes alone, buckets (list, create, delete); then a wrong secret,
which must be refused. The emulator must answer each as the real store would.
"""
import json, os, subprocess, sys, tempfile, urllib.request, urllib.error
from datetime import datetime, timedelta, timezone

obs_ep, oss_ep, access_key, secret, bucket = sys.argv[1:6]
data = os.urandom(300_000)
big = os.urandom(9 * 1024 * 1024)  # over the AWS CLI's and s5cmd's multipart thresholds
part = 5 * 1024 * 1024
results = {}


def record(client, op, fn):
    try:
        value = fn()
        # None: a step that only has to succeed (`run(...) and None` is "" when the tool printed nothing).
        results.setdefault(client, {})[op] = "ok" if value in (None, True, "") else f"unexpected: {value!r}"[:300]
    except Exception as e:  # every failure is reported, not raised
        results.setdefault(client, {})[op] = f"{type(e).__name__}: {e}"[:300]


def refused(fn, status=None):
    """True when fn fails (with `status`, when given, found in the error)."""
    try:
        fn()
    except Exception as e:
        return True if status is None or str(status) in f"{e!r} {getattr(e, 'status', '')}" else f"refused as {e!r}"
    return "accepted"


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


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


future = datetime.now(timezone.utc) + timedelta(days=1)
past = datetime(2000, 1, 1, tzinfo=timezone.utc)

# AWS CLI (s3 and s3api)
aws = ["aws", "--endpoint-url", obs_ep]
record("aws", "put", lambda: run(aws + ["s3", "cp", small_path, f"s3://{bucket}/aws/small.bin",
                                        "--content-type", "text/plain", "--cache-control", "max-age=60",
                                        "--metadata", "who=aws", "--storage-class", "STANDARD_IA"]) and None)
record("aws", "put multipart", lambda: run(aws + ["s3", "cp", big_path, f"s3://{bucket}/aws/big.bin"]) and None)
record("aws", "head reads back type, cache-control, metadata, storage class", lambda: (lambda h: (
    h["ContentType"], h["CacheControl"], h["Metadata"], h.get("StorageClass")) == (
    "text/plain", "max-age=60", {"who": "aws"}, "STANDARD_IA"))(
    json.loads(run(aws + ["s3api", "head-object", "--bucket", bucket, "--key", "aws/small.bin"]))))
record("aws", "list", lambda: "aws/big.bin" in run(aws + ["s3", "ls", f"s3://{bucket}/aws/", "--recursive"]))
record("aws", "list paginated", lambda: [o["Key"] for o in json.loads(run(
    aws + ["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "aws/", "--page-size", "1"]))["Contents"]]
       == ["aws/big.bin", "aws/small.bin"])
record("aws", "get", lambda: (run(aws + ["s3", "cp", f"s3://{bucket}/aws/big.bin", os.path.join(work, "aws.bin")]),
                              same(os.path.join(work, "aws.bin"), big))[1])
record("aws", "get if-none-match is 304", lambda: refused(lambda: run(aws + [
    "s3api", "get-object", "--bucket", bucket, "--key", "aws/small.bin", "--if-none-match",
    json.loads(run(aws + ["s3api", "head-object", "--bucket", bucket, "--key", "aws/small.bin"]))["ETag"],
    os.path.join(work, "aws-304.bin")]), 304))
record("aws", "copy", lambda: (run(aws + ["s3", "cp", f"s3://{bucket}/aws/big.bin", f"s3://{bucket}/aws/copy.bin"]),
                               run(aws + ["s3", "cp", f"s3://{bucket}/aws/copy.bin", os.path.join(work, "aws-copy.bin")]),
                               same(os.path.join(work, "aws-copy.bin"), big))[2])
record("aws", "put-object-acl leaves the bytes", lambda: (
    run(aws + ["s3api", "put-object-acl", "--bucket", bucket, "--key", "aws/small.bin", "--acl", "public-read"]),
    json.loads(run(aws + ["s3api", "head-object", "--bucket", bucket, "--key", "aws/small.bin"]))["ContentLength"]
    == len(data))[1])
record("aws", "presign", lambda: fetch(run(aws + ["s3", "presign", f"s3://{bucket}/aws/small.bin"]).strip()) == data)
record("aws", "delete", lambda: run(aws + ["s3", "rm", f"s3://{bucket}/aws/small.bin"]) and None)
record("aws", "wrong secret refused",
       lambda: refused(lambda: run(aws + ["s3", "ls", f"s3://{bucket}/"], dict(aws_env, AWS_SECRET_ACCESS_KEY="wrong"))))

# s5cmd
s5 = ["s5cmd", "--endpoint-url", obs_ep]
record("s5cmd", "put", lambda: run(s5 + ["cp", "--content-type", "application/x-tar", "--cache-control", "no-cache",
                                         "--metadata", "who=s5cmd", small_path, f"s3://{bucket}/s5/small.bin"]) and None)
record("s5cmd", "put multipart", lambda: run(s5 + ["cp", "-p", "5", big_path, f"s3://{bucket}/s5/big.bin"]) and None)
record("s5cmd", "head reads back type and metadata", lambda: (lambda h: (
    h.get("content_type"), h.get("metadata", {}).get("Who") or h.get("metadata", {}).get("who")) == (
    "application/x-tar", "s5cmd"))(json.loads(run(s5 + ["--json", "head", f"s3://{bucket}/s5/small.bin"]))))
record("s5cmd", "list", lambda: "big.bin" in run(s5 + ["ls", f"s3://{bucket}/s5/*"]))
record("s5cmd", "get", lambda: (run(s5 + ["cp", f"s3://{bucket}/s5/big.bin", os.path.join(work, "s5.bin")]),
                                same(os.path.join(work, "s5.bin"), big))[1])
record("s5cmd", "cat", lambda: subprocess.run(s5 + ["cat", f"s3://{bucket}/s5/small.bin"], env=aws_env,
                                              capture_output=True, timeout=60).stdout == data)
record("s5cmd", "copy", lambda: (run(s5 + ["cp", f"s3://{bucket}/s5/small.bin", f"s3://{bucket}/s5/copy.bin"]),
                                 run(s5 + ["cp", f"s3://{bucket}/s5/copy.bin", os.path.join(work, "s5-copy.bin")]),
                                 same(os.path.join(work, "s5-copy.bin"), data))[2])
record("s5cmd", "no-clobber keeps the object", lambda: (
    run(s5 + ["cp", "-n", big_path, f"s3://{bucket}/s5/small.bin"]),
    subprocess.run(s5 + ["cat", f"s3://{bucket}/s5/small.bin"], env=aws_env, capture_output=True).stdout == data)[1])
record("s5cmd", "batch delete", lambda: (run(s5 + ["rm", f"s3://{bucket}/s5/*"]),
                                         "s5/" not in run(s5 + ["ls", f"s3://{bucket}/*"]))[1])
record("s5cmd", "wrong secret refused",
       lambda: refused(lambda: run(s5 + ["ls", f"s3://{bucket}/*"], dict(aws_env, AWS_SECRET_ACCESS_KEY="wrong"))))

# rclone's S3 backend as a client
rclone_env = dict(os.environ, RCLONE_CONFIG_EMU_TYPE="s3", RCLONE_CONFIG_EMU_PROVIDER="Other",
                  RCLONE_CONFIG_EMU_ENDPOINT=obs_ep, RCLONE_CONFIG_EMU_ACCESS_KEY_ID=access_key,
                  RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY=secret, RCLONE_CONFIG_EMU_FORCE_PATH_STYLE="true",
                  RCLONE_CONFIG_EMU_REGION="us-east-1", RCLONE_CONFIG=os.path.join(work, "rclone.conf"))
tree = os.path.join(work, "tree")
os.makedirs(os.path.join(tree, "a"))
for name, size in (("one.bin", 1000), ("a/two.bin", 200_000), ("a/three.txt", 10)):
    open(os.path.join(tree, name), "wb").write(os.urandom(size))
rc = ["rclone", "--retries", "1", "--low-level-retries", "1"]
record("rclone", "sync up", lambda: run(rc + ["sync", tree, f"emu:{bucket}/rclone"], rclone_env) and None)
record("rclone", "second sync sends nothing (mtime metadata read back)", lambda: (
    lambda out: "There was nothing to transfer" in out or out)(
    subprocess.run(rc + ["sync", tree, f"emu:{bucket}/rclone", "-v"], env=rclone_env,
                   capture_output=True, text=True, timeout=120).stderr))
record("rclone", "lsf", lambda: sorted(run(rc + ["lsf", "-R", f"emu:{bucket}/rclone"], rclone_env).split())
       == ["a/", "a/three.txt", "a/two.bin", "one.bin"])
record("rclone", "check by MD5", lambda: run(rc + ["check", tree, f"emu:{bucket}/rclone"], rclone_env) is not None)
record("rclone", "cat", lambda: subprocess.run(rc + ["cat", f"emu:{bucket}/rclone/a/three.txt"], env=rclone_env,
                                               capture_output=True, timeout=60).stdout
       == open(os.path.join(tree, "a/three.txt"), "rb").read())
record("rclone", "server-side copy", lambda: (
    run(rc + ["copyto", f"emu:{bucket}/rclone/one.bin", f"emu:{bucket}/rclone-copy/one.bin"], rclone_env),
    subprocess.run(rc + ["cat", f"emu:{bucket}/rclone-copy/one.bin"], env=rclone_env, capture_output=True).stdout
    == open(os.path.join(tree, "one.bin"), "rb").read())[1])
record("rclone", "purge", lambda: (run(rc + ["purge", f"emu:{bucket}/rclone"], rclone_env),
                                   run(rc + ["lsf", f"emu:{bucket}/"], rclone_env).split().count("rclone/") == 0)[1])

# boto3
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def s3(key_secret, **config):
    return boto3.client("s3", endpoint_url=obs_ep, aws_access_key_id=access_key, aws_secret_access_key=key_secret,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config))


def status_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]
    return 200


c = s3(secret)
record("boto3", "put with metadata, headers, storage class, SSE",
       lambda: c.put_object(Bucket=bucket, Key="boto/small.bin", Body=data, Metadata={"who": "boto3"},
                            ContentType="application/vnd.android.package-archive", CacheControl="no-cache",
                            ContentDisposition='attachment; filename="a.apk"', ContentEncoding="identity",
                            StorageClass="STANDARD_IA", ServerSideEncryption="AES256", ChecksumAlgorithm="CRC32")
       and None)
record("boto3", "head reads everything back", lambda: (lambda h: (
    h["Metadata"], h["ContentType"], h["CacheControl"], h["ContentDisposition"], h["ContentEncoding"],
    h["StorageClass"], h["ServerSideEncryption"], h.get("ChecksumCRC32") is not None) == (
    {"who": "boto3"}, "application/vnd.android.package-archive", "no-cache", 'attachment; filename="a.apk"',
    "identity", "STANDARD_IA", "AES256", True))(c.head_object(Bucket=bucket, Key="boto/small.bin", ChecksumMode="ENABLED")))
record("boto3", "get", lambda: c.get_object(Bucket=bucket, Key="boto/small.bin")["Body"].read() == data)
record("boto3", "range get", lambda: c.get_object(Bucket=bucket, Key="boto/small.bin", Range="bytes=100-199")[
    "Body"].read() == data[100:200])
for i in range(5):
    c.put_object(Bucket=bucket, Key=f"boto/page/{i}", Body=b"x")
record("boto3", "list paginated", lambda: [o["Key"] for page in c.get_paginator("list_objects_v2").paginate(
    Bucket=bucket, Prefix="boto/page/", PaginationConfig={"PageSize": 2}) for o in page["Contents"]]
       == [f"boto/page/{i}" for i in range(5)])
record("boto3", "list v1 paginated", lambda: [o["Key"] for page in c.get_paginator("list_objects").paginate(
    Bucket=bucket, Prefix="boto/page/", PaginationConfig={"PageSize": 2}) for o in page["Contents"]]
       == [f"boto/page/{i}" for i in range(5)])
etag = lambda key: c.head_object(Bucket=bucket, Key=key)["ETag"]
record("boto3", "get if-none-match is 304", lambda: status_of(
    lambda: c.get_object(Bucket=bucket, Key="boto/small.bin", IfNoneMatch=etag("boto/small.bin"))) == 304)
record("boto3", "head if-modified-since the future is 304", lambda: status_of(
    lambda: c.head_object(Bucket=bucket, Key="boto/small.bin", IfModifiedSince=future)) == 304)
record("boto3", "get if-unmodified-since 2000 is 412", lambda: status_of(
    lambda: c.get_object(Bucket=bucket, Key="boto/small.bin", IfUnmodifiedSince=past)) == 412)
record("boto3", "get if-match the ETag", lambda: c.get_object(
    Bucket=bucket, Key="boto/small.bin", IfMatch=etag("boto/small.bin"))["Body"].read() == data)
record("boto3", "put if-none-match * does not overwrite", lambda: status_of(
    lambda: c.put_object(Bucket=bucket, Key="boto/small.bin", Body=b"other", IfNoneMatch="*")) == 412
       and c.get_object(Bucket=bucket, Key="boto/small.bin")["Body"].read() == data)
record("boto3", "put if-none-match * creates a new key",
       lambda: c.put_object(Bucket=bucket, Key="boto/new.bin", Body=b"new", IfNoneMatch="*") and None)
record("boto3", "copy", lambda: (c.copy_object(Bucket=bucket, Key="boto/copy.bin",
                                               CopySource={"Bucket": bucket, "Key": "boto/small.bin"}),
                                 c.get_object(Bucket=bucket, Key="boto/copy.bin")["Body"].read() == data)[1])
record("boto3", "copy keeps metadata", lambda: c.head_object(Bucket=bucket, Key="boto/copy.bin")["Metadata"]
       == {"who": "boto3"})
record("boto3", "copy-source-if-match wrong is 412", lambda: status_of(lambda: c.copy_object(
    Bucket=bucket, Key="boto/copy2.bin", CopySource={"Bucket": bucket, "Key": "boto/small.bin"},
    CopySourceIfMatch='"00000000000000000000000000000000"')) == 412)


def boto_multipart():
    upload = c.create_multipart_upload(Bucket=bucket, Key="boto/multi.bin", Metadata={"parts": "2"})["UploadId"]
    first = c.upload_part(Bucket=bucket, Key="boto/multi.bin", UploadId=upload, PartNumber=1, Body=big[:part])
    second = c.upload_part_copy(Bucket=bucket, Key="boto/multi.bin", UploadId=upload, PartNumber=2,
                                CopySource={"Bucket": bucket, "Key": "boto/small.bin"}, CopySourceRange="bytes=0-999")
    listed = c.list_parts(Bucket=bucket, Key="boto/multi.bin", UploadId=upload, MaxParts=1)
    assert listed["IsTruncated"] and listed["NextPartNumberMarker"] == 1, listed
    c.complete_multipart_upload(Bucket=bucket, Key="boto/multi.bin", UploadId=upload, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    return c.get_object(Bucket=bucket, Key="boto/multi.bin")["Body"].read() == big[:part] + data[:1000] \
        and c.head_object(Bucket=bucket, Key="boto/multi.bin")["Metadata"] == {"parts": "2"}


record("boto3", "multipart with a copied part", boto_multipart)
record("boto3", "put_object_acl leaves the bytes", lambda: (
    c.put_object_acl(Bucket=bucket, Key="boto/small.bin", ACL="public-read"),
    c.get_object(Bucket=bucket, Key="boto/small.bin")["Body"].read() == data,
    len(c.get_object_acl(Bucket=bucket, Key="boto/small.bin")["Grants"]) == 2)[1:] == (True, True))
record("boto3", "tagging leaves the bytes", lambda: (
    c.put_object_tagging(Bucket=bucket, Key="boto/small.bin", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}),
    c.get_object_tagging(Bucket=bucket, Key="boto/small.bin")["TagSet"] == [{"Key": "k", "Value": "v"}],
    c.delete_object_tagging(Bucket=bucket, Key="boto/small.bin"),
    c.get_object(Bucket=bucket, Key="boto/small.bin")["Body"].read() == data)[1::2] == (True, True))
record("boto3", "an unplayed sub-resource is 501 and changes nothing", lambda: status_of(
    lambda: c.put_object_retention(Bucket=bucket, Key="boto/small.bin",
                                   Retention={"Mode": "GOVERNANCE", "RetainUntilDate": future})) == 501
       and c.get_object(Bucket=bucket, Key="boto/small.bin")["Body"].read() == data)
record("boto3", "presigned GET (SigV4)", lambda: fetch(c.generate_presigned_url(
    "get_object", Params={"Bucket": bucket, "Key": "boto/small.bin"}, ExpiresIn=300)) == data)
record("boto3", "presigned GET (V2)", lambda: fetch(s3(secret, signature_version="s3").generate_presigned_url(
    "get_object", Params={"Bucket": bucket, "Key": "boto/small.bin"}, ExpiresIn=300)) == data)
record("boto3", "presigned GET with response-content-disposition", lambda: (lambda r: (
    r.headers["Content-Disposition"], r.read() == data) == ('attachment; filename="x.bin"', True))(
    urllib.request.urlopen(c.generate_presigned_url("get_object", Params={
        "Bucket": bucket, "Key": "boto/small.bin", "ResponseContentDisposition": 'attachment; filename="x.bin"'}))))
record("boto3", "delete", lambda: c.delete_object(Bucket=bucket, Key="boto/copy.bin") and None)
record("boto3", "batch delete", lambda: (c.delete_objects(Bucket=bucket, Delete={"Objects": [
    {"Key": f"boto/page/{i}"} for i in range(5)]}), c.list_objects_v2(Bucket=bucket, Prefix="boto/page/")
                                          .get("KeyCount", 0) == 0)[1])
record("boto3", "wrong CRC-32 refused, nothing stored", lambda: refused(
    lambda: c.put_object(Bucket=bucket, Key="boto/bad.bin", Body=data, ChecksumCRC32="AAAAAA==")) is True
    and c.list_objects_v2(Bucket=bucket, Prefix="boto/bad").get("KeyCount", 0) == 0)
def boto_buckets():
    names = lambda: [b["Name"] for b in c.list_buckets()["Buckets"]]
    c.create_bucket(Bucket="boto-made")
    listed = "boto-made" in names()
    kept = status_of(lambda: c.delete_bucket(Bucket=bucket)) == 409
    c.delete_bucket(Bucket="boto-made")
    return (listed, kept, "boto-made" not in names()) == (True, True, True) or (listed, kept)


record("boto3", "buckets: create, list, delete, and a non-empty one is kept", boto_buckets)
record("boto3", "wrong secret refused", lambda: refused(lambda: s3("wrong").list_objects_v2(Bucket=bucket)))
oss_s3 = boto3.client("s3", endpoint_url=oss_ep, aws_access_key_id=access_key, aws_secret_access_key=secret,
                      region_name="cn-hangzhou", config=Config(s3={"addressing_style": "path"}))
record("boto3", "SigV4 on the OSS port (its S3-compatible API)", lambda: (
    oss_s3.put_object(Bucket=bucket, Key="boto-oss/x.bin", Body=data, Metadata={"via": "s3"}),
    oss_s3.get_object(Bucket=bucket, Key="boto-oss/x.bin")["Body"].read() == data,
    oss_s3.head_object(Bucket=bucket, Key="boto-oss/x.bin")["Metadata"] == {"via": "s3"})[1:] == (True, True))

# esdk-obs-python: path-style, as an IP endpoint must be addressed, it signs with V2 ("AWS", x-amz-).
from obs import (ObsClient, PutObjectHeader, GetObjectHeader, GetObjectRequest, CompleteMultipartUploadRequest,
                 CompletePart, DeleteObjectsRequest, Object as ObsObject, CopyObjectHeader)


def obs(key_secret):
    return ObsClient(access_key_id=access_key, secret_access_key=key_secret, server=obs_ep, path_style=True,
                     signature="obs", max_retry_count=0)


def ok(response):
    if response.status >= 300:
        raise RuntimeError(f"{response.status} {response.errorCode}")
    return response


o = obs(secret)
record("esdk-obs-python", "put with metadata, type, storage class",
       lambda: ok(o.putContent(bucket, "obs/small.bin", data, metadata={"who": "obs"}, headers=PutObjectHeader(
           contentType="application/x-tar", storageClass="WARM"))) and None)
# Path-style (as an IP endpoint must be) the SDK signs with V2 and names WARM by its S3 name, STANDARD_IA.
record("esdk-obs-python", "head reads back", lambda: (lambda r: (
    r.body.contentType, dict(r.header).get("who"), r.body.storageClass) == ("application/x-tar", "obs", "STANDARD_IA"))(
    ok(o.getObjectMetadata(bucket, "obs/small.bin"))))
for i in range(5):
    o.putContent(bucket, f"obs/page/{i}", b"x")


def obs_pages():
    keys, marker = [], None
    while True:
        body = ok(o.listObjects(bucket, prefix="obs/page/", max_keys=2, marker=marker)).body
        keys += [x.key for x in body.contents]
        if not body.is_truncated:
            return keys == [f"obs/page/{i}" for i in range(5)] or keys
        marker = body.next_marker


record("esdk-obs-python", "list paginated", obs_pages)
record("esdk-obs-python", "get", lambda: ok(o.getObject(bucket, "obs/small.bin", loadStreamInMemory=True)).body.buffer
       == data)
record("esdk-obs-python", "range get", lambda: ok(o.getObject(
    bucket, "obs/small.bin", loadStreamInMemory=True, headers=GetObjectHeader(range="10-19"))).body.buffer
       == data[10:20])
record("esdk-obs-python", "get if-none-match is 304", lambda: o.getObject(
    bucket, "obs/small.bin", loadStreamInMemory=True, headers=GetObjectHeader(
        if_none_match=ok(o.getObjectMetadata(bucket, "obs/small.bin")).body.etag)).status == 304)
record("esdk-obs-python", "copy", lambda: (ok(o.copyObject(bucket, "obs/small.bin", bucket, "obs/copy.bin")),
                                           ok(o.getObject(bucket, "obs/copy.bin", loadStreamInMemory=True)).body.buffer
                                           == data)[1])
record("esdk-obs-python", "copy-source-if-match wrong is 412", lambda: o.copyObject(
    bucket, "obs/small.bin", bucket, "obs/copy2.bin",
    headers=CopyObjectHeader(if_match='"00000000000000000000000000000000"')).status == 412)


def obs_multipart():
    upload = ok(o.initiateMultipartUpload(bucket, "obs/multi.bin", metadata={"parts": "2"})).body.uploadId
    first = ok(o.uploadPart(bucket, "obs/multi.bin", 1, upload, big[:part])).body.etag
    second = ok(o.copyPart(bucket, "obs/multi.bin", 2, upload, f"{bucket}/obs/small.bin", "0-999")).body.etag
    listed = ok(o.listParts(bucket, "obs/multi.bin", upload)).body
    assert [p.partNumber for p in listed.parts] == [1, 2], listed
    ok(o.completeMultipartUpload(bucket, "obs/multi.bin", upload, CompleteMultipartUploadRequest(
        [CompletePart(1, first), CompletePart(2, second)])))
    return ok(o.getObject(bucket, "obs/multi.bin", loadStreamInMemory=True)).body.buffer == big[:part] + data[:1000]


record("esdk-obs-python", "multipart with a copied part", obs_multipart)
record("esdk-obs-python", "setObjectAcl leaves the bytes", lambda: (
    ok(o.setObjectAcl(bucket, "obs/small.bin", aclControl="public-read")),
    ok(o.getObject(bucket, "obs/small.bin", loadStreamInMemory=True)).body.buffer == data)[1])
record("esdk-obs-python", "presigned GET", lambda: fetch(o.createSignedUrl(
    "GET", bucket, "obs/small.bin", expires=300)["signedUrl"]) == data)
record("esdk-obs-python", "delete", lambda: ok(o.deleteObject(bucket, "obs/copy.bin")) and None)
record("esdk-obs-python", "batch delete", lambda: (ok(o.deleteObjects(bucket, DeleteObjectsRequest(
    quiet=False, objects=[ObsObject(key=f"obs/page/{i}") for i in range(5)]))),
    ok(o.listObjects(bucket, prefix="obs/page/")).body.contents == [])[1])
record("esdk-obs-python", "buckets: create, list, delete", lambda: (
    ok(o.createBucket("obs-made")), "obs-made" in [b.name for b in ok(o.listBuckets()).body.buckets],
    ok(o.deleteBucket("obs-made")), "obs-made" not in [b.name for b in ok(o.listBuckets()).body.buckets])[1::2]
       == (True, True))
record("esdk-obs-python", "wrong secret refused", lambda: refused(lambda: ok(obs("wrong").listObjects(bucket))))

# oss2 (OSS V1 and V4)
import oss2


def oss_bucket(version, key_secret, name=bucket):
    if version == "v1":
        return oss2.Bucket(oss2.Auth(access_key, key_secret), oss_ep, name)
    return oss2.Bucket(oss2.AuthV4(access_key, key_secret), oss_ep, name, region="cn-hangzhou")


def oss_service(version):
    auth = oss2.Auth(access_key, secret) if version == "v1" else oss2.AuthV4(access_key, secret)
    return oss2.Service(auth, oss_ep, region="cn-hangzhou")


for version in ("v1", "v4"):
    name = f"oss2 {version}"
    b = oss_bucket(version, secret)
    key = f"oss-{version}/small.bin"
    record(name, "put with metadata, headers, storage class", lambda: b.put_object(key, data, headers={
        "x-oss-meta-who": "oss2", "Content-Type": "text/plain", "Cache-Control": "no-store",
        "x-oss-storage-class": "IA"}) and None)
    record(name, "head reads back", lambda: (lambda h: (
        h.headers["x-oss-meta-who"], h.content_type, h.headers["Cache-Control"], h.headers["x-oss-storage-class"],
        h.content_length) == ("oss2", "text/plain", "no-store", "IA", len(data)))(b.head_object(key)))
    record(name, "get_object_meta", lambda: b.get_object_meta(key).content_length == len(data))
    record(name, "get", lambda: b.get_object(key).read() == data)
    record(name, "range get", lambda: b.get_object(key, byte_range=(5, 9)).read() == data[5:10])
    record(name, "get if-none-match is 304", lambda: refused(lambda: b.get_object(
        key, headers={"If-None-Match": b.head_object(key).etag}), 304))
    record(name, "forbid-overwrite refuses and keeps the bytes", lambda: refused(lambda: b.put_object(
        key, b"other", headers={"x-oss-forbid-overwrite": "true"}), 409) is True and b.get_object(key).read() == data)
    for i in range(5):
        b.put_object(f"oss-{version}/page/{i}", b"x")
    record(name, "list paginated", lambda: [x.key for x in oss2.ObjectIterator(
        b, prefix=f"oss-{version}/page/", max_keys=2)] == [f"oss-{version}/page/{i}" for i in range(5)])
    record(name, "list v2 paginated", lambda: [x.key for x in oss2.ObjectIteratorV2(
        b, prefix=f"oss-{version}/page/", max_keys=2)] == [f"oss-{version}/page/{i}" for i in range(5)])
    record(name, "copy", lambda: (b.copy_object(bucket, key, key + ".copy"), b.get_object(key + ".copy").read()
                                  == data)[1])
    record(name, "resumable (multipart) upload", lambda: (
        oss2.resumable_upload(b, f"oss-{version}/big.bin", big_path, multipart_threshold=part, part_size=part,
                              store=oss2.ResumableStore(root=work)),
        b.get_object(f"oss-{version}/big.bin").read() == big)[1])

    def oss_part_copy(b=b, key=key, version=version):
        target = f"oss-{version}/copied.bin"
        upload = b.init_multipart_upload(target).upload_id
        first = b.upload_part(target, upload, 1, big[:part])
        second = b.upload_part_copy(bucket, key, (0, 999), target, upload, 2)
        b.complete_multipart_upload(target, upload, [oss2.models.PartInfo(1, first.etag),
                                                     oss2.models.PartInfo(2, second.etag)])
        return b.get_object(target).read() == big[:part] + data[:1000]

    record(name, "multipart with a copied part", oss_part_copy)
    record(name, "put_object_acl leaves the bytes", lambda: (
        b.put_object_acl(key, oss2.OBJECT_ACL_PUBLIC_READ), b.get_object_acl(key).acl == "public-read",
        b.get_object(key).read() == data)[1:] == (True, True))
    def oss_tagging(b=b, key=key):
        rule = oss2.models.TaggingRule()
        rule.add("k", "v")
        b.put_object_tagging(key, oss2.models.Tagging(rule))
        return b.get_object_tagging(key).tag_set.tagging_rule == {"k": "v"} and b.get_object(key).read() == data

    record(name, "tagging leaves the bytes", oss_tagging)
    record(name, "bucket info", lambda: b.get_bucket_info().name == bucket)
    record(name, "presigned GET", lambda: fetch(b.sign_url("GET", key, 300)) == data)
    record(name, "delete", lambda: b.delete_object(key + ".copy") and None)
    record(name, "batch delete", lambda: (b.batch_delete_objects([f"oss-{version}/page/{i}" for i in range(5)]),
                                          list(oss2.ObjectIterator(b, prefix=f"oss-{version}/page/")) == [])[1])
    record(name, "buckets: create, list, delete", lambda: (
        oss_bucket(version, secret, f"oss-made-{version}").create_bucket(),
        f"oss-made-{version}" in [x.name for x in oss2.BucketIterator(oss_service(version))],
        oss_bucket(version, secret, f"oss-made-{version}").delete_bucket(),
        f"oss-made-{version}" not in [x.name for x in oss2.BucketIterator(oss_service(version))])[1::2] == (True, True))
    record(name, "wrong secret refused", lambda: refused(lambda: list(oss2.ObjectIterator(oss_bucket(version, "wrong")))))

print(json.dumps(results, indent=1, sort_keys=True))
