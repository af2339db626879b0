//! One invocation, read top to bottom: parse the triggers, and for each failure fetch the
//! pipeline's state, decide, act (retry or notify) and log the decision.

use lambda_runtime::LambdaEvent;
use pipeguard::aws::{CodePipeline, Notifier, PipelineCallError};
use pipeguard::config::SettingError;
use pipeguard::health::EventStatus;
use pipeguard::lambda::InvocationError;
use pipeguard::pipeline::{RetryOutcome, stage_of_failure};
use pipeguard::retry::{self, RetryDecision, RetryPolicies};
use pipeguard::trigger::{ChangeLevel, ChangeState, HealthChange, PipelineChange, Trigger, parse_invocation};
use serde_json::Value;
use std::time::Duration;

/// Time kept for the RetryStageExecution call after a delay.
const RETRY_CALL_RESERVE: Duration = Duration::from_secs(10);

/// Everything built once per cold start.
pub struct Retrier {
    policies: Result<RetryPolicies, SettingError>,
    codepipeline: CodePipeline,
    notifier: Notifier,
}

impl Retrier {
    pub async fn from_env() -> Self {
        let (codepipeline, notifier) = pipeguard::aws::pipeline_clients().await;
        let policies = RetryPolicies::from_env(|name| std::env::var(name).ok());
        if let Err(error) = &policies {
            tracing::error!(%error, "invalid retry configuration in the environment; every event will fail with it");
        }
        Self {
            policies,
            codepipeline,
            notifier,
        }
    }

    /// Handles every trigger in the invocation. An AWS error fails the invocation, so Lambda
    /// delivers it again (and, in the end, to the dead-letter queue): every step is safe to repeat.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<(), InvocationError> {
        let policies = self.policies.as_ref().map_err(Clone::clone)?;
        let time_left = pipeguard::lambda::time_left(event.context.deadline);
        for trigger in parse_invocation(&event.payload) {
            match trigger {
                Trigger::Pipeline(change)
                    if change.state == ChangeState::Failed && change.level != ChangeLevel::Action =>
                {
                    self.on_failure(policies, &change, time_left).await?;
                }
                Trigger::Health(change) if change.status == EventStatus::Closed => {
                    self.on_health_closed(policies, &change).await?
                }
                Trigger::Pipeline(change) if change.state == ChangeState::Failed => tracing::debug!(
                    pipeline = %change.pipeline,
                    action = ?change.action,
                    "action failure ignored: the stage's failure event decides"
                ),
                other => tracing::debug!(?other, "not a trigger stage-retry acts on"),
            }
        }
        Ok(())
    }

    async fn on_failure(
        &self,
        policies: &RetryPolicies,
        change: &PipelineChange,
        time_left: Option<Duration>,
    ) -> Result<(), PipelineCallError> {
        let (pipeline, execution_id) = (change.pipeline.as_str(), change.execution_id.as_str());
        let stages = self.codepipeline.stages(pipeline).await?;
        let Some((_, stage)) = stage_of_failure(&stages, change.named_stage(), execution_id) else {
            tracing::info!(
                pipeline,
                execution_id,
                decision = "skip",
                reason = "no failed stage of this execution",
                "retry decision"
            );
            return Ok(());
        };
        let stage_name = stage.name.as_str();
        match retry::decide(policies.for_pipeline(pipeline), execution_id, stage) {
            RetryDecision::Retry {
                mode,
                attempt,
                delay_seconds,
            } => {
                let delay = delay_within(delay_seconds, time_left);
                if delay < Duration::from_secs(u64::from(delay_seconds)) {
                    tracing::warn!(
                        pipeline,
                        delay_seconds,
                        waited = delay.as_secs(),
                        "delay cut to fit the function's timeout"
                    );
                }
                tokio::time::sleep(delay).await;
                let outcome = self
                    .codepipeline
                    .retry_stage(pipeline, stage_name, execution_id, mode)
                    .await?;
                let (decision, reason) = match outcome {
                    RetryOutcome::Started => {
                        ("retry", format!("retry {attempt} started ({})", mode.as_str()))
                    }
                    RetryOutcome::AlreadyHandled(why) => {
                        ("skip", format!("already handled or superseded: {why}"))
                    }
                };
                tracing::info!(pipeline, execution_id, stage = stage_name, attempt, decision, reason = %reason, "retry decision");
            }
            RetryDecision::Exhausted { attempts, last_error } => {
                tracing::info!(pipeline, execution_id, stage = stage_name, attempts, decision = "exhausted", reason = %last_error, "retry decision");
                let notice =
                    retry::exhausted_notice(pipeline, stage_name, execution_id, attempts, &last_error);
                self.notifier.tell(&notice).await;
            }
            RetryDecision::HeldByHealth(events) => {
                let reason = format!(
                    "held by open AWS Health events; resumed when they close: {}",
                    events.join(", ")
                );
                tracing::info!(pipeline, execution_id, stage = stage_name, decision = "hold", reason = %reason, "retry decision");
            }
            RetryDecision::Skip(reason) => {
                tracing::info!(pipeline, execution_id, stage = stage_name, decision = "skip", reason = %reason, "retry decision");
            }
        }
        Ok(())
    }

    /// Resumes every stage the health gate failed because of the event that just closed. One
    /// pipeline that cannot be read does not keep the others from resuming; its error still
    /// fails the invocation afterwards, so the event is delivered again (or kept in the DLQ).
    async fn on_health_closed(
        &self,
        policies: &RetryPolicies,
        change: &HealthChange,
    ) -> Result<(), PipelineCallError> {
        let pipelines = if policies.managed_pipelines.is_empty() {
            let all = self.codepipeline.pipelines().await?;
            all.into_iter()
                .filter(|name| name.starts_with(&policies.pipeline_prefix))
                .collect()
        } else {
            policies.managed_pipelines.clone()
        };
        let (mut resumed, mut first_error) = (0, None);
        for pipeline in &pipelines {
            match self.resume_held(policies, pipeline, &change.event_arn).await {
                Ok(count) => resumed += count,
                Err(error) => {
                    tracing::warn!(pipeline = %pipeline, %error, "could not look for stages to resume");
                    first_error.get_or_insert(error);
                }
            }
        }
        tracing::info!(event_arn = %change.event_arn, checked = pipelines.len(), resumed, "AWS Health event closed");
        first_error.map_or(Ok(()), Err)
    }

    /// Retries the stages of `pipeline` that `event_arn` held; returns how many it resumed.
    async fn resume_held(
        &self,
        policies: &RetryPolicies,
        pipeline: &str,
        event_arn: &str,
    ) -> Result<usize, PipelineCallError> {
        let stages = self.codepipeline.stages(pipeline).await?;
        let mode = policies.for_pipeline(pipeline).retry_mode;
        let mut resumed = 0;
        for stage in retry::stages_held_by(event_arn, &stages) {
            let execution_id = stage.execution_id.as_deref().unwrap_or_default();
            let outcome = self
                .codepipeline
                .retry_stage(pipeline, &stage.name, execution_id, mode)
                .await?;
            let (decision, reason) = match outcome {
                RetryOutcome::Started => ("resume", format!("AWS Health event {event_arn} closed")),
                RetryOutcome::AlreadyHandled(why) => {
                    ("skip", format!("already handled or superseded: {why}"))
                }
            };
            resumed += usize::from(decision == "resume");
            tracing::info!(pipeline, execution_id, stage = %stage.name, decision, reason = %reason, "retry decision");
        }
        Ok(resumed)
    }
}

/// How long to wait before retrying: the policy's delay, but never so long that the retry
/// itself would miss the invocation's deadline.
fn delay_within(delay_seconds: u32, time_left: Option<Duration>) -> Duration {
    let wanted = Duration::from_secs(u64::from(delay_seconds));
    match time_left {
        Some(left) => wanted.min(left.saturating_sub(RETRY_CALL_RESERVE)),
        None => wanted,
    }
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
