//! Every answer the gate can give a job: a pure function from what was observed to the outcome.
//! How each outcome is reported and told is `wording`'s.

use super::policy::{GateDefaults, GatePolicy, OnBlock, OnHealthError};
use super::token::WaitState;
use crate::config::{SettingError, listed_or_all};
use crate::freeze::{Freeze, FreezesUnread, RecordedFreezes, UnreadableFreeze, holding};
use crate::health::{HealthEvent, HealthReport, HealthSource, HealthUnavailable};
use crate::job::JobEvent;
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
}

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
    /// The hold this job continues, if CodePipeline passed a continuation token back.
    pub wait: Option<WaitState>,
    /// The job's own pipeline, when it was asked for.
    pub pipeline: Option<String>,
    /// Seconds since the Unix epoch.
    pub now: i64,
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
    /// Outside the deployment window, and the hold would outlast `max_wait_minutes` before the
    /// next window opens: the action fails now rather than waiting to fail.
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
    let wait = job
        .continuation_token
        .as_deref()
        .map(WaitState::decode)
        .transpose()
        .map_err(|error| GateOutcome::UnreadableToken(error.to_string()))?;
    Ok((policy, wait))
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
        && listed_or_all(&policy.services, &event.service)
        && policy.categories.contains(&event.category)
        && policy.statuses.contains(&event.status)
        && !policy.ignore_event_types.contains(&event.event_type_code)
}

/// May this deploy start now? A policy that locks the gate's own pipeline is a configuration
/// error. AWS Health or freezes that could not be read block (fail-closed) or are passed over
/// (fail-open: but for the events one source did answer with, which block as ever); a lock that
/// could not be checked fails. Then every observed event the policy blocks on, every freeze
/// that holds the pipeline (unless the policy ignores freezes), every running conflicting
/// execution and a closed deployment window is a blocker: with none, the deploy passes (and a
/// hold it continues ends, with how long it lasted); with some, the action fails (`on_block:
/// fail`) or is held (`wait`), until the hold has lasted `max_wait_minutes` and the gate gives
/// up. A hold the next window would not end within `max_wait_minutes` fails at once.
pub fn decide(policy: &GatePolicy, observations: Observations) -> GateOutcome {
    if let Some(own) = &observations.pipeline
        && policy.block_while_running.contains(own)
    {
        return GateOutcome::Misconfigured(format!(
            "block_while_running names this pipeline itself ({own}), which is always running while its gate runs"
        ));
    }
    let (events, health) = match observations.health {
        Ok(report) => (
            report.events,
            HealthCheck::Asked {
                source: report.source,
                caveat: report.caveat,
            },
        ),
        Err(unavailable) => match policy.on_health_error {
            OnHealthError::FailClosed => {
                return GateOutcome::HealthUnavailable {
                    cause: unavailable.to_string(),
                };
            }
            OnHealthError::FailOpen => {
                let cause = unavailable.to_string();
                (unavailable.known, HealthCheck::Unavailable(cause))
            }
        },
    };
    let pipeline = observations.pipeline.as_deref();
    let now = observations.now;
    let mut unread_fail_closed = None;
    let (freezes, freeze_check, recorded) = match observations.freezes {
        None => (Vec::new(), FreezeCheck::NoStore, Vec::new()),
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
            if policy.ignore_freezes {
                let ignored = FreezeCheck::Ignored {
                    freezes: holding,
                    unreadable,
                };
                (Vec::new(), ignored, recorded.freezes)
            } else {
                let blocking = holding
                    .into_iter()
                    .map(Blocker::Freeze)
                    .chain(unreadable.into_iter().map(Blocker::UnreadableFreeze))
                    .collect();
                (blocking, FreezeCheck::Checked, recorded.freezes)
            }
        }
        Some(Err(_)) if policy.ignore_freezes => {
            let ignored = FreezeCheck::Ignored {
                freezes: Vec::new(),
                unreadable: Vec::new(),
            };
            (Vec::new(), ignored, Vec::new())
        }
        Some(Err(unread)) => match policy.on_health_error {
            OnHealthError::FailClosed => {
                unread_fail_closed = Some(unread.to_string());
                (Vec::new(), FreezeCheck::Checked, Vec::new())
            }
            OnHealthError::FailOpen => (
                Vec::new(),
                FreezeCheck::Unavailable(unread.to_string()),
                Vec::new(),
            ),
        },
    };
    let running = match observations.running {
        Ok(running) => running,
        Err(error) => return GateOutcome::ConflictCheckFailed(error),
    };
    let window = policy.schedule.closed_at(now);
    let mut blockers: Vec<Blocker> = events
        .into_iter()
        .filter(|event| blocks(policy, event))
        .map(Blocker::HealthEvent)
        .chain(freezes)
        .chain(running.into_iter().map(Blocker::RunningPipeline))
        .chain(window.clone().map(Blocker::OutsideWindow))
        .collect();
    // Freezes that cannot be read fail the decision closed, unless something else blocks it
    // anyway (the failure then names what stage-retry resumes it for) or a hold under way goes
    // on: then they block beside it, and are read again next time.
    if let Some(cause) = unread_fail_closed {
        let goes_on = observations.wait.as_ref().is_some_and(|wait| {
            policy.on_block == OnBlock::Wait
                && minutes_between(wait.since, now) < i64::from(policy.max_wait_minutes)
        });
        if blockers.is_empty() && !goes_on {
            return GateOutcome::FreezesUnavailable { cause };
        }
        blockers.push(Blocker::FreezesUnread(cause));
    }
    if blockers.is_empty() {
        let held_minutes = observations
            .wait
            .as_ref()
            .map(|wait| minutes_between(wait.since, now));
        let released_from = observations
            .wait
            .map(|wait| {
                recorded
                    .into_iter()
                    .filter(|freeze| wait.held_by.contains(&freeze_key(&freeze.id)))
                    .collect()
            })
            .unwrap_or_default();
        return GateOutcome::Pass {
            scope: Scope::of(policy),
            held_minutes,
            health,
            freezes: freeze_check,
            released_from,
        };
    }
    if policy.on_block == OnBlock::Fail {
        return GateOutcome::Blocked {
            blockers,
            health,
            at: now,
        };
    }
    let max_wait_minutes = policy.max_wait_minutes;
    let since = observations.wait.as_ref().map_or(now, |wait| wait.since);
    let hold_ends = since.saturating_add(i64::from(max_wait_minutes) * 60);
    if let Some(closed) = &window
        && closed.opens_at.is_none_or(|opens_at| opens_at > hold_ends)
    {
        return GateOutcome::WindowTooFar {
            blockers,
            max_wait_minutes,
            health,
            at: now,
        };
    }
    match observations.wait {
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

/// How a hold's continuation token names a freeze that held it.
fn freeze_key(id: &str) -> String {
    format!("freeze {id}")
}

/// Saturating: `since` comes from the continuation token, which can name any second.
fn minutes_between(since: i64, now: i64) -> i64 {
    now.saturating_sub(since).max(0) / 60
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
                | Self::ConflictCheckFailed(_)
        ) || self.freezes_unread()
            || self
                .blockers()
                .iter()
                .any(|blocker| matches!(blocker, Blocker::UnreadableFreeze(_)))
    }

    /// Whether the freezes could not be read, and block beside what else does.
    fn freezes_unread(&self) -> bool {
        self.blockers()
            .iter()
            .any(|blocker| matches!(blocker, Blocker::FreezesUnread(_)))
    }

    /// One word for logs, metrics, the command line's JSON and the output variable `verdict`.
    pub fn label(&self) -> &'static str {
        // Counted as the freezes' outage whatever else blocks, so that its alarm sees it.
        if self.freezes_unread() {
            return "FREEZES_UNAVAILABLE";
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
                freezes: FreezeCheck::Ignored { freezes, unreadable },
                ..
            } if !freezes.is_empty() || !unreadable.is_empty() => "PASS_FREEZE_IGNORED",
            Self::Pass { .. } => "PASS",
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
            Self::ConflictCheckFailed(_) => "LOCK_UNCHECKED",
            Self::Misconfigured(_) => "MISCONFIGURED",
            Self::UnreadableToken(_) => "UNREADABLE_TOKEN",
            Self::OutOfTime { .. } => "OUT_OF_TIME",
            Self::Crashed(_) => "CRASHED",
        }
    }
}

impl Blocker {
    /// What identifies it: the event ARN, the pipeline and execution, the freeze, or the window.
    fn key(&self) -> String {
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
        }
    }
}
