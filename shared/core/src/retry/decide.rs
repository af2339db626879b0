//! Whether to retry a failed stage: a pure function of the policy and the stage as CodePipeline
//! reports it now, so duplicates and late deliveries are judged on the truth, not the event.

use super::policy::RetryPolicy;
use crate::config::listed_or_all;
use crate::gate::BAKE_FAILED;
use crate::hold::{GateActions, Hold, without_marker};
use crate::holder::Release;
use crate::pipeline::{ActionSnapshot, RetryMode, StageSnapshot, StaleFailure};
use crate::trigger::{Refusal, RefusalKind};

/// What to do about a failed stage, before anything is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryDecision {
    /// Retry now (after `delay_seconds`); this will be retry number `attempt`.
    Retry {
        /// Which actions run again.
        mode: RetryMode,
        /// The retry's number, from 1.
        attempt: u32,
        /// How long to wait first.
        delay_seconds: u32,
    },
    /// The health gate failed the stage because of these AWS Health events, freezes or the
    /// deployment schedule: it is resumed when they have all ended, not retried before.
    Held(Hold),
    /// Retries are used up: tell people, once, and stop.
    Exhausted {
        /// Retries CodePipeline counted.
        attempts: u32,
        /// Retries the policy allows.
        allowed: u32,
        /// Each failed action's last error: `action: code message`.
        last_errors: Vec<String>,
    },
    /// Nothing to do, and why.
    Skip(String),
}

/// How many times one failed execution of a stage is resumed after holds, beyond the retries
/// its policy allows (CodePipeline counts both, and people's retries, as one number): each
/// resume runs the gate again, which decides anew, so a gate that keeps failing it (or a hold
/// that keeps ending and starting) stops here and people are told, rather than looping.
pub const MAX_RESUMES: u32 = 10;

/// Whether the stage's failed execution has been retried so often that a hold of it is given up
/// on rather than resumed again (`MAX_RESUMES` beyond the policy's retries).
pub fn resumes_used_up(policy: &RetryPolicy, stage: &StageSnapshot) -> bool {
    stage.attempts_used >= resumes_allowed(policy)
}

fn resumes_allowed(policy: &RetryPolicy) -> u32 {
    policy.max_attempts.saturating_add(MAX_RESUMES)
}

/// Whether a failed action of the stage ends its message with a hold marker: only then is it
/// worth learning which actions invoke a gate (`GateActions`).
pub fn carries_marker(stage: &StageSnapshot) -> bool {
    stage
        .failed_actions()
        .any(|action| action.error_message.as_deref().and_then(Hold::read).is_some())
}

/// The failed actions of the stage whose message ends with a hold marker although they invoke no
/// gate: each refused, so that a copied marker is seen (and never held or resumed for).
pub fn copied_markers(stage: &StageSnapshot, gates: &GateActions) -> Vec<Refusal> {
    stage
        .failed_actions()
        .filter(|action| !gates.contains(&stage.name, &action.name))
        .filter(|action| action.error_message.as_deref().and_then(Hold::read).is_some())
        .map(|action| Refusal {
            kind: RefusalKind::NotFromTheGate,
            reason: format!(
                "action {} of stage {} failed with a hold marker, but it invokes none of the stack's gates (GATE_FUNCTIONS): its failure is judged as any other",
                action.name, stage.name
            ),
        })
        .collect()
}

/// What holds a stage, from the hold markers of its failed actions that invoke a gate (any
/// other action's marker is copied text, not a hold).
fn hold_of(stage: &StageSnapshot, gates: &GateActions) -> Option<Hold> {
    let holds: Vec<Hold> = stage
        .failed_actions()
        .filter(|action| gates.contains(&stage.name, &action.name))
        .filter_map(|action| action.error_message.as_deref().and_then(Hold::read))
        .collect();
    let first = holds.first()?;
    Some(Hold {
        events: each_once(holds.iter().flat_map(|hold| &hold.events)),
        alarms: each_once(holds.iter().flat_map(|hold| &hold.alarms)),
        calendars: each_once(holds.iter().flat_map(|hold| &hold.calendars)),
        freezes: each_once(holds.iter().flat_map(|hold| &hold.freezes)),
        also: each_once(holds.iter().flat_map(|hold| &hold.also)),
        opens_at: holds.iter().filter_map(|hold| hold.opens_at).max(),
        since: holds.iter().filter_map(|hold| hold.since).min(),
        source: first.source,
        // Saturating: a marker is read from a message, and can say any count.
        more: holds.iter().fold(0, |more, hold| more.saturating_add(hold.more)),
        more_freezes: holds
            .iter()
            .fold(0, |more, hold| more.saturating_add(hold.more_freezes)),
        more_alarms: holds
            .iter()
            .fold(0, |more, hold| more.saturating_add(hold.more_alarms)),
        more_calendars: holds
            .iter()
            .fold(0, |more, hold| more.saturating_add(hold.more_calendars)),
    })
}

/// Each item once, in the order first seen: what several markers name alike.
fn each_once<'a, T: Clone + PartialEq + 'a>(items: impl Iterator<Item = &'a T>) -> Vec<T> {
    let mut once: Vec<T> = Vec::new();
    for item in items {
        if !once.contains(item) {
            once.push(item.clone());
        }
    }
    once
}

/// Whether to retry the stage that failed in `failed_execution_id`, judged on the stage as
/// CodePipeline shows it now. A failure somebody acted on since is skipped; a stage the health
/// gate failed (one of `gates` ended its message with a hold) is held, however many retries are
/// left, until it has been retried `MAX_RESUMES` times beyond the policy's retries; a stage,
/// action or error code the policy excludes is skipped, as are errors that would fail the same
/// way again; with retries used up it is exhausted; otherwise it is retried, with the policy's
/// mode and delay. Retries are counted by CodePipeline, so the decision needs no state.
pub fn decide(
    policy: &RetryPolicy,
    failed_execution_id: &str,
    stage: &StageSnapshot,
    gates: &GateActions,
) -> RetryDecision {
    if let Err(stale) = stage.still_failed_in(failed_execution_id) {
        return RetryDecision::Skip(match stale {
            StaleFailure::Superseded { .. } => format!("superseded: {stale}"),
            StaleFailure::NotFailed { .. } => format!("already handled: {stale}"),
        });
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
    if let Some(hold) = hold_of(stage, gates) {
        if resumes_used_up(policy, stage) {
            return RetryDecision::Exhausted {
                attempts: stage.attempts_used,
                allowed: resumes_allowed(policy),
                last_errors: last_errors(&failed),
            };
        }
        return RetryDecision::Held(hold);
    }
    if let Some(baked) = failed.iter().find(|action| {
        gates.contains(&stage.name, &action.name)
            && action
                .error_message
                .as_deref()
                .is_some_and(|message| message.starts_with(BAKE_FAILED))
    }) {
        return RetryDecision::Skip(format!(
            "action {} failed its bake ({BAKE_FAILED}): running it again would only watch the deploy again and let it through once the alarm clears; apply-rollback rolls the stage back",
            baked.name
        ));
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
        return RetryDecision::Exhausted {
            attempts: stage.attempts_used,
            allowed: policy.max_attempts,
            last_errors: last_errors(&failed),
        };
    }
    RetryDecision::Retry {
        mode: policy.retry_mode,
        attempt: stage.attempts_used + 1,
        delay_seconds: policy.delay_seconds,
    }
}

/// Each failed action's last error: `action: code message`.
fn last_errors(failed: &[&ActionSnapshot]) -> Vec<String> {
    failed
        .iter()
        .map(|action| {
            format!(
                "{}: {} {}",
                action.name,
                action.error_code.as_deref().unwrap_or("unknown"),
                action
                    .error_message
                    .as_deref()
                    .map_or_else(|| "(no message)".to_owned(), without_marker)
            )
        })
        .collect()
}

/// Failed stages the health gate holds (one of `gates` ended its message with a hold marker;
/// only those `release` was part of, when given), with what holds each: the ones to resume when
/// that ends. Whether each may still be resumed is `resumes_used_up`'s.
pub fn held_stages<'a>(
    stages: &'a [StageSnapshot],
    release: Option<Release>,
    gates: &GateActions,
) -> Vec<(&'a StageSnapshot, Hold)> {
    stages
        .iter()
        .filter(|stage| stage.is_failed())
        .filter_map(|stage| hold_of(stage, gates).map(|hold| (stage, hold)))
        .filter(|(_, hold)| release.is_none_or(|release| release.ends_part_of(hold)))
        .collect()
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
