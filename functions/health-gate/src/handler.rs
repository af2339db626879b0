//! One job, read top to bottom: parse the job, fetch what the policy asks about, decide,
//! report exactly one result, notify.

use aws_sdk_health::types::EventFilter;
use lambda_runtime::{Error, LambdaEvent};
use pipeguard::conflicts::running_executions;
use pipeguard::gate::{self, GateDefaults, GatePolicy, Observations, PolicyError, WaitState};
use pipeguard::health::{HealthApi, HealthCallError, HealthEvent, HealthUnavailable, filters_for};
use pipeguard::job::{self, FailureKind, JobEvent, JobEventError, JobResult, Reported};
use pipeguard::notify::{Notice, Notifier};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time kept back from the Lambda deadline to report the result, so that a slow AWS never
/// leaves a job unanswered.
const REPORT_RESERVE: Duration = Duration::from_secs(10);
/// AWS Health must answer this much before the deciding budget runs out, so that a hanging
/// Health is handled by `on_health_error` (fail-open passes) rather than by the deadline.
const HEALTH_MARGIN: Duration = Duration::from_secs(1);
/// Budget when the runtime gives no deadline.
const DEFAULT_BUDGET: Duration = Duration::from_secs(20);

/// Everything built once per cold start.
pub struct Gate {
    pub defaults: Result<GateDefaults, PolicyError>,
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub health: HealthApi,
    pub notifier: Notifier,
}

/// The result for a job, and what to tell people about it.
struct Evaluation {
    result: JobResult,
    notice: Option<Notice>,
}

impl Gate {
    pub async fn from_env() -> Self {
        let config = pipeguard::aws::load_config().await;
        let env = |name: &str| std::env::var(name).ok();
        let defaults = GateDefaults::from_env(env);
        if let Err(error) = &defaults {
            tracing::error!(%error, "invalid gate configuration in the environment; every job will fail with it");
        }
        Self {
            defaults,
            codepipeline: aws_sdk_codepipeline::Client::new(&config),
            health: HealthApi::from_env(&config, env).await,
            notifier: Notifier::new(aws_sdk_sns::Client::new(&config), env("NOTIFY_TOPIC_ARN")),
        }
    }

    /// Answers the job exactly once, whatever happens while deciding: bad input, AWS errors,
    /// running out of time, or a panic.
    pub async fn handle(self: Arc<Self>, event: LambdaEvent<Value>) -> Result<(), Error> {
        let (payload, context) = event.into_parts();
        let job = match JobEvent::parse(&payload) {
            Ok(job) => job,
            Err(error) => {
                let message = error.to_string();
                tracing::error!(%message, "unusable job event");
                // Without a job id there is nothing to report against: fail the invocation.
                let JobEventError::MalformedData { job_id, .. } = error else {
                    return Err(message.into());
                };
                let result = JobResult::failure(FailureKind::ConfigurationError, &message);
                job::report(&self.codepipeline, &job_id, &result).await?;
                return Ok(());
            }
        };
        let job_id = job.job_id.clone();
        let budget = pipeguard::lambda::time_left(context.deadline)
            .unwrap_or(DEFAULT_BUDGET)
            .saturating_sub(REPORT_RESERVE)
            .max(Duration::from_secs(1));
        let health_budget = budget.saturating_sub(HEALTH_MARGIN);
        let evaluating = tokio::spawn(Arc::clone(&self).evaluate(job, health_budget));
        let evaluation = match tokio::time::timeout(budget, evaluating).await {
            Ok(Ok(evaluation)) => evaluation,
            Ok(Err(joined)) => Evaluation {
                result: JobResult::failure(
                    FailureKind::JobFailed,
                    &format!(
                        "health-gate failed unexpectedly ({}); the deployment is blocked to be safe",
                        panic_text(joined)
                    ),
                ),
                notice: None,
            },
            Err(_) => Evaluation {
                result: JobResult::failure(
                    FailureKind::SystemUnavailable,
                    &format!(
                        "health-gate ran out of time after {} s waiting for AWS; the deployment is blocked to be safe",
                        budget.as_secs()
                    ),
                ),
                notice: None,
            },
        };
        let reported = job::report(&self.codepipeline, &job_id, &evaluation.result).await?;
        // A duplicate invocation's result was not recorded: telling people about it could
        // contradict what CodePipeline shows.
        if reported == Reported::Recorded
            && let Some(notice) = &evaluation.notice
            && let Err(error) = self.notifier.publish(notice).await
        {
            tracing::warn!(%error, "notification not sent; the job result stands");
        }
        Ok(())
    }

    async fn evaluate(self: Arc<Self>, job: JobEvent, health_budget: Duration) -> Evaluation {
        let policy = match self.defaults.as_ref() {
            Ok(defaults) => defaults.for_action(job.user_parameters.as_deref()),
            Err(error) => Err(error.clone()),
        };
        let policy = match policy {
            Ok(policy) => policy,
            Err(error) => {
                return self.settled(&job.job_id, FailureKind::ConfigurationError, error.to_string());
            }
        };
        let wait = match job
            .continuation_token
            .as_deref()
            .map(WaitState::decode)
            .transpose()
        {
            Ok(wait) => wait,
            Err(error) => return self.settled(&job.job_id, FailureKind::JobFailed, error.to_string()),
        };

        let filters = filters_for(&policy);
        let (health, running, pipeline) = tokio::join!(
            self.events_within(&filters, health_budget),
            running_executions(&self.codepipeline, &policy.block_while_running),
            self.pipeline_name(&job.job_id, &policy),
        );
        if let Some(own) = &pipeline
            && policy.block_while_running.contains(own)
        {
            let reason = format!(
                "block_while_running names this pipeline itself ({own}), which is always running while its gate runs"
            );
            return self.settled(&job.job_id, FailureKind::ConfigurationError, reason);
        }

        let observations = Observations {
            health,
            running,
            wait,
            now: unix_now(),
        };
        let outcome = gate::decide(&policy, observations);
        let result = gate::render(&policy, &outcome);
        log_decision(&job.job_id, pipeline.as_deref(), &policy, &result);
        let notice = gate::notice(
            &policy,
            &outcome,
            pipeline.as_deref().unwrap_or("(unknown pipeline)"),
        );
        Evaluation { result, notice }
    }

    /// Health's events, or Health unavailable when it cannot answer within `budget`.
    async fn events_within(
        &self,
        filters: &[EventFilter],
        budget: Duration,
    ) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        tokio::time::timeout(budget, self.health.events(filters))
            .await
            .unwrap_or_else(|_| {
                Err(HealthUnavailable {
                    attempts: vec![("AWS Health".into(), HealthCallError::Timeout)],
                })
            })
    }

    /// The job's pipeline name, asked only when something needs it: a notification or the
    /// lock's check that the pipeline does not wait for itself.
    async fn pipeline_name(&self, job_id: &str, policy: &GatePolicy) -> Option<String> {
        if !self.notifier.is_enabled() && policy.block_while_running.is_empty() {
            return None;
        }
        match self.codepipeline.get_job_details().job_id(job_id).send().await {
            Ok(output) => output
                .job_details()
                .and_then(|details| details.data())
                .and_then(|data| data.pipeline_context())
                .and_then(|context| context.pipeline_name())
                .map(str::to_owned),
            Err(error) => {
                tracing::warn!(job_id, error = %aws_sdk_codepipeline::error::DisplayErrorContext(&error), "could not read the job's pipeline name");
                None
            }
        }
    }

    /// A result decided before asking anything, logged like every other decision.
    fn settled(&self, job_id: &str, kind: FailureKind, message: String) -> Evaluation {
        let result = JobResult::failure(kind, &message);
        tracing::warn!(job_id, ?kind, reason = %message, "gate decision");
        Evaluation { result, notice: None }
    }
}

fn log_decision(job_id: &str, pipeline: Option<&str>, policy: &GatePolicy, result: &JobResult) {
    let (verdict, reason) = match result {
        JobResult::Success { summary, .. } => ("pass", summary),
        JobResult::InProgress { summary, .. } => ("hold", summary),
        JobResult::Failure { message, .. } => ("block", message),
    };
    tracing::info!(job_id, pipeline, verdict, regions = ?policy.regions, services = ?policy.services, reason = %reason, "gate decision");
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

fn panic_text(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => match payload.downcast::<String>() {
            Ok(text) => format!("panic: {text}"),
            Err(payload) => payload
                .downcast::<&str>()
                .map_or_else(|_| "panic".to_owned(), |text| format!("panic: {text}")),
        },
        Err(error) => format!("task failed: {error}"),
    }
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
