//! The gate's words: the job result each outcome is reported as (summaries, failure messages
//! with the hold marker), and the notices people get: every sentence about an outcome. What the
//! outcomes are is `outcome`'s; how one is reached, `decide`'s.

use super::outcome::{AlarmCheck, Blocker, CalendarCheck, FreezeCheck, GateOutcome, HealthCheck, Scope};
use super::overridden;
use crate::freeze::{Freeze, UnreadableFreeze, by_whom};
use crate::hold::Hold;
use crate::job::{FailureKind, JobResult};
use crate::notice::Notice;
use crate::pipeline::ConflictCheckError;
use crate::schedule::describe_time;
use crate::text::printable;

/// How a bake's answers read.
mod bake;

impl HealthCheck {
    /// The sentence every summary, failure and notice ends with: which source answered.
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Asked { source, caveat: None } => format!("AWS Health source: {}.", source.describe()),
            Self::Asked {
                source,
                caveat: Some(caveat),
            } => format!("AWS Health source: {} ({caveat}).", source.describe()),
            Self::Unavailable(cause) => {
                format!(
                    "AWS Health could not be asked in full ({}); on_health_error is fail-open, so only the events it did answer with count.",
                    printable(cause)
                )
            }
        }
    }
}

impl FreezeCheck {
    /// The clause a passing summary says about freezes.
    fn describe(&self) -> String {
        match self {
            Self::Checked => "no freeze holds it".into(),
            Self::NoStore => "freezes not checked (no table to read them from)".into(),
            Self::Unavailable(cause) => format!(
                "freezes could not be read ({}) and on_health_error is fail-open, so none counted",
                printable(cause)
            ),
            Self::Ignored { freezes, unreadable } if freezes.is_empty() && unreadable.is_empty() => {
                "freezes ignored (ignore_freezes)".into()
            }
            Self::Ignored { freezes, unreadable } => format!(
                "freezes ignored (ignore_freezes), though {} would hold it: {}",
                plural(freezes.len() + unreadable.len(), "freeze", "freezes"),
                freezes
                    .iter()
                    .map(Freeze::describe)
                    .chain(unreadable.iter().map(UnreadableFreeze::describe))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

impl AlarmCheck {
    /// The clause a passing summary says about the service's alarms, if it watches any.
    pub(super) fn describe(&self) -> Option<String> {
        match self {
            Self::NotWatched => None,
            Self::Checked(count) => Some(format!(
                "none of its {} is in a blocking state",
                plural(*count, "CloudWatch alarm", "CloudWatch alarms")
            )),
            Self::NotAsked => {
                Some("its CloudWatch alarms not checked (this caller does not ask CloudWatch)".into())
            }
            Self::Unavailable(cause) => Some(format!(
                "its CloudWatch alarms could not be read ({}) and on_health_error is fail-open, so none counted",
                printable(cause)
            )),
        }
    }
}

impl CalendarCheck {
    /// The clause a passing summary says about the Change Calendars, if it watches any.
    fn describe(&self) -> Option<String> {
        match self {
            Self::NotWatched => None,
            Self::Checked(count) => Some(format!(
                "{} open",
                plural(*count, "Change Calendar", "Change Calendars")
            )),
            Self::NotAsked => {
                Some("its Change Calendars not checked (this caller does not ask Systems Manager)".into())
            }
            Self::Unavailable(cause) => Some(format!(
                "its Change Calendars could not be read ({}) and on_health_error is fail-open, so none counted",
                printable(cause)
            )),
        }
    }
}

impl Blocker {
    /// One line a person can act on.
    pub fn describe(&self) -> String {
        match self {
            Self::HealthEvent(event) => {
                let since = event
                    .start_time
                    .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
                    .map_or_else(
                        || "an unknown time".to_owned(),
                        |time| time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    );
                let accounts = match &event.account {
                    Some(account) => format!("account {account}"),
                    None => "all accounts".to_owned(),
                };
                format!(
                    "AWS Health {status} {category}: {service} in {region} for {accounts}, {code}, since {since} ({arn})",
                    status = event.status,
                    category = event.category,
                    service = printable(&event.service),
                    region = printable(&event.region),
                    accounts = printable(&accounts),
                    code = printable(&event.event_type_code),
                    arn = printable(&event.arn),
                )
            }
            Self::RunningPipeline(execution) => format!(
                "pipeline {} is running (execution {}, {})",
                printable(&execution.pipeline),
                printable(&execution.execution_id),
                execution.status
            ),
            Self::Freeze(freeze) => freeze.describe(),
            Self::UnreadableFreeze(unreadable) => unreadable.describe(),
            Self::OutsideWindow(closed) => match closed.opens_at {
                Some(opens_at) => format!(
                    "{}; deploys may start again at {}",
                    closed.because,
                    describe_time(opens_at)
                ),
                None => format!(
                    "{}; no deployment window opens within three years",
                    closed.because
                ),
            },
            Self::FreezesUnread(cause) => format!(
                "the freezes could not be read ({}); on_health_error is fail-closed, so they count as holding",
                printable(cause)
            ),
            Self::Alarm(alarm) => alarm.describe(),
            Self::AlarmsUnread(cause) => format!(
                "the service's CloudWatch alarms could not be read ({}); on_health_error is fail-closed, so they count as firing",
                printable(cause)
            ),
            Self::Calendar(calendar) => calendar.describe(),
            Self::CalendarsUnread(cause) => format!(
                "the Change Calendars could not be read ({}); on_health_error is fail-closed, so they count as closed",
                printable(cause)
            ),
        }
    }
}

fn count(blockers: &[Blocker], kind: impl Fn(&Blocker) -> bool) -> usize {
    blockers.iter().filter(|blocker| kind(blocker)).count()
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

pub(super) fn headline(blockers: &[Blocker]) -> String {
    let events = count(blockers, |blocker| matches!(blocker, Blocker::HealthEvent(_)));
    let freezes = count(blockers, |blocker| matches!(blocker, Blocker::Freeze(_)));
    let unreadable = count(blockers, |blocker| {
        matches!(blocker, Blocker::UnreadableFreeze(_))
    });
    let pipelines = count(blockers, |blocker| matches!(blocker, Blocker::RunningPipeline(_)));
    let alarms = count(blockers, |blocker| matches!(blocker, Blocker::Alarm(_)));
    let calendars = count(blockers, |blocker| matches!(blocker, Blocker::Calendar(_)));
    let mut parts = Vec::new();
    if events > 0 {
        parts.push(plural(events, "AWS Health event", "AWS Health events"));
    }
    if alarms > 0 {
        parts.push(plural(alarms, "CloudWatch alarm", "CloudWatch alarms"));
    }
    if calendars > 0 {
        parts.push(plural(
            calendars,
            "closed Change Calendar",
            "closed Change Calendars",
        ));
    }
    if freezes > 0 {
        parts.push(plural(freezes, "freeze", "freezes"));
    }
    if unreadable > 0 {
        parts.push(plural(unreadable, "unreadable freeze", "unreadable freezes"));
    }
    if pipelines > 0 {
        parts.push(plural(
            pipelines,
            "running conflicting pipeline execution",
            "running conflicting pipeline executions",
        ));
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::OutsideWindow(_)))
    {
        parts.push("the deployment schedule".into());
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::FreezesUnread(_)))
    {
        parts.push("freezes that could not be read".into());
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::AlarmsUnread(_)))
    {
        parts.push("CloudWatch alarms that could not be read".into());
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::CalendarsUnread(_)))
    {
        parts.push("Change Calendars that could not be read".into());
    }
    parts.join(" and ")
}

pub(super) fn listing(blockers: &[Blocker]) -> String {
    blockers
        .iter()
        .map(|blocker| format!("- {}", blocker.describe()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What among the blockers ends by itself (AWS Health events and where they were learned of,
/// freezes, the deployment window), since `since`, for the hold marker stage-retry reads.
fn hold_of(blockers: &[Blocker], health: &HealthCheck, since: i64) -> Option<Hold> {
    let mut hold = Hold {
        source: match health {
            HealthCheck::Asked { source, .. } => Some(*source),
            HealthCheck::Unavailable(_) => None,
        },
        since: Some(since),
        ..Hold::default()
    };
    for blocker in blockers {
        match blocker.holder() {
            Some(holder) => hold.add(holder),
            None => {
                let kind = blocker.overridden_by().name().to_owned();
                if !hold.also.contains(&kind) {
                    hold.also.push(kind);
                }
            }
        }
    }
    hold.holds_anything().then_some(hold)
}

/// A failure because of `blockers`, marked with what among them ends by itself.
fn blocked_failure(message: &str, blockers: &[Blocker], health: &HealthCheck, since: i64) -> JobResult {
    let message = format!("{message}\n{}", health.describe());
    match hold_of(blockers, health, since) {
        Some(hold) => JobResult::failure_with_trailer(FailureKind::JobFailed, &message, &hold.marker()),
        None => JobResult::failure(FailureKind::JobFailed, &message),
    }
}

pub(super) fn describe_scope(scope: &Scope) -> String {
    let services = if scope.services.is_empty() {
        "all services".to_owned()
    } else {
        scope.services.join(", ")
    };
    let accounts = match scope.accounts.as_slice() {
        [account] => format!("account {account}"),
        accounts => format!("accounts {}", accounts.join(", ")),
    };
    format!("{} ({services}) for {accounts}", scope.regions.join(", "))
}

/// The job result for an outcome.
pub fn render(outcome: &GateOutcome) -> JobResult {
    match outcome {
        GateOutcome::Pass {
            scope,
            held_minutes,
            health,
            freezes,
            released_from,
            alarms,
            calendars,
        } => {
            let mut summary = match health {
                HealthCheck::Asked { source, caveat } => format!(
                    "No blocking AWS Health event in {} (asked {}{})",
                    describe_scope(scope),
                    source.describe(),
                    caveat
                        .as_ref()
                        .map(|caveat| format!(": {caveat}"))
                        .unwrap_or_default()
                ),
                HealthCheck::Unavailable(cause) => format!(
                    "AWS Health could not be asked ({}); passing because on_health_error is fail-open",
                    printable(cause)
                ),
            };
            if !scope.locks.is_empty() {
                summary.push_str(&format!("; none of {} is running", scope.locks.join(", ")));
            }
            summary.push_str(&format!("; {}", freezes.describe()));
            if let Some(alarms) = alarms.describe() {
                summary.push_str(&format!("; {alarms}"));
            }
            if let Some(calendars) = calendars.describe() {
                summary.push_str(&format!("; {calendars}"));
            }
            if scope.schedule {
                summary.push_str("; inside the deployment schedule");
            }
            summary.push('.');
            if let Some(minutes) = held_minutes {
                summary.push_str(&format!(
                    " Released after holding the deployment for {minutes} minutes{}.",
                    by_whom(released_from)
                ));
            }
            JobResult::success(
                &summary,
                vec![
                    ("verdict".into(), outcome.label().into()),
                    ("blocking_events".into(), "0".into()),
                    ("regions_checked".into(), scope.regions.join(",")),
                    ("accounts_checked".into(), scope.accounts.join(",")),
                    ("held_minutes".into(), held_minutes.unwrap_or(0).to_string()),
                    ("health_source".into(), health.source_name().into()),
                    ("freezes".into(), freezes.name().into()),
                    ("alarms".into(), alarms.name().into()),
                    ("calendars".into(), calendars.name().into()),
                ],
            )
        }
        GateOutcome::PassOverridden {
            scope,
            overrides,
            passed_over,
            blocking_events,
            health_source,
            freezes,
            alarms,
            calendars,
        } => overridden::render(
            scope,
            overrides,
            passed_over,
            *blocking_events,
            health_source,
            [("freezes", freezes), ("alarms", alarms), ("calendars", calendars)],
        ),
        GateOutcome::Bake(baking) => bake::render(baking),
        GateOutcome::Blocked { blockers, health, at } => blocked_failure(
            &format!(
                "Deployment blocked by {}:\n{}",
                headline(blockers),
                listing(blockers)
            ),
            blockers,
            health,
            *at,
        ),
        GateOutcome::WindowTooFar {
            blockers,
            max_wait_minutes,
            health,
            at,
        } => blocked_failure(
            &format!(
                "Deployment blocked by {}, and {} would not let it start within max_wait_minutes ({max_wait_minutes}), so it fails now rather than waiting to fail; stage-retry resumes it when {}:\n{}",
                headline(blockers),
                too_late(blockers).0,
                too_late(blockers).1,
                listing(blockers)
            ),
            blockers,
            health,
            *at,
        ),
        GateOutcome::Hold {
            wait,
            blockers,
            max_wait_minutes,
            health,
            ..
        } => JobResult::in_progress(
            &format!(
                "Holding the deployment (up to {max_wait_minutes} minutes) until these clear: {}. {}",
                blockers
                    .iter()
                    .map(Blocker::describe)
                    .collect::<Vec<_>>()
                    .join("; "),
                health.describe()
            ),
            wait.encode(),
        ),
        GateOutcome::GaveUp {
            blockers,
            waited_minutes,
            max_wait_minutes,
            health,
            since,
        } => blocked_failure(
            &format!(
                "Held the deployment for {waited_minutes} minutes (max_wait_minutes = {max_wait_minutes}) and it is still blocked by {}:\n{}",
                headline(blockers),
                listing(blockers)
            ),
            blockers,
            health,
            *since,
        ),
        GateOutcome::HealthUnavailable { cause } => JobResult::failure(
            FailureKind::SystemUnavailable,
            &format!(
                "AWS Health could not be asked, so the deployment is blocked (on_health_error = fail-closed): {}. \
                 Set on_health_error to fail-open to deploy without the check when Health is unavailable.",
                printable(cause)
            ),
        ),
        GateOutcome::FreezesUnavailable { cause } => JobResult::failure(
            FailureKind::SystemUnavailable,
            &format!(
                "The freezes could not be read, so the deployment is blocked (on_health_error = fail-closed): {}. \
                 Set on_health_error to fail-open to deploy without the check when they cannot be read.",
                printable(cause)
            ),
        ),
        GateOutcome::AlarmsUnavailable { cause } => JobResult::failure(
            FailureKind::SystemUnavailable,
            &format!(
                "The service's CloudWatch alarms could not be read, so the deployment is blocked (on_health_error = fail-closed): {}. \
                 Set on_health_error to fail-open to deploy without the check when they cannot be read.",
                printable(cause)
            ),
        ),
        GateOutcome::CalendarsUnavailable { cause } => JobResult::failure(
            FailureKind::SystemUnavailable,
            &format!(
                "The Change Calendars could not be read, so the deployment is blocked (on_health_error = fail-closed): {}. \
                 Set on_health_error to fail-open to deploy without the check when they cannot be read.",
                printable(cause)
            ),
        ),
        GateOutcome::ConflictCheckFailed(
            error @ (ConflictCheckError::PipelineNotFound(_) | ConflictCheckError::NotPermitted(_)),
        ) => JobResult::failure(FailureKind::ConfigurationError, &printable(&error.to_string())),
        GateOutcome::ConflictCheckFailed(error) => {
            JobResult::failure(FailureKind::SystemUnavailable, &printable(&error.to_string()))
        }
        GateOutcome::Misconfigured(reason) => {
            JobResult::failure(FailureKind::ConfigurationError, &printable(reason))
        }
        GateOutcome::UnreadableToken(reason) => {
            JobResult::failure(FailureKind::JobFailed, &printable(reason))
        }
        GateOutcome::OutOfTime { budget_secs } => JobResult::failure(
            FailureKind::SystemUnavailable,
            &format!(
                "health-gate ran out of time after {budget_secs} s waiting for AWS; the deployment is blocked to be safe"
            ),
        ),
        GateOutcome::Crashed(cause) => JobResult::failure(
            FailureKind::JobFailed,
            &format!(
                "health-gate failed unexpectedly ({}); the deployment is blocked to be safe",
                printable(cause)
            ),
        ),
    }
}

/// The message for people, when the outcome is worth one: a deployment blocked, held, given up
/// on, or released after a hold. Re-checks during a hold send nothing.
pub fn notice(outcome: &GateOutcome, pipeline: &str) -> Option<Notice> {
    let notice = match outcome {
        GateOutcome::Blocked { blockers, health, .. } | GateOutcome::WindowTooFar { blockers, health, .. } => {
            Notice::new(
                &format!("pipeguard: {pipeline} blocked"),
                &format!(
                    "The deployment of pipeline {pipeline} was stopped by {}:\n{}\n{}",
                    headline(blockers),
                    listing(blockers),
                    health.describe()
                ),
            )
            .with_next_steps(&next_steps(blockers))
        }
        GateOutcome::Hold {
            blockers,
            newly_held: true,
            max_wait_minutes,
            health,
            ..
        } => Notice::new(
            &format!("pipeguard: {pipeline} held"),
            &format!(
                "The deployment of pipeline {pipeline} is held (up to {max_wait_minutes} minutes) until these clear:\n{}\n{}",
                listing(blockers),
                health.describe()
            ),
        )
        .with_next_steps(&[
            "Nothing to do: the deployment goes ahead by itself when these clear, and fails if they outlast the hold.",
        ]),
        GateOutcome::GaveUp {
            blockers,
            waited_minutes,
            health,
            ..
        } => Notice::new(
            &format!("pipeguard: {pipeline} gave up waiting"),
            &format!(
                "The deployment of pipeline {pipeline} was held for {waited_minutes} minutes and failed, still blocked by {}:\n{}\n{}",
                headline(blockers),
                listing(blockers),
                health.describe()
            ),
        )
        .with_next_steps(&next_steps(blockers)),
        GateOutcome::Pass {
            held_minutes: Some(minutes),
            health,
            released_from,
            ..
        } => Notice::new(
            &format!("pipeguard: {pipeline} released"),
            &format!(
                "The deployment of pipeline {pipeline} was held for {minutes} minutes{} and is now going ahead: nothing blocks it any more.\n{}",
                by_whom(released_from),
                health.describe()
            ),
        ),
        GateOutcome::PassOverridden {
            overrides,
            passed_over,
            ..
        } => overridden::notice(pipeline, overrides, passed_over),
        GateOutcome::Bake(baking) => bake::notice(baking, pipeline)?,
        _ => return None,
    };
    Some(notice.about(pipeline))
}

/// What would not let a held deploy start in time, and what stage-retry resumes it on: the
/// deployment schedule, a closed Change Calendar, or both.
fn too_late(blockers: &[Blocker]) -> (&'static str, &'static str) {
    let window = blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::OutsideWindow(_)));
    let calendar = blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::Calendar(_)));
    match (window, calendar) {
        (true, true) => ("the deployment schedule or a closed Change Calendar", "they open"),
        (false, true) => ("a closed Change Calendar", "the calendar opens"),
        _ => ("the deployment schedule", "the schedule opens"),
    }
}

/// What people can do about a stage the gate failed, by what blocked it.
fn next_steps(blockers: &[Blocker]) -> Vec<&'static str> {
    let mut steps = Vec::new();
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::HealthEvent(_)))
    {
        steps.push(
            "Nothing to do for AWS Health events: stage-retry retries the stage once they have all closed.",
        );
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::Alarm(_)))
    {
        steps.push(
            "A CloudWatch alarm of the service is firing: look at it first; stage-retry resumes the stage once it is back to OK (another account's alarm: retry the stage then).",
        );
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::Calendar(_)))
    {
        steps.push(
            "A Change Calendar is closed: stage-retry resumes the stage after its scheduled opening (the sweep), or when it opens, if ResumeOnCalendarPrefix routes its Calendar State Change; with no opening scheduled, retry the stage once it opens.",
        );
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::Freeze(_)))
    {
        steps.push("Frozen: stage-retry resumes the stage when the freeze ends (pipeguard unfreeze, or its end time).");
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::UnreadableFreeze(_)))
    {
        steps.push(
            "A freeze's item does not read: correct it in the table, or end it with `pipeguard unfreeze` and its key (`pipeguard freezes` lists it); stage-retry then resumes the stage.",
        );
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::OutsideWindow(_)))
    {
        steps.push("Outside the deployment schedule: stage-retry resumes the stage when it opens.");
    }
    if blockers
        .iter()
        .any(|blocker| matches!(blocker, Blocker::RunningPipeline(_)))
    {
        steps.push("If a running pipeline blocked it, retry the stage when that pipeline is done.");
    }
    steps.push(
        "To deploy anyway in an incident, once you have judged the risk: `pipeguard override --pipeline NAME --reason \"...\"` (recorded, told, at most 24 hours).",
    );
    steps
}
