#!/bin/sh
# The version a release is published under is one: the Serverless Application Repository's
# SemanticVersion in template.yaml is the version of every crate that ships (the command line and
# the three functions). Run from the repository's root.
set -eu

crate_version() {
    sed -n 's/^version = "\(.*\)"$/\1/p' "$1" | head -n 1
}

template_version=$(sed -n 's/^    SemanticVersion: *//p' template.yaml)
if [ -z "$template_version" ]; then
    echo "template.yaml: no AWS::ServerlessRepo::Application SemanticVersion" >&2
    exit 1
fi
status=0
for manifest in cli/Cargo.toml functions/*/Cargo.toml; do
    version=$(crate_version "$manifest")
    if [ "$version" != "$template_version" ]; then
        echo "$manifest: version $version, but template.yaml's SemanticVersion is $template_version; set both to the release's version" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "version: template.yaml and the shipped crates are at $template_version"
exit "$status"
