//! Whether to retry a failed stage: a pure function of the policy and the stage as CodePipeline
//! reports it now, so duplicates and late deliveries are judged on the truth, not the event.

use super::policy::{RetryMode, RetryPolicy};
use crate::notify::Notice;
use crate::pipeline_state::StageSnapshot;

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

/// AWS Health event ARNs named in a failure message (the health gate names every event that
/// blocked a deployment).
pub fn health_event_arns(message: &str) -> Vec<String> {
    let is_arn_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-' | '.');
    let mut arns: Vec<String> = message
        .split(|c: char| !is_arn_char(c))
        .filter(|token| token.starts_with("arn:") && token.split(':').nth(2) == Some("health"))
        .map(|token| token.trim_end_matches('.').to_owned())
        .collect();
    arns.dedup();
    arns
}

fn listed_or_all(list: &[String], name: &str) -> bool {
    list.is_empty() || list.iter().any(|item| item == name)
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
        let status = stage.status.as_deref().unwrap_or("unknown");
        return RetryDecision::Skip(format!("already handled: stage {} is {status}", stage.name));
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
    let mut held_by: Vec<String> = failed
        .iter()
        .flat_map(|action| health_event_arns(action.error_message.as_deref().unwrap_or_default()))
        .collect();
    held_by.dedup();
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
            stage.failed_actions().any(|action| {
                health_event_arns(action.error_message.as_deref().unwrap_or_default())
                    .iter()
                    .any(|arn| arn == event_arn)
            })
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
