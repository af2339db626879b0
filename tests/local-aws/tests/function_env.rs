//! A function process starts with Lambda's environment, not the host's: a machine's
//! `SSL_CERT_FILE` or `HOME` reaching the function would make it run (and measure) differently
//! here than on Lambda.

mod common;

use common::admin;
use local_aws::Emulator;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_gets_lambdas_environment_and_its_own_not_the_hosts() {
    let host_only: Vec<&str> = [
        "CARGO_MANIFEST_DIR",
        "HOME",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "RUST_LOG",
    ]
    .into_iter()
    .filter(|name| std::env::var_os(name).is_some())
    .collect();
    assert!(
        host_only.contains(&"CARGO_MANIFEST_DIR"),
        "cargo test gives the test CARGO_MANIFEST_DIR"
    );
    let emulator = Emulator::start().await.unwrap();
    let dump = std::env::temp_dir().join(format!("local-aws-function-env-{}", std::process::id()));
    let _ = std::fs::remove_file(&dump);
    // The "function" writes its environment to a file (whole, by renaming it) and exits.
    admin(
        &emulator,
        "POST",
        "/_admin/functions",
        json!({"name": "env-dump", "command": "/bin/sh",
               "args": ["-c", r#"env > "$0.part" && mv "$0.part" "$0""#, dump],
               "env": {"ROLLBACK_DRY_RUN": "true"}}),
    );
    admin(
        &emulator,
        "POST",
        "/_admin/invoke",
        json!({"function": "env-dump", "payload": {}}),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let written = loop {
        if let Ok(written) = std::fs::read_to_string(&dump) {
            break written;
        }
        assert!(Instant::now() < deadline, "the function never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let _ = std::fs::remove_file(&dump);
    let names: Vec<&str> = written
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name))
        .collect();
    for lambda in [
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "PATH",
        "ROLLBACK_DRY_RUN",
    ] {
        assert!(names.contains(&lambda), "{lambda} missing from:\n{written}");
    }
    for host in host_only {
        assert!(
            !names.contains(&host),
            "the host's {host} reached the function:\n{written}"
        );
    }
}
