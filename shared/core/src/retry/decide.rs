//! Whether to retry a failed stage: a pure function of the policy and the stage as CodePipeline
//! reports it now, so duplicates and late deliveries are judged on the truth, not the event.

use super::policy::RetryPolicy;
use crate::config::listed_or_all;
use crate::hold::Hold;
use crate::notice::Notice;
use crate::pipeline::{RetryMode, StageSnapshot};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryDecision {
    /// Retry now (after `delay_seconds`); this will be retry number `attempt`.
    Retry {
        mode: RetryMode,
        attempt: u32,
        delay_seconds: u32,
    },
    /// The health gate failed the stage because of these AWS Health events: it is resumed when
    /// they have all closed, not retried while one is open.
    HeldByHealth(Hold),
    /// Retries are used up: tell people, once, and stop.
    Exhausted { attempts: u32, last_error: String },
    /// Nothing to do, and why.
    Skip(String),
}

/// The AWS Health events that hold a stage, from the hold markers of its failed actions.
fn hold_of(stage: &StageSnapshot) -> Option<Hold> {
    let holds: Vec<Hold> = stage
        .failed_actions()
        .filter_map(|action| action.error_message.as_deref().and_then(Hold::read))
        .collect();
    let first = holds.first()?;
    let mut events = Vec::new();
    for held in holds.iter().flat_map(|hold| &hold.events) {
        if !events.contains(held) {
            events.push(held.clone());
        }
    }
    Some(Hold {
        events,
        source: first.source,
        // Saturating: a marker is read from a message, and can say any count.
        more: holds.iter().fold(0, |more, hold| more.saturating_add(hold.more)),
    })
}

pub fn decide(policy: &RetryPolicy, failed_execution_id: &str, stage: &StageSnapshot) -> RetryDecision {
    let latest = stage.execution_id.as_deref().unwrap_or("(none)");
    if latest != failed_execution_id {
        return RetryDecision::Skip(format!(
            "superseded: stage {} now shows execution {latest}",
            stage.name
        ));
    }
    if !stage.is_failed() {
        return RetryDecision::Skip(format!(
            "already handled: stage {} is {}",
            stage.name,
            stage.status_text()
        ));
    }
    if !listed_or_all(&policy.stages, &stage.name) || policy.never_stages.contains(&stage.name) {
        return RetryDecision::Skip(format!(
            "stage {} is not one the retry policy manages",
            stage.name
        ));
    }
    let failed: Vec<_> = stage.failed_actions().collect();
    if failed.is_empty() {
        return RetryDecision::Skip(format!("stage {} has no failed action to retry", stage.name));
    }
    if let Some(hold) = hold_of(stage) {
        return RetryDecision::HeldByHealth(hold);
    }
    for action in &failed {
        if !listed_or_all(&policy.actions, &action.name) || policy.never_actions.contains(&action.name) {
            return RetryDecision::Skip(format!(
                "action {} is not one the retry policy retries",
                action.name
            ));
        }
        let code = action.error_code.as_deref().unwrap_or("unknown");
        if policy.never_error_codes.iter().any(|never| never == code) {
            return RetryDecision::Skip(format!(
                "action {} failed with {code}, which is never retried: running it again would fail the same way",
                action.name
            ));
        }
        if !listed_or_all(&policy.error_codes, code) {
            return RetryDecision::Skip(format!(
                "action {} failed with {code}, which is not in error_codes",
                action.name
            ));
        }
    }
    if stage.attempts_used >= policy.max_attempts {
        let last_error = failed
            .iter()
            .map(|action| {
                format!(
                    "{}: {} {}",
                    action.name,
                    action.error_code.as_deref().unwrap_or("unknown"),
                    action.error_message.as_deref().unwrap_or("(no message)")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        return RetryDecision::Exhausted {
            attempts: stage.attempts_used,
            last_error,
        };
    }
    RetryDecision::Retry {
        mode: policy.retry_mode,
        attempt: stage.attempts_used + 1,
        delay_seconds: policy.delay_seconds,
    }
}

/// Failed stages the health gate holds (only those `event_arn` holds, when given), with the
/// events that hold each: the ones to resume when those events close.
pub fn held_stages<'a>(
    stages: &'a [StageSnapshot],
    event_arn: Option<&str>,
) -> Vec<(&'a StageSnapshot, Hold)> {
    stages
        .iter()
        .filter(|stage| stage.is_failed())
        .filter_map(|stage| hold_of(stage).map(|hold| (stage, hold)))
        .filter(|(_, hold)| event_arn.is_none_or(|wanted| hold.arns().any(|arn| arn == wanted)))
        .collect()
}

/// Whether a held stage may resume: every event that held it has closed (`closed` answers for
/// each of `hold.events`; `just_closed` is an event known to have closed this moment). Events
/// the marker left out for length (`hold.more`) are not waited for: the gate, run again by the
/// resume, checks every event itself.
pub fn may_resume(hold: &Hold, closed: &[bool], just_closed: Option<&str>) -> bool {
    !hold.events.is_empty()
        && hold.events.len() == closed.len()
        && hold
            .events
            .iter()
            .zip(closed)
            .all(|(held, closed)| *closed || just_closed == Some(held.arn.as_str()))
}

/// The one message people get when retries run out.
pub fn exhausted_notice(
    pipeline: &str,
    stage: &str,
    execution_id: &str,
    attempts: u32,
    last_error: &str,
) -> Notice {
    Notice::new(
        &format!("pipeguard: {pipeline} {stage} still failing after {attempts} retries"),
        &format!(
            "Stage {stage} of pipeline {pipeline} failed again after {attempts} automatic retries, so pipeguard stopped retrying it.\n\
             Execution: {execution_id}\nLast error: {last_error}"
        ),
    )
    .about(pipeline)
    .with_next_steps(&["Fix the cause, then retry the stage or start a new execution."])
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
