#!/usr/bin/env python3
"""Reads objects back with the vendors' own SDKs and prints what each says is stored, one JSON object:

    read_back.py OBS_ENDPOINT OSS_ENDPOINT ACCESS_KEY SECRET BUCKET KEY...

For each key: on the OBS port, boto3's head_object (SigV4: what an S3 client sees) and esdk-obs-python's
getObjectMetadata; on the OSS port, oss2's head_object. Content type, cache control, disposition, encoding,
storage class, encryption, user metadata, and the ACL where the SDK reads one. Missing objects are reported as such.
"""
import json, sys
import boto3
from botocore.config import Config
from obs import ObsClient
import oss2

obs_ep, oss_ep, ak, sk, bucket = sys.argv[1:6]
keys = sys.argv[6:]
s3 = boto3.client("s3", endpoint_url=obs_ep, aws_access_key_id=ak, aws_secret_access_key=sk, region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
obs = ObsClient(access_key_id=ak, secret_access_key=sk, server=obs_ep, path_style=True, max_retry_count=0)
oss = oss2.Bucket(oss2.AuthV4(ak, sk), oss_ep, bucket, region="cn-hangzhou")
out = {}
for key in keys:
    entry = {}
    try:
        h = s3.head_object(Bucket=bucket, Key=key)
        entry["boto3"] = {"contentType": h.get("ContentType"), "cacheControl": h.get("CacheControl"),
                          "contentDisposition": h.get("ContentDisposition"), "contentEncoding": h.get("ContentEncoding"),
                          "storageClass": h.get("StorageClass"), "encryption": h.get("ServerSideEncryption"),
                          "metadata": h.get("Metadata"),
                          "grants": len(s3.get_object_acl(Bucket=bucket, Key=key)["Grants"])}
    except Exception as e:
        entry["boto3"] = f"{type(e).__name__}: {e}"[:200]
    r = obs.getObjectMetadata(bucket, key)
    entry["esdk-obs-python"] = ({"contentType": r.body.contentType, "storageClass": r.body.storageClass,
                                 "metadata": {k: v for k, v in r.header if k not in (
                                     "etag", "content-type", "last-modified", "content-length", "request-id", "date",
                                     "storage-class", "cache-control", "content-disposition", "content-encoding",
                                     "server-side-encryption", "api", "accept-ranges", "connection", "server",
                                     "tagging-count")}}
                                if r.status < 300 else r.status)
    try:
        h = oss.head_object(key)
        entry["oss2"] = {"contentType": h.content_type, "cacheControl": h.headers.get("Cache-Control"),
                         "contentDisposition": h.headers.get("Content-Disposition"),
                         "storageClass": h.headers.get("x-oss-storage-class"),
                         "encryption": h.headers.get("x-oss-server-side-encryption"),
                         "metadata": {k[len("x-oss-meta-"):]: v for k, v in h.headers.items()
                                      if k.lower().startswith("x-oss-meta-")},
                         "acl": oss.get_object_acl(key).acl}
    except oss2.exceptions.NotFound:
        entry["oss2"] = "missing"
    except Exception as e:
        entry["oss2"] = f"{type(e).__name__}: {e}"[:200]
    out[key] = entry
print(json.dumps(out, sort_keys=True))
