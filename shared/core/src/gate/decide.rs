//! How the gate reaches its answer for a job: the policy and hold a job continues, the filter
//! of AWS Health events, and `decide`, a pure function from what was observed to the outcome,
//! step by step. What the outcomes are is `outcome`'s; how each is reported and told, `wording`'s.

use super::outcome::{
    AlarmCheck, Blocker, CalendarCheck, FreezeCheck, GateOutcome, HealthCheck, Scope, freeze_key,
};
use super::policy::{GateDefaults, GatePolicy, OnBlock, OnHealthError};
use super::token::WaitState;
use crate::alarm::{AlarmReadings, AlarmsUnavailable, assess, unmatched_error, unreachable_accounts};
use crate::calendar::{self, CalendarReadings, CalendarsUnavailable, misconfigured_error};
use crate::config::{SettingError, listed_or_all};
use crate::freeze::{Freeze, FreezesUnread, RecordedFreezes, UnreadableFreeze, holding};
use crate::health::{EventCategory, HealthEvent, HealthReport, HealthUnavailable};
use crate::job::JobEvent;
use crate::pipeline::{ConflictCheckError, RunningExecution};
use crate::schedule::Closed;
use std::ops::ControlFlow;

/// What the gate observed for one job.
#[derive(Debug, Clone)]
pub struct Observations {
    /// The events AWS Health answered with, or why it could not be asked.
    pub health: Result<HealthReport, HealthUnavailable>,
    /// Empty when the policy names no conflicting pipeline.
    pub running: Result<Vec<RunningExecution>, ConflictCheckError>,
    /// Every freeze recorded (active or not, readable or not), why they could not be read, or
    /// None when there is no table to read them from (the command line without one).
    pub freezes: Option<Result<RecordedFreezes, FreezesUnread>>,
    /// What CloudWatch answered for the watched alarms, or why it could not be asked; None when
    /// it was not asked (the policy watches none, or the caller does not ask CloudWatch).
    pub alarms: Option<Result<AlarmReadings, AlarmsUnavailable>>,
    /// What SSM answered for the watched Change Calendars, or why it could not be asked; None
    /// when it was not asked (the policy watches none, or the caller does not ask SSM).
    pub calendars: Option<Result<CalendarReadings, CalendarsUnavailable>>,
    /// The hold this job continues, if CodePipeline passed a continuation token back.
    pub wait: Option<WaitState>,
    /// The job's own pipeline, when it was asked for.
    pub pipeline: Option<String>,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

/// The policy and the hold a job continues, or the answer when the job cannot be decided as
/// configured: a bad environment or UserParameters, or a continuation token the gate did not
/// write (boxed: an answer is much larger than the policy).
pub fn read_job(
    defaults: &Result<GateDefaults, SettingError>,
    job: &JobEvent,
) -> Result<(GatePolicy, Option<WaitState>), Box<GateOutcome>> {
    let policy = defaults
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|defaults| defaults.for_action(job.user_parameters.as_deref()))
        .map_err(|error| GateOutcome::Misconfigured(error.to_string()))?
        .with_own_account(&job.account_id);
    if let Some(why) = unreachable_accounts(&policy.alarms, &job.account_id, policy.alarms_role.as_deref()) {
        return Err(Box::new(GateOutcome::Misconfigured(why)));
    }
    if let Some((foreign, place)) =
        calendar::in_other_accounts(&policy.change_calendars, &job.account_id).first()
    {
        return Err(Box::new(GateOutcome::Misconfigured(format!(
            "change_calendars: {} is in account {}, and this gate reads Change Calendars only in its own account ({}): \
             a calendar shared from another account is not answered by GetCalendarState here; \
             watch it from a gate in that account",
            foreign.describe(place),
            place.account,
            job.account_id
        ))));
    }
    let wait = job
        .continuation_token
        .as_deref()
        .map(WaitState::decode)
        .transpose()
        .map_err(|error| GateOutcome::UnreadableToken(error.to_string()))?;
    if let Some(wait) = &wait
        && wait.is_bake() != policy.bake_minutes.is_some()
    {
        return Err(Box::new(GateOutcome::UnreadableToken(mismatched_token(wait))));
    }
    Ok((policy, wait))
}

/// Why a token of the other kind (a bake's to a gate that holds, a hold's to a bake) is not
/// taken: the action's settings changed while it ran.
fn mismatched_token(wait: &WaitState) -> String {
    if wait.is_bake() {
        "the continuation token CodePipeline passed back is a bake's, and this action does not bake (no bake_minutes): its settings changed while it ran".into()
    } else {
        "the continuation token CodePipeline passed back is a hold's, and this action bakes (bake_minutes): its settings changed while it ran".into()
    }
}

/// Whether a Health event is one the policy blocks on: the one filter every source of events
/// goes through (the API's query already narrows, but ignored event types are only dropped here).
/// An event every account sees blocks whichever account reported it; an account-specific one
/// only when it concerns an account the pipeline deploys into.
pub fn blocks(policy: &GatePolicy, event: &HealthEvent) -> bool {
    event
        .account
        .as_ref()
        .is_none_or(|account| policy.accounts.contains(account))
        && policy.regions.contains(&event.region)
        && policy.statuses.contains(&event.status)
        && blocks_its_kind(policy, &event.service, &event.event_type_code, &event.category)
}

/// Whether the policy blocks on events of this kind (service, type and category: what never
/// changes in an event's life), whatever their account, region and status.
pub fn blocks_its_kind(
    policy: &GatePolicy,
    service: &str,
    event_type_code: &str,
    category: &EventCategory,
) -> bool {
    listed_or_all(&policy.services, service)
        && policy.categories.contains(category)
        && !policy
            .ignore_event_types
            .iter()
            .any(|ignored| ignored == event_type_code)
}

/// May this deploy start now? A policy that locks the gate's own pipeline is a configuration
/// error. AWS Health or freezes that could not be read block (fail-closed) or are passed over
/// (fail-open: but for the events one source did answer with, which block as ever); so do the
/// service's alarms when CloudWatch could not be asked, and a watched alarm name or prefix that
/// matches no alarm is a configuration error, as is a watched Change Calendar that is none; a
/// closed calendar blocks, and one that cannot be read is handled as alarms are; a lock that could not be checked fails. Then every
/// observed event the policy blocks on, every watched alarm in a blocking state, every freeze
/// that holds the pipeline (unless the policy ignores freezes), every running conflicting
/// execution and a closed deployment window is a blocker: with none, the deploy passes (and a
/// hold it continues ends, with how long it lasted); with some, the action fails (`on_block:
/// fail`) or is held (`wait`), until the hold has lasted `max_wait_minutes` and the gate gives
/// up. A hold the next window would not end within `max_wait_minutes` fails at once.
pub fn decide(policy: &GatePolicy, observations: Observations) -> GateOutcome {
    match steps(policy, observations) {
        ControlFlow::Break(outcome) | ControlFlow::Continue(outcome) => outcome,
    }
}

/// `decide`, step by step: a step that settles the answer early breaks with it.
fn steps(policy: &GatePolicy, observations: Observations) -> ControlFlow<GateOutcome, GateOutcome> {
    let Observations {
        health,
        running,
        freezes,
        alarms,
        calendars,
        wait,
        pipeline,
        now,
    } = observations;
    not_locked_by_itself(policy, pipeline.as_deref())?;
    let (events, health) = consult_health(policy, health)?;
    let alarms = consult_alarms(policy, alarms)?;
    let calendars = consult_calendars(policy, calendars)?;
    let freezes = consult_freezes(policy, freezes, pipeline.as_deref(), now);
    let running = lock_checked(running)?;
    let window = policy.schedule.closed_at(now);
    let mut blockers: Vec<Blocker> = events
        .into_iter()
        .filter(|event| blocks(policy, event))
        .map(Blocker::HealthEvent)
        .chain(alarms.blocking)
        .chain(calendars.blocking)
        .chain(freezes.blocking)
        .chain(running.into_iter().map(Blocker::RunningPipeline))
        .chain(window.clone().map(Blocker::OutsideWindow))
        .collect();
    if let Some(cause) = freezes.unread {
        let alone = GateOutcome::FreezesUnavailable { cause: cause.clone() };
        unread_blocks(
            policy,
            Blocker::FreezesUnread(cause),
            alone,
            &mut blockers,
            wait.as_ref(),
            now,
        )?;
    }
    if let Some(cause) = alarms.unread {
        let alone = GateOutcome::AlarmsUnavailable { cause: cause.clone() };
        unread_blocks(
            policy,
            Blocker::AlarmsUnread(cause),
            alone,
            &mut blockers,
            wait.as_ref(),
            now,
        )?;
    }
    if let Some(cause) = calendars.unread {
        let alone = GateOutcome::CalendarsUnavailable { cause: cause.clone() };
        unread_blocks(
            policy,
            Blocker::CalendarsUnread(cause),
            alone,
            &mut blockers,
            wait.as_ref(),
            now,
        )?;
    }
    ControlFlow::Continue(if blockers.is_empty() {
        passed(
            policy,
            health,
            Checks {
                freezes: freezes.check,
                alarms: alarms.check,
                calendars: calendars.check,
            },
            freezes.recorded,
            wait,
            now,
        )
    } else if policy.on_block == OnBlock::Fail {
        GateOutcome::Blocked {
            blockers,
            health,
            at: now,
        }
    } else {
        held(policy, blockers, health, window.as_ref(), wait, now)
    })
}

/// A policy that locks the gate's own pipeline would hold it forever.
fn not_locked_by_itself(policy: &GatePolicy, own: Option<&str>) -> ControlFlow<GateOutcome> {
    match own {
        Some(own) if policy.block_while_running.iter().any(|name| name == own) => {
            ControlFlow::Break(GateOutcome::Misconfigured(format!(
                "block_while_running names this pipeline itself ({own}), which is always running while its gate runs"
            )))
        }
        _ => ControlFlow::Continue(()),
    }
}

/// The events AWS Health answered with and how it was consulted; when it could not be asked,
/// the answer (fail-closed) or the events a source did answer with (fail-open).
fn consult_health(
    policy: &GatePolicy,
    health: Result<HealthReport, HealthUnavailable>,
) -> ControlFlow<GateOutcome, (Vec<HealthEvent>, HealthCheck)> {
    ControlFlow::Continue(match health {
        Ok(report) => (
            report.events,
            HealthCheck::Asked {
                source: report.source,
                caveat: report.caveat,
            },
        ),
        Err(unavailable) => match policy.on_health_error {
            OnHealthError::FailClosed => {
                return ControlFlow::Break(GateOutcome::HealthUnavailable {
                    cause: unavailable.to_string(),
                });
            }
            OnHealthError::FailOpen => {
                let cause = unavailable.to_string();
                (unavailable.known, HealthCheck::Unavailable(cause))
            }
        },
    })
}

/// What the service's alarms say for one decision.
struct AlarmsConsulted {
    /// The watched alarms in a blocking state.
    blocking: Vec<Blocker>,
    /// How they were consulted, for a pass.
    check: AlarmCheck,
    /// Why CloudWatch could not be asked, when the policy fails closed.
    unread: Option<String>,
}

impl AlarmsConsulted {
    /// Consulted as `check`, with no alarm that blocks.
    fn none_blocking(check: AlarmCheck) -> Self {
        Self {
            blocking: Vec::new(),
            check,
            unread: None,
        }
    }
}

/// The watched alarms in a blocking state, as blockers, and how the alarms were consulted;
/// alarms that could not be read are passed over (fail-open) or kept as the cause to fail
/// closed on, as freezes are. A watched name or prefix that matches no alarm is the answer: a
/// configuration error (a typo must never pass silently).
fn consult_alarms(
    policy: &GatePolicy,
    alarms: Option<Result<AlarmReadings, AlarmsUnavailable>>,
) -> ControlFlow<GateOutcome, AlarmsConsulted> {
    if policy.alarms.is_empty() {
        return ControlFlow::Continue(AlarmsConsulted::none_blocking(AlarmCheck::NotWatched));
    }
    ControlFlow::Continue(match alarms {
        None => AlarmsConsulted::none_blocking(AlarmCheck::NotAsked),
        Some(Ok(readings)) => {
            let found = assess(&policy.alarms, &policy.alarm_states, &readings);
            if !found.unmatched.is_empty() {
                return ControlFlow::Break(GateOutcome::Misconfigured(unmatched_error(
                    &found.unmatched,
                    &readings.own,
                )));
            }
            AlarmsConsulted {
                blocking: found.blocking.into_iter().map(Blocker::Alarm).collect(),
                ..AlarmsConsulted::none_blocking(AlarmCheck::Checked(found.watched))
            }
        }
        Some(Err(unavailable)) => {
            // What the other calls found still counts: one unreadable place never hides an alarm
            // firing in another (watched entries the failed call was asking about are unknown,
            // not unmatched).
            let found = assess(&policy.alarms, &policy.alarm_states, &unavailable.known);
            let blocking = found.blocking.into_iter().map(Blocker::Alarm).collect();
            match policy.on_health_error {
                OnHealthError::FailClosed => AlarmsConsulted {
                    blocking,
                    unread: Some(unavailable.to_string()),
                    ..AlarmsConsulted::none_blocking(AlarmCheck::NotAsked)
                },
                OnHealthError::FailOpen => AlarmsConsulted {
                    blocking,
                    ..AlarmsConsulted::none_blocking(AlarmCheck::Unavailable(unavailable.to_string()))
                },
            }
        }
    })
}

/// What the Change Calendars say for one decision.
struct CalendarsConsulted {
    /// The watched calendars that are closed.
    blocking: Vec<Blocker>,
    /// How they were consulted, for a pass.
    check: CalendarCheck,
    /// Why SSM could not be asked, when the policy fails closed.
    unread: Option<String>,
}

impl CalendarsConsulted {
    /// Consulted as `check`, with no calendar closed.
    fn none_closed(check: CalendarCheck) -> Self {
        Self {
            blocking: Vec::new(),
            check,
            unread: None,
        }
    }
}

/// The watched Change Calendars that are closed, as blockers, and how they were consulted;
/// calendars that could not be read are passed over (fail-open) or kept as the cause to fail
/// closed on, as alarms are. A watched calendar that does not exist or is not a Change Calendar
/// is the answer: a configuration error.
fn consult_calendars(
    policy: &GatePolicy,
    calendars: Option<Result<CalendarReadings, CalendarsUnavailable>>,
) -> ControlFlow<GateOutcome, CalendarsConsulted> {
    if policy.change_calendars.is_empty() {
        return ControlFlow::Continue(CalendarsConsulted::none_closed(CalendarCheck::NotWatched));
    }
    ControlFlow::Continue(match calendars {
        None => CalendarsConsulted::none_closed(CalendarCheck::NotAsked),
        Some(Ok(readings)) => {
            let found = calendar::assess(&policy.change_calendars, &readings);
            if !found.misconfigured.is_empty() {
                return ControlFlow::Break(GateOutcome::Misconfigured(misconfigured_error(
                    &found.misconfigured,
                )));
            }
            CalendarsConsulted {
                blocking: found.closed.into_iter().map(Blocker::Calendar).collect(),
                ..CalendarsConsulted::none_closed(CalendarCheck::Checked(found.watched))
            }
        }
        Some(Err(unavailable)) => {
            // What the other calls found still counts: one unreadable calendar never hides a
            // closed one (a calendar that was not answered is unknown, not misconfigured).
            let found = calendar::assess(&policy.change_calendars, &unavailable.known);
            let blocking = found.closed.into_iter().map(Blocker::Calendar).collect();
            match policy.on_health_error {
                OnHealthError::FailClosed => CalendarsConsulted {
                    blocking,
                    unread: Some(unavailable.to_string()),
                    ..CalendarsConsulted::none_closed(CalendarCheck::NotAsked)
                },
                OnHealthError::FailOpen => CalendarsConsulted {
                    blocking,
                    ..CalendarsConsulted::none_closed(CalendarCheck::Unavailable(unavailable.to_string()))
                },
            }
        }
    })
}

/// What the freezes say for one decision.
struct FreezesConsulted {
    /// The freezes, readable or not, that hold the pipeline and count.
    blocking: Vec<Blocker>,
    /// How they were consulted, for a pass.
    check: FreezeCheck,
    /// Every readable freeze recorded: a pass names those that held the hold it ends.
    recorded: Vec<Freeze>,
    /// Why they could not be read, when the policy fails closed.
    unread: Option<String>,
}

impl FreezesConsulted {
    /// Consulted as `check`, with no freeze that counts.
    fn none_counted(check: FreezeCheck) -> Self {
        Self {
            blocking: Vec::new(),
            check,
            recorded: Vec::new(),
            unread: None,
        }
    }
}

/// The freezes that hold the pipeline at `now`, as blockers unless the policy ignores freezes;
/// freezes that could not be read are ignored with them, passed over (fail-open), or kept as
/// the cause to fail closed on.
fn consult_freezes(
    policy: &GatePolicy,
    freezes: Option<Result<RecordedFreezes, FreezesUnread>>,
    pipeline: Option<&str>,
    now: i64,
) -> FreezesConsulted {
    match freezes {
        None => FreezesConsulted::none_counted(FreezeCheck::NoStore),
        Some(Ok(recorded)) => {
            let holding: Vec<Freeze> = holding(&recorded.freezes, pipeline, now)
                .into_iter()
                .cloned()
                .collect();
            let unreadable: Vec<UnreadableFreeze> = recorded
                .unreadable_holding(pipeline)
                .into_iter()
                .cloned()
                .collect();
            let (blocking, check) = if policy.ignore_freezes {
                let ignored = FreezeCheck::Ignored {
                    freezes: holding,
                    unreadable,
                };
                (Vec::new(), ignored)
            } else {
                let blocking = holding
                    .into_iter()
                    .map(Blocker::Freeze)
                    .chain(unreadable.into_iter().map(Blocker::UnreadableFreeze))
                    .collect();
                (blocking, FreezeCheck::Checked)
            };
            FreezesConsulted {
                blocking,
                check,
                recorded: recorded.freezes,
                unread: None,
            }
        }
        Some(Err(_)) if policy.ignore_freezes => FreezesConsulted::none_counted(FreezeCheck::Ignored {
            freezes: Vec::new(),
            unreadable: Vec::new(),
        }),
        Some(Err(unread)) => match policy.on_health_error {
            OnHealthError::FailClosed => FreezesConsulted {
                unread: Some(unread.to_string()),
                ..FreezesConsulted::none_counted(FreezeCheck::Checked)
            },
            OnHealthError::FailOpen => {
                FreezesConsulted::none_counted(FreezeCheck::Unavailable(unread.to_string()))
            }
        },
    }
}

/// The running conflicting executions, or the answer when the lock could not be checked.
fn lock_checked(
    running: Result<Vec<RunningExecution>, ConflictCheckError>,
) -> ControlFlow<GateOutcome, Vec<RunningExecution>> {
    match running {
        Ok(running) => ControlFlow::Continue(running),
        Err(error) => ControlFlow::Break(GateOutcome::ConflictCheckFailed(error)),
    }
}

/// A signal that cannot be read (the freezes, the alarms, the calendars) fails the decision closed (`alone`),
/// unless something else blocks it anyway (the failure then names what stage-retry resumes it
/// for) or a hold under way goes on: then it blocks beside them (`unread`), and is read again
/// next time.
fn unread_blocks(
    policy: &GatePolicy,
    unread: Blocker,
    alone: GateOutcome,
    blockers: &mut Vec<Blocker>,
    wait: Option<&WaitState>,
    now: i64,
) -> ControlFlow<GateOutcome> {
    let goes_on = wait.is_some_and(|wait| {
        policy.on_block == OnBlock::Wait
            && minutes_between(wait.since, now) < i64::from(policy.max_wait_minutes)
    });
    if blockers.is_empty() && !goes_on {
        return ControlFlow::Break(alone);
    }
    blockers.push(unread);
    ControlFlow::Continue(())
}

/// How the signals beside AWS Health were consulted, for a pass.
struct Checks {
    freezes: FreezeCheck,
    alarms: AlarmCheck,
    calendars: CalendarCheck,
}

/// Nothing blocks: the deploy passes, ending the hold it continues, with how long that lasted
/// and the freezes that were part of it.
fn passed(
    policy: &GatePolicy,
    health: HealthCheck,
    checks: Checks,
    recorded: Vec<Freeze>,
    wait: Option<WaitState>,
    now: i64,
) -> GateOutcome {
    let held_minutes = wait.as_ref().map(|wait| minutes_between(wait.since, now));
    let released_from = wait
        .map(|wait| {
            recorded
                .into_iter()
                .filter(|freeze| wait.held_by.contains(&freeze_key(&freeze.id)))
                .collect()
        })
        .unwrap_or_default();
    GateOutcome::Pass {
        scope: Scope::of(policy),
        held_minutes,
        health,
        freezes: checks.freezes,
        released_from,
        alarms: checks.alarms,
        calendars: checks.calendars,
    }
}

/// Blocked, and the policy waits: a hold begins or goes on, until it has lasted
/// `max_wait_minutes` and the gate gives up; one the next window, or a closed calendar's next
/// opening, would not end within `max_wait_minutes` fails at once (a calendar with no opening
/// scheduled never ends it by time).
fn held(
    policy: &GatePolicy,
    blockers: Vec<Blocker>,
    health: HealthCheck,
    window: Option<&Closed>,
    wait: Option<WaitState>,
    now: i64,
) -> GateOutcome {
    let max_wait_minutes = policy.max_wait_minutes;
    let since = wait.as_ref().map_or(now, |wait| wait.since);
    let hold_ends = since.saturating_add(i64::from(max_wait_minutes) * 60);
    let too_late = |opens_at: Option<i64>| opens_at.is_none_or(|opens_at| opens_at > hold_ends);
    let calendar_too_late = blockers.iter().any(|blocker| match blocker {
        Blocker::Calendar(calendar) => too_late(calendar.opens_at),
        _ => false,
    });
    if window.is_some_and(|closed| too_late(closed.opens_at)) || calendar_too_late {
        return GateOutcome::WindowTooFar {
            blockers,
            max_wait_minutes,
            health,
            at: now,
        };
    }
    match wait {
        Some(wait) => {
            let waited_minutes = minutes_between(wait.since, now);
            if waited_minutes >= i64::from(max_wait_minutes) {
                GateOutcome::GaveUp {
                    blockers,
                    waited_minutes,
                    max_wait_minutes,
                    health,
                    since: wait.since,
                }
            } else {
                GateOutcome::Hold {
                    wait,
                    blockers,
                    newly_held: false,
                    max_wait_minutes,
                    health,
                }
            }
        }
        None => {
            let held_by = blockers.iter().map(Blocker::key).collect();
            GateOutcome::Hold {
                wait: WaitState::new(now, held_by),
                blockers,
                newly_held: true,
                max_wait_minutes,
                health,
            }
        }
    }
}

/// Saturating: `since` comes from the continuation token, which can name any second.
fn minutes_between(since: i64, now: i64) -> i64 {
    now.saturating_sub(since).max(0) / 60
}
