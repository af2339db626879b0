//! Every answer the gate can give a job, and what each is made of: the blockers, what a pass
//! checked, how AWS Health, the freezes, the service's alarms and its Change Calendars were consulted; with what callers ask of an answer
//! (its label, its blockers, whether a person has to look). How an answer is reached is
//! `decide`'s; how it is reported and told, `wording`'s.

use super::policy::GatePolicy;
use super::token::WaitState;
use crate::alarm::AlarmReading;
use crate::calendar::ClosedCalendar;
use crate::freeze::{Freeze, UnreadableFreeze};
use crate::health::{HealthEvent, HealthSource};
use crate::hold::{HeldAlarm, HeldBy, HeldCalendar};
use crate::holder::Holder;
use crate::overrides::Override;
use crate::pipeline::{ConflictCheckError, RunningExecution};
use crate::schedule::Closed;

/// Something that keeps a deployment from starting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// An open AWS Health event the policy blocks on.
    HealthEvent(HealthEvent),
    /// A running execution of a pipeline named in `block_while_running`.
    RunningPipeline(RunningExecution),
    /// A freeze that covers the pipeline.
    Freeze(Freeze),
    /// A freeze's item that does not read, and might cover the pipeline: it holds until ended by
    /// hand, and a person has to look.
    UnreadableFreeze(UnreadableFreeze),
    /// No deployment window is open, or a blackout covers the moment.
    OutsideWindow(Closed),
    /// The freezes could not be read (why), and the policy fails closed: counted only beside
    /// other blockers or in a hold under way, which it must not end.
    FreezesUnread(String),
    /// A watched CloudWatch alarm in a blocking state.
    Alarm(AlarmReading),
    /// The service's alarms could not be read (why), and the policy fails closed: counted only
    /// beside other blockers or in a hold under way, which it must not end.
    AlarmsUnread(String),
    /// A watched Change Calendar that is closed.
    Calendar(ClosedCalendar),
    /// The Change Calendars could not be read (why), and the policy fails closed: counted only
    /// beside other blockers or in a hold under way, which it must not end.
    CalendarsUnread(String),
}

impl Blocker {
    /// What identifies it: the event ARN, the pipeline and execution, the freeze, or the window.
    pub(super) fn key(&self) -> String {
        match self {
            Self::HealthEvent(event) => event.arn.clone(),
            Self::RunningPipeline(execution) => format!(
                "pipeline {} execution {}",
                execution.pipeline, execution.execution_id
            ),
            Self::Freeze(freeze) => freeze_key(&freeze.id),
            Self::UnreadableFreeze(unreadable) => freeze_key(&unreadable.key),
            Self::OutsideWindow(_) => "deployment window".into(),
            Self::FreezesUnread(_) => "the freezes, unread".into(),
            Self::Alarm(alarm) => alarm.key(),
            Self::AlarmsUnread(_) => "the alarms, unread".into(),
            Self::Calendar(calendar) => calendar.key(),
            Self::CalendarsUnread(_) => "the calendars, unread".into(),
        }
    }

    /// What of it holds the stage until it ends by itself, for the hold marker: none for a
    /// running pipeline (stage-retry retries that failure as any other), freezes that could not
    /// be read, or a schedule that never opens.
    pub fn holder(&self) -> Option<Holder> {
        match self {
            Self::HealthEvent(event) => Some(Holder::HealthEvent(HeldBy {
                arn: event.arn.clone(),
                region: event.region.clone(),
                account: event.account.clone(),
            })),
            Self::Freeze(freeze) => Some(Holder::Freeze(freeze.id.clone())),
            Self::UnreadableFreeze(unreadable) => Some(Holder::Freeze(unreadable.key.clone())),
            Self::OutsideWindow(closed) => closed.opens_at.map(Holder::Schedule),
            Self::RunningPipeline(_)
            | Self::FreezesUnread(_)
            | Self::AlarmsUnread(_)
            | Self::CalendarsUnread(_) => None,
            Self::Alarm(alarm) => Some(Holder::Alarm(HeldAlarm {
                name: alarm.name.clone(),
                region: alarm.place.region.clone(),
                account: alarm.place.account.clone(),
            })),
            Self::Calendar(calendar) => Some(Holder::Calendar(HeldCalendar {
                name: calendar.name.clone(),
                region: calendar.place.region.clone(),
                account: calendar.place.account.clone(),
                opens_at: calendar.opens_at,
            })),
        }
    }
}

/// How a hold's continuation token names a freeze that held it.
pub(super) fn freeze_key(id: &str) -> String {
    format!("freeze {id}")
}

/// What a pass checked: the regions and services asked about and the pipelines that were not
/// running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The regions watched.
    pub regions: Vec<String>,
    /// The services watched; empty means every service.
    pub services: Vec<String>,
    /// The pipelines that must not be running.
    pub locks: Vec<String>,
    /// The accounts whose account-specific events were asked about.
    pub accounts: Vec<String>,
    /// Whether deployment windows or blackouts were checked.
    pub schedule: bool,
}

impl Scope {
    /// What `policy` checks.
    pub fn of(policy: &GatePolicy) -> Self {
        Self {
            regions: policy.regions.clone(),
            services: policy.services.clone(),
            locks: policy.block_while_running.clone(),
            accounts: policy.accounts.clone(),
            schedule: !policy.schedule.is_empty(),
        }
    }
}

/// How AWS Health was consulted for a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCheck {
    /// This source answered (`caveat`: why it and not the one the policy prefers).
    Asked {
        /// The source that answered.
        source: HealthSource,
        /// Why the gate asked this source rather than the one the policy prefers, when it did.
        caveat: Option<String>,
    },
    /// AWS Health could not be asked in full (the cause), and the policy fails open: only the
    /// events a source did answer with count.
    Unavailable(String),
}

impl HealthCheck {
    /// The output variable `health_source`: `api`, `events`, or `none`.
    pub fn source_name(&self) -> &'static str {
        match self {
            Self::Asked { source, .. } => source.as_str(),
            Self::Unavailable(_) => "none",
        }
    }
}

/// How freezes were consulted for a decision that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FreezeCheck {
    /// Read, and none holds the pipeline.
    Checked,
    /// Not read: there is no table to read them from.
    NoStore,
    /// Could not be read (the cause), and `on_health_error` is fail-open.
    Unavailable(String),
    /// The policy ignores freezes (`ignore_freezes`); these would have held the pipeline.
    Ignored {
        /// The freezes.
        freezes: Vec<Freeze>,
        /// The items that do not read as freezes.
        unreadable: Vec<UnreadableFreeze>,
    },
}

impl FreezeCheck {
    /// The output variable `freezes`: `checked`, `ignored`, `unavailable` or `not-checked`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Checked => "checked",
            Self::Ignored { .. } => "ignored",
            Self::Unavailable(_) => "unavailable",
            Self::NoStore => "not-checked",
        }
    }
}

/// How the service's own CloudWatch alarms were consulted for a decision that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmCheck {
    /// The policy watches no alarm.
    NotWatched,
    /// Asked, and none of these many watched alarms is in a blocking state.
    Checked(usize),
    /// The policy watches alarms that this caller does not ask CloudWatch about.
    NotAsked,
    /// CloudWatch could not be asked (the cause), and `on_health_error` is fail-open.
    Unavailable(String),
}

impl AlarmCheck {
    /// The output variable `alarms`: `checked`, `unavailable`, `not-asked` or `not-watched`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotWatched => "not-watched",
            Self::Checked(_) => "checked",
            Self::NotAsked => "not-asked",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// How the service's AWS Systems Manager Change Calendars were consulted for a decision that
/// passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarCheck {
    /// The policy watches no calendar.
    NotWatched,
    /// Asked, and all these many watched calendars are open.
    Checked(usize),
    /// The policy watches calendars that this caller does not ask SSM about.
    NotAsked,
    /// SSM could not be asked (the cause), and `on_health_error` is fail-open.
    Unavailable(String),
}

impl CalendarCheck {
    /// The output variable `calendars`: `checked`, `unavailable`, `not-asked` or `not-watched`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotWatched => "not-watched",
            Self::Checked(_) => "checked",
            Self::NotAsked => "not-asked",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// Every answer the gate gives a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateOutcome {
    /// Nothing blocks; `held_minutes` when this ends a hold.
    Pass {
        /// What was checked.
        scope: Scope,
        /// How long the deployment was held first, when this pass ends a hold.
        held_minutes: Option<i64>,
        /// How AWS Health was consulted.
        health: HealthCheck,
        /// How freezes were consulted.
        freezes: FreezeCheck,
        /// The freezes that held the deployment, when this pass ends a hold they were part of.
        released_from: Vec<Freeze>,
        /// How the service's own alarms were consulted.
        alarms: AlarmCheck,
        /// How the Change Calendars were consulted.
        calendars: CalendarCheck,
    },
    /// Blocked, and overrides in force for the pipeline cover everything that blocks it.
    PassOverridden {
        /// What the policy asked about.
        scope: Scope,
        /// The overrides used.
        overrides: Vec<Override>,
        /// What they passed over, as people read it.
        passed_over: Vec<String>,
        /// How many of those were AWS Health events.
        blocking_events: usize,
        /// Which source of AWS Health the blocked answer had: `api`, `events`, or `none`.
        health_source: &'static str,
        /// How the freezes were consulted, as the output variable `freezes` says it, or
        /// `overridden` when the overrides passed over them.
        freezes: &'static str,
        /// How the alarms were consulted, as the output variable `alarms` says it, or
        /// `overridden` when the overrides passed over them.
        alarms: &'static str,
        /// How the Change Calendars were consulted, as the output variable `calendars` says it,
        /// or `overridden` when the overrides passed over them.
        calendars: &'static str,
    },
    /// Blocked, and the policy fails the action.
    Blocked {
        /// What blocks it.
        blockers: Vec<Blocker>,
        /// How AWS Health was consulted.
        health: HealthCheck,
        /// When it was blocked (seconds since the Unix epoch).
        at: i64,
    },
    /// Outside the deployment window or held by a closed Change Calendar, and the hold would
    /// outlast `max_wait_minutes` before the next window or the calendar opens: the action fails
    /// now rather than waiting to fail.
    WindowTooFar {
        /// What blocks it, the window among them.
        blockers: Vec<Blocker>,
        /// The longest the hold may last.
        max_wait_minutes: u32,
        /// How AWS Health was consulted.
        health: HealthCheck,
        /// When it was blocked (seconds since the Unix epoch).
        at: i64,
    },
    /// Blocked, and the policy waits: hand CodePipeline this state to come back with.
    Hold {
        /// The hold, for the continuation token.
        wait: WaitState,
        /// What blocks it.
        blockers: Vec<Blocker>,
        /// Whether this job began the hold (people are told once).
        newly_held: bool,
        /// The longest the hold may last.
        max_wait_minutes: u32,
        /// How AWS Health was consulted.
        health: HealthCheck,
    },
    /// Blocked for longer than `max_wait_minutes`.
    GaveUp {
        /// What still blocks it.
        blockers: Vec<Blocker>,
        /// How long it was held.
        waited_minutes: i64,
        /// The longest the hold could last.
        max_wait_minutes: u32,
        /// How AWS Health was consulted.
        health: HealthCheck,
        /// When the hold began (seconds since the Unix epoch).
        since: i64,
    },
    /// A bake's answer after one poll (`bake_minutes`): baking on, baked, or failed.
    Bake(BakeOutcome),
    /// Health could not be asked and the policy fails closed.
    HealthUnavailable {
        /// What each source said.
        cause: String,
    },
    /// The freezes could not be read and the policy fails closed.
    FreezesUnavailable {
        /// Why, naming the table.
        cause: String,
    },
    /// CloudWatch could not say what the watched alarms are, and the policy fails closed.
    AlarmsUnavailable {
        /// Which call failed and why.
        cause: String,
    },
    /// SSM could not say what state the watched Change Calendars are in, and the policy fails
    /// closed.
    CalendarsUnavailable {
        /// Which call failed and why.
        cause: String,
    },
    /// The lock could not be checked.
    ConflictCheckFailed(ConflictCheckError),
    /// The job cannot be decided as configured: a bad setting, malformed job data, or a lock on
    /// the gate's own pipeline.
    Misconfigured(String),
    /// CodePipeline passed back a continuation token this gate did not write.
    UnreadableToken(String),
    /// AWS did not answer in time to decide before the invocation's deadline.
    OutOfTime {
        /// The time the gate had to decide.
        budget_secs: u64,
    },
    /// The gate itself failed (a panic) while deciding.
    Crashed(String),
}

impl GateOutcome {
    /// What keeps the deployment from starting (nothing, when it passes).
    pub fn blockers(&self) -> &[Blocker] {
        match self {
            Self::Blocked { blockers, .. }
            | Self::WindowTooFar { blockers, .. }
            | Self::Hold { blockers, .. }
            | Self::GaveUp { blockers, .. } => blockers,
            _ => &[],
        }
    }

    /// Which source of AWS Health decided: `api`, `events`, or `none`.
    pub fn health_source(&self) -> &'static str {
        match self {
            Self::Pass { health, .. }
            | Self::Blocked { health, .. }
            | Self::WindowTooFar { health, .. }
            | Self::Hold { health, .. }
            | Self::GaveUp { health, .. } => health.source_name(),
            Self::PassOverridden { health_source, .. } => health_source,
            Self::Bake(bake) => bake.health_source(),
            _ => "none",
        }
    }

    /// Whether the gate could not decide as asked (a setting, a token, AWS or the gate itself
    /// failed), or a freeze's item does not read, so that a person has to look, whatever the
    /// job's result says.
    pub fn needs_a_person(&self) -> bool {
        matches!(
            self,
            Self::Misconfigured(_)
                | Self::UnreadableToken(_)
                | Self::OutOfTime { .. }
                | Self::Crashed(_)
                | Self::HealthUnavailable { .. }
                | Self::FreezesUnavailable { .. }
                | Self::AlarmsUnavailable { .. }
                | Self::CalendarsUnavailable { .. }
                | Self::ConflictCheckFailed(_)
        ) || matches!(self, Self::Bake(bake) if bake.needs_a_person())
            || self.blocked_by(|blocker| {
                matches!(
                    blocker,
                    Blocker::FreezesUnread(_)
                        | Blocker::AlarmsUnread(_)
                        | Blocker::CalendarsUnread(_)
                        | Blocker::UnreadableFreeze(_)
                )
            })
    }

    /// Whether something `is` among what blocks (a signal that could not be read, a closed
    /// calendar).
    fn blocked_by(&self, is: impl Fn(&Blocker) -> bool) -> bool {
        self.blockers().iter().any(is)
    }

    /// One word for logs, metrics, the command line's JSON and the output variable `verdict`.
    pub fn label(&self) -> &'static str {
        // Counted as the freezes' (or the alarms') outage whatever else blocks, so that its
        // alarm sees it.
        if self.blocked_by(|blocker| matches!(blocker, Blocker::FreezesUnread(_))) {
            return "FREEZES_UNAVAILABLE";
        }
        if self.blocked_by(|blocker| matches!(blocker, Blocker::AlarmsUnread(_))) {
            return "ALARMS_UNAVAILABLE";
        }
        if self.blocked_by(|blocker| matches!(blocker, Blocker::CalendarsUnread(_))) {
            return "CALENDARS_UNAVAILABLE";
        }
        match self {
            Self::Pass {
                health: HealthCheck::Unavailable(_),
                ..
            } => "PASS_HEALTH_UNCHECKED",
            Self::Pass {
                freezes: FreezeCheck::Unavailable(_),
                ..
            } => "PASS_FREEZES_UNCHECKED",
            Self::Pass {
                alarms: AlarmCheck::Unavailable(_),
                ..
            } => "PASS_ALARMS_UNCHECKED",
            Self::Pass {
                calendars: CalendarCheck::Unavailable(_),
                ..
            } => "PASS_CALENDARS_UNCHECKED",
            Self::Pass {
                freezes: FreezeCheck::Ignored { freezes, unreadable },
                ..
            } if !freezes.is_empty() || !unreadable.is_empty() => "PASS_FREEZE_IGNORED",
            Self::Pass { .. } => "PASS",
            Self::PassOverridden { .. } => "PASS_OVERRIDDEN",
            Self::Bake(bake) => bake.label(),
            Self::Blocked { blockers, .. }
                if blockers
                    .iter()
                    .any(|blocker| matches!(blocker, Blocker::Freeze(_) | Blocker::UnreadableFreeze(_))) =>
            {
                "FROZEN"
            }
            Self::Blocked { blockers, .. }
                if blockers
                    .iter()
                    .any(|blocker| matches!(blocker, Blocker::Alarm(_))) =>
            {
                "ALARM"
            }
            Self::Blocked { .. } | Self::WindowTooFar { .. }
                if self.blocked_by(|blocker| matches!(blocker, Blocker::Calendar(_))) =>
            {
                "CALENDAR_CLOSED"
            }
            Self::Blocked { blockers, .. }
                if blockers
                    .iter()
                    .any(|blocker| matches!(blocker, Blocker::OutsideWindow(_))) =>
            {
                "OUTSIDE_WINDOW"
            }
            Self::WindowTooFar { .. } => "OUTSIDE_WINDOW",
            Self::Blocked { .. } => "BLOCKED",
            Self::Hold { .. } => "HOLD",
            Self::GaveUp { .. } => "GAVE_UP",
            Self::HealthUnavailable { .. } => "HEALTH_UNAVAILABLE",
            Self::FreezesUnavailable { .. } => "FREEZES_UNAVAILABLE",
            Self::AlarmsUnavailable { .. } => "ALARMS_UNAVAILABLE",
            Self::CalendarsUnavailable { .. } => "CALENDARS_UNAVAILABLE",
            Self::ConflictCheckFailed(_) => "LOCK_UNCHECKED",
            Self::Misconfigured(_) => "MISCONFIGURED",
            Self::UnreadableToken(_) => "UNREADABLE_TOKEN",
            Self::OutOfTime { .. } => "OUT_OF_TIME",
            Self::Crashed(_) => "CRASHED",
        }
    }
}

/// The verdict, and the first word of a failed bake's message: what apply-rollback's default
/// criterion looks for in the failed gate action's error message.
pub const BAKE_FAILED: &str = "BAKE_FAILED";

/// Where a bake stands after one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BakeOutcome {
    /// Not yet baked long enough, and nothing fired (or a signal could not be read this time):
    /// CodePipeline is handed the token to poll again with.
    Baking {
        /// The bake, for the continuation token.
        state: WaitState,
        /// Minutes since the bake began.
        baked_minutes: i64,
        /// How long it must stay clear.
        bake_minutes: u32,
        /// This poll's answer on the signals: a pass (on an override, perhaps), or why a signal
        /// could not be read.
        poll: Box<GateOutcome>,
    },
    /// Clear for `bake_minutes`: the action succeeds.
    Baked {
        /// Minutes since the bake began.
        baked_minutes: i64,
        /// How long it had to stay clear.
        bake_minutes: u32,
        /// The last poll's pass.
        poll: Box<GateOutcome>,
    },
    /// Not baked: the job runs in a rollback execution, which returns the stage to a revision
    /// that passed its own bake. Its bake would only see what the failed deploy set off, and a
    /// failed rollback is never rolled back again, so failing it would only leave the stage
    /// failed.
    NotBaked {
        /// The rollback execution.
        rollback: String,
    },
    /// A signal fired during the bake: the action fails with `BAKE_FAILED`.
    Failed {
        /// What fired.
        fired: Vec<Blocker>,
        /// When the bake saw it (seconds since the Unix epoch).
        at: i64,
        /// Minutes since the bake began.
        baked_minutes: i64,
        /// How long it had to stay clear.
        bake_minutes: u32,
        /// How AWS Health was consulted.
        health: HealthCheck,
    },
}

impl BakeOutcome {
    /// One word for logs, metrics and the output variable `verdict`: `BAKING`, the last poll's
    /// pass (`PASS`, `PASS_OVERRIDDEN`, `PASS_ALARMS_UNCHECKED`, ...), or `BAKE_FAILED`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Baking { .. } => "BAKING",
            Self::Baked { poll, .. } => poll.label(),
            Self::NotBaked { .. } => "PASS_ROLLBACK_NOT_BAKED",
            Self::Failed { .. } => BAKE_FAILED,
        }
    }

    /// Which source of AWS Health the poll had: `api`, `events`, or `none`.
    pub fn health_source(&self) -> &'static str {
        match self {
            Self::Baking { poll, .. } | Self::Baked { poll, .. } => poll.health_source(),
            Self::Failed { health, .. } => health.source_name(),
            Self::NotBaked { .. } => "none",
        }
    }

    /// Whether a person has to look: a signal could not be read at this poll.
    pub fn needs_a_person(&self) -> bool {
        matches!(self, Self::Baking { poll, .. } if poll.needs_a_person())
    }
}
