//! What a cell observed after its run: the calls and the fault they met, the function's
//! invocations and dead letters, the notices sent, and when the function is idle.

use super::{Cell, PHASE_TIMEOUT, ensure};
use e2e::Local;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The cell tested something: the function under test made the faulted call, and met the fault.
pub fn faulted(calls: &Value, cell: Cell) -> Result<(), String> {
    let met = calls
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| {
            call["caller"] == cell.scenario.function()
                && call["service"] == cell.service
                && call["operation"] == cell.operation
                && !call["fault"].is_null()
        })
        .count();
    ensure(met >= 1, || {
        format!(
            "{} was never called under the fault: the cell tests nothing",
            cell.operation
        )
    })
}

/// The function's finished invocations, in order: each a response or an error.
pub fn attempts(local: &Local, function: &str) -> Vec<Value> {
    local
        .admin("GET", &format!("/_admin/invocations/{function}"), json!({}))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// An invocation Lambda stopped at its deadline.
pub fn timed_out(attempt: &Value) -> bool {
    attempt["error"]["errorType"] == "Sandbox.Timedout"
}

pub fn dead_letters(local: &Local, function: &str) -> Vec<Value> {
    local
        .admin("GET", "/_admin/dead-letters", json!({}))
        .as_array()
        .into_iter()
        .flatten()
        .filter(|letter| letter["function"] == function)
        .map(|letter| letter["payload"].clone())
        .collect()
}

/// Each notice at most once: no subject is published twice.
pub fn no_notice_twice(local: &Local) -> Result<(), String> {
    let mut subjects: Vec<String> = local
        .messages()
        .iter()
        .filter_map(|message| message["subject"].as_str().map(str::to_owned))
        .collect();
    let sent = subjects.len();
    subjects.sort();
    subjects.dedup();
    ensure(subjects.len() == sent, || {
        format!("a notice was sent twice: {subjects:?} from {sent} messages")
    })
}

/// Waits until the function has nothing queued, running or waiting to be retried, for a
/// second (events of one step can arrive a moment apart).
pub async fn idle(local: &Local, function: &str) {
    let mut quiet_since: Option<Instant> = None;
    local
        .wait_for(PHASE_TIMEOUT, &format!("{function} to be idle"), || {
            let entry = local.function(function);
            let busy = entry["queued"] != 0 || entry["in_flight"] != 0 || entry["retrying"] != 0;
            if busy {
                quiet_since = None;
                return None;
            }
            let since = *quiet_since.get_or_insert_with(Instant::now);
            (since.elapsed() >= Duration::from_secs(1)).then_some(())
        })
        .await;
}
