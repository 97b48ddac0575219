#!/usr/bin/env bash
# Regenerates samples/demo-app: a small but real app (APK compiled by Debian's aapt, aligned by zipalign and signed
# by apksigner with the public test key in samples/keys) plus app data.
#   samples/make-sample.sh [OUTDIR] [--package P] [--version-code N] [--version-name V] [--min-sdk N]
#       [--target-sdk N] [--split NAME] [--abi A,B] [--test-only] [--extract-native-libs false]
#       [--compressed-arsc] [--no-align] [--unsigned | --key demo|next [--rotate-to demo|next]] [--sign-option OPT]...
# Tests call it to make APKs with other package names, versions, signers and manifests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/demo-app"
package=com.example.phonepack.demo
version_code=42
version_name=1.4.2
min_sdk=24
target_sdk=33
split=""
abis=arm64-v8a,armeabi-v7a
app_attrs=""
compressed_arsc=no
align=yes
sign=yes
key=demo
rotate_to=""
sign_options=()
if [[ $# -gt 0 && $1 != --* ]]; then out=$1; shift; fi
while [[ $# -gt 0 ]]; do
    case $1 in
        --package) package=$2; shift 2 ;;
        --version-code) version_code=$2; shift 2 ;;
        --version-name) version_name=$2; shift 2 ;;
        --min-sdk) min_sdk=$2; shift 2 ;;
        --target-sdk) target_sdk=$2; shift 2 ;;
        --split) split=$2; shift 2 ;;
        --abi) abis=$2; shift 2 ;;
        --test-only) app_attrs+=' android:testOnly="true"'; shift ;;
        --extract-native-libs) app_attrs+=" android:extractNativeLibs=\"$2\""; shift 2 ;;
        --compressed-arsc) compressed_arsc=yes; shift ;;
        --no-align) align=no; shift ;;
        --unsigned) sign=no; shift ;;
        --key) key=$2; shift 2 ;;
        --rotate-to) rotate_to=$2; shift 2 ;;
        --sign-option) sign_options+=("$2"); shift 2 ;;
        *) echo "make-sample.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
framework=/usr/share/android-framework-res/framework-res.apk
command -v aapt >/dev/null && [[ -f $framework ]] || { echo "make-sample.sh: needs aapt and android-framework-res (scripts/setup.sh)" >&2; exit 2; }
if [[ $sign == yes ]]; then
    command -v apksigner >/dev/null && command -v zipalign >/dev/null \
        || { echo "make-sample.sh: needs apksigner and zipalign (scripts/setup.sh), or --unsigned" >&2; exit 2; }
fi
keys="$here/keys"

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
    <uses-sdk android:minSdkVersion="$min_sdk" android:targetSdkVersion="$target_sdk" />
    <uses-permission android:name="android.permission.INTERNET" />
    <uses-permission android:name="android.permission.ACCESS_NETWORK_STATE" />
    <application android:label="@string/app_name" android:hasCode="false"$app_attrs />
</manifest>
XML
mkdir -p "$work/res/values"
cat > "$work/res/values/strings.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<resources><string name="app_name">phonepack demo</string></resources>
XML
libs=()
IFS=, read -ra abi_list <<< "$abis"
for abi in "${abi_list[@]}"; do
    [[ -z $abi ]] && continue
    mkdir -p "$work/lib/$abi"
    printf '\177ELF demo native library (not real code)\n' > "$work/lib/$abi/libdemo.so"
    libs+=("lib/$abi/libdemo.so")
done
# Native libraries stored uncompressed (-0 so), as Android needs them when extractNativeLibs is false.
(cd "$work" && aapt package -f -0 so -0 arsc -M AndroidManifest.xml -S res -I "$framework" -F app.apk >/dev/null \
    && { [[ ${#libs[@]} -eq 0 ]] || aapt add -0 so app.apk "${libs[@]}" >/dev/null; })
if [[ $compressed_arsc == yes ]]; then
    # What Android 11 refuses for targetSdk >= 30: resources.arsc deflated.
    python3 - "$work/app.apk" <<'PY'
import sys, zipfile
path = sys.argv[1]
entries = [(i, zipfile.ZipFile(path).read(i.filename)) for i in zipfile.ZipFile(path).infolist()]
with zipfile.ZipFile(path, "w") as out:
    for info, data in entries:
        info.compress_type = zipfile.ZIP_DEFLATED if info.filename == "resources.arsc" else info.compress_type
        out.writestr(info, data)
PY
fi
mkdir -p "$out"
if [[ $sign == yes ]]; then
    # zipalign first (4-byte entries, page-aligned .so), then sign: signing must be the last change to the file.
    if [[ $align == yes ]]; then zipalign -f -p 4 "$work/app.apk" "$work/aligned.apk"; else cp "$work/app.apk" "$work/aligned.apk"; fi
    signer=(--key "$keys/$key.pk8" --cert "$keys/$key.x509.pem")
    if [[ -n $rotate_to ]]; then
        apksigner rotate --out "$work/lineage" --old-signer "${signer[@]}" \
            --new-signer --key "$keys/$rotate_to.pk8" --cert "$keys/$rotate_to.x509.pem"
        signer+=(--next-signer --key "$keys/$rotate_to.pk8" --cert "$keys/$rotate_to.x509.pem" --lineage "$work/lineage")
    fi
    apksigner sign "${signer[@]}" ${sign_options[@]+"${sign_options[@]}"} --out "$out/$apk_name" "$work/aligned.apk"
    rm -f "$out/$apk_name.idsig"
else
    cp "$work/app.apk" "$out/$apk_name"
fi
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
