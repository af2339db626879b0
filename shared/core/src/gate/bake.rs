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
use super::outcome::{BakeOutcome, GateOutcome};
use super::policy::{GatePolicy, OnBlock, OnHealthError, UNREAD_GRACE_MINUTES};
use super::token::WaitState;
use crate::health::HealthReport;
use crate::overrides::OverrideKind;
use crate::schedule::Schedule;

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
        GateOutcome::HealthUnavailable { .. }
        | GateOutcome::AlarmsUnavailable { .. }
        | GateOutcome::CalendarsUnavailable { .. }
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

#[cfg(test)]
#[path = "bake_tests.rs"]
mod tests;
