//! What the gate must answer when it fails closed: the failure type it documents for each cause,
//! and the words that name the cause.

use super::{Cell, Fault, Scenario};
use pipeguard_aws::FREEZES_PARTITION;

/// How the gate fails closed in `cell`: the job failure type it documents for the cause, and
/// the words that name the cause (with the table for the store's, the pipeline for the lock's).
/// A call that does not answer in time is told as such, by what was being asked: the lock's
/// check and the event store each within a limit of their own.
pub fn fail_closed(cell: Cell) -> (&'static str, Vec<String>) {
    let table = format!("(table {})", e2e::EVENT_STORE);
    let late = matches!(cell.fault, Fault::Latency | Fault::LateAnswer);
    let freezes = cell.partition == Some(FREEZES_PARTITION);
    match (cell.scenario, cell.operation) {
        // The lock on `cleanup` could not be checked in time.
        (Scenario::GateClear, "ListPipelineExecutions") if late => (
            "SystemUnavailable",
            vec![
                "could not check whether pipeline `cleanup` is running".to_owned(),
                "ListPipelineExecutions did not answer within".to_owned(),
            ],
        ),
        // The lock on `cleanup` could not be checked.
        (Scenario::GateClear, "ListPipelineExecutions") => (
            "SystemUnavailable",
            vec!["could not check whether pipeline `cleanup` is running".to_owned()],
        ),
        // AWS Health, asked from the event store, did not answer in time.
        (Scenario::GateFromStore | Scenario::GateFromIndex, _) if late && !freezes => (
            "SystemUnavailable",
            vec![
                "AWS Health could not be asked, so the deployment is blocked".to_owned(),
                format!("event store {}: Query did not answer within", e2e::EVENT_STORE),
            ],
        ),
        // AWS Health, asked from the event store, could not be asked.
        (Scenario::GateFromStore | Scenario::GateFromIndex, _) if !freezes => (
            "SystemUnavailable",
            vec![
                "AWS Health could not be asked, so the deployment is blocked".to_owned(),
                format!("event store {}", e2e::EVENT_STORE),
            ],
        ),
        // The freezes could not be read (in the store scenario, the table's other Query).
        (Scenario::GateFromStore | Scenario::GateFrozen | Scenario::GateFrozenByHand, _) => (
            "SystemUnavailable",
            vec![
                "The freezes could not be read, so the deployment is blocked".to_owned(),
                table,
            ],
        ),
        // The service's CloudWatch alarms could not be read.
        (Scenario::GateAlarms, _) => (
            "SystemUnavailable",
            vec![
                "The service's CloudWatch alarms could not be read, so the deployment is blocked".to_owned(),
                "DescribeAlarms".to_owned(),
            ],
        ),
        // The Change Calendars could not be read.
        (Scenario::GateCalendars, _) => (
            "SystemUnavailable",
            vec![
                "The Change Calendars could not be read, so the deployment is blocked".to_owned(),
                "GetCalendarState for year-end".to_owned(),
            ],
        ),
        // AWS Health (the account's view or the organization's) could not be asked.
        _ => (
            "SystemUnavailable",
            vec!["AWS Health could not be asked, so the deployment is blocked".to_owned()],
        ),
    }
}
