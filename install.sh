#!/bin/sh
# Installs the pipeguard command line from a release, checksum-verified, without root:
#
#   curl -fsSL https://github.com/pipeguard/pipeguard/releases/latest/download/install.sh | sh
#
# Settings (environment):
#   PIPEGUARD_VERSION      the release tag, e.g. v0.1.0 (default: latest)
#   PIPEGUARD_INSTALL_DIR  where `pipeguard` goes (default: $HOME/.local/bin)
#   PIPEGUARD_RELEASES     the releases' URL (default: https://github.com/pipeguard/pipeguard/releases);
#                          a mirror, or file:// for a local dist/ laid out as <tag>/<file>
#
# It downloads SHA256SUMS and the static binary for this machine, and installs the binary only
# if its SHA-256 is the one SHA256SUMS gives. Linux x86_64 and aarch64 only: elsewhere, build it
# with `cargo install --locked --path cli` from a checkout.
set -eu

version=${PIPEGUARD_VERSION:-latest}
install_dir=${PIPEGUARD_INSTALL_DIR:-"$HOME/.local/bin"}
releases=${PIPEGUARD_RELEASES:-https://github.com/pipeguard/pipeguard/releases}

fail() {
    echo "pipeguard install: $*" >&2
    exit 1
}

case "$(uname -s)" in
    Linux) ;;
    *) fail "no release build for $(uname -s); build it with: cargo install --locked --path cli" ;;
esac
case "$(uname -m)" in
    x86_64 | amd64) target=x86_64-unknown-linux-musl ;;
    aarch64 | arm64) target=aarch64-unknown-linux-musl ;;
    *) fail "no release build for $(uname -m); build it with: cargo install --locked --path cli" ;;
esac
binary="pipeguard-$target"

# Only https (or a local file://): wget, unlike curl here, would follow any address.
case "$releases" in
    https://* | file://*) ;;
    *) fail "PIPEGUARD_RELEASES must be an https:// or file:// address, not $releases" ;;
esac
case "$releases" in
    file://*) base="$releases/$version" ;;
    *) if [ "$version" = latest ]; then base="$releases/latest/download"; else base="$releases/download/$version"; fi ;;
esac

download() {
    if command -v curl >/dev/null 2>&1; then
        curl --fail --silent --show-error --location --proto '=https,file' --output "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget --quiet --max-redirect 5 --output-document "$2" "$1"
    else
        fail "neither curl nor wget is installed"
    fi || fail "could not download $1"
}

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    else
        fail "neither sha256sum nor shasum is installed, so the download cannot be verified"
    fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

download "$base/SHA256SUMS" "$work/SHA256SUMS"
download "$base/$binary" "$work/$binary"
expected=$(awk -v name="$binary" '$2 == name || $2 == "*" name { print $1 }' "$work/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS of $version lists no $binary"
actual=$(sha256 "$work/$binary")
[ "$actual" = "$expected" ] || fail "$binary's SHA-256 is $actual, but SHA256SUMS says $expected: not installed"

mkdir -p "$install_dir"
chmod 755 "$work/$binary"
mv "$work/$binary" "$install_dir/pipeguard"
echo "pipeguard install: $("$install_dir/pipeguard" --version) in $install_dir/pipeguard"
case ":$PATH:" in
    *":$install_dir:"*) ;;
    *) echo "pipeguard install: add $install_dir to PATH" ;;
esac
