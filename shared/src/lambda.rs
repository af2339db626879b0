//! Facts about the current Lambda invocation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time until the invocation's deadline (milliseconds since the epoch), or None when the
/// runtime gave none (tests, local runs).
pub fn time_left(deadline_ms: u64) -> Option<Duration> {
    if deadline_ms == 0 {
        return None;
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64);
    Some(Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_deadline_is_none_and_a_past_one_is_zero() {
        assert_eq!(time_left(0), None);
        assert_eq!(time_left(1), Some(Duration::ZERO));
        let in_a_minute = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64 + 60_000;
        assert!(time_left(in_a_minute).is_some_and(|left| left > Duration::from_secs(55)));
    }
}
