#!/usr/bin/env bash
# Builds phonepack for release and installs it like the tools beside it:
#   scripts/install.sh [PREFIX]          (default /usr/local)
#     PREFIX/bin/phonepack                                   Swift runtime linked in: no toolchain needed to run it
#     PREFIX/share/man/man1/phonepack*.1                      one page per command (man phonepack.release.start)
#     PREFIX/share/bash-completion/completions/phonepack      bash
#     PREFIX/share/zsh/site-functions/_phonepack             zsh
#     PREFIX/share/fish/vendor_completions.d/phonepack.fish  fish
# The C libraries (libarchive, libcurl, OpenSSL, expat) stay Debian's shared ones; scripts/setup.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
case "$prefix" in
/*) ;;
*) prefix="$PWD/$prefix" ;;
esac

scripts/setup.sh
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit-modified"
# A scratch folder of its own: the flags differ from a development build's, which would otherwise rebuild.
scratch=.build-install
header=Sources/CBuildInfo/commit.h
trap 'rm -f "$header"' EXIT
printf '#define PHONEPACK_COMMIT "%s"\n' "$commit" >"$header"
# The build's dependency records know commit.h only if it was there last time (a build without it, e.g. by hand in
# this scratch folder, would keep "development build"): touching the one file that includes it recompiles it.
touch Sources/CBuildInfo/build_info.c
swift build -c release --product phonepack --static-swift-stdlib --scratch-path "$scratch"
rm -f "$header"
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
# swift-argument-parser's manual generator, run on the built binary (its package plugin would build every
# product of this package for release first, the emulator included: minutes for nothing).
swift build --product generate-manual --scratch-path "$scratch"
generator="$(swift build --scratch-path "$scratch" --show-bin-path)/generate-manual"

install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
    "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
install -m 0755 "$bin/phonepack" "$prefix/bin/phonepack.new"
mv -f "$prefix/bin/phonepack.new" "$prefix/bin/phonepack"
"$generator" "$prefix/bin/phonepack" --multi-page --date "$(git log -1 --format=%cs 2>/dev/null || date +%F)" \
    --output-directory "$prefix/share/man/man1"
# A blank line in a help text is a paragraph break; mdoc wants it spelled .Pp (man warns about empty lines). The
# example lines after "Examples:" are shown as written, not filled: a display block keeps each line whole (filled,
# man would break `--dry-run` at its hyphen and leave `@s.txt` alone on a line).
for page in "$prefix"/share/man/man1/phonepack*.1; do
    awk '
        examples && (/^\./ || $0 == "") { print ".Ed"; examples = 0 }
        { print }
        $0 == "Examples:" { print ".Bd -literal"; examples = 1; next }
        END { if (examples) print ".Ed" }
    ' "$page" | sed 's/^$/.Pp/' >"$page.new"
    mv -f "$page.new" "$page"
done
"$prefix/bin/phonepack" --generate-completion-script bash >"$prefix/share/bash-completion/completions/phonepack"
"$prefix/bin/phonepack" --generate-completion-script zsh >"$prefix/share/zsh/site-functions/_phonepack"
"$prefix/bin/phonepack" --generate-completion-script fish >"$prefix/share/fish/vendor_completions.d/phonepack.fish"
echo "installed $("$prefix/bin/phonepack" --version | head -1) in $prefix" >&2
