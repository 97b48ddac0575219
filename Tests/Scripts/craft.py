#!/usr/bin/env python3
"""Crafts tar archives for phonepack's tests: hostile ones, exports as a phone writes them, odd formats.

    craft.py CASE OUT.tar [PACKAGE [APK]]

Each case writes one archive with Python's tarfile (plus hand-edited bytes where tarfile cannot express
the attack). PACKAGE defaults to com.example.phonepack.demo; APK is a base.apk to embed.
"""
import io
import sys
import tarfile

case, out = sys.argv[1], sys.argv[2]
pkg = sys.argv[3] if len(sys.argv) > 3 else "com.example.phonepack.demo"
apk = open(sys.argv[4], "rb").read() if len(sys.argv) > 4 else b"not an apk"
MTIME = 1710495000


def info(name, kind=tarfile.REGTYPE, size=0, mode=0o644, uid=1000, gid=1000, link="", pax=None):
    ti = tarfile.TarInfo(name)
    ti.type, ti.size, ti.mode, ti.uid, ti.gid, ti.mtime, ti.linkname = kind, size, mode, uid, gid, MTIME, link
    ti.uname = ti.gname = ""
    if pax:
        ti.pax_headers = pax
    return ti


def add(tar, name, data=b"", **kw):
    kind = kw.get("kind", tarfile.REGTYPE)
    ti = info(name, size=len(data) if kind == tarfile.REGTYPE else 0, **kw)
    tar.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def app_base(tar, with_apk=True):
    add(tar, f"data/app/{pkg}-1/", kind=tarfile.DIRTYPE, mode=0o755)
    if with_apk:
        add(tar, f"data/app/{pkg}-1/base.apk", apk)
    add(tar, f"data/data/{pkg}/", kind=tarfile.DIRTYPE, mode=0o700, uid=10057, gid=10057)


def write(build, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(out, "w", format=fmt) as tar:
        build(tar)


cases = {}


def case_fn(fn):
    cases[fn.__name__.replace("_", "-")] = fn
    return fn


@case_fn
def good(tar):
    app_base(tar)
    add(tar, f"data/data/{pkg}/files/state.txt", b"state\n", mode=0o600, uid=10057, gid=10057)


@case_fn
def traversal(tar):
    app_base(tar)
    add(tar, "../evil.txt", b"escape\n")


@case_fn
def absolute(tar):
    app_base(tar)
    add(tar, "/etc/evil.conf", b"escape\n")


@case_fn
def outside_layout(tar):
    app_base(tar)
    add(tar, "data/system/packages.xml", b"<x/>\n")


@case_fn
def ancestor_dir(tar):
    add(tar, "data/", kind=tarfile.DIRTYPE, mode=0o777)
    app_base(tar)


@case_fn
def device(tar):
    app_base(tar)
    ti = info(f"data/data/{pkg}/null", kind=tarfile.CHRTYPE, mode=0o666)
    ti.devmajor, ti.devminor = 1, 3
    tar.addfile(ti)
    add(tar, f"data/data/{pkg}/pipe", kind=tarfile.FIFOTYPE, mode=0o644)


@case_fn
def setuid(tar):
    app_base(tar)
    add(tar, f"data/data/{pkg}/files/su", b"#!/bin/sh\n", mode=0o4755)


@case_fn
def setgid_dir(tar):
    app_base(tar)
    add(tar, f"data/data/{pkg}/cache/", kind=tarfile.DIRTYPE, mode=0o2771, uid=10057, gid=20057)


@case_fn
def symlink_out(tar):
    app_base(tar)
    add(tar, f"data/data/{pkg}/etc", kind=tarfile.SYMTYPE, link="/etc", mode=0o777)


@case_fn
def symlink_lib(tar):
    app_base(tar)
    add(tar, f"data/app/{pkg}-1/lib/arm/", kind=tarfile.DIRTYPE, mode=0o755)
    add(tar, f"data/data/{pkg}/lib", kind=tarfile.SYMTYPE, link=f"/data/app/{pkg}-1/lib/arm", mode=0o777)


@case_fn
def hardlink_out(tar):
    app_base(tar)
    add(tar, f"data/data/{pkg}/passwd", kind=tarfile.LNKTYPE, link="etc/passwd")


@case_fn
def hardlink_nfd(tar):
    # The file is café in NFC; the link names its NFD spelling, which is another name on the phone.
    app_base(tar)
    add(tar, f"data/data/{pkg}/caf\u00e9", b"one\n")
    add(tar, f"data/data/{pkg}/link", kind=tarfile.LNKTYPE, link=f"data/data/{pkg}/cafe\u0301")


@case_fn
def duplicate(tar):
    app_base(tar)
    add(tar, f"data/data/{pkg}/x", b"one\n")
    add(tar, f"data/data/{pkg}/x", b"two\n")


@case_fn
def two_packages(tar):
    app_base(tar)
    add(tar, "data/data/com.other.app/", kind=tarfile.DIRTYPE, mode=0o700)


@case_fn
def no_apk(tar):
    app_base(tar, with_apk=False)


@case_fn
def share_files(tar):
    add(tar, "data/local/tmp/config.json", b"{}\n")
    add(tar, "cache/warmup.bin", b"\0" * 64)


@case_fn
def system_file(tar):
    add(tar, "system/etc/hosts", b"127.0.0.1 localhost\n")


@case_fn
def export(tar):
    """A batch-storage export of a seed phone: two apps, numeric Android owners, setgid cache dirs,
    SELinux labels as pax xattrs, a lib symlink and a hard link."""
    label = lambda l: {"SCHILY.xattr.security.selinux": l}
    add(tar, f"data/app/{pkg}-Ab3x==/", kind=tarfile.DIRTYPE, mode=0o755, pax=label("u:object_r:apk_data_file:s0"))
    add(tar, f"data/app/{pkg}-Ab3x==/base.apk", apk, pax=label("u:object_r:apk_data_file:s0"))
    app = "u:object_r:app_data_file:s0:c57,c256,c512,c768"
    add(tar, f"data/data/{pkg}/", kind=tarfile.DIRTYPE, mode=0o700, uid=10057, gid=10057, pax=label(app))
    add(tar, f"data/data/{pkg}/cache/", kind=tarfile.DIRTYPE, mode=0o2771, uid=10057, gid=20057, pax=label(app))
    add(tar, f"data/data/{pkg}/shared_prefs/prefs.xml", b"<map/>\n", mode=0o660, uid=10057, gid=10057, pax=label(app))
    add(tar, f"data/data/{pkg}/shared_prefs/prefs.bak", kind=tarfile.LNKTYPE,
        link=f"data/data/{pkg}/shared_prefs/prefs.xml", mode=0o660, uid=10057, gid=10057)
    add(tar, f"data/data/{pkg}/lib", kind=tarfile.SYMTYPE, link=f"/data/app/{pkg}-Ab3x==/lib/arm", mode=0o777,
        uid=1000, gid=1000)
    add(tar, f"data/media/0/Android/data/{pkg}/files/big.pak", b"P" * 3000, mode=0o660, uid=1023, gid=1023)
    add(tar, "data/data/com.other.app/", kind=tarfile.DIRTYPE, mode=0o700, uid=10060, gid=10060)
    add(tar, "data/data/com.other.app/secret.txt", b"other app\n", mode=0o600, uid=10060, gid=10060)
    add(tar, "data/misc/wifi/WifiConfigStore.xml", b"<wifi/>\n", mode=0o600)


@case_fn
def dense(tar):
    """20,000 entries (PACKAGE, if a number, says how many), each under a folder of its own and 125 levels deep:
    a name of 254 bytes, the most ustar holds. A summary or tree that keys every ancestor by its whole path costs
    the number of entries times the depth squared."""
    count = int(pkg) if pkg.isdigit() else 20_000
    chain = "/".join("abcdefghij"[level % 10] for level in range(124))
    for index in range(count):
        add(tar, "%05d/%s/f" % (index, chain))


if case not in cases:
    sys.exit(f"craft.py: unknown case {case}; known: {', '.join(sorted(cases))}")
write(cases[case])
