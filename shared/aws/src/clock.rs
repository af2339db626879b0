//! The time, read in one place: the core is given it, never reads it.
//!
//! Builds with the `test-clock` feature (the end-to-end tests' and the demo's, never a release
//! of the functions: `tests/e2e/tests/template.rs` checks) add the seconds in the file named by
//! `PIPEGUARD_TEST_CLOCK_FILE` to the time decisions are made at, so that the emulator can move
//! the clock the gate sees (a deployment window opening) without anyone waiting for it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch (0 on a clock set before it).
pub fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos())
}

/// Milliseconds since the Unix epoch (0 on a clock set before it).
pub fn unix_millis() -> u128 {
    unix_nanos() / 1_000_000
}

/// Seconds since the Unix epoch, as the core's decisions take the time.
pub fn unix_seconds() -> i64 {
    let now = i64::try_from(unix_millis() / 1000).unwrap_or(i64::MAX);
    now.saturating_add(test_clock_offset())
}

/// The test clock's offset in seconds, when this build has one and it is set.
#[cfg(feature = "test-clock")]
fn test_clock_offset() -> i64 {
    std::env::var_os("PIPEGUARD_TEST_CLOCK_FILE")
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(not(feature = "test-clock"))]
fn test_clock_offset() -> i64 {
    0
}
