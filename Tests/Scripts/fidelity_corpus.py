#!/usr/bin/env python3
"""Archives come out exactly as they went in: one tree with NFD/NFC twins, a Latin-1 name, case pairs, a sparse
file, a FIFO, hard and symbolic links (a symlink with two names), a long name, odd modes, times to the nanosecond,
user xattrs and (as root) other owners, archived by GNU tar (gnu, posix, ustar, oldgnu, v7),
bsdtar (pax, ustar, gnutar) and Python tarfile (pax, gnu); plus the data.tar of real Debian packages
(`apt-get download`, when the mirror answers; a committed copy of one small package otherwise); then for every
archive:

  1. `phonepack inspect --json` lists exactly the names, types and sizes Python tarfile reads (names compared as
     code points after surrogateescape, so byte for byte);
  2. `phonepack extract` (with --same-owner, --preserve-permissions and --xattrs as root) gives the same files,
     bytes, modes, owners, link targets, mtimes to the nanosecond, hard-link groups and user xattrs as GNU tar's
     extraction, but for the documented safety changes (FIFOs are not created); sparse files keep their holes;
  3. `phonepack diff` of the archive against every other archive and against its own extraction finds nothing.

    fidelity_corpus.py PHONEPACK WORKDIR [DEBIAN-FIXTURES]   prints a JSON report; exit 1 when anything differs
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile

PHONEPACK, WORK = sys.argv[1], sys.argv[2]
FIXTURES = sys.argv[3] if len(sys.argv) > 3 else None
ROOT = os.geteuid() == 0
# Debian packages whose data.tar holds what real archives hold: thousands of files, symlinks, hard links, setuid
# binaries, long names. Small enough to download in seconds from the mirror.
DEBIAN = ["tzdata", "sudo", "base-files", "hostname", "less", "netbase"]
TREE = os.path.join(WORK, "tree")
failures = []
notes = []
# Archives that hold only part of the tree (a format's limits): left out of the every-against-every diff.
PARTIAL = set()


def fail(what):
    failures.append(what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, **kw)


def make_tree():
    def write(rel, data, mode=0o644):
        path = os.path.join(os.fsencode(TREE), rel if isinstance(rel, bytes) else os.fsencode(rel))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)

    write("Cafe\u0301 Photos/Ame\u0301lie.txt", b"nfd photo\n")
    write("caf\u00e9.txt", b"nfc spelling\n")
    write("cafe\u0301.txt", b"nfd spelling, other data\n")
    write(b"latin/r\xe9sum\xe9.txt", b"latin-1 name\n")
    write("terminfo/a/ansi", b"lower\n")
    write("terminfo/A/Apple_Terminal", b"upper\n")
    write("hard/original.txt", b"linked twice\n")
    os.link(os.path.join(TREE, "hard/original.txt"), os.path.join(TREE, "hard/link.txt"))
    os.makedirs(os.path.join(TREE, "links"))
    os.symlink("../hard/original.txt", os.path.join(TREE, "links/to-original"))
    write("long/" + "d" * 60 + "/" + "f" * 80 + ".txt", b"a long name\n")
    write("modes/private", b"0600\n", 0o600)
    write("modes/group.sh", b"#!/bin/sh\n", 0o750)
    os.makedirs(os.path.join(TREE, "modes/dir"))
    os.chmod(os.path.join(TREE, "modes/dir"), 0o711)
    os.mkfifo(os.path.join(TREE, "fifo"))
    os.symlink("original.txt", os.path.join(TREE, "hard/sym"))
    os.link(os.path.join(TREE, "hard/sym"), os.path.join(TREE, "hard/sym-twin"), follow_symlinks=False)
    write("xattrs/tagged.txt", b"with a user xattr\n")
    try:
        os.setxattr(os.path.join(TREE, "xattrs/tagged.txt"), "user.phonepack", b"value \x00\xff")
    except OSError as e:
        notes.append("no user xattrs on this file system: %s" % e)
    if ROOT:
        os.chown(os.path.join(TREE, "modes/private"), 10057, 20057)
        os.chown(os.path.join(TREE, "links/to-original"), 1000, 1000, follow_symlinks=False)
    with open(os.path.join(TREE, "sparse.img"), "wb") as f:  # 20 MiB, three islands of data
        f.truncate(20 << 20)
        for offset in (0, 10 << 20, (20 << 20) - 4096):
            f.seek(offset)
            f.write(b"S" * 4096)
    # Times to the nanosecond, each its own (one before 1970), for files, folders and symlinks; the archivers that
    # can store a fraction (pax) must keep it, the others all drop it the same way.
    stamp = 1700000000_123456789
    for root, dirs, files in os.walk(TREE, topdown=False):
        for name in sorted(dirs + files):
            stamp += 1_000_000_007
            os.utime(os.path.join(root, name), ns=(stamp, stamp), follow_symlinks=False)
    os.utime(TREE, ns=(stamp, stamp))


def archives():
    made = {}
    for fmt in ["gnu", "posix", "ustar", "oldgnu", "v7"]:
        out = os.path.join(WORK, "gnu-%s.tar" % fmt)
        # ustar and v7 have no sparse headers (-S is a GNU feature there): the file is stored whole. v7 also has
        # no FIFOs and no names over 99 bytes: that archive holds the rest of the tree.
        options = ["-S"] if fmt in ("gnu", "posix", "oldgnu") else []
        if fmt == "v7":
            options += ["--exclude=./long", "--exclude=./fifo"]
            PARTIAL.add("gnu-v7")
        if fmt == "posix":
            options += ["--xattrs", "--xattrs-include=user.*"]
        result = run(["tar", "--format=" + fmt] + options + ["--numeric-owner", "-cf", out, "-C", TREE, "."])
        if result.returncode == 0:
            made["gnu-" + fmt] = out
        else:
            fail("GNU tar --format=%s failed: %s" % (fmt, result.stderr.decode()[-200:].strip()))
    for fmt in ["pax", "ustar", "gnutar"]:
        out = os.path.join(WORK, "bsd-%s.tar" % fmt)
        result = run(["bsdtar", "--format", fmt, "--numeric-owner", "-cf", out, "-C", TREE, "."])
        if result.returncode == 0:
            made["bsd-" + fmt] = out
        else:
            notes.append("bsdtar --format %s cannot hold this tree: %s" % (fmt, result.stderr.decode()[-200:].strip()))
    for name, fmt in [("py-pax", tarfile.PAX_FORMAT), ("py-gnu", tarfile.GNU_FORMAT)]:
        out = os.path.join(WORK, name + ".tar")
        with tarfile.open(out, "w", format=fmt, encoding="utf-8", errors="surrogateescape") as tar:
            tar.add(TREE, arcname=".")
        made[name] = out
    made.update(debian())
    return made


def debian():
    """data.tar of a few Debian packages, fetched from the mirror; the committed fixture when it does not answer."""
    found = {}
    folder = os.path.join(WORK, "debs")
    os.makedirs(folder, exist_ok=True)
    result = run(["apt-get", "download"] + DEBIAN, cwd=folder)
    debs = sorted(f for f in os.listdir(folder) if f.endswith(".deb"))
    if result.returncode != 0 or not debs:
        notes.append("apt-get download failed (%s): the committed Debian data tars are used" %
                     result.stderr.decode()[-160:].strip())
        if FIXTURES:
            for name in sorted(os.listdir(FIXTURES)):
                if name.endswith(".tar"):
                    found["deb-" + name[:-4]] = os.path.join(FIXTURES, name)
        return found
    for deb in debs:
        out = os.path.join(WORK, "deb-" + deb.split("_")[0] + ".tar")
        with open(out, "wb") as f:
            if subprocess.run(["dpkg-deb", "--fsys-tarfile", os.path.join(folder, deb)], stdout=f).returncode == 0:
                found["deb-" + deb.split("_")[0]] = out
    return found


def normal(name):
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)


TYPES = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.DIRTYPE: "directory",
         tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink", tarfile.FIFOTYPE: "fifo",
         tarfile.GNUTYPE_SPARSE: "file", tarfile.CONTTYPE: "file"}


def python_listing(path):
    listing = {}
    with tarfile.open(path, encoding="utf-8", errors="surrogateescape") as tar:
        for m in tar.getmembers():
            name = normal(m.name)
            if name:
                listing[name] = (TYPES.get(m.type, "other"), m.size if m.isfile() else 0)
    return listing


def phonepack_listing(path):
    result = run([PHONEPACK, "inspect", path, "--json"])
    if result.returncode != 0:
        fail("%s: inspect failed: %s" % (path, result.stderr.decode()))
        return {}
    report = json.loads(result.stdout.decode())
    listing = {}
    for e in report.get("entries", []):
        name = normal(e["path"])
        if name:
            listing[name] = (e["type"], e["size"] if e["type"] == "file" else 0)
    return listing


def archive_folder_times(path):
    """Folder name (bytes) → mtime in ns as the archive states it (a pax record exactly, else whole seconds)."""
    times = {}
    with tarfile.open(path, encoding="utf-8", errors="surrogateescape") as tar:
        for m in tar.getmembers():
            name = normal(m.name)
            if not m.isdir() or not name:
                continue
            record = m.pax_headers.get("mtime")
            if record:
                whole, _, fraction = record.lstrip("-").partition(".")
                ns = int(whole) * 10**9 + int((fraction + "000000000")[:9])
                times[os.fsencode(name)] = -ns if record.startswith("-") else ns
            else:
                times[os.fsencode(name)] = int(m.mtime) * 10**9
    return times


def tree_of(root):
    """Relative bytes path → (kind, content or link target, mode, owner, mtime in ns, hard-link group, user xattrs)
    for a folder. The group is the sorted names sharing the inode, so link structure compares by name."""
    found = {}
    inodes = {}
    root = os.fsencode(root)
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(directory, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            inodes.setdefault(st.st_ino, []).append(rel)
            owner = (st.st_uid, st.st_gid) if ROOT else None
            xattrs = ()
            if not stat.S_ISLNK(st.st_mode):
                try:
                    xattrs = tuple(sorted((k, os.getxattr(full, k)) for k in os.listxattr(full) if k.startswith("user.")))
                except OSError:
                    pass
            if stat.S_ISLNK(st.st_mode):
                facts = ["symlink", os.readlink(full), None]
            elif stat.S_ISDIR(st.st_mode):
                facts = ["directory", None, stat.S_IMODE(st.st_mode)]
            elif stat.S_ISFIFO(st.st_mode):
                facts = ["fifo", None, None]
            else:
                with open(full, "rb") as f:
                    facts = ["file", f.read(), stat.S_IMODE(st.st_mode)]
            found[rel] = facts + [owner, st.st_mtime_ns, st.st_ino, xattrs]
    for rel, facts in found.items():
        group = inodes[facts[5]]
        facts[5] = tuple(sorted(group)) if len(group) > 1 else None
        found[rel] = tuple(facts)
    return found


counted = {"entries": 0}


def main():
    make_tree()
    made = archives()
    checked = 0
    extractions = {}
    for label, path in sorted(made.items()):
        checked += 1
        # 1. listing
        expected, got = python_listing(path), phonepack_listing(path)
        if expected != got:
            for name in sorted(set(expected) | set(got)):
                if expected.get(name) != got.get(name):
                    fail("%s: inspect lists %r as %r, tarfile as %r" % (label, name, got.get(name), expected.get(name)))
        # 2. extraction against GNU tar's
        ours, theirs = os.path.join(WORK, "out-" + label), os.path.join(WORK, "gnu-out-" + label)
        os.makedirs(theirs)
        faithful = ["--same-owner", "--preserve-permissions", "--xattrs"] if ROOT else []
        result = run([PHONEPACK, "extract", path, "-C", ours] + faithful)
        if result.returncode != 0:
            fail("%s: extract exit %d: %s" % (label, result.returncode, result.stderr.decode()[-600:]))
            continue
        gnu = ["--same-owner", "--same-permissions", "--xattrs", "--xattrs-include=user.*"] if ROOT else ["--no-same-owner"]
        run(["tar", "-xf", path, "-C", theirs] + gnu, check=True)
        a, b = tree_of(theirs), tree_of(ours)
        # GNU tar sets a folder's times before it makes the symlinks and hard links it delays to the end, which
        # then move them: folders are compared with the archive's own times instead.
        for rel, mtime in archive_folder_times(path).items():
            got = b.get(rel)
            if got and got[0] == "directory" and got[4] != mtime:
                fail("%s: folder %r has mtime %d ns, the archive says %d" % (label, rel, got[4], mtime))
        a = {rel: f[:4] + (None,) + f[5:] if f[0] == "directory" else f for rel, f in a.items()}
        b = {rel: f[:4] + (None,) + f[5:] if f[0] == "directory" else f for rel, f in b.items()}
        for rel in sorted(set(a) | set(b)):
            if a.get(rel) != b.get(rel):
                if a.get(rel, ("",))[0] == "fifo" and rel not in b:
                    continue  # documented: extract never creates FIFOs
                if a.get(rel, ("",))[0] in ("char-device", "block-device") and rel not in b:
                    continue
                fail("%s: %r extracted as %r, GNU tar gives %r" % (label, rel, str(b.get(rel))[:160], str(a.get(rel))[:160]))
        counted["entries"] += len(a)
        sparse = os.path.join(ours, "sparse.img")
        if os.path.exists(sparse) and label in ("gnu-gnu", "gnu-posix", "gnu-oldgnu"):
            st = os.stat(sparse)
            if st.st_blocks * 512 >= st.st_size // 2:
                fail("%s: sparse.img was extracted without its holes (%d blocks)" % (label, st.st_blocks))
        extractions[label] = ours
        # Against GNU tar's faithful extraction (FIFO included) nothing differs but the owners it did not restore.
        result = run([PHONEPACK, "diff", path, theirs] + ([] if ROOT else ["--ignore", "owner"]))
        if result.returncode != 0:
            fail("%s: diff against GNU tar's extraction: %s" % (label, result.stdout.decode()[-400:]))
        # Against our own, only the FIFO extract did not create.
        result = run([PHONEPACK, "diff", path, ours, "--ignore", "owner", "--json"])
        report = json.loads(result.stdout.decode() or "{}")
        expected_removed = [] if label == "gnu-v7" or label.startswith("deb-") else ["fifo"]
        if report.get("added") or report.get("changed") or report.get("removed") != expected_removed:
            fail("%s: diff against its own extraction: %s" % (label, result.stdout.decode()[-400:]))
    # 3. every archive of the tree against every other (formats that drop the fraction of a second differ from
    # those that keep it only in mtime: compared without it)
    labels = sorted(set(made) - PARTIAL - {l for l in made if l.startswith("deb-")})
    for i, left in enumerate(labels):
        for right in labels[i + 1:]:
            result = run([PHONEPACK, "diff", made[left], made[right], "--ignore", "mtime"])
            if result.returncode != 0:
                fail("diff %s %s: %s" % (left, right, (result.stdout + result.stderr).decode()[-400:]))
    print(json.dumps({"archives": sorted(made), "checked": checked, "entries": counted["entries"], "notes": notes,
                      "failures": failures}, indent=1))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
