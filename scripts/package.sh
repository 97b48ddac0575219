#!/usr/bin/env bash
# Builds the Debian packages:
#   scripts/package.sh [OUTDIR]          (default dist/)
#     OUTDIR/phonepack_<version>_<arch>.deb   what scripts/install.sh puts in /usr, as a package:
#       usr/bin/phonepack (Swift runtime linked in), usr/share/man/man1/phonepack*.1.gz, bash/zsh/fish completions,
#       usr/share/doc/phonepack/README.md
#     Depends on the Debian libraries phonepack loads: libarchive13, libcurl4 (loaded when a command goes on the
#     network), libssl3, libexpat1.
#     OUTDIR/phonepack-emulator_<version>_<arch>.deb   usr/bin/phonepack-emulator: local OBS, OSS and cloud-phone
#       APIs to try phonepack with no cloud account; a package of its own because its phones judge APKs with
#       Debian's apksigner (which brings Java).
# Install with `apt install ./dist/phonepack_<version>_<arch>.deb` on a machine with no Swift. Prints the paths.
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
Depends: libc6, libgcc-s1, libstdc++6, libarchive13, libcurl4, libssl3, libexpat1
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
# Written under a temporary name and renamed: a failed build leaves no package that looks whole.
build_deb() {
    local deb="$out/$2_${version}_${arch}.deb"
    dpkg-deb --root-owner-group -Zxz --build "$1" "$deb.new" >/dev/null
    mv -f "$deb.new" "$deb"
    echo "$deb"
}
build_deb "$root" phonepack

emulator="$staging/emulator"
swift build -c release --product phonepack-emulator --static-swift-stdlib --scratch-path .build-install >&2
install -d "$emulator/usr/bin" "$emulator/usr/share/doc/phonepack-emulator" "$emulator/DEBIAN"
install -m 0755 "$(swift build -c release --scratch-path .build-install --show-bin-path)/phonepack-emulator" \
    "$emulator/usr/bin/phonepack-emulator"
install -m 0644 README.md "$emulator/usr/share/doc/phonepack-emulator/README.md"
cat >"$emulator/DEBIAN/control" <<CONTROL
Package: phonepack-emulator
Version: $version
Architecture: $arch
Maintainer: phonepack developers <phonepack@example.invalid>
Installed-Size: $(du -sk "$emulator" | awk '{print $1}')
Depends: libc6, libgcc-s1, libstdc++6, libarchive13, libssl3, libexpat1, apksigner
Section: utils
Priority: optional
Description: local OBS, OSS and cloud-phone APIs for trying phonepack
 phonepack-emulator serves Huawei OBS, Alibaba OSS, IAM, CPH, KooPhone and
 Alibaba eds-aic on loopback ports, with emulated phones that install APKs
 as PackageManager does, so that phonepack can be tried and tested with no
 cloud account. Nothing leaves the machine.
CONTROL
build_deb "$emulator" phonepack-emulator
