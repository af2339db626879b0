//! Whether to retry a failed stage: a pure function of the policy and the stage as CodePipeline
//! reports it now, so duplicates and late deliveries are judged on the truth, not the event.

use super::policy::RetryPolicy;
use crate::config::listed_or_all;
use crate::freeze::RecordedFreezes;
use crate::hold::{EventRef, HeldBy, Hold};
use crate::pipeline::{RetryMode, StageSnapshot, StaleFailure};
use crate::text::printable;

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

/// What holds a stage, from the hold markers of its failed actions.
fn hold_of(stage: &StageSnapshot) -> Option<Hold> {
    let holds: Vec<Hold> = stage
        .failed_actions()
        .filter_map(|action| action.error_message.as_deref().and_then(Hold::read))
        .collect();
    let first = holds.first()?;
    let mut events: Vec<HeldBy> = Vec::new();
    for held in holds.iter().flat_map(|hold| &hold.events) {
        if !events.contains(held) {
            events.push(held.clone());
        }
    }
    let mut freezes: Vec<String> = Vec::new();
    for id in holds.iter().flat_map(|hold| &hold.freezes) {
        if !freezes.contains(id) {
            freezes.push(id.clone());
        }
    }
    Some(Hold {
        events,
        freezes,
        opens_at: holds.iter().filter_map(|hold| hold.opens_at).max(),
        since: holds.iter().filter_map(|hold| hold.since).min(),
        source: first.source,
        // Saturating: a marker is read from a message, and can say any count.
        more: holds.iter().fold(0, |more, hold| more.saturating_add(hold.more)),
    })
}

/// Whether to retry the stage that failed in `failed_execution_id`, judged on the stage as
/// CodePipeline shows it now. A failure somebody acted on since is skipped; a stage the health
/// gate failed for AWS Health events is held for them, however many retries are left; a stage,
/// action or error code the policy excludes is skipped, as are errors that would fail the same
/// way again; with retries used up it is exhausted; otherwise it is retried, with the policy's
/// mode and delay. Retries are counted by CodePipeline, so the decision needs no state.
pub fn decide(policy: &RetryPolicy, failed_execution_id: &str, stage: &StageSnapshot) -> RetryDecision {
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
    if let Some(hold) = hold_of(stage) {
        return RetryDecision::Held(hold);
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
        let last_errors = failed
            .iter()
            .map(|action| {
                format!(
                    "{}: {} {}",
                    action.name,
                    action.error_code.as_deref().unwrap_or("unknown"),
                    action.error_message.as_deref().unwrap_or("(no message)")
                )
            })
            .collect();
        return RetryDecision::Exhausted {
            attempts: stage.attempts_used,
            allowed: policy.max_attempts,
            last_errors,
        };
    }
    RetryDecision::Retry {
        mode: policy.retry_mode,
        attempt: stage.attempts_used + 1,
        delay_seconds: policy.delay_seconds,
    }
}

/// What ended, so that the stages it held may resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release<'a> {
    /// An AWS Health event closed.
    EventClosed(EventRef<'a>),
    /// A freeze was ended by hand.
    Unfrozen(&'a str),
}

impl<'a> Release<'a> {
    /// Whether it is part of `hold`.
    fn ends_part_of(&self, hold: &Hold) -> bool {
        match self {
            Self::EventClosed(event) => hold.events.iter().any(|held| held.is(*event)),
            Self::Unfrozen(id) => hold.freezes.iter().any(|held| held == id),
        }
    }

    /// The event that just closed, when it is one.
    fn event(self) -> Option<EventRef<'a>> {
        match self {
            Self::EventClosed(event) => Some(event),
            Self::Unfrozen(_) => None,
        }
    }
}

/// Failed stages the health gate holds (only those `release` was part of, when given), with
/// what holds each: the ones to resume when that ends.
pub fn held_stages<'a>(
    stages: &'a [StageSnapshot],
    release: Option<Release>,
) -> Vec<(&'a StageSnapshot, Hold)> {
    stages
        .iter()
        .filter(|stage| stage.is_failed())
        .filter_map(|stage| hold_of(stage).map(|hold| (stage, hold)))
        .filter(|(_, hold)| release.is_none_or(|release| release.ends_part_of(hold)))
        .collect()
}

/// What the freezes a hold names are known to be: read from the table, or not readable here.
#[derive(Debug, Clone, Copy)]
pub enum FreezesKnown<'a> {
    /// Every freeze recorded, readable or not (a freeze the table no longer has ended long ago).
    Read(&'a RecordedFreezes),
    /// There is no table to read them from: each still holds, for all anyone here can tell.
    Unreadable,
}

/// What still holds `pipeline`'s stage at `now`: its events `closed` (one answer per event, in
/// order) does not say have closed (other than one `release` says just did), its freezes that
/// still hold that pipeline (a freeze counted only because the gate could not learn the
/// pipeline's name holds it no longer), and its deployment schedule until it opens. Events the
/// marker left out for length (`hold.more`) are not waited for: the gate, run again by the
/// resume, checks every event itself. Each as a person reads it.
pub fn still_holding(
    hold: &Hold,
    closed: &[bool],
    release: Option<Release>,
    freezes: FreezesKnown,
    pipeline: &str,
    now: i64,
) -> Vec<String> {
    let events: Vec<String> = if hold.events.len() == closed.len() {
        hold.still_open(closed, release.and_then(Release::event))
            .into_iter()
            .map(HeldBy::describe)
            .collect()
    } else {
        hold.events.iter().map(HeldBy::describe).collect()
    };
    let frozen = hold.freezes.iter().filter_map(|id| match freezes {
        FreezesKnown::Unreadable => Some(format!(
            "freeze {} (the freezes cannot be read here)",
            printable(id)
        )),
        FreezesKnown::Read(recorded) => recorded.holding_by_id(id, pipeline, now),
    });
    let window = hold.opens_at.filter(|opens_at| *opens_at > now).map(|opens_at| {
        format!(
            "the deployment schedule, until {}",
            crate::schedule::describe_time(opens_at)
        )
    });
    events.into_iter().chain(frozen).chain(window).collect()
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
