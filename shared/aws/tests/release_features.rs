//! The test clock (`test-clock`, shared/aws/src/clock.rs) lets the emulator move the time the
//! functions decide at. The end-to-end crate asks for it so that the function binaries built
//! with the whole workspace have it; a build of the functions alone (`cargo lambda build`, SAM's
//! `rust-cargolambda`) must never. This reads the features cargo resolves for each build.

use std::process::Command;

/// The features of the `pipeguard-aws` crate that building `packages` enables.
fn shell_features(packages: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args([
        "tree",
        "--locked",
        "--offline",
        "--edges",
        "features,normal",
        "--invert",
        "pipeguard-aws",
        "--prefix",
        "none",
    ]);
    for package in packages {
        command.args(["--package", package]);
    }
    let output = command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_functions_alone_are_built_without_the_test_clock() {
    let release = shell_features(&["health-gate", "stage-retry", "apply-rollback", "pipeguard-cli"]);
    assert!(release.contains("pipeguard-aws v"), "{release}");
    assert!(!release.contains("test-clock"), "{release}");
    let scenarios = shell_features(&["e2e"]);
    assert!(
        scenarios.contains("\"test-clock\""),
        "the check sees the feature where it is asked for: {scenarios}"
    );
}
