#!/usr/bin/env bash
# The main job end to end on the embedded sample app: build the shared-app tar, verify it, inspect it,
# then unpack part of it safely and print one entry.
# Everything it writes goes to .build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product phonepack 2>&1 | grep -v '^\[' || true
bin=$(swift build -c release --show-bin-path)/phonepack
out=.build/demo
mkdir -p "$out"

run() { printf '\n$ %s\n' "$*"; "$@"; }
run "$bin" build samples/demo-app -o "$out/demo.tar" --manifest --mtime 2024-03-15
run "$bin" verify "$out/demo.tar" --manifest "$out/demo.tar.manifest.json" \
    --to obs://my-cph-bucket/apps/demo.tar --shared-free 20G
run "$bin" inspect "$out/demo.tar" --long
run "$bin" inspect samples/demo-app/base.apk
rm -rf "$out/unpacked"
run "$bin" extract "$out/demo.tar" -C "$out/unpacked" --include /data/data/com.example.phonepack.demo
run "$bin" cat "$out/demo.tar" /data/data/com.example.phonepack.demo/shared_prefs/settings.xml
