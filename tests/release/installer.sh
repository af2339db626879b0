#!/usr/bin/env bash
# install.sh from dist/, against a local copy of the release (file://): it installs the command
# line for this machine into the directory it is given, without root, from a named release and
# from the latest; it refuses a binary whose SHA-256 is not the one SHA256SUMS gives, or that
# SHA256SUMS does not list, and then installs nothing.
# Usage: tests/release/installer.sh DIST (run from the repository's root: the version is template.yaml's)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

dist=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
binary="pipeguard-$(uname -m)-unknown-linux-musl"
version="v$(sed -n 's/^    SemanticVersion: *//p' template.yaml)"

# shellcheck source=tests/release/check.sh
. "$here/check.sh"

# A release as GitHub serves one, laid out as install.sh reads a file:// mirror: <tag>/<file>.
release() {
    mkdir -p "$work/$1/$2"
    cp "$dist/SHA256SUMS" "$dist/$binary" "$work/$1/$2/"
}
run_installer() {
    local mirror=$1 tag=$2
    env -u PIPEGUARD_INSTALL_DIR HOME="$work/home-$mirror" PIPEGUARD_RELEASES="file://$work/$mirror" \
        PIPEGUARD_VERSION="$tag" sh "$dist/install.sh" >"$work/$mirror.log" 2>&1
}
refused() { ! run_installer "$@"; }
installed() { test -x "$work/home-$1/.local/bin/pipeguard"; }
nothing_installed() { ! test -e "$work/home-$1/.local/bin/pipeguard"; }

release good "$version"
check "install.sh installs $version" run_installer good "$version"
check "... into ~/.local/bin, and it runs" bash -c "'$work/home-good/.local/bin/pipeguard' --version | grep -qx 'pipeguard ${version#v}'"
check "... and says where" grep -q "in $work/home-good/.local/bin/pipeguard" "$work/good.log"

release latest latest
check "install.sh installs the latest release by default" run_installer latest ""
check "... from latest" installed latest

release wrong-sum "$version"
sed -i "s/^[0-9a-f]\{64\}  $binary\$/$(printf '0%.0s' $(seq 64))  $binary/" "$work/wrong-sum/$version/SHA256SUMS"
check "a wrong checksum is refused" refused wrong-sum "$version"
check "... saying so" grep -q "SHA256SUMS says 0\{64\}: not installed" "$work/wrong-sum.log"
check "... and nothing is installed" nothing_installed wrong-sum

release tampered "$version"
printf 'x' >>"$work/tampered/$version/$binary"
check "a binary changed after its checksum is refused" refused tampered "$version"
check "... and nothing is installed" nothing_installed tampered

release unlisted "$version"
sed -i "/  $binary\$/d" "$work/unlisted/$version/SHA256SUMS"
check "a binary SHA256SUMS does not list is refused" refused unlisted "$version"
check "... and nothing is installed" nothing_installed unlisted

echo "install.sh: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
