//! Property tests of everything that reads input from outside the process (issue 14): the
//! CodePipeline job event and its UserParameters, the SNS and EventBridge deliveries (AWS Health
//! events among them), every environment setting, the gate's continuation token, the hold
//! marker, people's time: deployment windows, blackouts and freeze durations, the freeze and
//! override items in the table, and Oracle Resource Manager's jobs with the rule of where a rollback returns to.
//! Whatever arrives, a reader ends in a value or a typed error that says what is wrong,
//! never in a panic, and never with an artifact credential in its text.
//!
//! Seeds are the sample events in `tests/events/`, mutated by `json` (a field removed, a value
//! retyped, nulled, made huge, odd unicode, deeply nested, double-encoded). Each property runs
//! `PROPTEST_CASES` cases (`DEFAULT_CASES` when unset); `make fuzz` runs many more. A failure
//! prints the smallest input proptest shrank it to: pin it as a plain regression test in the
//! module's `_tests.rs` file rather than in a proptest-regressions file.

#[path = "properties/alarms.rs"]
mod alarms;
#[path = "properties/bake.rs"]
mod bake;
#[path = "properties/calendars.rs"]
mod calendars;
#[path = "properties/freezes.rs"]
mod freezes;
#[path = "properties/hold.rs"]
mod hold;
#[path = "properties/job.rs"]
mod job;
#[path = "properties/json.rs"]
mod json;
#[path = "properties/overrides.rs"]
mod overrides;
#[path = "properties/schedule.rs"]
mod schedule;
#[path = "properties/settings.rs"]
mod settings;
#[path = "properties/stack.rs"]
mod stack;
#[path = "properties/token.rs"]
mod token;
#[path = "properties/triggers.rs"]
mod triggers;

use proptest::test_runner::{Config, RngAlgorithm};

/// Cases per property in a plain `cargo test`: every property together in a few seconds of a
/// debug build on two cores.
const DEFAULT_CASES: u32 = 128;

/// The configuration of every property: `PROPTEST_CASES` cases, or `DEFAULT_CASES`.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES);
    Config {
        cases,
        // A failing input is pinned as a named unit test next to the code, not in a file
        // proptest writes.
        failure_persistence: None,
        // A debug build spends most of a case in the default ChaCha generator; XorShift is
        // random enough to find inputs and several times faster.
        rng_algorithm: RngAlgorithm::XorShift,
        ..Config::default()
    }
}

/// A sample event, as the tests share them.
pub fn sample(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("a sample event is not JSON: {error}"))
}
