#!/usr/bin/env bash
# Builds the Debian package:
#   scripts/package.sh [OUTDIR]          (default dist/)
#     OUTDIR/phonepack_<version>_<arch>.deb   what scripts/install.sh puts in /usr, as a package:
#       usr/bin/phonepack (Swift runtime linked in), usr/share/man/man1/phonepack*.1.gz, bash/zsh/fish completions,
#       usr/share/doc/phonepack/README.md
#     Depends on the Debian libraries phonepack loads: libarchive13, libcurl4 (loaded when a command goes on the
#     network), libssl3, libexpat1.
# Install it with `apt install ./dist/phonepack_<version>_<arch>.deb` on a machine with no Swift.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
case "$out" in
/*) ;;
*) out="$PWD/$out" ;;
esac

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
root="$staging/root"
scripts/install.sh "$root/usr" >&2   # its build log is not the answer: stdout is the package path
# Debian's layout: man pages compressed, no timestamps in them (-n), docs under usr/share/doc.
gzip -9n "$root"/usr/share/man/man1/*.1
install -d "$root/usr/share/doc/phonepack"
install -m 0644 README.md "$root/usr/share/doc/phonepack/README.md"

version=$("$root/usr/bin/phonepack" --version | head -1 | awk '{print $2}')
arch=$(dpkg --print-architecture)
size=$(du -sk "$root" | awk '{print $1}')
install -d "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<EOF
Package: phonepack
Version: $version
Architecture: $arch
Maintainer: phonepack developers <phonepack@example.invalid>
Installed-Size: $size
Depends: libarchive13, libcurl4, libssl3, libexpat1
Section: utils
Priority: optional
Description: build, verify, upload and push app tarballs to cloud phones
 phonepack builds Android app tarballs in the layout the shared storage of
 Huawei Cloud Phone Host, KooPhone and Alibaba Cloud Phone expects, verifies
 them (APK signatures and PackageManager's install rules included), uploads
 them to Huawei OBS or Alibaba OSS and pushes them to phones in waves; the
 other way round it exports data from phones and unpacks it safely.
EOF
install -d "$out"
deb="$out/phonepack_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb.new" >/dev/null
mv -f "$deb.new" "$deb"
echo "$deb"
