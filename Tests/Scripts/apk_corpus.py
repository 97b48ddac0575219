#!/usr/bin/env python3
"""Builds a corpus of APKs signed by Debian's apksigner, and tampered copies, with apksigner's own verdicts.

    apk_corpus.py OUTDIR

Keys (made here with OpenSSL): RSA 2048, RSA 4096, EC P-256. Unsigned APKs from samples/make-sample.sh (aapt);
signed with apksigner: v1 only, v2 only, v3 only, v1+v2+v3, a rotated key with a proof-of-rotation lineage,, verity digests; then tampered: one bit flipped in an entry, in the central directory, in the
End of Central Directory and in the APK Signing Block, a byte appended, the signing block stripped, the v3 block
renamed away. OUTDIR/corpus.json lists every file with `apksigner verify --print-certs`'s verdict, signer
digests and DNs: the oracle phonepack's verifier is compared with (nobody here wrote apksigner).
"""
import concurrent.futures
import json
import os
import re
import struct
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_SAMPLE = os.path.join(HERE, "..", "..", "samples", "make-sample.sh")


def run(*args, check=True):
    result = subprocess.run(args, capture_output=True, text=True)
    if check and result.returncode != 0:
        sys.exit(f"apk_corpus.py: {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def make_key(out, name, algorithm):
    pem, pk8, cert = (os.path.join(out, f"{name}.{ext}") for ext in ("key.pem", "pk8", "x509.pem"))
    options = ["-newkey", "rsa:" + algorithm[3:]] if algorithm.startswith("rsa") else [
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    run("openssl", "req", "-x509", *options, "-nodes", "-keyout", pem, "-out", cert, "-days", "3650",
        "-subj", f"/O=phonepack corpus/CN={name}")
    run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", pem, "-outform", "DER", "-out", pk8)
    os.remove(pem)
    return ["--key", pk8, "--cert", cert]


def unsigned(out, name, *options):
    folder = os.path.join(out, "work-" + name)
    run(MAKE_SAMPLE, folder, "--unsigned", *options)
    aligned = os.path.join(out, name + ".unsigned.apk")
    run("zipalign", "-f", "-p", "4", os.path.join(folder, "base.apk"), aligned)
    return aligned


def sign(source, target, key, *options):
    run("apksigner", "sign", *key, *options, "--out", target, source)
    if os.path.exists(target + ".idsig"):
        os.remove(target + ".idsig")


def eocd_offset(data):
    return data.rindex(b"PK\x05\x06")


def flip(source, target, where):
    data = bytearray(open(source, "rb").read())
    end = eocd_offset(data)
    cd_size, cd_offset = struct.unpack_from("<II", data, end + 12)
    block_start = cd_offset
    if data[cd_offset - 16:cd_offset] == b"APK Sig Block 42":
        block_start = cd_offset - 8 - struct.unpack_from("<Q", data, cd_offset - 24)[0]
    if where in ("entry", "stored-entry"):
        # Inside an entry's data: the first (AndroidManifest.xml, deflated), or the first stored one
        # (resources.arsc), whose bytes no inflater checks: only the signatures' digests see the change.
        entry = next(i for i in zipfile.ZipFile(source).infolist()
                     if where == "entry" or (i.compress_type == zipfile.ZIP_STORED and i.file_size > 16))
        name_length, extra_length = struct.unpack_from("<HH", data, entry.header_offset + 26)
        at = entry.header_offset + 30 + name_length + extra_length + 5
    elif where == "central-directory":
        at = cd_offset + 12  # the first record's modification time
    elif where == "eocd":
        at = end + 4  # the disk number
    elif where == "signing-block":
        at = (block_start + cd_offset) // 2
    data[at] ^= 0x01
    open(target, "wb").write(data)


def append_byte(source, target):
    open(target, "wb").write(open(source, "rb").read() + b"\x00")


def strip_block(source, target):
    """Removes the whole APK Signing Block and points the EOCD at the central directory again."""
    data = bytearray(open(source, "rb").read())
    end = eocd_offset(data)
    cd_size, cd_offset = struct.unpack_from("<II", data, end + 12)
    block_start = cd_offset - 8 - struct.unpack_from("<Q", data, cd_offset - 24)[0]
    stripped = data[:block_start] + data[cd_offset:]
    struct.pack_into("<I", stripped, block_start + cd_size + 16, block_start)
    open(target, "wb").write(stripped)


def rename_block(source, target, block_id, new_id=0x42726577):
    """Gives the v3 block the verity padding's id, so a verifier that does not protect against stripping skips it."""
    data = bytearray(open(source, "rb").read())
    end = eocd_offset(data)
    cd_offset = struct.unpack_from("<I", data, end + 16)[0]
    block_start = cd_offset - 8 - struct.unpack_from("<Q", data, cd_offset - 24)[0]
    at = block_start + 8
    while at < cd_offset - 24:
        length, = struct.unpack_from("<Q", data, at)
        if struct.unpack_from("<I", data, at + 8)[0] == block_id:
            struct.pack_into("<I", data, at + 8, new_id)
        at += 8 + length
    open(target, "wb").write(data)


def verdict(path):
    result = run("apksigner", "verify", "--print-certs", path, check=False)
    text = result.stdout + result.stderr
    return {
        "file": os.path.basename(path),
        "verifies": result.returncode == 0,
        "signers": re.findall(r"Signer #\d+ certificate SHA-256 digest: ([0-9a-f]+)", text),
        "dns": re.findall(r"Signer #\d+ certificate DN: (.*)", text),
        "apksigner": next((line for line in text.splitlines() if line.startswith(("DOES NOT VERIFY", "ERROR"))), ""),
    }


def main():
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    keys = {name: make_key(out, name, name) for name in ("rsa2048", "rsa4096", "ec256")}
    # minSdk 21 needs v1 (Android before 7 knows only JAR signing); 24 needs v2; 28 lets v3 stand alone.
    base21 = unsigned(out, "min21", "--min-sdk", "21")
    base21t29 = unsigned(out, "min21-target29", "--min-sdk", "21", "--target-sdk", "29")
    base24 = unsigned(out, "min24", "--min-sdk", "24")
    base28 = unsigned(out, "min28", "--min-sdk", "28")
    v1 = ["--v1-signing-enabled", "true", "--v2-signing-enabled", "false", "--v3-signing-enabled", "false"]
    v2 = ["--v1-signing-enabled", "false", "--v2-signing-enabled", "true", "--v3-signing-enabled", "false"]
    v3 = ["--v1-signing-enabled", "false", "--v2-signing-enabled", "false", "--v3-signing-enabled", "true"]
    v123 = ["--v1-signing-enabled", "true", "--v2-signing-enabled", "true", "--v3-signing-enabled", "true"]
    signed = {
        "unsigned.apk": None,
        "v1-rsa2048-target29.apk": (base21t29, "rsa2048", v1),
        "v1-rsa2048-target33.apk": (base21, "rsa2048", v1),
        "v2-rsa2048-min24.apk": (base24, "rsa2048", v2),
        "v2-rsa2048-min21.apk": (base21, "rsa2048", v2),
        "v3-rsa4096-min28.apk": (base28, "rsa4096", v3),
        "v3-ec256-min24.apk": (base24, "ec256", v3),
        "v123-rsa2048-min21.apk": (base21, "rsa2048", v123),
        "v123-rsa4096-min21.apk": (base21, "rsa4096", v123),
        "v123-ec256-min21.apk": (base21, "ec256", v123),
        "v123-ec256-verity.apk": (base21, "ec256", v123 + ["--verity-enabled", "true"]),
    }
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for name, spec in signed.items():
            target = os.path.join(out, name)
            if name == "unsigned.apk":
                jobs.append(pool.submit(lambda t=target: open(t, "wb").write(open(base24, "rb").read())))
            elif spec:
                source, key, options = spec
                jobs.append(pool.submit(sign, source, target, keys[key], *options))
        # A rotated key: rsa2048 then ec256, the lineage in v3 (Debian's apksigner 31 predates v3.1).
        lineage = os.path.join(out, "rsa2048-to-ec256.lineage")
        run("apksigner", "rotate", "--out", lineage, "--old-signer", *keys["rsa2048"], "--new-signer", *keys["ec256"])
        rotated = keys["rsa2048"] + ["--next-signer"] + keys["ec256"] + ["--lineage", lineage]
        jobs.append(pool.submit(sign, base21, os.path.join(out, "rotated-v3.apk"), rotated, *v123))
        for job in jobs:
            job.result()

    tampered = []
    for source in ("v123-rsa2048-min21.apk", "v2-rsa2048-min24.apk", "v3-rsa4096-min28.apk", "v1-rsa2048-target29.apk"):
        path = os.path.join(out, source)
        stem = source[:-4]
        for where in ("entry", "stored-entry", "central-directory", "eocd", "signing-block"):
            target = os.path.join(out, f"{stem}.flip-{where}.apk")
            flip(path, target, where)
            tampered.append(target)
        target = os.path.join(out, f"{stem}.appended.apk")
        append_byte(path, target)
        tampered.append(target)
    for source in ("v123-rsa2048-min21.apk", "v123-ec256-min21.apk"):
        target = os.path.join(out, source[:-4] + ".stripped.apk")
        strip_block(os.path.join(out, source), target)
        tampered.append(target)
    target = os.path.join(out, "v123-rsa2048-min21.v3-renamed.apk")
    rename_block(os.path.join(out, "v123-rsa2048-min21.apk"), target, 0xF05368C0)
    tampered.append(target)

    files = [os.path.join(out, name) for name in signed] + [
        os.path.join(out, name) for name in ("rotated-v3.apk",)] + tampered
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        corpus = list(pool.map(verdict, files))
    json.dump(corpus, open(os.path.join(out, "corpus.json"), "w"), indent=1)
    print(json.dumps({"files": len(corpus), "verify": sum(c["verifies"] for c in corpus)}))


if __name__ == "__main__":
    main()
