#!/usr/bin/env bash
# Two builds give the same release: the command line for this machine is compiled and linked
# again (its crate's source touched, so cargo rebuilds it), dist/ is packed again from the
# builds, and every checksum must be the one the first `make release` wrote.
# Usage: tests/release/reproducible.sh DIST (after `make release`; run from the repository's root)
set -euo pipefail

dist=$(cd "$1" && pwd)
again="$dist-again"
host="pipeguard-$(uname -m)-unknown-linux-musl"
trap 'rm -rf "$again"' EXIT

touch cli/src/main.rs
make --no-print-directory release-cli CLI_TARGETS="${host#pipeguard-}" >/dev/null
make --no-print-directory release-package RELEASE_DIST="$again" >/dev/null

if diff "$dist/SHA256SUMS" "$again/SHA256SUMS"; then
    echo "reproducible: 1 passed, 0 failed ($(wc -l <"$dist/SHA256SUMS") artifacts, $host rebuilt)"
else
    echo "reproducible: 0 passed, 1 failed (the lines above differ between the two builds)" >&2
    exit 1
fi
