//! A stage failed: fetch the pipeline's state, decide with the stage's policy, act (retry after
//! the policy's delay, tell people the retries are used up, or resume at once a hold that has
//! already ended) and log the decision.

use crate::handler::Retrier;
use crate::invocation::Invocation;
use crate::resume::TableRead;
use pipeguard_aws::lambda::Function;
use pipeguard_aws::lambda::InvocationError;
use pipeguard_core::pipeline::stage_of_failure;
use pipeguard_core::retry::{self, RetryDecision, RetryVerdict};
use pipeguard_core::trigger::PipelineChange;
use std::time::Duration;

/// Time kept for the RetryStageExecution call after a delay.
const RETRY_CALL_RESERVE: Duration = Duration::from_secs(10);

impl Retrier {
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
        pipeguard_aws::metrics::decision(Self::NAME, label, None);
    }

    pub(crate) async fn on_failure(
        &self,
        invocation: &Invocation<'_>,
        change: &PipelineChange,
        time_left: Option<Duration>,
    ) -> Result<(), InvocationError> {
        let (pipeline, execution_id) = (change.pipeline.as_str(), change.execution_id.as_str());
        let stages = self.codepipeline.stages(pipeline).await?;
        let Some((_, stage)) = stage_of_failure(&stages, change.named_stage(), execution_id) else {
            let verdict = RetryVerdict::Skipped("no failed stage of this execution".into());
            Self::decided(pipeline, execution_id, None, &verdict);
            return Ok(());
        };
        let stage_name = stage.name.as_str();
        let policy = invocation.policies.for_pipeline(pipeline);
        let gates = self
            .gate_actions(invocation, pipeline, std::slice::from_ref(stage))
            .await?;
        // Counted once, as the failure arrives; the sweep passes over the copy quietly.
        for refusal in retry::copied_markers(stage, &gates) {
            pipeguard_aws::lambda::refused(Self::NAME, &refusal);
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
                Self::decided(pipeline, execution_id, Some(stage_name), &verdict);
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
                Self::decided(pipeline, execution_id, Some(stage_name), &verdict);
                if let Some(notice) = verdict.notice(pipeline, stage_name, execution_id) {
                    self.notifier.tell(&notice).await;
                }
            }
            RetryDecision::Held(hold) => {
                // What held it may have ended before this failure arrived: then nothing will come
                // to resume it, so it resumes now.
                let mut table = TableRead::default();
                match self
                    .still_holding(invocation, &hold, None, &mut table, pipeline)
                    .await
                {
                    Ok(holding) if holding.is_empty() => {
                        let because = "what held it had already ended";
                        if self.resume(pipeline, stage, policy.retry_mode, because).await? {
                            let released = self.released(pipeline, stage_name, &hold, &mut table).await;
                            if let Some(notice) = retry::release_notice(&[released], because) {
                                self.notifier.tell(&notice).await;
                            }
                        }
                    }
                    Ok(holding) => {
                        Self::decided(
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
                Self::decided(
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

/// How long to wait before retrying: the policy's delay, but never so long that the retry
/// itself would miss the invocation's deadline.
pub(crate) fn delay_within(delay_seconds: u32, time_left: Option<Duration>) -> Duration {
    let wanted = Duration::from_secs(u64::from(delay_seconds));
    match time_left {
        Some(left) => wanted.min(left.saturating_sub(RETRY_CALL_RESERVE)),
        None => wanted,
    }
}
