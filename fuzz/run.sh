#!/usr/bin/env bash
# Builds the libFuzzer harnesses (swiftc -sanitize=fuzzer,address) and runs each for a while.
#   fuzz/run.sh [SECONDS_EACH]     (default 120; not part of CI)
# Corpora live in fuzz/work/ (ignored by git), seeded from the sample app and the hostile tar corpus; crashes,
# if any, are written there as crash-* files.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
scripts/setup.sh
work=fuzz/work
mkdir -p "$work"/{tar,xml}-corpus "$work"/bin

# Seeds: real tars (the sample built by phonepack, the hostile corpus) and a real manifest.
swift build -c release --product phonepack >/dev/null
bin=$(swift build -c release --show-bin-path)/phonepack
"$bin" build samples/demo-app -o "$work/tar-corpus/demo.tar" --mtime 0 >/dev/null
rm -f "$work"/tar-corpus/*.sha256
mkdir -p "$work/outside"
python3 Tests/Scripts/attacks.py "$work/attacks" "$PWD/$work/outside" >/dev/null
find "$work/attacks" -name '*.tar' -size -200k -exec cp {} "$work/tar-corpus/" \;
unzip -p samples/demo-app/base.apk AndroidManifest.xml > "$work/xml-corpus/AndroidManifest.xml"

# Every source of the library, whatever feature folder it is in (a top-level glob found none once Core was
# split into folders).
mapfile -t core < <(find Sources/PhonePackCore -name '*.swift' | sort)
# The eight-lane MD5 is C: compile it, and give swiftc a module map for its header.
mkdir -p "$work/cmultimd5"
printf 'module CMultiMD5 {\n    header "%s"\n    export *\n}\n' "$PWD/Sources/CMultiMD5/include/multi_md5.h" \
    > "$work/cmultimd5/module.modulemap"
clang -O2 -fPIC -c Sources/CMultiMD5/multi_md5.c -I Sources/CMultiMD5/include -o "$work/cmultimd5/multi_md5.o"
flags=(-O -sanitize=fuzzer,address -parse-as-library -module-name PhonePackFuzz -package-name phonepack
       -I Sources/CLibArchive -I Sources/CLibCrypto -I Sources/CLinuxExtras -I "$work/cmultimd5"
       "$work/cmultimd5/multi_md5.o" -Xcc -I/usr/include -L/usr/lib/x86_64-linux-gnu)
for target in TarReader BinaryXML; do
    echo "building fuzz-$target" >&2
    swiftc "${flags[@]}" "${core[@]}" "fuzz/Fuzz$target.swift" -o "$work/bin/fuzz-$target"
done

for pair in "TarReader tar" "BinaryXML xml"; do
    set -- $pair
    echo "running fuzz-$1 for ${seconds}s" >&2
    (cd "$work" && ./bin/fuzz-$1 -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
        -print_final_stats=1 "$2-corpus" 2>&1 | tail -12 | tee "fuzz-$1.log")
done
