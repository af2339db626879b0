//! The gate's decision and how it is reported: pure functions from what was observed to the
//! job result and the notification.

use super::policy::{GatePolicy, OnBlock, OnHealthError};
use super::token::WaitState;
use crate::conflicts::{ConflictCheckError, RunningExecution};
use crate::health::{HealthEvent, HealthUnavailable};
use crate::job::{FailureKind, JobResult};
use crate::notify::Notice;
use aws_sdk_health::primitives::{DateTime, DateTimeFormat};

/// Something that keeps a deployment from starting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    HealthEvent(HealthEvent),
    RunningPipeline(RunningExecution),
}

/// What the gate observed for one job.
#[derive(Debug, Clone)]
pub struct Observations {
    pub health: Result<Vec<HealthEvent>, HealthUnavailable>,
    /// Empty when the policy names no conflicting pipeline.
    pub running: Result<Vec<RunningExecution>, ConflictCheckError>,
    /// The hold this job continues, if CodePipeline passed a continuation token back.
    pub wait: Option<WaitState>,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateOutcome {
    /// Nothing blocks. `health_unchecked` holds the cause when Health could not be asked and
    /// the policy fails open; `held_minutes` when this ends a hold.
    Pass {
        held_minutes: Option<i64>,
        health_unchecked: Option<String>,
    },
    /// Blocked, and the policy fails the action.
    Blocked { blockers: Vec<Blocker> },
    /// Blocked, and the policy waits: hand CodePipeline this state to come back with.
    Hold {
        wait: WaitState,
        blockers: Vec<Blocker>,
        newly_held: bool,
    },
    /// Blocked for longer than `max_wait_minutes`.
    GaveUp {
        blockers: Vec<Blocker>,
        waited_minutes: i64,
    },
    /// Health could not be asked and the policy fails closed.
    HealthUnavailable { cause: String },
    /// The lock could not be checked.
    ConflictCheckFailed(ConflictCheckError),
}

/// Whether a Health event is one the policy blocks on. The query already filters, but this
/// is the rule itself; ignored event types can only be dropped here.
fn blocks(policy: &GatePolicy, event: &HealthEvent) -> bool {
    policy.regions.contains(&event.region)
        && (policy.services.is_empty() || policy.services.contains(&event.service))
        && policy
            .categories
            .iter()
            .any(|category| category.as_str() == event.category)
        && policy
            .statuses
            .iter()
            .any(|status| status.as_str() == event.status)
        && !policy.ignore_event_types.contains(&event.event_type_code)
}

pub fn decide(policy: &GatePolicy, observations: Observations) -> GateOutcome {
    let (events, health_unchecked) = match observations.health {
        Ok(events) => (events, None),
        Err(unavailable) => match policy.on_health_error {
            OnHealthError::FailClosed => {
                return GateOutcome::HealthUnavailable {
                    cause: unavailable.to_string(),
                };
            }
            OnHealthError::FailOpen => (Vec::new(), Some(unavailable.to_string())),
        },
    };
    let running = match observations.running {
        Ok(running) => running,
        Err(error) => return GateOutcome::ConflictCheckFailed(error),
    };
    let blockers: Vec<Blocker> = events
        .into_iter()
        .filter(|event| blocks(policy, event))
        .map(Blocker::HealthEvent)
        .chain(running.into_iter().map(Blocker::RunningPipeline))
        .collect();
    if blockers.is_empty() {
        let held_minutes = observations
            .wait
            .map(|wait| minutes_between(wait.since, observations.now));
        return GateOutcome::Pass {
            held_minutes,
            health_unchecked,
        };
    }
    if policy.on_block == OnBlock::Fail {
        return GateOutcome::Blocked { blockers };
    }
    match observations.wait {
        Some(wait) => {
            let waited_minutes = minutes_between(wait.since, observations.now);
            if waited_minutes >= i64::from(policy.max_wait_minutes) {
                GateOutcome::GaveUp {
                    blockers,
                    waited_minutes,
                }
            } else {
                GateOutcome::Hold {
                    wait,
                    blockers,
                    newly_held: false,
                }
            }
        }
        None => {
            let held_by = blockers.iter().map(Blocker::key).collect();
            GateOutcome::Hold {
                wait: WaitState::new(observations.now, held_by),
                blockers,
                newly_held: true,
            }
        }
    }
}

fn minutes_between(since: i64, now: i64) -> i64 {
    (now - since).max(0) / 60
}

impl Blocker {
    /// What identifies it: the event ARN, or the pipeline and execution.
    fn key(&self) -> String {
        match self {
            Self::HealthEvent(event) => event.arn.clone(),
            Self::RunningPipeline(execution) => format!(
                "pipeline {} execution {}",
                execution.pipeline, execution.execution_id
            ),
        }
    }

    /// One line a person can act on.
    pub fn describe(&self) -> String {
        match self {
            Self::HealthEvent(event) => {
                let since = event
                    .start_time
                    .and_then(|secs| DateTime::from_secs(secs).fmt(DateTimeFormat::DateTime).ok())
                    .unwrap_or_else(|| "an unknown time".into());
                format!(
                    "AWS Health {status} {category}: {service} in {region}, {code}, since {since} ({arn})",
                    status = event.status,
                    category = event.category,
                    service = event.service,
                    region = event.region,
                    code = event.event_type_code,
                    arn = event.arn,
                )
            }
            Self::RunningPipeline(execution) => format!(
                "pipeline {} is running (execution {}, {})",
                execution.pipeline, execution.execution_id, execution.status
            ),
        }
    }
}

fn count_of(blockers: &[Blocker]) -> (usize, usize) {
    let events = blockers
        .iter()
        .filter(|blocker| matches!(blocker, Blocker::HealthEvent(_)))
        .count();
    (events, blockers.len() - events)
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn headline(blockers: &[Blocker]) -> String {
    let (events, pipelines) = count_of(blockers);
    let mut parts = Vec::new();
    if events > 0 {
        parts.push(plural(events, "AWS Health event", "AWS Health events"));
    }
    if pipelines > 0 {
        parts.push(plural(
            pipelines,
            "running conflicting pipeline execution",
            "running conflicting pipeline executions",
        ));
    }
    parts.join(" and ")
}

fn listing(blockers: &[Blocker]) -> String {
    blockers
        .iter()
        .map(|blocker| format!("- {}", blocker.describe()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn scope(policy: &GatePolicy) -> String {
    let services = if policy.services.is_empty() {
        "all services".to_owned()
    } else {
        policy.services.join(", ")
    };
    format!("{} ({services})", policy.regions.join(", "))
}

/// The job result for an outcome.
pub fn render(policy: &GatePolicy, outcome: &GateOutcome) -> JobResult {
    match outcome {
        GateOutcome::Pass {
            held_minutes,
            health_unchecked,
        } => {
            let mut summary = match health_unchecked {
                None => format!("No blocking AWS Health event in {}", scope(policy)),
                Some(cause) => format!(
                    "AWS Health could not be asked ({cause}); passing because on_health_error is fail-open"
                ),
            };
            if !policy.block_while_running.is_empty() {
                summary.push_str(&format!(
                    "; none of {} is running",
                    policy.block_while_running.join(", ")
                ));
            }
            summary.push('.');
            let verdict = if health_unchecked.is_some() {
                "PASS_HEALTH_UNCHECKED"
            } else {
                "PASS"
            };
            if let Some(minutes) = held_minutes {
                summary.push_str(&format!(
                    " Released after holding the deployment for {minutes} minutes."
                ));
            }
            JobResult::success(
                &summary,
                vec![
                    ("verdict".into(), verdict.into()),
                    ("blocking_events".into(), "0".into()),
                    ("regions_checked".into(), policy.regions.join(",")),
                    ("held_minutes".into(), held_minutes.unwrap_or(0).to_string()),
                ],
            )
        }
        GateOutcome::Blocked { blockers } => JobResult::failure(
            FailureKind::JobFailed,
            &format!(
                "Deployment blocked by {}:\n{}",
                headline(blockers),
                listing(blockers)
            ),
        ),
        GateOutcome::Hold { wait, blockers, .. } => JobResult::in_progress(
            &format!(
                "Holding the deployment (up to {} minutes) until these clear: {}",
                policy.max_wait_minutes,
                blockers
                    .iter()
                    .map(Blocker::describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            wait.encode(),
        ),
        GateOutcome::GaveUp {
            blockers,
            waited_minutes,
        } => JobResult::failure(
            FailureKind::JobFailed,
            &format!(
                "Held the deployment for {waited_minutes} minutes (max_wait_minutes = {}) and it is still blocked by {}:\n{}",
                policy.max_wait_minutes,
                headline(blockers),
                listing(blockers)
            ),
        ),
        GateOutcome::HealthUnavailable { cause } => JobResult::failure(
            FailureKind::SystemUnavailable,
            &format!(
                "AWS Health could not be asked, so the deployment is blocked (on_health_error = fail-closed): {cause}. \
                 Set on_health_error to fail-open to deploy without the check when Health is unavailable."
            ),
        ),
        GateOutcome::ConflictCheckFailed(
            error @ (ConflictCheckError::PipelineNotFound(_) | ConflictCheckError::NotPermitted(_)),
        ) => JobResult::failure(FailureKind::ConfigurationError, &error.to_string()),
        GateOutcome::ConflictCheckFailed(error) => {
            JobResult::failure(FailureKind::SystemUnavailable, &error.to_string())
        }
    }
}

/// The message for people, when the outcome is worth one: a deployment blocked, held, given up
/// on, or released after a hold. Re-checks during a hold send nothing.
pub fn notice(policy: &GatePolicy, outcome: &GateOutcome, pipeline: &str) -> Option<Notice> {
    match outcome {
        GateOutcome::Blocked { blockers } => Some(Notice::new(
            &format!("pipeguard: {pipeline} blocked"),
            &format!(
                "The deployment of pipeline {pipeline} was stopped by {}:\n{}",
                headline(blockers),
                listing(blockers)
            ),
        )),
        GateOutcome::Hold {
            blockers,
            newly_held: true,
            ..
        } => Some(Notice::new(
            &format!("pipeguard: {pipeline} held"),
            &format!(
                "The deployment of pipeline {pipeline} is held (up to {} minutes) until these clear:\n{}",
                policy.max_wait_minutes,
                listing(blockers)
            ),
        )),
        GateOutcome::GaveUp {
            blockers,
            waited_minutes,
        } => Some(Notice::new(
            &format!("pipeguard: {pipeline} gave up waiting"),
            &format!(
                "The deployment of pipeline {pipeline} was held for {waited_minutes} minutes and failed, still blocked by {}:\n{}",
                headline(blockers),
                listing(blockers)
            ),
        )),
        GateOutcome::Pass {
            held_minutes: Some(minutes),
            ..
        } => Some(Notice::new(
            &format!("pipeguard: {pipeline} released"),
            &format!(
                "The deployment of pipeline {pipeline} was held for {minutes} minutes and is now going ahead: nothing blocks it any more."
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
