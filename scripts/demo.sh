#!/usr/bin/env bash
# The main job end to end on the embedded sample app, offline: build the shared-app tar, verify and inspect
# it, stream a build into the local OBS emulator, upload and download through OSS with every check on, and
# unpack part of the tar safely. Everything it writes goes to .build/demo/; the emulator is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product phonepack 2>&1 | grep -v '^\[' || true
swift build -c release --product phonepack-emulator 2>&1 | grep -v '^\[' || true
bindir=$(swift build -c release --show-bin-path)
bin=$bindir/phonepack
out=.build/demo
rm -rf "$out"
mkdir -p "$out"

# The emulator: local OBS and OSS that check signatures, Content-MD5 and multipart rules.
"$bindir/phonepack-emulator" --data "$out/emulator" --bucket my-cph-bucket >"$out/emulator.out" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q READY "$out/emulator.out" 2>/dev/null && break; sleep 0.1; done
export PHONEPACK_OBS_ENDPOINT=$(sed -n 's/.*obs=\([^ ]*\).*/\1/p' "$out/emulator.out")
export PHONEPACK_OSS_ENDPOINT=$(sed -n 's/.*oss=\([^ ]*\).*/\1/p' "$out/emulator.out")
export OBS_ACCESS_KEY_ID=PHONEPACKEMULATORAK OBS_SECRET_ACCESS_KEY=phonepack-emulator-secret
export OSS_ACCESS_KEY_ID=PHONEPACKEMULATORAK OSS_ACCESS_KEY_SECRET=phonepack-emulator-secret
export PHONEPACK_STATE_DIR=$out/state PHONEPACK_CONFIG=$out/config.toml

run() { printf '\n$ %s\n' "$*"; "$@"; }
run "$bin" build samples/demo-app -o "$out/demo.tar" --manifest --mtime 2024-03-15
run "$bin" verify "$out/demo.tar" --manifest "$out/demo.tar.manifest.json" \
    --to obs://my-cph-bucket/apps/demo.tar --shared-free 20G
run "$bin" inspect "$out/demo.tar" --long
run "$bin" inspect samples/demo-app/base.apk
run "$bin" build samples/demo-app -o obs://my-cph-bucket/apps/demo.tar --mtime 2024-03-15
run "$bin" ls obs://my-cph-bucket/apps/
run "$bin" upload "$out/demo.tar" oss://my-cph-bucket/apps/ --part-size 100K
run "$bin" stat oss://my-cph-bucket/apps/demo.tar
run "$bin" download obs://my-cph-bucket/apps/demo.tar "$out/downloaded.tar"
run cmp "$out/demo.tar" "$out/downloaded.tar"
run "$bin" extract "$out/downloaded.tar" -C "$out/unpacked" --include /data/data/com.example.phonepack.demo
run "$bin" cat "$out/demo.tar" /data/data/com.example.phonepack.demo/shared_prefs/settings.xml
