//! Break glass: an override in force for the job's pipeline lets its deploy through what it
//! covers. The gate decides as always first; only an answer that keeps the deploy from starting
//! is looked at again, and it passes only when the overrides cover everything that blocks it,
//! what a signal that could not be read kept from view among it. A configuration error, a token the gate did not
//! write, a crash or running out of time are never passed over: they are the gate's own faults.

use super::decide::{Observations, decide};
use super::outcome::{Blocker, GateOutcome, Scope};
use super::policy::GatePolicy;
use crate::health::{HealthReport, HealthSource};
use crate::job::JobResult;
use crate::notice::Notice;
use crate::overrides::{Override, OverrideKind, RecordedOverrides};
use crate::pipeline::ConflictCheckError;
use crate::text::printable;

impl Blocker {
    /// The kind of override that passes over it.
    pub fn overridden_by(&self) -> OverrideKind {
        kind_of(self)
    }
}

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
        Blocker::Calendar(_) | Blocker::CalendarsUnread(_) => OverrideKind::Calendars,
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
            Self::CalendarsUnavailable { cause } => vec![(
                OverrideKind::Calendars,
                format!("the Change Calendars could not be read: {}", printable(cause)),
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

/// The gate's answer once the overrides in force for `pipeline` are applied: `outcome`, decided
/// from `observations`, stands unless they cover everything that keeps the deploy from starting.
/// A signal that could not be read and that they cover (AWS Health, the alarms, the freezes, a
/// lock) is
/// taken as read with nothing found (for AWS Health, but what a source did answer with) and the
/// deploy is decided again, so that what that signal's failure kept from being looked at (the
/// freezes, the schedule, the other signals) must be covered too. Then, when they cover every
/// blocker, it passes: `PassOverridden`, naming each override used and what it passed over.
/// Change Calendars that could not be read need no second decision: the gate reads them after
/// every other signal, so they keep nothing from view.
pub fn decide_overridden(
    policy: &GatePolicy,
    observations: Observations,
    outcome: GateOutcome,
    overrides: &RecordedOverrides,
    pipeline: &str,
) -> GateOutcome {
    if !outcome.may_be_overridden() {
        return outcome;
    }
    let now = observations.now;
    let active: Vec<&Override> = overrides.active_for(pipeline, now).collect();
    let covering = |kind: OverrideKind| {
        active
            .iter()
            .copied()
            .find(|granted| granted.kinds.contains(&kind))
    };
    let (again, unread) = read_as_passed_over(observations, pipeline, |kind| covering(kind).is_some());
    let freezes_read = match (&again.freezes, policy.ignore_freezes) {
        (_, true) => "ignored",
        (None, false) => "not-checked",
        (Some(Err(_)), false) => "unavailable",
        (Some(Ok(_)), false) => "checked",
    };
    let alarms_read = match (&again.alarms, policy.alarms.is_empty()) {
        (_, true) => "not-watched",
        (None, false) => "not-asked",
        (Some(Err(_)), false) => "unavailable",
        (Some(Ok(_)), false) => "checked",
    };
    let calendars_read = match (&again.calendars, policy.change_calendars.is_empty()) {
        (_, true) => "not-watched",
        (None, false) => "not-asked",
        (Some(Err(_)), false) => "unavailable",
        (Some(Ok(_)), false) => "checked",
    };
    let health_read = if again.health.is_ok() && unread.iter().all(|(kind, _)| *kind != OverrideKind::Health)
    {
        None
    } else {
        Some("none")
    };
    let again = if unread.is_empty() {
        outcome.clone()
    } else {
        decide(policy, again)
    };
    // What decided again may be what the unread signal kept from view: a configuration error,
    // never passed over, which is the answer then.
    if !matches!(again, GateOutcome::Pass { .. }) && !again.may_be_overridden() {
        return again;
    }
    let blocking: Vec<(OverrideKind, String)> = unread.into_iter().chain(again.passed_over()).collect();
    if blocking.is_empty() || !blocking.iter().all(|(kind, _)| covering(*kind).is_some()) {
        return outcome;
    }
    let mut used: Vec<Override> = Vec::new();
    for (kind, _) in &blocking {
        if let Some(granted) = covering(*kind)
            && !used.iter().any(|seen| seen.id == granted.id)
        {
            used.push(granted.clone());
        }
    }
    let passed_over_kind = |wanted: OverrideKind| blocking.iter().any(|(kind, _)| *kind == wanted);
    let (freezes_passed_over, alarms_passed_over, calendars_passed_over) = (
        passed_over_kind(OverrideKind::Freezes),
        passed_over_kind(OverrideKind::Alarms),
        passed_over_kind(OverrideKind::Calendars),
    );
    GateOutcome::PassOverridden {
        scope: Scope::of(policy),
        overrides: used,
        passed_over: blocking.into_iter().map(|(_, words)| words).collect(),
        blocking_events: again
            .blockers()
            .iter()
            .filter(|blocker| matches!(blocker, Blocker::HealthEvent(_)))
            .count(),
        health_source: health_read.unwrap_or_else(|| again.health_source()),
        freezes: if freezes_passed_over {
            "overridden"
        } else {
            freezes_read
        },
        alarms: if alarms_passed_over {
            "overridden"
        } else {
            alarms_read
        },
        calendars: if calendars_passed_over {
            "overridden"
        } else {
            calendars_read
        },
    }
}

/// `observations` with each signal that could not be read and that `covered` says an override
/// passes over taken as read with nothing found (AWS Health: what a source did answer with),
/// for the pipeline now known; and those signals, as people read them.
fn read_as_passed_over(
    mut observations: Observations,
    pipeline: &str,
    covered: impl Fn(OverrideKind) -> bool,
) -> (Observations, Vec<(OverrideKind, String)>) {
    let mut unread = Vec::new();
    observations.pipeline = Some(pipeline.to_owned());
    if let Err(unavailable) = &observations.health
        && covered(OverrideKind::Health)
    {
        unread.push((
            OverrideKind::Health,
            format!(
                "AWS Health could not be asked: {}",
                printable(&unavailable.to_string())
            ),
        ));
        observations.health = Ok(HealthReport {
            source: HealthSource::Api,
            caveat: None,
            events: unavailable.known.clone(),
        });
    }
    if let Err(error @ ConflictCheckError::Unavailable { .. }) = &observations.running
        && covered(OverrideKind::Locks)
    {
        unread.push((
            OverrideKind::Locks,
            format!(
                "whether a blocking pipeline runs could not be checked: {}",
                printable(&error.to_string())
            ),
        ));
        observations.running = Ok(Vec::new());
    }
    if let Some(Err(unavailable)) = &observations.alarms
        && covered(OverrideKind::Alarms)
    {
        unread.push((
            OverrideKind::Alarms,
            format!(
                "the service's CloudWatch alarms could not be read: {}",
                printable(&unavailable.to_string())
            ),
        ));
        observations.alarms = None;
    }
    if let Some(Err(cause)) = &observations.freezes
        && covered(OverrideKind::Freezes)
    {
        unread.push((
            OverrideKind::Freezes,
            format!("the freezes could not be read: {}", printable(&cause.0)),
        ));
        observations.freezes = None;
    }
    (observations, unread)
}

/// The job's result for a pass on an override: a success whose summary says who broke the glass,
/// why, until when and what it passed over, with the pass's output variables (`signals`: how
/// the freezes, the alarms and the calendars were consulted, by their variable's name).
pub(super) fn render(
    scope: &Scope,
    overrides: &[Override],
    passed_over: &[String],
    blocking_events: usize,
    health_source: &str,
    signals: [(&str, &str); 3],
) -> JobResult {
    let mut variables: Vec<(String, String)> = vec![
        ("verdict".into(), "PASS_OVERRIDDEN".into()),
        ("blocking_events".into(), blocking_events.to_string()),
        ("regions_checked".into(), scope.regions.join(",")),
        ("accounts_checked".into(), scope.accounts.join(",")),
        ("held_minutes".into(), "0".into()),
        ("health_source".into(), health_source.into()),
    ];
    variables.extend(
        signals
            .iter()
            .map(|(name, read)| ((*name).to_owned(), (*read).to_owned())),
    );
    variables.push((
        "overridden_by".into(),
        overrides
            .iter()
            .map(|granted| granted.id.as_str())
            .collect::<Vec<_>>()
            .join(","),
    ));
    JobResult::success(
        &format!(
            "Passed on {}, over: {}.",
            described(overrides),
            passed_over.join("; ")
        ),
        variables,
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
