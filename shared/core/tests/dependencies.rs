//! The core's dependency tree holds no AWS SDK crate, no async runtime, no logging and no network
//! stack: the crate graph keeps the shell out of the core. This reads the graph cargo resolved
//! (`cargo tree` for the host platform, normal and build dependencies) and fails when a crate of
//! the shell's families reaches the core by any path. What the graph cannot see (the clock, the
//! environment, printing) is clippy's, in `clippy.toml`.

// A test of the build, not code of the core: it runs cargo, which the core itself never may.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeSet;
use std::process::Command;

/// Name prefixes of the crates only the shell may use.
const SHELL_ONLY: [&str; 14] = [
    "aws-config",
    "aws-credential-types",
    "aws-runtime",
    "aws-sdk-",
    "aws-sigv4",
    "aws-smithy-",
    "aws-types",
    "hickory-",
    "hyper",
    "lambda_runtime",
    "reqwest",
    "rustls",
    "tokio",
    "tracing",
];

/// The names of every crate `package` depends on, directly or not, for the host platform:
/// normal and build dependencies (a dev-dependency never reaches the library).
fn tree_of(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--locked",
            "--offline",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "--package", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != package)
        .map(str::to_owned)
        .collect()
}

fn shell_only(tree: &BTreeSet<String>) -> Vec<&String> {
    tree.iter()
        .filter(|name| SHELL_ONLY.iter().any(|prefix| name.starts_with(prefix)))
        .collect()
}

#[test]
fn the_core_depends_on_no_crate_of_the_shell() {
    let core = tree_of("pipeguard-core");
    assert_eq!(
        shell_only(&core),
        Vec::<&String>::new(),
        "the core's tree: {core:?}"
    );
    // The same reading of the shell finds the SDK and the runtime: it sees what it looks for.
    let shell = tree_of("pipeguard-aws");
    for expected in ["aws-sdk-codepipeline", "tokio", "tracing", "lambda_runtime"] {
        assert!(
            shell.contains(expected),
            "{expected} not found in the shell's tree"
        );
    }
}

/// pipeguard's own crates among those `package` depends on, directly or not.
fn pipeguard_crates_of(package: &str) -> BTreeSet<String> {
    tree_of(package)
        .into_iter()
        .filter(|name| name.starts_with("pipeguard-"))
        .collect()
}

/// The whole graph of pipeguard's crates: the core depends on no shell; the AWS shell on the
/// core (its plain data) and the Oracle Cloud shell on nothing of pipeguard's, neither on the
/// other shell nor on a driver; each driver on the core and the shells of the platforms it talks
/// to, and on nothing else of pipeguard's.
#[test]
fn the_core_is_under_the_aws_shell_no_shell_under_another_and_the_shells_under_the_drivers_only() {
    let set = |names: &[&str]| names.iter().map(|name| name.to_string()).collect::<BTreeSet<_>>();
    let expected = [
        ("pipeguard-core", set(&[])),
        ("pipeguard-aws", set(&["pipeguard-core"])),
        ("pipeguard-oci", set(&[])),
        ("health-gate", set(&["pipeguard-core", "pipeguard-aws"])),
        ("stage-retry", set(&["pipeguard-core", "pipeguard-aws"])),
        ("apply-rollback", set(&["pipeguard-core", "pipeguard-aws"])),
        (
            "pipeguard-cli",
            set(&["pipeguard-core", "pipeguard-aws", "pipeguard-oci"]),
        ),
    ];
    for (package, depends_on) in expected {
        assert_eq!(
            pipeguard_crates_of(package),
            depends_on,
            "what {package} depends on"
        );
    }
}
