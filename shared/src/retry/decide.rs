//! Whether to retry a failed stage: a pure function of the policy and the stage as CodePipeline
//! reports it now, so duplicates and late deliveries are judged on the truth, not the event.

use super::policy::RetryPolicy;
use crate::config::{dedup, listed_or_all};
use crate::hold::Hold;
use crate::notice::Notice;
use crate::pipeline::{ActionSnapshot, RetryMode, StageSnapshot};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryDecision {
    /// Retry now (after `delay_seconds`); this will be retry number `attempt`.
    Retry {
        mode: RetryMode,
        attempt: u32,
        delay_seconds: u32,
    },
    /// The health gate failed the stage because of these AWS Health events: it is resumed when
    /// they close, not retried while they are open.
    HeldByHealth(Vec<String>),
    /// Retries are used up: tell people, once, and stop.
    Exhausted { attempts: u32, last_error: String },
    /// Nothing to do, and why.
    Skip(String),
}

/// The AWS Health events that hold a failed action, from the gate's hold marker.
fn hold_of(action: &ActionSnapshot) -> Option<Hold> {
    action.error_message.as_deref().and_then(Hold::read)
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
    let held_by = dedup(
        failed
            .iter()
            .filter_map(|action| hold_of(action))
            .flat_map(|hold| hold.events)
            .map(|event| event.arn)
            .collect(),
    );
    if !held_by.is_empty() {
        return RetryDecision::HeldByHealth(held_by);
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

/// Stages of a pipeline that the health gate failed because of `event_arn`, and that are still
/// failed: the ones to resume when that event closes.
pub fn stages_held_by<'a>(event_arn: &str, stages: &'a [StageSnapshot]) -> Vec<&'a StageSnapshot> {
    stages
        .iter()
        .filter(|stage| stage.is_failed())
        .filter(|stage| {
            stage
                .failed_actions()
                .filter_map(hold_of)
                .any(|hold| hold.arns().any(|arn| arn == event_arn))
        })
        .collect()
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
             Execution: {execution_id}\nLast error: {last_error}\n\
             Fix the cause and retry the stage, or start a new execution."
        ),
    )
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
