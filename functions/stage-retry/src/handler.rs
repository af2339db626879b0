//! One invocation, read top to bottom: parse the triggers, and for each failure fetch the
//! pipeline's state, decide, act (retry or notify) and log the decision. AWS Health events,
//! unfreezes and the sweep's schedule go to `resume`.

use crate::resume::FreezesRead;
use lambda_runtime::LambdaEvent;
use pipeguard::aws::{CodePipeline, HealthSources, Notifier};
use pipeguard::lambda::InvocationError;
use pipeguard_core::config::SettingError;
use pipeguard_core::pipeline::stage_of_failure;
use pipeguard_core::retry::{self, Release, RetryDecision, RetryPolicies, RetryVerdict};
use pipeguard_core::trigger::{ChangeLevel, ChangeState, PipelineChange, Trigger, parse_invocation};
use serde_json::Value;
use std::time::Duration;

/// Time kept for the RetryStageExecution call after a delay.
const RETRY_CALL_RESERVE: Duration = Duration::from_secs(10);

/// What every step of one invocation needs: the policies, and the account the function runs in
/// (the stack's: the event store keys its own events as it did before it knew accounts).
pub(crate) struct Invocation<'a> {
    pub(crate) policies: &'a RetryPolicies,
    pub(crate) own_account: &'a str,
}

/// Everything built once per cold start.
pub struct Retrier {
    pub(crate) policies: Result<RetryPolicies, SettingError>,
    pub(crate) codepipeline: CodePipeline,
    pub(crate) notifier: Notifier,
    /// Where resumes learn whether AWS Health events have closed, and where they are recorded.
    pub(crate) health: HealthSources,
}

impl Retrier {
    pub async fn from_env() -> Self {
        let config = pipeguard::aws::load_config().await;
        let env = pipeguard::lambda::process_env;
        let policies = pipeguard::lambda::settings_at_cold_start("retry", RetryPolicies::from_env(env));
        if policies
            .as_ref()
            .is_ok_and(|policies| policies.gate_functions.is_empty())
        {
            tracing::warn!(
                "GATE_FUNCTIONS is not set: no hold marker is taken for the gate's, so no stage is held or resumed (the template sets it)"
            );
        }
        Self {
            policies,
            codepipeline: CodePipeline::from_config(&config),
            notifier: pipeguard::aws::notifier(&config, env),
            health: pipeguard::aws::health_sources(&config, env).await,
        }
    }

    /// Handles every trigger in the invocation. An AWS error fails the invocation, so Lambda
    /// delivers it again (and, in the end, to the dead-letter queue): every step is safe to repeat.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<(), InvocationError> {
        let policies = self.policies.as_ref().map_err(Clone::clone)?;
        let function_arn = &event.context.invoked_function_arn;
        let own_account = pipeguard::lambda::account_of(function_arn)
            .ok_or_else(|| InvocationError::UnknownAccount(function_arn.clone()))?;
        let invocation = Invocation {
            policies,
            own_account: &own_account,
        };
        for trigger in parse_invocation(&event.payload, pipeguard::clock::unix_seconds()) {
            match trigger {
                Trigger::Pipeline(change)
                    if change.state == ChangeState::Failed && change.level != ChangeLevel::Action =>
                {
                    // Asked per failure: the ones before it in this delivery used time.
                    let time_left = pipeguard::lambda::time_left(event.context.deadline);
                    self.on_failure(&invocation, &change, time_left).await?;
                }
                Trigger::Health(record) => self.on_health_event(&invocation, &record).await?,
                Trigger::Sweep => self.sweep(&invocation).await?,
                Trigger::Unfrozen { freeze_id } => {
                    self.resume_held(&invocation, Some(Release::Unfrozen(&freeze_id)))
                        .await?
                }
                Trigger::Pipeline(change) if change.state == ChangeState::Failed => tracing::debug!(
                    pipeline = %change.pipeline,
                    action = ?change.action,
                    "action failure ignored: the stage's failure event decides"
                ),
                Trigger::Ignored { reason } => tracing::info!(%reason, "event skipped"),
                Trigger::Refused(refusal) => pipeguard::lambda::refused("stage-retry", &refusal),
                other => tracing::debug!(?other, "not a trigger stage-retry acts on"),
            }
        }
        Ok(())
    }

    async fn on_failure(
        &self,
        invocation: &Invocation<'_>,
        change: &PipelineChange,
        time_left: Option<Duration>,
    ) -> Result<(), InvocationError> {
        let (pipeline, execution_id) = (change.pipeline.as_str(), change.execution_id.as_str());
        let stages = self.codepipeline.stages(pipeline).await?;
        let Some((_, stage)) = stage_of_failure(&stages, change.named_stage(), execution_id) else {
            let verdict = RetryVerdict::Skipped("no failed stage of this execution".into());
            decided(pipeline, execution_id, None, &verdict);
            return Ok(());
        };
        let stage_name = stage.name.as_str();
        let policy = invocation.policies.for_pipeline(pipeline);
        let gates = self
            .gate_actions(invocation, pipeline, std::slice::from_ref(stage))
            .await?;
        // Counted once, as the failure arrives; the sweep passes over the copy quietly.
        for refusal in retry::copied_markers(stage, &gates) {
            pipeguard::lambda::refused("stage-retry", &refusal);
        }
        match retry::decide(policy, execution_id, stage, &gates) {
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
                let verdict = RetryVerdict::after(outcome, RetryVerdict::Retried { attempt, mode });
                decided(pipeline, execution_id, Some(stage_name), &verdict);
            }
            RetryDecision::Exhausted {
                attempts,
                allowed,
                last_errors,
            } => {
                let verdict = RetryVerdict::Exhausted {
                    attempts,
                    allowed,
                    last_errors,
                };
                decided(pipeline, execution_id, Some(stage_name), &verdict);
                if let Some(notice) = verdict.notice(pipeline, stage_name, execution_id) {
                    self.notifier.tell(&notice).await;
                }
            }
            RetryDecision::Held(hold) => {
                // What held it may have ended before this failure arrived: then nothing will come
                // to resume it, so it resumes now.
                let mut freezes = FreezesRead::default();
                match self
                    .still_holding(invocation, &hold, None, &mut freezes, pipeline)
                    .await
                {
                    Ok(holding) if holding.is_empty() => {
                        let because = "what held it had already ended";
                        if self.resume(pipeline, stage, policy.retry_mode, because).await? {
                            let released = self.released(pipeline, stage_name, &hold, &mut freezes).await;
                            if let Some(notice) = retry::release_notice(&[released], because) {
                                self.notifier.tell(&notice).await;
                            }
                        }
                    }
                    Ok(holding) => {
                        decided(
                            pipeline,
                            execution_id,
                            Some(stage_name),
                            &RetryVerdict::Held { by: holding },
                        );
                    }
                    Err(error) => {
                        let verdict = RetryVerdict::Held { by: hold.describe() };
                        tracing::warn!(pipeline, execution_id, stage = stage_name, verdict = verdict.label(), %error, "could not ask whether what holds the stage has ended; the sweep asks again");
                    }
                }
            }
            RetryDecision::Skip(reason) => {
                decided(
                    pipeline,
                    execution_id,
                    Some(stage_name),
                    &RetryVerdict::Skipped(reason),
                );
            }
        }
        Ok(())
    }
}

/// Logs a decision about a failed stage (`stage` absent when no stage shows the failure), and
/// counts it by its verdict.
pub(crate) fn decided(pipeline: &str, execution_id: &str, stage: Option<&str>, verdict: &RetryVerdict) {
    let (label, reason) = (verdict.label(), verdict.reason());
    tracing::info!(
        pipeline,
        execution_id,
        stage,
        verdict = label,
        reason,
        "retry decision"
    );
    pipeguard::metrics::decision("stage-retry", label, None);
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
