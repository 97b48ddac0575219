#!/usr/bin/env bash
# Regenerates samples/demo-app: a small but real app (APK compiled by Debian's aapt from manifest/) plus app data.
#   samples/make-sample.sh [OUTDIR] [--package P] [--version-code N] [--version-name V] [--target-sdk N] [--split NAME]
# Tests call it to make APKs with other package names and versions.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/demo-app"
package=com.example.phonepack.demo
version_code=42
version_name=1.4.2
target_sdk=33
split=""
if [[ $# -gt 0 && $1 != --* ]]; then out=$1; shift; fi
while [[ $# -gt 0 ]]; do
    case $1 in
        --package) package=$2; shift 2 ;;
        --version-code) version_code=$2; shift 2 ;;
        --version-name) version_name=$2; shift 2 ;;
        --target-sdk) target_sdk=$2; shift 2 ;;
        --split) split=$2; shift 2 ;;
        *) echo "make-sample.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
framework=/usr/share/android-framework-res/framework-res.apk
command -v aapt >/dev/null && [[ -f $framework ]] || { echo "make-sample.sh: needs aapt and android-framework-res (scripts/setup.sh)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
split_attr=""
apk_name=base.apk
if [[ -n $split ]]; then split_attr="split=\"$split\""; apk_name="split_$split.apk"; fi
cat > "$work/AndroidManifest.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="$package" $split_attr
    android:versionCode="$version_code"
    android:versionName="$version_name">
    <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="$target_sdk" />
    <uses-permission android:name="android.permission.INTERNET" />
    <uses-permission android:name="android.permission.ACCESS_NETWORK_STATE" />
    <application android:label="phonepack demo" android:hasCode="false" />
</manifest>
XML
mkdir -p "$work/lib/arm64-v8a" "$work/lib/armeabi-v7a"
printf '\177ELF demo native library (not real code)\n' > "$work/lib/arm64-v8a/libdemo.so"
printf '\177ELF demo native library (not real code)\n' > "$work/lib/armeabi-v7a/libdemo.so"
(cd "$work" && aapt package -f -M AndroidManifest.xml -I "$framework" -F app.apk >/dev/null \
    && aapt add app.apk lib/arm64-v8a/libdemo.so lib/armeabi-v7a/libdemo.so >/dev/null)
mkdir -p "$out"
cp "$work/app.apk" "$out/$apk_name"
[[ -n $split ]] && exit 0

# App data as the app would leave it on a phone.
mkdir -p "$out/data/shared_prefs" "$out/data/databases" "$out/data/files" "$out/external/files" "$out/obb"
cat > "$out/data/shared_prefs/settings.xml" <<XML
<?xml version='1.0' encoding='utf-8' standalone='yes' ?>
<map>
    <string name="server">https://game.example.com</string>
    <int name="level" value="7" />
</map>
XML
printf 'demo database placeholder\n' > "$out/data/databases/demo.db"
printf 'first-run=done\n' > "$out/data/files/state.txt"
printf 'cached asset pack\n' > "$out/external/files/assets.pak"
printf 'obb expansion data\n' > "$out/obb/main.$version_code.$package.obb"
