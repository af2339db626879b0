#!/usr/bin/env bash
# The release's command line for this machine, with no Rust toolchain on PATH: static (`ldd`:
# not dynamic, so it runs where there is no libc), answering `--version` with the release's
# version and `health --help`, and holding no path of the machine that built it.
# Usage: tests/release/cli.sh BINARY VERSION BUILD_PATH...
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
version=$2
shift 2
build_paths=("$@")
export PATH=/usr/local/bin:/usr/bin:/bin

# shellcheck source=tests/release/check.sh
. "$here/check.sh"

no_toolchain() { ! command -v cargo >/dev/null 2>&1 && ! command -v rustc >/dev/null 2>&1; }
# ldd exits non-zero on a static executable ("not a dynamic executable"); glibc's ldd says
# "statically linked" for a static PIE.
static() { ! ldd "$binary" >/dev/null 2>&1 || ldd "$binary" 2>&1 | grep -q 'statically linked'; }
no_build_paths() {
    local pattern
    for pattern in "${build_paths[@]}"; do
        if grep -qaF "$pattern" "$binary"; then
            echo "$binary holds $pattern" >&2
            return 1
        fi
    done
}

check "no cargo or rustc on PATH" no_toolchain
check "$(basename "$binary") is static (ldd: not dynamic)" static
check "--version says the release's version ($version)" test "$("$binary" --version)" = "pipeguard $version"
check "health --help answers" bash -c "'$binary' health --help | grep -q -- '--regions'"
check "no build path in the binary (${build_paths[*]})" no_build_paths

echo "cli: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
