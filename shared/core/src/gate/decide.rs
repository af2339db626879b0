//! Every answer the gate can give a job, and how it is reported: pure functions from what was
//! observed to the outcome, the job result and the message for people.

use super::policy::{GateDefaults, GatePolicy, OnBlock, OnHealthError};
use super::token::WaitState;
use crate::config::{SettingError, listed_or_all};

use crate::health::{HealthEvent, HealthReport, HealthSource, HealthUnavailable};
use crate::hold::{HeldBy, Hold};
use crate::job::{FailureKind, JobEvent, JobResult};
use crate::notice::Notice;
use crate::pipeline::{ConflictCheckError, RunningExecution};

/// Something that keeps a deployment from starting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    HealthEvent(HealthEvent),
    RunningPipeline(RunningExecution),
}

/// What the gate observed for one job.
#[derive(Debug, Clone)]
pub struct Observations {
    pub health: Result<HealthReport, HealthUnavailable>,
    /// Empty when the policy names no conflicting pipeline.
    pub running: Result<Vec<RunningExecution>, ConflictCheckError>,
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
    pub regions: Vec<String>,
    /// Empty means every service.
    pub services: Vec<String>,
    pub locks: Vec<String>,
}

impl Scope {
    pub fn of(policy: &GatePolicy) -> Self {
        Self {
            regions: policy.regions.clone(),
            services: policy.services.clone(),
            locks: policy.block_while_running.clone(),
        }
    }
}

/// How AWS Health was consulted for a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCheck {
    /// This source answered.
    Asked(HealthSource),
    /// No source could be asked (the cause), and the policy fails open.
    Unavailable(String),
}

impl HealthCheck {
    /// The output variable `health_source`: `api`, `events`, or `none`.
    pub fn source_name(&self) -> &'static str {
        match self {
            Self::Asked(source) => source.as_str(),
            Self::Unavailable(_) => "none",
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Asked(source) => format!("AWS Health source: {}.", source.describe()),
            Self::Unavailable(cause) => {
                format!("AWS Health could not be asked ({cause}); on_health_error is fail-open.")
            }
        }
    }
}

/// Every answer the gate gives a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateOutcome {
    /// Nothing blocks; `held_minutes` when this ends a hold.
    Pass {
        scope: Scope,
        held_minutes: Option<i64>,
        health: HealthCheck,
    },
    /// Blocked, and the policy fails the action.
    Blocked {
        blockers: Vec<Blocker>,
        health: HealthCheck,
    },
    /// Blocked, and the policy waits: hand CodePipeline this state to come back with.
    Hold {
        wait: WaitState,
        blockers: Vec<Blocker>,
        newly_held: bool,
        max_wait_minutes: u32,
        health: HealthCheck,
    },
    /// Blocked for longer than `max_wait_minutes`.
    GaveUp {
        blockers: Vec<Blocker>,
        waited_minutes: i64,
        max_wait_minutes: u32,
        health: HealthCheck,
    },
    /// Health could not be asked and the policy fails closed.
    HealthUnavailable { cause: String },
    /// The lock could not be checked.
    ConflictCheckFailed(ConflictCheckError),
    /// The job cannot be decided as configured: a bad setting, malformed job data, or a lock on
    /// the gate's own pipeline.
    Misconfigured(String),
    /// CodePipeline passed back a continuation token this gate did not write.
    UnreadableToken(String),
    /// AWS did not answer in time to decide before the invocation's deadline.
    OutOfTime { budget_secs: u64 },
    /// The gate itself failed (a panic) while deciding.
    Crashed(String),
}

/// The policy and the hold a job continues, or the answer when the job cannot be decided as
/// configured: a bad environment or UserParameters, or a continuation token the gate did not
/// write.
pub fn read_job(
    defaults: &Result<GateDefaults, SettingError>,
    job: &JobEvent,
) -> Result<(GatePolicy, Option<WaitState>), GateOutcome> {
    let policy = defaults
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|defaults| defaults.for_action(job.user_parameters.as_deref()))
        .map_err(|error| GateOutcome::Misconfigured(error.to_string()))?;
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
pub fn blocks(policy: &GatePolicy, event: &HealthEvent) -> bool {
    policy.regions.contains(&event.region)
        && listed_or_all(&policy.services, &event.service)
        && policy.categories.contains(&event.category)
        && policy.statuses.contains(&event.status)
        && !policy.ignore_event_types.contains(&event.event_type_code)
}

pub fn decide(policy: &GatePolicy, observations: Observations) -> GateOutcome {
    if let Some(own) = &observations.pipeline
        && policy.block_while_running.contains(own)
    {
        return GateOutcome::Misconfigured(format!(
            "block_while_running names this pipeline itself ({own}), which is always running while its gate runs"
        ));
    }
    let (events, health) = match observations.health {
        Ok(report) => (report.events, HealthCheck::Asked(report.source)),
        Err(unavailable) => match policy.on_health_error {
            OnHealthError::FailClosed => {
                return GateOutcome::HealthUnavailable {
                    cause: unavailable.to_string(),
                };
            }
            OnHealthError::FailOpen => (Vec::new(), HealthCheck::Unavailable(unavailable.to_string())),
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
            scope: Scope::of(policy),
            held_minutes,
            health,
        };
    }
    if policy.on_block == OnBlock::Fail {
        return GateOutcome::Blocked { blockers, health };
    }
    let max_wait_minutes = policy.max_wait_minutes;
    match observations.wait {
        Some(wait) => {
            let waited_minutes = minutes_between(wait.since, observations.now);
            if waited_minutes >= i64::from(max_wait_minutes) {
                GateOutcome::GaveUp {
                    blockers,
                    waited_minutes,
                    max_wait_minutes,
                    health,
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
                wait: WaitState::new(observations.now, held_by),
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

impl GateOutcome {
    /// What keeps the deployment from starting (nothing, when it passes).
    pub fn blockers(&self) -> &[Blocker] {
        match self {
            Self::Blocked { blockers, .. } | Self::Hold { blockers, .. } | Self::GaveUp { blockers, .. } => {
                blockers
            }
            _ => &[],
        }
    }

    /// Which source of AWS Health decided: `api`, `events`, or `none`.
    pub fn health_source(&self) -> &'static str {
        match self {
            Self::Pass { health, .. }
            | Self::Blocked { health, .. }
            | Self::Hold { health, .. }
            | Self::GaveUp { health, .. } => health.source_name(),
            _ => "none",
        }
    }

    /// One word for logs and metrics.
    pub fn verdict(&self) -> &'static str {
        match self {
            Self::Pass {
                health: HealthCheck::Asked(_),
                ..
            } => "PASS",
            Self::Pass { .. } => "PASS_HEALTH_UNCHECKED",
            Self::Blocked { .. } => "BLOCKED",
            Self::Hold { .. } => "HOLD",
            Self::GaveUp { .. } => "GAVE_UP",
            Self::HealthUnavailable { .. } => "HEALTH_UNAVAILABLE",
            Self::ConflictCheckFailed(_) => "LOCK_UNCHECKED",
            Self::Misconfigured(_) => "MISCONFIGURED",
            Self::UnreadableToken(_) => "UNREADABLE_TOKEN",
            Self::OutOfTime { .. } => "OUT_OF_TIME",
            Self::Crashed(_) => "CRASHED",
        }
    }
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
                    .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
                    .map_or_else(
                        || "an unknown time".to_owned(),
                        |time| time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    );
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

/// The AWS Health events among the blockers, and where they were learned of, for the hold
/// marker stage-retry reads.
fn hold_of(blockers: &[Blocker], health: &HealthCheck) -> Option<Hold> {
    let events: Vec<HeldBy> = blockers
        .iter()
        .filter_map(|blocker| match blocker {
            Blocker::HealthEvent(event) => Some(HeldBy {
                arn: event.arn.clone(),
                region: event.region.clone(),
            }),
            Blocker::RunningPipeline(_) => None,
        })
        .collect();
    let source = match health {
        HealthCheck::Asked(source) => Some(*source),
        HealthCheck::Unavailable(_) => None,
    };
    (!events.is_empty()).then(|| Hold::new(events, source))
}

/// A failure because of `blockers`, marked with the AWS Health events among them.
fn blocked_failure(message: &str, blockers: &[Blocker], health: &HealthCheck) -> JobResult {
    let message = format!("{message}\n{}", health.describe());
    match hold_of(blockers, health) {
        Some(hold) => JobResult::failure_with_trailer(FailureKind::JobFailed, &message, &hold.marker()),
        None => JobResult::failure(FailureKind::JobFailed, &message),
    }
}

fn describe_scope(scope: &Scope) -> String {
    let services = if scope.services.is_empty() {
        "all services".to_owned()
    } else {
        scope.services.join(", ")
    };
    format!("{} ({services})", scope.regions.join(", "))
}

/// The job result for an outcome.
pub fn render(outcome: &GateOutcome) -> JobResult {
    match outcome {
        GateOutcome::Pass {
            scope,
            held_minutes,
            health,
        } => {
            let mut summary = match health {
                HealthCheck::Asked(source) => format!(
                    "No blocking AWS Health event in {} (asked {})",
                    describe_scope(scope),
                    source.describe()
                ),
                HealthCheck::Unavailable(cause) => format!(
                    "AWS Health could not be asked ({cause}); passing because on_health_error is fail-open"
                ),
            };
            if !scope.locks.is_empty() {
                summary.push_str(&format!("; none of {} is running", scope.locks.join(", ")));
            }
            summary.push('.');
            if let Some(minutes) = held_minutes {
                summary.push_str(&format!(
                    " Released after holding the deployment for {minutes} minutes."
                ));
            }
            JobResult::success(
                &summary,
                vec![
                    ("verdict".into(), outcome.verdict().into()),
                    ("blocking_events".into(), "0".into()),
                    ("regions_checked".into(), scope.regions.join(",")),
                    ("held_minutes".into(), held_minutes.unwrap_or(0).to_string()),
                    ("health_source".into(), health.source_name().into()),
                ],
            )
        }
        GateOutcome::Blocked { blockers, health } => blocked_failure(
            &format!(
                "Deployment blocked by {}:\n{}",
                headline(blockers),
                listing(blockers)
            ),
            blockers,
            health,
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
        } => blocked_failure(
            &format!(
                "Held the deployment for {waited_minutes} minutes (max_wait_minutes = {max_wait_minutes}) and it is still blocked by {}:\n{}",
                headline(blockers),
                listing(blockers)
            ),
            blockers,
            health,
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
        GateOutcome::Misconfigured(reason) => JobResult::failure(FailureKind::ConfigurationError, reason),
        GateOutcome::UnreadableToken(reason) => JobResult::failure(FailureKind::JobFailed, reason),
        GateOutcome::OutOfTime { budget_secs } => JobResult::failure(
            FailureKind::SystemUnavailable,
            &format!(
                "health-gate ran out of time after {budget_secs} s waiting for AWS; the deployment is blocked to be safe"
            ),
        ),
        GateOutcome::Crashed(cause) => JobResult::failure(
            FailureKind::JobFailed,
            &format!("health-gate failed unexpectedly ({cause}); the deployment is blocked to be safe"),
        ),
    }
}

/// The message for people, when the outcome is worth one: a deployment blocked, held, given up
/// on, or released after a hold. Re-checks during a hold send nothing.
pub fn notice(outcome: &GateOutcome, pipeline: &str) -> Option<Notice> {
    let notice = match outcome {
        GateOutcome::Blocked { blockers, health } => Notice::new(
            &format!("pipeguard: {pipeline} blocked"),
            &format!(
                "The deployment of pipeline {pipeline} was stopped by {}:\n{}\n{}",
                headline(blockers),
                listing(blockers),
                health.describe()
            ),
        )
        .with_next_steps(&[
            "Nothing to do for AWS Health events: stage-retry retries the stage once they have all closed.",
            "To deploy anyway, retry the stage by hand once you have judged the risk.",
        ]),
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
        .with_next_steps(&[
            "stage-retry retries the stage once its AWS Health events have all closed.",
            "If a running pipeline blocked it, retry the stage when that pipeline is done.",
        ]),
        GateOutcome::Pass {
            held_minutes: Some(minutes),
            health,
            ..
        } => Notice::new(
            &format!("pipeguard: {pipeline} released"),
            &format!(
                "The deployment of pipeline {pipeline} was held for {minutes} minutes and is now going ahead: nothing blocks it any more.\n{}",
                health.describe()
            ),
        ),
        _ => return None,
    };
    Some(notice.about(pipeline))
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
