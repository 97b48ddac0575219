#!/usr/bin/env bash
# The main job end to end, offline, on the embedded sample app and the local emulator (OBS, OSS, IAM, CPH,
# KooPhone and Alibaba eds-aic on loopback ports):
#   build the shared-app tar → verify → upload → push to three phones → wait → export one phone's data →
#   pull it back, unpack it safely and print the summary; then the Alibaba flavour of release and pull.
# Everything it writes goes to .build/demo/; the emulator is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/demo
rm -rf "$out"
mkdir -p "$out"
# Installing packages and building print hundreds of lines nobody needs to read: they go to a log, shown only
# when a step fails.
quietly() {
    local what=$1
    shift
    printf '%s … ' "$what"
    if "$@" >>"$out/setup.log" 2>&1; then
        echo done
    else
        echo failed
        tail -n 40 "$out/setup.log" >&2
        echo "demo: $what failed; the whole log is $out/setup.log" >&2
        exit 1
    fi
}
quietly "installing what phonepack needs (scripts/setup.sh)" scripts/setup.sh
quietly "building phonepack (release)" swift build -c release --product phonepack
quietly "building the emulator" swift build -c release --product phonepack-emulator
bindir=$(swift build -c release --show-bin-path)
bin=$bindir/phonepack

"$bindir/phonepack-emulator" --data "$out/emulator" --bucket my-cph-bucket --bucket cloudphone-saved-bucket-demo \
    --servers 3 --job-seconds 1 >"$out/emulator.out" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q READY "$out/emulator.out" 2>/dev/null && break; sleep 0.1; done
endpoint() { sed -n "s/.* $1=\([^ ]*\).*/\1/p; s/^READY $1=\([^ ]*\).*/\1/p" "$out/emulator.out" | head -1; }
export PHONEPACK_OBS_ENDPOINT=$(endpoint obs) PHONEPACK_OSS_ENDPOINT=$(endpoint oss)
export PHONEPACK_CPH_ENDPOINT=$(endpoint cph) PHONEPACK_IAM_ENDPOINT=$(endpoint iam)
export PHONEPACK_KOOPHONE_ENDPOINT=$(endpoint koophone) PHONEPACK_EDS_AIC_ENDPOINT=$(endpoint eds-aic)
export OBS_ACCESS_KEY_ID=PHONEPACKEMULATORAK OBS_SECRET_ACCESS_KEY=phonepack-emulator-secret
export OSS_ACCESS_KEY_ID=PHONEPACKEMULATORAK OSS_ACCESS_KEY_SECRET=phonepack-emulator-secret
export HUAWEICLOUD_SDK_PROJECT_ID=0123456789abcdef PHONEPACK_IAM_USER=phonepack
export PHONEPACK_IAM_PASSWORD=phonepack-emulator-password
export PHONEPACK_STATE_DIR=$out/state PHONEPACK_CONFIG=$out/config.toml XDG_CACHE_HOME=$out/cache

run() { printf '\n$ %s\n' "$*"; "$@"; }
app=com.example.phonepack.demo
run "$bin" build samples/demo-app -o "$out/demo.tar" --manifest --mtime 2024-03-15
run "$bin" verify "$out/demo.tar" --manifest "$out/demo.tar.manifest.json" \
    --to obs://my-cph-bucket/apps/demo.tar --shared-free 20G
run "$bin" inspect "$out/demo.tar" --long
# The APK inside is signed (the public test key in samples/keys): its schemes and signer, as apksigner sees them.
run "$bin" inspect samples/demo-app/base.apk
# build → verify → upload → push to three servers' phones → wait
run "$bin" release samples/demo-app --to obs://my-cph-bucket/apps/demo.tar \
    --servers server0001,server0002,server0003 --mtime 2024-03-15
run "$bin" exec huawei --phones phone0001 -- pm list packages
# export one phone's data → wait → download → safe extract → summary
run "$bin" pull --phones phone0002 --include /data/data/$app --to obs://my-cph-bucket/exports/ -C "$out/pulled"
run "$bin" cat "$out/demo.tar" /data/data/$app/shared_prefs/settings.xml
run diff -r "$out/pulled/phone0002/data/data/$app" samples/demo-app/data
# The Alibaba flavour: SendFile + AutoInstall, then FetchFile back.
run "$bin" release samples/demo-app/base.apk --to oss://cloudphone-saved-bucket-demo/apps/demo.apk \
    --instances acp-0001,acp-0002
run "$bin" pull --cloud alibaba --phones acp-0001 --include /sdcard/Download \
    --to oss://cloudphone-saved-bucket-demo/pulls/ -C "$out/pulled-alibaba"
run "$bin" exec koophone --instances kp0001,kp0002 -- getprop ro.product.model
run "$bin" uploads ls obs://my-cph-bucket/
# Where the releases stand (status: the newest), and two pages to open in a browser.
run "$bin" release history
run "$bin" release status --html "$out/release.html"
run "$bin" inspect "$out/demo.tar" --summary --html "$out/demo.html"
printf '\nOpen these in a browser:\n  %s   the release: every phone by state\n  %s      the tar: bytes by package and area\n' \
    "$PWD/$out/release.html" "$PWD/$out/demo.html"
