#!/usr/bin/env python3
"""Packs the release builds into dist/: what a user needs without a toolchain.

- pipeguard-<function>-arm64.zip: each function's `bootstrap`, as Lambda's provided.al2023 runs it;
- pipeguard-template.yaml: template.yaml with each function's CodeUri at its zip (no build
  metadata), deployable with `sam deploy` or `aws cloudformation package` + `deploy`, with the
  LICENSE and README.md its Serverless Application Repository metadata names;
- pipeguard-<target>: the command line, one static executable per Linux target;
- pipeguard-sbom.cdx.json: a CycloneDX SBOM of the crates compiled into each artifact;
- install.sh, the checksum-verifying installer of the command line;
- SHA256SUMS of every other file, as `sha256sum --check` reads them.

Everything is written byte for byte the same from the same builds: fixed zip entry times and
modes, sorted JSON, no timestamp, no build path.
"""

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ["health-gate", "stage-retry", "apply-rollback"]
FUNCTIONS_TARGET = "aarch64-unknown-linux-gnu"
CLI_TARGETS = ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"]
# The earliest time a zip entry can hold; any fixed time makes the zips reproducible.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
TEMPLATE = "pipeguard-template.yaml"
SBOM = "pipeguard-sbom.cdx.json"


class ReleaseError(Exception):
    """What stops the packaging, said with what to do."""


def function_zip(function):
    return f"pipeguard-{function}-arm64.zip"


def cli_binary(target):
    return f"pipeguard-{target}"


def crate_version():
    manifest = (ROOT / "cli" / "Cargo.toml").read_text()
    match = re.search(r'^version = "([^"]+)"$', manifest, re.MULTILINE)
    if not match:
        raise ReleaseError("cli/Cargo.toml: no version line")
    return match.group(1)


def write_zip(bootstrap, destination):
    if not bootstrap.is_file():
        raise ReleaseError(f"{bootstrap}: missing; run `make release-functions` first")
    entry = zipfile.ZipInfo("bootstrap", date_time=ZIP_TIME)
    entry.create_system = 3  # Unix, so that Lambda keeps the mode below.
    entry.external_attr = (0o100755 & 0xFFFF) << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(destination, "w") as archive:
        archive.writestr(entry, bootstrap.read_bytes(), compresslevel=9)


def packaged_template(text):
    """template.yaml with each function's CodeUri at its zip instead of sam's cargo-lambda build."""
    text, globals_code = re.subn(r"^    CodeUri: \.\n", "", text, flags=re.MULTILINE)
    if globals_code != 1:
        raise ReleaseError("template.yaml: expected one `CodeUri: .` in Globals")
    for function in FUNCTIONS:
        build = (
            "    Metadata:\n"
            "      BuildMethod: rust-cargolambda\n"
            "      BuildProperties:\n"
            f"        Binary: {function}\n"
            "    Properties:\n"
        )
        if text.count(build) != 1:
            raise ReleaseError(f"template.yaml: expected one cargo-lambda build of {function}")
        text = text.replace(build, f"    Properties:\n      CodeUri: {function_zip(function)}\n")
    return text


def cargo_tree(packages, target):
    """(name, version, licence) of every crate compiled into these packages' binaries for target."""
    command = ["cargo", "tree", "--locked", "--edges", "normal,no-proc-macro", "--target", target,
               "--prefix", "none", "--format", "{p}|{l}"]
    for package in packages:
        command += ["--package", package]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise ReleaseError(f"cargo tree failed: {result.stderr.strip()}")
    crates = set()
    for line in result.stdout.splitlines():
        if "|" not in line:
            continue
        package, licence = line.split("|", 1)
        name, version = package.split()[:2]
        # cargo tree marks a crate it has already listed with " (*)" after the whole line.
        licence = licence.strip().removesuffix("(*)").strip()
        crates.add((name, version.lstrip("v"), licence))
    return crates


def sbom(version):
    """A CycloneDX 1.5 SBOM: each crate with the artifacts it is compiled into."""
    artifacts = {}
    for function in FUNCTIONS:
        for crate in cargo_tree([function], FUNCTIONS_TARGET):
            artifacts.setdefault(crate, set()).add(function_zip(function))
    for target in CLI_TARGETS:
        for crate in cargo_tree(["pipeguard-cli"], target):
            artifacts.setdefault(crate, set()).add(cli_binary(target))
    components = []
    for (name, crate_version_, licence), into in sorted(artifacts.items()):
        purl = f"pkg:cargo/{name}@{crate_version_}"
        component = {
            "type": "library",
            "bom-ref": purl,
            "name": name,
            "version": crate_version_,
            "purl": purl,
            "properties": [{"name": "pipeguard:compiled-into", "value": artifact} for artifact in sorted(into)],
        }
        if licence:
            component["licenses"] = [{"expression": licence}]
        components.append(component)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "component": {
                "type": "application",
                "bom-ref": f"pkg:generic/pipeguard@{version}",
                "name": "pipeguard",
                "version": version,
                "licenses": [{"license": {"id": "Apache-2.0"}}],
            }
        },
        "components": components,
    }


def write_template(dist):
    """The packaged template and the documents its Serverless Application Repository metadata names."""
    (dist / TEMPLATE).write_text(packaged_template((ROOT / "template.yaml").read_text()))
    for document in ["LICENSE", "README.md", "install.sh"]:
        shutil.copyfile(ROOT / document, dist / document)


def fresh(dist):
    if dist.exists():
        shutil.rmtree(dist)
    dist.mkdir(parents=True)


def package(target_dir, dist):
    version = crate_version()
    fresh(dist)
    for function in FUNCTIONS:
        write_zip(target_dir / "lambda" / function / "bootstrap", dist / function_zip(function))
    for target in CLI_TARGETS:
        binary = target_dir / target / "release" / "pipeguard"
        if not binary.is_file():
            raise ReleaseError(f"{binary}: missing; run `make release-cli` first")
        shutil.copyfile(binary, dist / cli_binary(target))
        (dist / cli_binary(target)).chmod(0o755)
    write_template(dist)
    (dist / SBOM).write_text(json.dumps(sbom(version), indent=2, sort_keys=True) + "\n")
    sums = "".join(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
        for path in sorted(dist.iterdir())
    )
    (dist / "SHA256SUMS").write_text(sums)
    print(f"release {version}: {dist}")
    print(sums, end="")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-dir", type=Path, help="the release builds' CARGO_TARGET_DIR")
    parser.add_argument("--dist", type=Path, required=True, help="where to write the release")
    parser.add_argument("--template-only", action="store_true",
                        help="write the packaged template alone (no build needed), to lint it")
    arguments = parser.parse_args()
    try:
        if arguments.template_only:
            fresh(arguments.dist)
            write_template(arguments.dist)
        elif arguments.target_dir is None:
            raise ReleaseError("--target-dir is needed to pack the builds")
        else:
            package(arguments.target_dir, arguments.dist)
    except (ReleaseError, OSError) as error:
        print(f"release: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
