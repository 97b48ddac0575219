#!/usr/bin/env python3
"""Generates the hostile-archive corpus for phonepack's extraction tests.

    attacks.py OUTDIR OUTSIDE

OUTSIDE is the absolute path of a sentinel folder beside the extraction folder (it holds `target`, a file, and
`dir/`, a 0700 folder). Writes one tar per case into OUTDIR and prints a JSON list of
{name, archive, names: [entry names the report must mention], prepare: [what to plant in DIR first], runs}.

The cases follow the attack list of the tar-safety spec (c01-c31: how GNU tar, bsdtar and Python's tarfile
fared), plus others: a second archive through a symlink planted by the first, hard links to symlinks and to
folders, deep and long names, a sparse bomb, limits.
"""
import io
import json
import os
import struct
import subprocess
import sys
import tarfile

outdir, outside = sys.argv[1], sys.argv[2]
os.makedirs(outdir, exist_ok=True)
cases = []
MTIME = 1710495000


def ti(name, kind=tarfile.REGTYPE, size=0, mode=0o644, link="", pax=None):
    t = tarfile.TarInfo(name)
    t.type, t.size, t.mode, t.linkname, t.mtime = kind, size, mode, link, MTIME
    t.uid = t.gid = 10057
    if pax:
        t.pax_headers = pax
    return t


def build(name, members, names, prepare=(), fmt=tarfile.PAX_FORMAT, runs=1, extra=(), fails=None):
    """members: list of (TarInfo, bytes or None)."""
    path = os.path.join(outdir, name + ".tar")
    with tarfile.open(path, "w", format=fmt) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    cases.append({"name": name, "archive": path, "names": list(names), "prepare": list(prepare), "runs": runs,
                  "extra": list(extra), "fails": bool(names) if fails is None else fails})
    return path


def f(name, data=b"payload\n", **kw):
    return (ti(name, **kw), data)


def d(name, mode=0o755):
    return (ti(name, kind=tarfile.DIRTYPE, mode=mode), None)


def sym(name, target):
    return (ti(name, kind=tarfile.SYMTYPE, link=target, mode=0o777), None)


def hard(name, target):
    return (ti(name, kind=tarfile.LNKTYPE, link=target), None)


def raw_header(name, size=0, kind=b"0", link=b"", mode=0o644, prefix=b""):
    """A ustar header with a correct checksum, for cases tarfile will not write."""
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0023451\0"
    h[116:124] = b"0023451\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % MTIME
    h[156:157] = kind
    h[157:157 + len(link)] = link
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b"        "
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pax_block(records, kind=b"x"):
    body = b""
    for key, value in records:
        rec = b" " + key + b"=" + value + b"\n"
        n = len(rec) + 1
        while len(str(n)) + len(rec) != n:  # the length counts its own digits
            n = len(str(n)) + len(rec)
        body += str(n).encode() + rec
    return raw_header(b"PaxHeader/x", size=len(body), kind=kind) + pad(body)


def pad(data):
    return data + b"\0" * (-len(data) % 512)


def write_raw(name, blocks, names, end=True, prepare=(), extra=(), fails=None):
    path = os.path.join(outdir, name + ".tar")
    with open(path, "wb") as out:
        out.write(b"".join(blocks))
        if end:
            out.write(b"\0" * 1024)
    cases.append({"name": name, "archive": path, "names": list(names), "prepare": list(prepare), "runs": 1,
                  "extra": list(extra), "fails": bool(names) if fails is None else fails})
    return path


o = outside.rstrip("/")
rel_to_outside = "../" + os.path.basename(o)  # DIR and OUTSIDE are siblings

# c01-c03: absolute and '..' paths, in the name, in pax, in a GNU long name
build("c01-absolute", [f("ok.txt"), f(o + "/owned.txt")], [o + "/owned.txt"])
build("c02-dotdot", [f("ok.txt"), f(rel_to_outside + "/owned.txt")], [rel_to_outside + "/owned.txt"])
build("c03-inner-dotdot", [f("a/../../" + os.path.basename(o) + "/owned.txt")], ["a/../../"])
# c04-c06: symlink, then a path through it
build("c04-symlink-abs", [sym("lnk", o), f("lnk/owned.txt")], ["lnk/owned.txt"])
build("c05-symlink-dotdot", [sym("lnk", ".."), f("lnk/" + os.path.basename(o) + "/owned.txt")], ["lnk/"])
build("c06-symlink-chain", [d("a/"), sym("a/b", ".."), sym("a/b/c", ".."), f("a/b/c/owned.txt")], ["a/b/c"])
# c07-c09: hard links out of the tree, through links
build("c07-hardlink-abs", [hard("hl", o + "/target"), f("hl", b"overwrite\n")], ["hl"])
build("c08-hardlink-dotdot", [hard("hl", rel_to_outside + "/target"), f("hl", b"overwrite\n")], ["hl"])
build("c09-hardlink-via-symlink", [sym("sl", o), hard("hl", "sl/target"), f("hl", b"overwrite\n")], ["hl"])
# c10: devices and FIFOs are never created
dev = ti("null", kind=tarfile.CHRTYPE, mode=0o666)
dev.devmajor, dev.devminor = 1, 3
blk = ti("sda", kind=tarfile.BLKTYPE, mode=0o660)
blk.devmajor, blk.devminor = 8, 0
build("c10-devices", [(dev, None), (blk, None), (ti("fifo", kind=tarfile.FIFOTYPE), None)], ["null", "sda", "fifo"],
      fails=False)
# c11: setuid/setgid/sticky and world-writable modes
build("c11-modes", [f("suid", mode=0o4755), d("sgid/", mode=0o2777), d("sticky/", mode=0o1777), f("open", mode=0o666)],
      [])
# c12: a file over one that already exists in DIR
build("c12-existing", [f("existing.txt", b"from the archive\n")], ["existing.txt"],
      prepare=[{"file": "existing.txt", "content": "mine\n"}], fails=False)
# c13: a path through a symlink that already exists in DIR
build("c13-planted-symlink", [f("pre/owned.txt")], ["pre"], prepare=[{"symlink": "pre", "target": o}])
# c14: duplicate name: file, then symlink to outside, then file again (write-through)
# As GNU tar, the last copy wins: each replaces the name (a new file renamed over it), never writing through
# the symlink in between; nothing outside changes.
build("c14-duplicate", [f("dup", b"one\n"), sym("dup", o + "/target"), f("dup", b"overwrite\n")], [], fails=False)
# c15: symlink to an outside folder, then a directory entry of the same name with mode 0777
build("c15-dir-over-symlink", [sym("d", o + "/dir"), d("d/", mode=0o777)], ["d"])
# c16: a 300-byte component, a 6 kB path, 200 levels
build("c16-long-names", [f("a" * 300), f("/".join(["b"] * 3000) + "/x"), f("/".join(["c"] * 200) + "/x")],
      ["aaaaaaaaaa", "b/b/b", "c/c/c"])
# c18: pax size of 10 GiB, data truncated
write_raw("c18-huge-truncated", [pax_block([(b"size", b"10737418240")]), raw_header(b"huge.bin", size=0),
                                  b"x" * 4096], ["huge.bin", "nothing was written"], end=False)
# c20: pax size 1024 over a ustar size 0, with a header hidden in the data
hidden = raw_header(b"../hidden.txt", size=6) + pad(b"hidden")
write_raw("c20-pax-size", [pax_block([(b"size", b"1024")]), raw_header(b"cover.bin", size=0), pad(hidden)], [])
# c20b: pax size 1024 over a ustar size 512
write_raw("c20b-pax-size-mismatch", [pax_block([(b"size", b"1024")]), raw_header(b"cover.bin", size=512),
                                     pad(hidden + b"\0" * 0)], [])
# c21: a pax path that overrides a benign ustar name
write_raw("c21-pax-path", [pax_block([(b"path", rel_to_outside.encode() + b"/owned.txt")]),
                           raw_header(b"benign.txt", size=8), pad(b"payload\n")], ["owned.txt"])
# c22: a global pax header with a path
write_raw("c22-global-path", [pax_block([(b"path", rel_to_outside.encode() + b"/owned.txt")], kind=b"g"),
                              raw_header(b"benign.txt", size=8), pad(b"payload\n")], [])
# c23: NUL inside a pax path
write_raw("c23-nul-path", [pax_block([(b"path", b"ok.txt\0" + rel_to_outside.encode() + b"/owned.txt")]),
                           raw_header(b"benign.txt", size=8), pad(b"payload\n")], [])
# c24: a GNU long name that climbs out
build("c24-gnu-longname", [f(rel_to_outside + "/" + "x" * 120 + "/owned.txt")], [rel_to_outside], fmt=tarfile.GNU_FORMAT)
# c26: names that differ only in case, and NFC/NFD twins: four files on a case-sensitive Linux file system (names are
# bytes), each with its own data; only a file system that folds case would make them collide.
build("c26-collisions", [f("Data/x", b"one\n"), f("data/x", b"two\n"), f("caf\u00e9", b"nfc\n"), f("cafe\u0301", b"nfd\n")],
      [], fails=False)
# c27: symlink named with a trailing slash, then a path through it
build("c27-trailing-slash", [sym("linkdir/", o), f("linkdir/owned.txt")], ["linkdir/owned.txt"])
# c28: './' with mode 0777 must not touch DIR
build("c28-dot-entry", [d("./", mode=0o777), f("ok.txt")], [])
# c29: a lone hard link to an outside file
build("c29-lone-hardlink", [hard("hl", o + "/target")], ["hl"])
# c30: an entry hidden after the end-of-archive blocks
write_raw("c30-after-eof", [raw_header(b"ok.txt", size=8), pad(b"payload\n"), b"\0" * 1024,
                            raw_header(b"hidden.txt", size=6), pad(b"hidden")], ["after the end-of-archive marker"])
# c31: a damaged header checksum, then a valid header
bad = bytearray(raw_header(b"first.txt", size=8))
bad[148:156] = b"0000000\0"
write_raw("c31-bad-checksum", [raw_header(b"zero.txt", size=8), pad(b"payload\n"), bytes(bad), pad(b"payload\n"),
                               raw_header(b"second.txt", size=8), pad(b"payload\n")], ["zero.txt"])
# more: the CVE-2025-45582 pattern, a second run through a link the first run planted
build("x01-two-runs", [sym("x", o), f("x/owned.txt")], ["x/owned.txt"], runs=2)
# more: hard link to a symlink, hard link to a folder
# (linked as GNU tar does: a second name for the symlink itself, then replaced by the file, never written through)
build("x02-hardlink-to-symlink", [sym("sl", o + "/target"), hard("hl", "sl"), f("hl", b"overwrite\n")], [],
      fails=False)
build("x03-hardlink-to-dir", [d("dir/"), hard("hl", "dir")], ["hl"])
# more: relative symlink escaping, then a folder entry through it with a file
build("x04-relative-escape", [d("a/"), sym("a/up", "../../" + os.path.basename(o)), d("a/up/dir2/"),
                              f("a/up/owned.txt")], ["a/up/"])
# more: a file entry whose parent is a file
build("x05-file-as-parent", [f("plain", b"x\n"), f("plain/child", b"y\n")], ["plain/child"])
# more: a million-entry header count is cheap to declare; a small --max-entries shows the limit
build("x06-many-entries", [f("f%04d" % i, b"") for i in range(300)], ["--max-entries"], extra=["--max-entries", "100"])
# more: a declared size over --max-entry-size
build("x07-entry-size", [f("big.bin", b"B" * 100_000), f("small.txt")], ["big.bin"], extra=["--max-entry-size", "50000"])
# more: a sparse file whose apparent size is 1 GiB (GNU tar writes the sparse map)
sparse_src = os.path.join(outdir, "sparse-src")
os.makedirs(sparse_src, exist_ok=True)
with open(os.path.join(sparse_src, "bomb.img"), "wb") as out:
    out.truncate(1 << 30)
    out.seek((1 << 30) - 1)
    out.write(b"!")
sparse_tar = os.path.join(outdir, "x08-sparse-bomb.tar")
subprocess.run(["tar", "--sparse", "--format=pax", "-cf", sparse_tar, "-C", sparse_src, "bomb.img"], check=True)
# A sparse file is extracted sparse within the limits; the apparent size counts against --max-total-size.
cases.append({"name": "x08-sparse-bomb", "archive": sparse_tar, "names": ["--max-total-size"], "prepare": [],
              "runs": 1, "extra": ["--max-total-size", "100M"], "fails": True})

# more: a '/' followed by a combining mark (U+0301) is one Unicode character that is not '/', but the kernel still
# cuts there. Split by characters, 'lnk/\u0301owned.txt' was one component (written through the symlink lnk),
# '../\u0301x' held no '..' (a folder beside DIR) and '/\u0301x' was not absolute (a file in /).
build("x09-slash-combining-symlink", [sym("lnk", o), f("lnk/\u0301owned.txt")], ["lnk/\u0301owned.txt"])
build("x10-slash-combining-dotdot", [sym("../\u0301lnk", o), f("../\u0301lnk/\u0301owned.txt"),
                                     f("../\u0301/owned.txt")], ["../\u0301lnk", "../\u0301/owned.txt"])
build("x11-slash-combining-absolute", [f("/\u0301phonepack-attack-owned.txt")], ["/\u0301phonepack-attack-owned.txt"])

json.dump(cases, sys.stdout)
