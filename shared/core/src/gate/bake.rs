//! The bake (`bake_minutes`): the gate placed after the deploy action in the same stage watches
//! the deployed change, and passes once its signals stayed clear for `bake_minutes` from the
//! action's start, or fails as soon as one fires (`BAKE_FAILED`, which apply-rollback rolls the
//! stage back on). It outlasts one invocation with CodePipeline's continuation token: each poll
//! is a new job, the bake's start rides in the token.
//!
//! A bake never holds: freezes, deployment windows and conflicting pipelines are about whether a
//! deploy may *start*, and this one already happened, so they are not looked at. Its signals are
//! the service's alarms and AWS Health for its regions and accounts, decided by the gate's own
//! `decide` over a policy stripped to them (`signals`).

use super::decide::{Observations, decide};
use super::outcome::{Blocker, GateOutcome, HealthCheck};
use super::policy::{GatePolicy, OnBlock, OnHealthError};
use super::token::WaitState;
use super::wording::{describe_scope, headline, listing};
use crate::health::HealthReport;
use crate::job::{FailureKind, JobResult};
use crate::notice::Notice;
use crate::overrides::OverrideKind;
use crate::schedule::{Schedule, describe_time};
use crate::text::printable;

/// The verdict, and the first word of a failed bake's message: what apply-rollback's default
/// criterion looks for in the failed gate action's error message.
pub const BAKE_FAILED: &str = "BAKE_FAILED";

/// How long past its end a bake goes on polling while a signal cannot be read, before it fails
/// with that signal's unavailable verdict (not `BAKE_FAILED`: the deploy is not known to be bad,
/// so it is not rolled back).
pub const UNREAD_GRACE_MINUTES: i64 = 15;

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

/// The policy a bake's signals are decided with: the action's, without what only keeps a deploy
/// from starting (freezes, windows and blackouts, conflicting pipelines), failing rather than
/// holding. Every other signal of the policy is kept: a signal added to the gate (Change
/// Calendars) joins the bake here, by being left in.
pub fn signals(policy: &GatePolicy) -> GatePolicy {
    GatePolicy {
        on_block: OnBlock::Fail,
        block_while_running: Vec::new(),
        schedule: Schedule::default(),
        ignore_freezes: true,
        ..policy.clone()
    }
}

/// What the bake looks at of what was observed: no freezes, no running pipelines, no hold.
pub fn observed(observations: Observations) -> Observations {
    Observations {
        freezes: None,
        running: Ok(Vec::new()),
        wait: None,
        ..observations
    }
}

/// One poll's answer on the bake's signals (`signals`, `observed`). When AWS Health cannot be
/// asked and the policy fails closed, the other signals are still looked at: an alarm that fires
/// fails the bake even while Health is out.
pub fn poll(policy: &GatePolicy, observations: Observations) -> GateOutcome {
    let (policy, observations) = (signals(policy), observed(observations));
    let outcome = decide(&policy, observations.clone());
    match (&outcome, &observations.health) {
        (GateOutcome::HealthUnavailable { .. }, Err(unavailable))
            if policy.on_health_error == OnHealthError::FailClosed =>
        {
            let known = Observations {
                health: Ok(HealthReport {
                    source: crate::health::HealthSource::Api,
                    caveat: None,
                    events: unavailable.known.clone(),
                }),
                ..observations
            };
            let others = decide(&policy, known);
            if others.blockers().is_empty() {
                outcome
            } else {
                others
            }
        }
        _ => outcome,
    }
}

/// The bake's answer after a poll (`poll`, with the overrides in force applied) at `now`: the
/// bake `state` continues (or begins, on the first invocation). Anything that fired fails it at
/// once; a pass continues it until `bake_minutes` have passed since it began, then passes; a
/// signal that could not be read continues it, read again at the next poll (a short outage does
/// not roll a good deploy back, and an unread signal never lets it pass), until
/// `UNREAD_GRACE_MINUTES` past its end, when that outage is the answer. Any other answer (a
/// configuration error) stands as it is.
pub fn judge(
    policy: &GatePolicy,
    bake_minutes: u32,
    state: Option<WaitState>,
    poll: GateOutcome,
    now: i64,
) -> GateOutcome {
    let state = state.unwrap_or_else(|| WaitState::bake(now));
    let poll = unread_beside_override(policy, poll);
    let baked_minutes = now.saturating_sub(state.since).max(0) / 60;
    let due = i64::from(bake_minutes);
    let bake = match poll {
        GateOutcome::Pass { .. } | GateOutcome::PassOverridden { .. } if baked_minutes >= due => {
            BakeOutcome::Baked {
                baked_minutes,
                bake_minutes,
                poll: Box::new(poll),
            }
        }
        GateOutcome::Pass { .. } | GateOutcome::PassOverridden { .. } => BakeOutcome::Baking {
            state,
            baked_minutes,
            bake_minutes,
            poll: Box::new(poll),
        },
        GateOutcome::HealthUnavailable { .. } | GateOutcome::AlarmsUnavailable { .. }
            if baked_minutes < due.saturating_add(UNREAD_GRACE_MINUTES) =>
        {
            BakeOutcome::Baking {
                state,
                baked_minutes,
                bake_minutes,
                poll: Box::new(poll),
            }
        }
        GateOutcome::Blocked { blockers, health, at } => BakeOutcome::Failed {
            fired: blockers,
            at,
            baked_minutes,
            bake_minutes,
            health,
        },
        other => return other,
    };
    GateOutcome::Bake(bake)
}

/// The bake's answer for a job that runs in the rollback execution `rollback` (asked on the
/// bake's first poll only): it passes at once, not baked.
pub fn rollback_not_baked(rollback: String) -> GateOutcome {
    GateOutcome::Bake(BakeOutcome::NotBaked { rollback })
}

/// A pass on an override that does not cover AWS Health, reached while AWS Health could not be
/// asked and the policy fails closed (the override passed over an alarm that fired meanwhile),
/// is not a clear poll: it is AWS Health unavailable, so the bake goes on and reads it again.
fn unread_beside_override(policy: &GatePolicy, poll: GateOutcome) -> GateOutcome {
    match &poll {
        GateOutcome::PassOverridden {
            overrides,
            health_source: "none",
            ..
        } if policy.on_health_error == OnHealthError::FailClosed
            && !overrides
                .iter()
                .any(|granted| granted.kinds.contains(&OverrideKind::Health)) =>
        {
            GateOutcome::HealthUnavailable {
                cause: "AWS Health could not be asked while an override passed over the rest".into(),
            }
        }
        _ => poll,
    }
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

/// What the poll said about the signals, for a summary.
fn signals_clause(poll: &GateOutcome) -> String {
    match poll {
        GateOutcome::Pass {
            scope,
            health,
            alarms,
            ..
        } => {
            let health = match health {
                HealthCheck::Asked { .. } => {
                    format!("no blocking AWS Health event in {}", describe_scope(scope))
                }
                HealthCheck::Unavailable(cause) => format!(
                    "AWS Health could not be asked ({}) and on_health_error is fail-open",
                    printable(cause)
                ),
            };
            match alarms.describe() {
                Some(alarms) => format!("alarms clear: {alarms}; {health}"),
                None => health,
            }
        }
        GateOutcome::PassOverridden { .. } => super::wording::render(poll).text().to_owned(),
        unread => format!(
            "a signal could not be read at this poll, so it is read again at the next (the bake passes only on a poll that reads every signal): {}",
            super::wording::render(unread).text()
        ),
    }
}

/// What fired, by name, for the first line of a failed bake's message (which apply-rollback's
/// notice quotes): `CloudWatch alarm web-5xx (us-east-1)`, `AWS Health AWS_EC2_OPERATIONAL_ISSUE
/// (us-east-1)`; each in full on the lines after it.
fn named(fired: &[Blocker]) -> String {
    fired
        .iter()
        .map(|blocker| match blocker {
            Blocker::Alarm(alarm) => format!(
                "CloudWatch alarm {} ({})",
                printable(&alarm.name),
                printable(&alarm.place.region)
            ),
            Blocker::HealthEvent(event) => format!(
                "AWS Health {} ({})",
                printable(&event.event_type_code),
                printable(&event.region)
            ),
            other => headline(std::slice::from_ref(other)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The job result for a bake's answer.
pub(super) fn render(bake: &BakeOutcome) -> JobResult {
    match bake {
        BakeOutcome::Baking {
            state,
            baked_minutes,
            bake_minutes,
            poll,
        } => JobResult::in_progress(
            &format!(
                "Baking the deploy: baked {baked_minutes} of {bake_minutes} minutes; {}.",
                signals_clause(poll)
            ),
            state.encode(),
        ),
        BakeOutcome::Baked {
            baked_minutes,
            bake_minutes,
            poll,
        } => {
            let mut variables = match super::wording::render(poll) {
                JobResult::Success { output_variables, .. } => output_variables,
                _ => Vec::new(),
            };
            variables.push(("baked_minutes".into(), baked_minutes.to_string()));
            JobResult::success(
                &format!(
                    "Baked {baked_minutes} of {bake_minutes} minutes; {}.",
                    signals_clause(poll)
                ),
                variables,
            )
        }
        BakeOutcome::NotBaked { rollback } => JobResult::success(
            &format!(
                "Not baked: execution {} is a rollback, which returns the stage to a revision that passed its own bake (a failed rollback is never rolled back again).",
                printable(rollback)
            ),
            vec![
                ("verdict".into(), bake.label().into()),
                ("baked_minutes".into(), "0".into()),
            ],
        ),
        BakeOutcome::Failed {
            fired,
            at,
            baked_minutes,
            bake_minutes,
            health,
        } => JobResult::failure(
            FailureKind::JobFailed,
            &format!(
                "{BAKE_FAILED}: {} fired during the bake, seen at {} after {baked_minutes} of {bake_minutes} minutes:\n{}\n{}",
                named(fired),
                describe_time(*at),
                listing(fired),
                health.describe()
            ),
        ),
    }
}

/// The message for people: a bake that failed, or one that passed on an override (break glass).
pub(super) fn notice(bake: &BakeOutcome, pipeline: &str) -> Option<Notice> {
    match bake {
        BakeOutcome::Failed {
            fired,
            at,
            baked_minutes,
            bake_minutes,
            health,
        } => Some(
            Notice::new(
                &format!("pipeguard: {pipeline} bake failed"),
                &format!(
                    "The bake of the deploy of pipeline {pipeline} failed at {} after {baked_minutes} of {bake_minutes} minutes: {} fired:\n{}\n{}",
                    describe_time(*at),
                    headline(fired),
                    listing(fired),
                    health.describe()
                ),
            )
            .with_next_steps(&[
                "apply-rollback rolls the stage back to its last good execution when it manages the stage (it tells this topic); otherwise roll it back by hand.",
            ]),
        ),
        BakeOutcome::Baked { poll, .. } => super::wording::notice(poll, pipeline),
        BakeOutcome::Baking { .. } | BakeOutcome::NotBaked { .. } => None,
    }
}

#[cfg(test)]
#[path = "bake_tests.rs"]
mod tests;
