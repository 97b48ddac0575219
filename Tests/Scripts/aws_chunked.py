#!/usr/bin/env python3
"""aws-chunked bodies against the emulator's S3 API, as the AWS SDKs stream uploads. Prints one JSON object: each
case's result ("ok" or what went wrong), so a test can require every one.

    aws_chunked.py ENDPOINT ACCESS_KEY SECRET BUCKET

- botocore's own encoder (AwsChunkedWrapper, STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC-32 trailer): botocore
  sends trailers only over TLS, so its scheme check is told the endpoint is https; everything it sends is its own.
  A PutObject and a multipart upload come back byte for byte; a wrong trailer CRC-32 is refused.
- STREAMING-AWS4-HMAC-SHA256-PAYLOAD (signed chunks, what the Java and Go SDKs send): the request is signed by
  botocore's SigV4Auth; the chunk signatures follow AWS's published algorithm, checked here first against AWS's
  own worked example. Good chunks are stored; a chunk changed after signing is refused and nothing is stored.
"""
import hashlib, hmac, http.client, json, os, sys, urllib.parse
import boto3, botocore.httpchecksum as hc
from boto3.s3.transfer import TransferConfig
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint, access_key, secret, bucket = sys.argv[1:5]
results = {}


def record(name, fn):
    try:
        value = fn()
        results[name] = "ok" if value in (None, True) else f"unexpected: {value!r}"[:300]
    except Exception as e:
        results[name] = f"{type(e).__name__}: {e}"[:300]


class Secure:
    scheme = "https"


hc.urlparse = lambda url: Secure()
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret,
                  region_name="us-east-1")
sent = []
s3.meta.events.register("before-send.s3.*", lambda request, **kw: sent.append(request.headers.get("X-Amz-Content-SHA256")))
small = os.urandom(100_000)
big = os.urandom(7 * 1024 * 1024)


def put_trailer():
    s3.put_object(Bucket=bucket, Key="chunked/small.bin", Body=small)
    return sent[-1] == b"STREAMING-UNSIGNED-PAYLOAD-TRAILER" and \
        s3.get_object(Bucket=bucket, Key="chunked/small.bin")["Body"].read() == small


def multipart_trailer():
    path = "/tmp/aws-chunked-big.bin"
    with open(path, "wb") as f:
        f.write(big)
    s3.upload_file(path, bucket, "chunked/big.bin",
                   Config=TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20))
    os.unlink(path)
    return s3.get_object(Bucket=bucket, Key="chunked/big.bin")["Body"].read() == big


def wrong_trailer():
    class Wrong(hc.Crc32Checksum):
        def b64digest(self):
            return "AAAAAA=="
    saved = hc._CHECKSUM_CLS["crc32"]
    hc._CHECKSUM_CLS["crc32"] = Wrong
    try:
        s3.put_object(Bucket=bucket, Key="chunked/wrong.bin", Body=small)
        return "accepted"
    except Exception as e:
        return "BadDigest" in str(e) or str(e)
    finally:
        hc._CHECKSUM_CLS["crc32"] = saved


record("botocore put, trailer CRC-32", put_trailer)
record("botocore multipart, trailer CRC-32", multipart_trailer)
record("wrong trailer CRC-32 refused", wrong_trailer)


def chain(key, amz_date, scope, previous, chunks):
    out = []
    empty = hashlib.sha256(b"").hexdigest()
    for data in chunks:
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, empty, hashlib.sha256(data).hexdigest()])
        previous = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        out.append(previous)
    return out


def signing_key(secret_key, date, region="us-east-1", service="s3"):
    key = ("AWS4" + secret_key).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def aws_example():
    # AWS's worked example for SigV4 streaming (65 KiB + 1 KiB of 'a', then the final chunk).
    got = chain(signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524"), "20130524T000000Z",
                "20130524/us-east-1/s3/aws4_request",
                "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", [b"a" * 65536, b"a" * 1024, b""])
    return got == ["ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                   "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                   "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"]


def signed_put(key, payload, tamper=False):
    chunks = [payload[i:i + 65536] for i in range(0, len(payload), 65536)] + [b""]
    url = f"{endpoint}/{bucket}/{key}"
    request = AWSRequest(method="PUT", url=url, headers={
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(payload))})
    SigV4Auth(Credentials(access_key, secret), "s3", "us-east-1").add_auth(request)
    authorization = request.headers["Authorization"]
    seed = authorization.split("Signature=")[1].strip()
    amz_date = request.headers["X-Amz-Date"]
    signatures = chain(signing_key(secret, amz_date[:8]), amz_date, f"{amz_date[:8]}/us-east-1/s3/aws4_request", seed,
                       chunks)
    body = b"".join(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(c), s.encode(), c) for c, s in zip(chunks, signatures))
    if tamper:
        first = body.index(b"\r\n") + 2
        body = body[:first] + bytes([body[first] ^ 1]) + body[first + 1:]
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {k: v for k, v in request.headers.items()}
    headers["Content-Length"] = str(len(body))
    connection.request("PUT", parsed.path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def signed_good():
    payload = os.urandom(200_000)
    status, text = signed_put("chunked/signed.bin", payload)
    if status != 200:
        return f"{status} {text[:200]}"
    return s3.get_object(Bucket=bucket, Key="chunked/signed.bin")["Body"].read() == payload


def signed_tampered():
    status, text = signed_put("chunked/tampered.bin", os.urandom(100_000), tamper=True)
    try:
        s3.head_object(Bucket=bucket, Key="chunked/tampered.bin")
        return "stored"
    except Exception:
        pass
    return status == 403 and "SignatureDoesNotMatch" in text or f"{status} {text[:200]}"


def endless_trailer():
    # Unsigned chunks, then 1,000 trailer lines: refused as malformed, nothing stored.
    request = AWSRequest(method="PUT", url=f"{endpoint}/{bucket}/chunked/endless.bin", headers={
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": "5"})
    SigV4Auth(Credentials(access_key, secret), "s3", "us-east-1").add_auth(request)
    body = b"5\r\nhello\r\n0\r\n" + b"".join(b"x-amz-meta-%d:v\r\n" % i for i in range(1000)) + b"\r\n"
    parsed = urllib.parse.urlparse(request.url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = dict(request.headers.items())
    headers["Content-Length"] = str(len(body))
    connection.request("PUT", parsed.path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    return response.status == 400 and "IncompleteBody" in text or f"{response.status} {text[:200]}"


record("chunk signatures match AWS's worked example", aws_example)
record("endless trailer lines are refused", endless_trailer)
record("signed chunks stored byte for byte", signed_good)
record("a chunk changed after signing is refused", signed_tampered)
print(json.dumps(results))
