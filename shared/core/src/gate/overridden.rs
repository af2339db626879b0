//! Break glass: an override in force for the job's pipeline lets its deploy through what it
//! covers. The gate decides as always first; only an answer that keeps the deploy from starting
//! is looked at again, and it passes only when the overrides cover everything that blocks it
//! (or the one signal that could not be read). A configuration error, a token the gate did not
//! write, a crash or running out of time are never passed over: they are the gate's own faults.

use super::outcome::{Blocker, GateOutcome, Scope};
use crate::job::JobResult;
use crate::notice::Notice;
use crate::overrides::{Override, OverrideKind, RecordedOverrides};
use crate::pipeline::ConflictCheckError;
use crate::text::printable;

/// The kind of override that passes over `blocker`.
fn kind_of(blocker: &Blocker) -> OverrideKind {
    match blocker {
        Blocker::HealthEvent(_) => OverrideKind::Health,
        Blocker::RunningPipeline(_) => OverrideKind::Locks,
        Blocker::Freeze(_) | Blocker::UnreadableFreeze(_) | Blocker::FreezesUnread(_) => {
            OverrideKind::Freezes
        }
        Blocker::OutsideWindow(_) => OverrideKind::Windows,
        Blocker::Alarm(_) | Blocker::AlarmsUnread(_) => OverrideKind::Alarms,
    }
}

impl GateOutcome {
    /// Whether an override could let this answer's deploy through: it keeps the deploy from
    /// starting for a reason an override may pass over. Only then are overrides read.
    pub fn may_be_overridden(&self) -> bool {
        !self.passed_over().is_empty()
    }

    /// What keeps the deploy from starting, each with the kind of override that passes it over
    /// and as people read it; nothing for a pass or for the gate's own faults.
    fn passed_over(&self) -> Vec<(OverrideKind, String)> {
        match self {
            Self::Blocked { blockers, .. }
            | Self::WindowTooFar { blockers, .. }
            | Self::Hold { blockers, .. }
            | Self::GaveUp { blockers, .. } => blockers
                .iter()
                .map(|blocker| (kind_of(blocker), blocker.describe()))
                .collect(),
            Self::HealthUnavailable { cause } => vec![(
                OverrideKind::Health,
                format!("AWS Health could not be asked: {}", printable(cause)),
            )],
            Self::FreezesUnavailable { cause } => vec![(
                OverrideKind::Freezes,
                format!("the freezes could not be read: {}", printable(cause)),
            )],
            Self::AlarmsUnavailable { cause } => vec![(
                OverrideKind::Alarms,
                format!(
                    "the service's CloudWatch alarms could not be read: {}",
                    printable(cause)
                ),
            )],
            // A lock naming a pipeline that does not exist or may not be read is a configuration
            // error, never passed over.
            Self::ConflictCheckFailed(error @ ConflictCheckError::Unavailable { .. }) => vec![(
                OverrideKind::Locks,
                format!("whether a blocking pipeline runs could not be checked: {error}"),
            )],
            _ => Vec::new(),
        }
    }
}

/// `outcome`, or a pass when the overrides in force for `pipeline` at `now` cover everything
/// that blocks it: `PassOverridden`, naming each override used and what it passed over. An
/// outcome they cover only in part stands as it is (its message lists every blocker).
pub fn overridden(
    outcome: GateOutcome,
    scope: &Scope,
    overrides: &RecordedOverrides,
    pipeline: &str,
    now: i64,
) -> GateOutcome {
    let blocking = outcome.passed_over();
    if blocking.is_empty() {
        return outcome;
    }
    let active: Vec<&Override> = overrides.active_for(pipeline, now).collect();
    let covering = |kind: OverrideKind| active.iter().find(|granted| granted.covers(pipeline, kind, now));
    if !blocking.iter().all(|(kind, _)| covering(*kind).is_some()) {
        return outcome;
    }
    let mut used: Vec<Override> = Vec::new();
    for (kind, _) in &blocking {
        if let Some(granted) = covering(*kind)
            && !used.iter().any(|seen| seen.id == granted.id)
        {
            used.push((*granted).clone());
        }
    }
    GateOutcome::PassOverridden {
        scope: scope.clone(),
        overrides: used,
        passed_over: blocking.into_iter().map(|(_, words)| words).collect(),
        health_source: outcome.health_source(),
    }
}

/// The job's result for a pass on an override: a success whose summary says who broke the glass,
/// why, until when and what it passed over, with the pass's output variables.
pub(super) fn render(
    scope: &Scope,
    overrides: &[Override],
    passed_over: &[String],
    health_source: &str,
) -> JobResult {
    JobResult::success(
        &format!(
            "Passed on {}, over: {}.",
            described(overrides),
            passed_over.join("; ")
        ),
        vec![
            ("verdict".into(), "PASS_OVERRIDDEN".into()),
            ("regions_checked".into(), scope.regions.join(",")),
            ("accounts_checked".into(), scope.accounts.join(",")),
            ("held_minutes".into(), "0".into()),
            ("health_source".into(), health_source.into()),
            ("freezes".into(), "overridden".into()),
            (
                "overridden_by".into(),
                overrides
                    .iter()
                    .map(|granted| granted.id.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        ],
    )
}

/// The notice sent each time a deploy goes through on an override.
pub(super) fn notice(pipeline: &str, overrides: &[Override], passed_over: &[String]) -> Notice {
    Notice::new(
        &format!("pipeguard: break glass used on {pipeline}"),
        &format!(
            "The deployment of pipeline {pipeline} went ahead on {}, over what would have stopped it:\n{}",
            described(overrides),
            passed_over
                .iter()
                .map(|words| format!("- {words}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
    .with_next_steps(&[
        "Check that the override is still needed: `pipeguard overrides`; end it with `pipeguard override --end ID`.",
    ])
}

fn described(overrides: &[Override]) -> String {
    overrides
        .iter()
        .map(Override::describe)
        .collect::<Vec<_>>()
        .join(" and ")
}

#[cfg(test)]
#[path = "overridden_tests.rs"]
mod tests;
