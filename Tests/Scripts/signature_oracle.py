#!/usr/bin/env python3
"""Checks every request the emulator recorded (phonepack-emulator --wire-log) with the vendors' own signing code,
none of it written here, and compares the verdict with the emulator's.

    signature_oracle.py --access-key AK --secret-key SK [--json] WIRE.jsonl...

Each line of a wire log is one request as it arrived: method, request target, headers in order, the body (for the
cloud-phone APIs) and the emulator's verdict on its signature ("accepted", "mismatch" or "unchecked"). The oracle
recomputes the signature from those bytes with:

  OBS native and AWS V2 (header and presigned)   esdk-obs-python  obs.auth.Authentication
  AWS SigV4 (header and presigned, either port)    botocore         botocore.auth.S3SigV4Auth
  OSS V1 and V4 (header and presigned)             oss2             oss2.auth.Auth / AuthV4
  Huawei API gateway (CPH, IAM)                    huaweicloudsdkcore  signer.Signer
  Alibaba ACS3 and RPC (eds-aic)                   alibabacloud_openapi_util  Client

A request the emulator accepted must verify; one it refused as SignatureDoesNotMatch must not. Any disagreement,
or a signed request in a scheme the oracle cannot check, is printed and the exit status is 1. The last line says
how many requests were checked. Paths are addressed path-style (the emulator's endpoints are IP addresses): the
resource a store signs is the path exactly as sent, so `/bucket` and `/bucket/` are different resources.
"""
import argparse, base64, json, sys, types
from urllib.parse import unquote, urlsplit

import botocore.auth, botocore.awsrequest, botocore.credentials
import obs.auth, obs.const, obs.convertor
import oss2.auth, oss2.http
from requests.structures import CaseInsensitiveDict
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from alibabacloud_openapi_util.client import Client as AlibabaUtil


class Unsupported(Exception):
    pass


def decoded_query(raw):
    """[(name, value or None)] in order: a bare `uploads` has no value, `uploads=` an empty one."""
    items = []
    for part in raw.split("&") if raw else []:
        name, eq, value = part.partition("=")
        items.append((unquote(name), unquote(value) if eq else None))
    return items


def header(headers, name):
    values = [v for n, v in headers if n.lower() == name.lower()]
    return ",".join(values) if values else None


def auth_fields(authorization):
    fields = {}
    for part in authorization.split(" ", 1)[1].split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    return fields


def bucket_and_key(path):
    """The path-style bucket and key, and whether the SDK's path-style resource (`/bucket`, no slash) is what was
    sent: `/bucket/` is signed as the SDK signs a virtual-hosted bucket."""
    parts = unquote(path).split("/", 2)
    bucket = parts[1] if len(parts) > 1 and parts[1] else None
    key = parts[2] if len(parts) > 2 else None
    return bucket, (key or None), (bucket is None or len(parts) == 2)


class Oracle:
    def __init__(self, access_key, secret_key):
        self.ak, self.sk = access_key, secret_key

    # esdk-obs-python: OBS native ("OBS", x-obs-) and AWS V2 ("AWS", x-amz-), header and presigned URL.
    def obs_v2(self, method, path, query, headers, native, signature, expires=None):
        bucket, key, path_style = bucket_and_key(path)
        auth = obs.auth.Authentication(self.ak, self.sk, path_style, obs.convertor.Adapter("obs" if native else "v2"),
                                       None, False)
        args = {}
        for name, value in query:
            args[name] = value
        merged = {}
        for name, value in headers:
            merged[name] = merged[name] + "," + value if name in merged else value
        result = auth.getSignature(method, bucket, key, args, merged, expires)
        return result["Signature"] == signature, result[obs.const.CANONICAL_STRING]

    # botocore: SigV4, header form (the signed headers named in the Authorization) and query form.
    def sigv4(self, method, host, path, query, headers, fields, amz_date, payload):
        scope = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        auth = botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(self.ak, self.sk), scope[3], scope[2])
        request = botocore.awsrequest.AWSRequest(method=method, url=f"http://{host}{path}")
        request.params = [(n, v if v is not None else "") for n, v in query]
        for name in signed:
            value = header(headers, name)
            if value is None and name != "host":
                raise Unsupported(f"signed header {name} is missing")
            if value is not None:
                request.headers[name] = value
        request.context["timestamp"] = amz_date
        canonical = auth.canonical_request(request)
        if payload is not None:  # the query form: the payload line is UNSIGNED-PAYLOAD, never a header
            canonical = canonical.rsplit("\n", 1)[0] + "\n" + payload
        text = auth.string_to_sign(request, canonical)
        return auth.signature(text, request) == fields["Signature"], canonical

    # oss2: V1 ("OSS ak:sig", presigned OSSAccessKeyId) and V4 ("OSS4-HMAC-SHA256", presigned x-oss-signature).
    def oss_request(self, method, query, headers, region=None):
        merged = CaseInsensitiveDict()
        for name, value in headers:
            merged[name] = merged[name] + "," + value if name in merged else value
        # oss2 holds a bare `?uploads` as an empty value, as it sends it.
        params = {name: value if value is not None else "" for name, value in query}
        request = oss2.http.Request(method, "http://oracle/", params=params, headers=merged, region=region,
                                    product="oss")
        # Request() adds Accept-Encoding / User-Agent defaults; what was signed is what was sent.
        for name in ("Accept-Encoding", "User-Agent"):
            if header(headers, name) is None:
                request.headers.pop(name, None)
        return request

    def oss_v1(self, method, path, query, headers, signature, expires=None):
        bucket, key, _ = bucket_and_key(path)
        request = self.oss_request(method, query, headers)
        if expires is not None:
            request.headers["date"] = expires
        auth = oss2.auth.Auth(self.ak, self.sk)
        credentials = auth.credentials_provider.get_credentials()
        computed = auth._ProviderAuth__make_signature(request, bucket, key or "", credentials)
        return computed == signature, auth._ProviderAuth__get_bytes_to_sign(request, bucket, key or "")

    def oss_v4(self, method, path, query, headers, credential, date, additional, signature):
        bucket, key, _ = bucket_and_key(path)
        scope = credential.split("/")
        request = self.oss_request(method, query, headers, region=scope[2])
        auth = oss2.auth.AuthV4(self.ak, self.sk)
        credentials = auth.credentials_provider.get_credentials()
        extra = sorted(a.lower() for a in additional) if additional else None
        computed = auth._ProviderAuthV4__make_signature(request, bucket, key or "", extra, credentials, date)
        return computed == signature, auth._ProviderAuthV4__get_canonical_request_bytes(request, bucket, key or "", extra)

    # huaweicloudsdkcore: the API gateway's SDK-HMAC-SHA256.
    def api_gateway(self, method, host, path, query, headers, fields, body):
        signed = fields["SignedHeaders"].split(";")
        header_params = {}
        for name in signed:
            value = header(headers, name)
            if value is None:
                raise Unsupported(f"signed header {name} is missing")
            header_params[next(n for n, _ in headers if n.lower() == name)] = value
        request = SdkRequest(method=method, schema="http", host=host, resource_path=path,
                             query_params=[(n, v if v is not None else "") for n, v in query],
                             header_params=header_params, body=body or b"")
        Signer(types.SimpleNamespace(ak=self.ak, sk=self.sk)).sign(request)
        computed = auth_fields(request.header_params["Authorization"])
        return computed["Signature"] == fields["Signature"] and computed["SignedHeaders"] == fields["SignedHeaders"], \
            request.header_params["Authorization"]

    # alibabacloud_openapi_util: ACS3-HMAC-SHA256 and RPC HMAC-SHA1.
    def acs3(self, method, path, query, headers, fields):
        signed = fields["SignedHeaders"].split(";")
        request = types.SimpleNamespace(
            method=method, pathname=unquote(path), query={n: v for n, v in query if v is not None},
            headers={name: header(headers, name) for name in signed})
        computed = AlibabaUtil.get_authorization(request, "ACS3-HMAC-SHA256", header(headers, "x-acs-content-sha256"),
                                                 self.ak, self.sk)
        return auth_fields(computed)["Signature"] == fields["Signature"], computed

    def rpc(self, method, query, signature):
        params = {n: (v if v is not None else "") for n, v in query if n != "Signature"}
        return AlibabaUtil.get_rpcsignature(params, method, self.sk) == signature, params

    def check(self, entry):
        """(scheme, verified, what the SDK computed) for one recorded request."""
        method, headers = entry["method"], [tuple(h) for h in entry["headers"]]
        split = urlsplit(entry["target"])
        path, query = split.path, decoded_query(split.query)
        names = {n for n, _ in query}
        host = header(headers, "host") or "127.0.0.1"
        authorization = header(headers, "authorization") or ""
        scheme = authorization.split(" ", 1)[0]
        values = {n: v for n, v in query}
        body = base64.b64decode(entry["body"]) if entry.get("body") else b""
        if entry["service"] in ("obs", "oss"):
            if scheme in ("OBS", "AWS") and entry["service"] == "obs":
                access, _, signature = authorization.split(" ", 1)[1].rpartition(":")
                return (f"obs-{scheme.lower()}", *self.obs_v2(method, path, query, headers, scheme == "OBS", signature))
            if scheme == "AWS4-HMAC-SHA256":
                fields = auth_fields(authorization)
                return ("sigv4", *self.sigv4(method, host, path, query, headers, fields,
                                             header(headers, "x-amz-date"), None))
            if scheme == "OSS":
                _, _, signature = authorization.split(" ", 1)[1].rpartition(":")
                return ("oss-v1", *self.oss_v1(method, path, query, headers, signature))
            if scheme == "OSS4-HMAC-SHA256":
                fields = auth_fields(authorization)
                extra = fields.get("AdditionalHeaders", "").split(";") if fields.get("AdditionalHeaders") else []
                return ("oss-v4", *self.oss_v4(method, path, query, headers, fields["Credential"],
                                               header(headers, "x-oss-date"), extra, fields["Signature"]))
            if "X-Amz-Signature" in names:
                fields = {"Credential": values["X-Amz-Credential"], "SignedHeaders": values["X-Amz-SignedHeaders"],
                          "Signature": values["X-Amz-Signature"]}
                rest = [(n, v) for n, v in query if n != "X-Amz-Signature"]
                return ("sigv4-query", *self.sigv4(method, host, path, rest, headers, fields, values["X-Amz-Date"],
                                                   "UNSIGNED-PAYLOAD"))
            if entry["service"] == "obs" and "Signature" in names and "Expires" in names:
                native = "AccessKeyId" in names
                rest = [(n, v) for n, v in query if n not in ("AccessKeyId", "AWSAccessKeyId", "Expires", "Signature")]
                return ("obs-query" if native else "aws-v2-query",
                        *self.obs_v2(method, path, rest, headers, native, values["Signature"], values["Expires"]))
            if entry["service"] == "oss" and "OSSAccessKeyId" in names:
                rest = [(n, v) for n, v in query if n not in ("OSSAccessKeyId", "Expires", "Signature")]
                return ("oss-v1-query", *self.oss_v1(method, path, rest, headers, values["Signature"], values["Expires"]))
            if entry["service"] == "oss" and "x-oss-signature" in names:
                rest = [(n, v) for n, v in query if n != "x-oss-signature"]
                extra = values.get("x-oss-additional-headers")
                return ("oss-v4-query", *self.oss_v4(method, path, rest, headers, values["x-oss-credential"],
                                                     values["x-oss-date"], extra.split(";") if extra else [],
                                                     values["x-oss-signature"]))
        else:
            if scheme == "SDK-HMAC-SHA256":
                return ("apig", *self.api_gateway(method, host, path, query, headers, auth_fields(authorization), body))
            if scheme == "ACS3-HMAC-SHA256":
                return ("acs3", *self.acs3(method, path, query, headers, auth_fields(authorization)))
            if "Signature" in names and "SignatureNonce" in names:
                return ("rpc", *self.rpc(method, query, values["Signature"]))
        raise Unsupported(f"no signature the oracle knows ({scheme or 'none'})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    parser.add_argument("logs", nargs="+")
    args = parser.parse_args()
    oracle = Oracle(args.access_key, args.secret_key)
    counts, schemes, problems, unchecked = {"accepted": 0, "mismatch": 0}, {}, [], 0
    for path in args.logs:
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                entry = json.loads(line)
                if entry["verdict"] == "unchecked":
                    unchecked += 1
                    continue
                where = f"{path}:{number}: {entry['method']} {entry['service']} {entry['target'][:160]}"
                try:
                    scheme, verified, computed = oracle.check(entry)
                except Unsupported as e:
                    problems.append(f"{where}: the emulator said {entry['verdict']}, the oracle cannot check it: {e}")
                    continue
                except Exception as e:  # a malformed request the SDK cannot even parse: a refusal
                    scheme, verified, computed = "malformed", False, repr(e)
                schemes[scheme] = schemes.get(scheme, 0) + 1
                counts[entry["verdict"]] += 1
                if verified != (entry["verdict"] == "accepted"):
                    problems.append(f"{where}: the emulator said {entry['verdict']}, the vendor SDK ({scheme}) "
                                    f"{'accepts' if verified else 'refuses'} it; the SDK signed {computed!r}")
    for problem in problems:
        print(problem, file=sys.stderr)
    checked = counts["accepted"] + counts["mismatch"]
    summary = {"checked": checked, "accepted": counts["accepted"], "refused": counts["mismatch"],
               "unchecked": unchecked, "disagreements": len(problems), "schemes": schemes}
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        by_scheme = ", ".join(f"{k} {v}" for k, v in sorted(schemes.items()))
        print(f"signature oracle: {checked} requests checked with the vendors' SDK code ({by_scheme}); "
              f"{counts['mismatch']} refusals confirmed; {unchecked} unsigned or refused before the signature; "
              f"{len(problems)} disagreements")
    sys.exit(1 if problems or checked == 0 else 0)


if __name__ == "__main__":
    main()
