//! The wording of a bake's answers: its job result and its notice, each over the wording of
//! the poll it carries.

use super::{describe_scope, headline, listing, notice as poll_notice, render as poll_render};
use crate::gate::outcome::{BAKE_FAILED, BakeOutcome, Blocker, GateOutcome, HealthCheck};
use crate::job::{FailureKind, JobResult};
use crate::notice::Notice;
use crate::schedule::describe_time;
use crate::text::printable;

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
        GateOutcome::PassOverridden { .. } => poll_render(poll).text().to_owned(),
        unread => format!(
            "a signal could not be read at this poll, so it is read again at the next (the bake passes only on a poll that reads every signal): {}",
            poll_render(unread).text()
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
pub(in crate::gate) fn render(bake: &BakeOutcome) -> JobResult {
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
            let mut variables = match poll_render(poll) {
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
pub(in crate::gate) fn notice(bake: &BakeOutcome, pipeline: &str) -> Option<Notice> {
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
        BakeOutcome::Baked { poll, .. } => poll_notice(poll, pipeline),
        BakeOutcome::Baking { .. } | BakeOutcome::NotBaked { .. } => None,
    }
}
