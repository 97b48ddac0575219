#!/usr/bin/env python3
"""Writes Tests/PhonePackCloudTests/Fixtures/sdk-vectors.json: one golden vector for every request shape phonepack
sends to an object store, signed by the vendors' own SDK code from PyPI (esdk-obs-python obs.auth, botocore auth,
oss2 auth), none of it written here.

    make_sdk_vectors.py [OUTPUT]

Each vector is an operation (method, bucket, key, query in the order phonepack sends it, the headers phonepack
sets before signing, the time) and what the SDK makes of it: the request path the SDK itself sends for that
operation (captured from the SDK's own client against a local recorder, path-style, or the virtual-hosted
form), the string it signs and the Authorization header (or the presigned query). SignerVectorTests builds each
operation with phonepack's ObjectStoreClient and signer and requires the same path and the same signature.
Run it again after adding a request shape; the output is deterministic.
"""
import http.server, json, sys, threading, types
from urllib.parse import quote, unquote

import boto3, botocore.auth, botocore.awsrequest, botocore.credentials
from botocore.config import Config
import obs, obs.auth, obs.const, obs.convertor
import oss2, oss2.auth, oss2.http
from requests.structures import CaseInsensitiveDict

AK, SK = "PHONEPACKVECTORAK", "phonepack-vector-secret-0000000000"
TIME = 1765015800  # 2025-12-06T10:10:00Z
RFC1123 = "Sat, 06 Dec 2025 10:10:00 GMT"
COMPACT = "20251206T101000Z"
UPLOAD_ID = "0000019ADF6C8E57C1A8F0E4D3B2A190"
KEYS = ["apps/app-1.0.tar", "dir/sp ace+plus~é(1)&=?.tar"]


def capture_sdk_paths():
    """The paths each SDK's own client sends, path-style, for a bucket and for an object (a recorder on
    127.0.0.1 answers every request)."""
    seen = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(self.path.split("?")[0])
            body = (b"<?xml version='1.0'?><ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount>"
                    b"</ListBucketResult>")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/xml")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = answer

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}"
    paths = {}
    client = obs.ObsClient(access_key_id=AK, secret_access_key=SK, server=endpoint, path_style=True, max_retry_count=0)
    client.listObjects("bkt1", prefix="p/")
    client.getObjectMetadata("bkt1", KEYS[1])
    paths["obs"] = seen[-2:]
    bucket = oss2.Bucket(oss2.Auth(AK, SK), endpoint, "bkt1", is_path_style=True)
    bucket.list_objects(prefix="p/")
    bucket.head_object(KEYS[1])
    paths["oss"] = seen[-2:]
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=AK, aws_secret_access_key=SK,
                      region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
    s3.list_objects_v2(Bucket="bkt1", Prefix="p/")
    s3.head_object(Bucket="bkt1", Key=KEYS[1])
    paths["s3"] = seen[-2:]
    server.shutdown()
    return paths


SDK_PATHS = capture_sdk_paths()


def sdk_path(store, path_style, bucket, key):
    """The path the SDK sends: its captured path-style shapes (bucket `bkt1`, object KEYS[1]) applied to this
    bucket and key, or the virtual-hosted `/key`."""
    bucket_path, object_path = SDK_PATHS[store]
    if not path_style:
        return "/" + quote(key, safe="/~")
    if not key:
        return bucket_path.replace("bkt1", bucket, 1)
    # SDKs differ in how they escape a key on the wire (esdk-obs-python sends `/` as %2F); every store decodes it,
    # and the signature covers the decoded key. The vector keeps the decoded shape: /bucket/key.
    assert unquote(object_path) == "/bkt1/" + KEYS[1], object_path
    return f"/{bucket}/" + quote(key, safe="/~")


def operations(store):
    """(name, method, key, query, headers) for every request phonepack sends to a store. Listing parameters are in
    phonepack's order; headers are those phonepack sets before its signer adds the date (and payload) headers."""
    meta = {"obs": "x-obs-meta-", "oss": "x-oss-meta-", "s3": "x-amz-meta-"}[store]
    copy = {"obs": "x-obs-copy-source", "oss": "x-oss-copy-source", "s3": "x-amz-copy-source"}[store]
    v2 = store != "obs"
    for key in KEYS:
        yield ("head object", "HEAD", key, [], [])
        yield ("get range if-match", "GET", key, [],
               [("Range", "bytes=0-8388607"), ("If-Match", '"9e107d9d372bb6826bd81d3542a419d6"')])
        yield ("put object", "PUT", key, [],
               [("Content-MD5", "nhB9nTcrtoJr2B01QqQZ1g=="), ("Content-Type", "application/x-tar"),
                (meta + "sha256", "f3c643d4" * 8)])
        yield ("copy object", "PUT", key, [], [(copy, "/bkt1/" + quote(KEYS[0], safe="/~"))])
        yield ("initiate multipart", "POST", key, [("uploads", None)],
               [("Content-Type", "application/octet-stream"), (meta + "sha256", "f3c643d4" * 8)])
        yield ("upload part", "PUT", key, [("partNumber", "3"), ("uploadId", UPLOAD_ID)],
               [("Content-MD5", "nhB9nTcrtoJr2B01QqQZ1g==")])
        yield ("upload part copy", "PUT", key, [("partNumber", "2"), ("uploadId", UPLOAD_ID)],
               [(copy, "/bkt1/" + quote(KEYS[0], safe="/~")), (copy + "-range", "bytes=8388608-16777215")])
        yield ("complete multipart", "POST", key, [("uploadId", UPLOAD_ID)], [("Content-Type", "application/xml")])
        yield ("abort multipart", "DELETE", key, [("uploadId", UPLOAD_ID)], [])
        yield ("list parts", "GET", key, [("uploadId", UPLOAD_ID), ("part-number-marker", "1000")], [])
        yield ("delete object", "DELETE", key, [], [])
    yield ("list objects", "GET", "",
           ([("list-type", "2")] if v2 else []) + [("prefix", "apps/"), ("delimiter", "/"), ("encoding-type", "url")],
           [])
    yield ("list objects next page", "GET", "",
           ([("list-type", "2")] if v2 else []) + [("prefix", ""),
                                                   ("continuation-token" if v2 else "marker", "apps/a b+c.tar"),
                                                   ("encoding-type", "url")], [])
    yield ("list uploads", "GET", "", [("uploads", None), ("prefix", "apps/")], [])
    yield ("delete multiple", "POST", "", [("delete", None)],
           [("Content-MD5", "nhB9nTcrtoJr2B01QqQZ1g=="), ("Content-Type", "application/xml")])


def obs_vector(path_style, bucket, key, method, query, headers):
    headers = headers + [("Date", RFC1123)]
    auth = obs.auth.Authentication(AK, SK, path_style, obs.convertor.Adapter("obs"), None, False)
    result = auth.getSignature(method, bucket, key or None, dict(query), dict(headers))
    return headers, {"stringToSign": result[obs.const.CANONICAL_STRING],
                     "authorization": f"OBS {AK}:{result['Signature']}"}


def sigv4_vector(host, path, method, query, headers, region):
    headers = headers + [("Host", host), ("x-amz-date", COMPACT), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]
    auth = botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(AK, SK), "s3", region)
    request = botocore.awsrequest.AWSRequest(method=method, url=f"http://{host}{path}")
    request.params = [(n, v if v is not None else "") for n, v in query]
    for name, value in headers:
        request.headers[name] = value
    request.context["timestamp"] = COMPACT
    canonical = auth.canonical_request(request)
    text = auth.string_to_sign(request, canonical)
    signed = auth.signed_headers(auth.headers_to_sign(request))
    scope = auth.credential_scope(request)
    authorization = (f"AWS4-HMAC-SHA256 Credential={AK}/{scope},SignedHeaders={signed},"
                     f"Signature={auth.signature(text, request)}")
    return headers, {"canonicalRequest": canonical, "stringToSign": text, "authorization": authorization}


def oss_request(method, query, headers, region):
    request = oss2.http.Request(method, "http://vector/", params={n: v or "" for n, v in query},
                                headers=CaseInsensitiveDict(dict(headers)), region=region, product="oss")
    for name in ("Accept-Encoding", "User-Agent"):
        request.headers.pop(name, None)
    return request


def oss1_vector(bucket, key, method, query, headers):
    headers = headers + [("Date", RFC1123)]
    auth = oss2.auth.Auth(AK, SK)
    request = oss_request(method, query, headers, None)
    credentials = auth.credentials_provider.get_credentials()
    text = auth._ProviderAuth__get_bytes_to_sign(request, bucket, key).decode()
    signature = auth._ProviderAuth__make_signature(request, bucket, key, credentials)
    return headers, {"stringToSign": text, "authorization": f"OSS {AK}:{signature}"}


def oss4_vector(bucket, key, method, query, headers, region):
    headers = headers + [("x-oss-date", COMPACT), ("x-oss-content-sha256", "UNSIGNED-PAYLOAD")]
    auth = oss2.auth.AuthV4(AK, SK)
    request = oss_request(method, query, headers, region)
    credentials = auth.credentials_provider.get_credentials()
    canonical = auth._ProviderAuthV4__get_canonical_request_bytes(request, bucket, key, None).decode()
    signature = auth._ProviderAuthV4__make_signature(request, bucket, key, None, credentials, COMPACT)
    scope = f"{COMPACT[:8]}/{region}/oss/aliyun_v4_request"
    return headers, {"canonicalRequest": canonical,
                     "authorization": f"OSS4-HMAC-SHA256 Credential={AK}/{scope},Signature={signature}"}


def presign_vectors():
    """GET presigned URLs, as `phonepack presign` makes them (an hour)."""
    out = []
    for store, scheme, host, path_style in [("obs", "obs", "127.0.0.1:9000", True),
                                             ("obs", "obs", "obs.cn-north-4.myhuaweicloud.com", False),
                                             ("s3", "v4", "127.0.0.1:9000", True),
                                             ("oss", "oss1", "127.0.0.1:9001", True),
                                             ("oss", "oss4", "127.0.0.1:9001", True)]:
        for key in KEYS:
            bucket = "bkt1"
            path = sdk_path(store, path_style, bucket, key)
            vector = {"name": f"{scheme} {'path-style' if path_style else 'virtual-hosted'} presigned GET {key}",
                      "store": store, "scheme": scheme, "host": host, "region": "cn-north-4", "pathStyle": path_style,
                      "bucket": bucket, "key": key, "method": "GET", "query": [], "headers": [], "time": TIME,
                      "expires": 3600}
            if scheme == "obs":
                auth = obs.auth.Authentication(AK, SK, path_style, obs.convertor.Adapter("obs"), None, False)
                signature = auth.getSignature("GET", bucket, key, {}, {}, str(TIME + 3600))["Signature"]
                query = [("AccessKeyId", AK), ("Expires", str(TIME + 3600)), ("Signature", signature)]
            elif scheme == "oss1":
                request = oss_request("GET", [], [("date", str(TIME + 3600))], None)
                auth = oss2.auth.Auth(AK, SK)
                signature = auth._ProviderAuth__make_signature(request, bucket, key,
                                                               auth.credentials_provider.get_credentials())
                query = [("OSSAccessKeyId", AK), ("Expires", str(TIME + 3600)), ("Signature", signature)]
            elif scheme == "oss4":
                query = [("x-oss-signature-version", "OSS4-HMAC-SHA256"), ("x-oss-date", COMPACT),
                         ("x-oss-expires", "3600"),
                         ("x-oss-credential", f"{AK}/{COMPACT[:8]}/cn-north-4/oss/aliyun_v4_request"),
                         ("x-oss-additional-headers", "host")]
                request = oss_request("GET", query, [("Host", host)], "cn-north-4")
                auth = oss2.auth.AuthV4(AK, SK)
                signature = auth._ProviderAuthV4__make_signature(request, bucket, key, ["host"],
                                                                 auth.credentials_provider.get_credentials(), COMPACT)
                query.append(("x-oss-signature", signature))
            else:
                query = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                         ("X-Amz-Credential", f"{AK}/{COMPACT[:8]}/cn-north-4/s3/aws4_request"),
                         ("X-Amz-Date", COMPACT), ("X-Amz-Expires", "3600"), ("X-Amz-SignedHeaders", "host")]
                auth = botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(AK, SK), "s3", "cn-north-4")
                request = botocore.awsrequest.AWSRequest(method="GET", url=f"http://{host}{path}")
                request.params = query
                request.headers["host"] = host
                request.context["timestamp"] = COMPACT
                canonical = auth.canonical_request(request).rsplit("\n", 1)[0] + "\nUNSIGNED-PAYLOAD"
                query.append(("X-Amz-Signature", auth.signature(auth.string_to_sign(request, canonical), request)))
            vector["expected"] = {"path": path, "query": query}
            out.append(vector)
    return out


def main():
    output = sys.argv[1] if len(sys.argv) > 1 else "Tests/PhonePackCloudTests/Fixtures/sdk-vectors.json"
    vectors = []
    for store, scheme, host, path_style, region in [
            ("obs", "obs", "127.0.0.1:9000", True, "cn-north-4"),
            ("obs", "obs", "obs.cn-north-4.myhuaweicloud.com", False, "cn-north-4"),
            ("s3", "v4", "127.0.0.1:9000", True, "us-east-1"),
            ("s3", "v4", "s3.us-east-1.amazonaws.com", False, "us-east-1"),
            ("obs", "v4", "127.0.0.1:9000", True, "cn-north-4"),
            ("oss", "oss4", "127.0.0.1:9001", True, "cn-hangzhou"),
            ("oss", "oss4", "oss-cn-hangzhou.aliyuncs.com", False, "cn-hangzhou"),
            ("oss", "oss1", "127.0.0.1:9001", True, "cn-hangzhou"),
            ("oss", "oss1", "oss-cn-hangzhou.aliyuncs.com", False, "cn-hangzhou")]:
        for name, method, key, query, headers in operations(store if scheme != "v4" else "s3"):
            bucket = "bkt1"
            path = sdk_path(store if scheme != "v4" else "s3", path_style, bucket, key)
            wire_host = host if path_style else f"{bucket}.{host}"
            if scheme == "obs":
                sent, expected = obs_vector(path_style, bucket, key, method, query, headers)
            elif scheme == "v4":
                sent, expected = sigv4_vector(wire_host, path, method, query, headers, region)
            elif scheme == "oss1":
                sent, expected = oss1_vector(bucket, key, method, query, headers)
            else:
                sent, expected = oss4_vector(bucket, key, method, query, headers, region)
            expected["path"] = path
            vectors.append({
                "name": f"{scheme} on {store} {'path-style' if path_style else 'virtual-hosted'} {name}"
                        + (f" {key!r}" if key else ""),
                "store": store, "scheme": scheme, "host": host, "region": region, "pathStyle": path_style,
                "bucket": bucket, "key": key, "method": method, "query": query, "headers": headers, "time": TIME,
                "headersSent": sent, "expected": expected})
    vectors += presign_vectors()
    document = {"generatedBy": "Tests/Scripts/make_sdk_vectors.py",
                "sdks": {"esdk-obs-python": obs.__version__ if hasattr(obs, "__version__") else "installed",
                         "botocore": botocore.__version__, "oss2": oss2.__version__},
                "sdkPaths": SDK_PATHS, "accessKey": AK, "secretKey": SK, "vectors": vectors}
    with open(output, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1, ensure_ascii=False, sort_keys=True)
        out.write("\n")
    print(f"{len(vectors)} vectors written to {output}")


if __name__ == "__main__":
    main()
