//! `make bench` is not part of `make test` (it is slow and needs Python packages); this runs its
//! harness once, Rust only, so it cannot rot.

use std::process::Command;

#[test]
fn the_benchmark_harness_runs_and_prints_its_table() {
    let bench = e2e::bin_dir().join("bench");
    assert!(
        bench.is_file(),
        "{} is missing: build the binaries first (make test does)",
        bench.display()
    );
    let output = Command::new(&bench)
        .arg("--smoke")
        .output()
        .expect("the bench binary starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for row in [
        "cold start to result",
        "warm decision",
        "peak RSS",
        "AWS calls per decision (no open event) | 2.0 calls",
        "100 open events: DescribeEvents calls | 1.0 calls",
        "CodePipeline calls per handled failure | 2.0",
        "(5 failures, each delivered 2 times)",
        " 5 retries,",
        "CodePipeline calls per rolled-back failure | 4.0",
        "health-gate from the event store (no support plan)",
        // The store's path asks its index twice (the region's public events, the account's)
        // and reads the freezes: two calls more than the API's path.
        "| AWS calls per decision (no open event) | 4 | 2.000 |",
        "final state correct",
        "| the same: freeze reads (DynamoDB Query), AWS calls per decision | 1.0, 3.0 | 1.000 |",
        "| the same: stages resumed (RetryStageExecution calls that took effect), release notices | 5 of 5, 1 | - |",
        "one Lambda instance, no concurrency",
        "| health-gate | 4 jobs at once from 2 pipelines (each started 2 times) | 10 ms | 4 of 4 jobs answered | 0 |",
        "| stage-retry | 10 notifications: 5 failures, each delivered 2 times | 10 ms | 5 of 5 failures retried once | 0 |",
        "| apply-rollback | 4 failures across 2 pipelines (2 each, released again once rolled back), each delivered twice | 10 ms | 4 of 4 failures rolled back once | 0 |",
    ] {
        assert!(stdout.contains(row), "missing {row:?} in:\n{stdout}");
    }
    let store_scale = stdout
        .lines()
        .find(|line| line.starts_with("| 1 recorded open events"))
        .unwrap_or_else(|| panic!("no store scale row in:\n{stdout}"));
    assert!(
        store_scale.ends_with(", 4 | - |"),
        "two Queries of the index for one region (its public events, the account's), one for the freezes and, as the open event blocks, one for the overrides: {store_scale}"
    );
}
