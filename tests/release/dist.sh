#!/usr/bin/env bash
# dist/ alone, as a user gets it: copied into an empty directory and checked with no Rust
# toolchain on PATH.
# - every file is the one SHA256SUMS names;
# - the packaged template lints (cfn-lint, which applies the SAM transform), and each function's
#   CodeUri is its zip;
# - each zip holds one executable `bootstrap`, an aarch64 Linux binary of the function it is
#   named for;
# - the command line for this machine passes tests/release/cli.sh (static, answers, no build
#   path); the other is a static aarch64 binary;
# - no function holds a path of the machine that built it (the checkout, cargo's home, the
#   target directory);
# - the SBOM is CycloneDX and names the crates of every artifact.
# Usage: tests/release/dist.sh DIST CFN_LINT BUILD_PATH... (run from the repository's root)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

here=$(cd "$(dirname "$0")" && pwd)
dist=$(cd "$1" && pwd)
cfn_lint=$2
shift 2
build_paths=("$@")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$dist/." "$work/"
cd "$work"
export PATH=/usr/local/bin:/usr/bin:/bin

# shellcheck source=tests/release/check.sh
. "$here/check.sh"

no_toolchain() { ! command -v cargo >/dev/null 2>&1 && ! command -v rustc >/dev/null 2>&1; }
check "no cargo or rustc on PATH" no_toolchain
check "every file is the one SHA256SUMS names" sha256sum --quiet --check SHA256SUMS
unlisted() {
    local file
    for file in *; do
        [ "$file" = SHA256SUMS ] || grep -q "  $file\$" SHA256SUMS || return 1
    done
}
check "SHA256SUMS lists every file" unlisted

check "the packaged template lints" "$cfn_lint" pipeguard-template.yaml
code_uri() {
    # The CodeUri of a resource of the packaged template: the first one after its logical id.
    awk -v resource="  $1:" '$0 == resource { inside = 1; next }
        inside && /^  [A-Za-z]/ { exit } inside && $1 == "CodeUri:" { print $2; exit }' pipeguard-template.yaml
}
# A binary names its crate's sources (panic locations, relative to the workspace): a function's
# bootstrap names its own and no other function's.
built_from() {
    local other
    grep -qaF "functions/$2/src/" "$1" || return 1
    for other in "${!resources[@]}"; do
        if [ "$other" != "$2" ] && grep -qaF "functions/$other/src/" "$1"; then return 1; fi
    done
}
declare -A resources=([health-gate]=HealthGateFunction [stage-retry]=StageRetryFunction [apply-rollback]=ApplyRollbackFunction)
for function in "${!resources[@]}"; do
    zip="pipeguard-$function-arm64.zip"
    check "$function: ${resources[$function]}'s CodeUri is $zip" test "$(code_uri "${resources[$function]}")" = "$zip"
    check "$function: the zip holds bootstrap alone" test "$(unzip -Z1 "$zip")" = bootstrap
    check "$function: bootstrap is executable in the zip" bash -c "unzip -Z '$zip' bootstrap | grep -q '^-rwxr-xr-x'"
    mkdir "unzipped-$function"
    unzip -q "$zip" -d "unzipped-$function"
    bootstrap="unzipped-$function/bootstrap"
    check "$function: bootstrap is an aarch64 Linux executable" bash -c "file -b '$bootstrap' | grep -q '^ELF 64-bit LSB .*ARM aarch64.*GNU/Linux'"
    check "$function: bootstrap is $function's build (its sources, no other function's)" \
        built_from "$bootstrap" "$function"
done

version=$(sed -n 's/^    SemanticVersion: *//p' pipeguard-template.yaml)
bash "$here/cli.sh" "pipeguard-$(uname -m)-unknown-linux-musl" "$version" "${build_paths[@]}" || failures=$((failures + 1))
check "pipeguard-aarch64-unknown-linux-musl: a static aarch64 executable" bash -c "
    file -b pipeguard-aarch64-unknown-linux-musl | grep -q '^ELF 64-bit LSB .*ARM aarch64.*static'"
function_build_paths() {
    local bootstrap pattern
    for bootstrap in unzipped-*/bootstrap; do
        for pattern in "${build_paths[@]}"; do
            if grep -qaF "$pattern" "$bootstrap"; then
                echo "$bootstrap holds $pattern" >&2
                return 1
            fi
        done
    done
}
check "no function holds a build path (${build_paths[*]})" function_build_paths

check "the SBOM is CycloneDX" jq --exit-status '.bomFormat == "CycloneDX" and (.specVersion | startswith("1."))' pipeguard-sbom.cdx.json
check "the SBOM names the crates of every artifact" jq --exit-status '
    [.components[] | .properties[].value] | unique
    == (["pipeguard-health-gate-arm64.zip", "pipeguard-stage-retry-arm64.zip", "pipeguard-apply-rollback-arm64.zip",
         "pipeguard-x86_64-unknown-linux-musl", "pipeguard-aarch64-unknown-linux-musl"] | sort)' pipeguard-sbom.cdx.json
check "the SBOM names each crate once, with a licence expression" jq --exit-status '
    ([.components[]."bom-ref"] | length == (unique | length))
    and all(.components[]; (.licenses // [] | tostring | contains("(*)")) | not)' pipeguard-sbom.cdx.json
check "the SBOM has the AWS SDK in the functions and the command line" jq --exit-status '
    [.components[] | select(.name == "aws-sdk-codepipeline") | .properties[].value] | length == 5' pipeguard-sbom.cdx.json

echo "dist: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
