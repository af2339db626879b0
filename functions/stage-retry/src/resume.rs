//! Held stages end by themselves: every AWS Health event is recorded before anything acts on
//! it, a closing event resumes the stages it held, and the sweep's schedule re-checks every
//! held stage, so a hold ends even when its closing event was lost or could not be acted on.

use crate::handler::{Retrier, decided};
use pipeguard::aws::Recorded;
use pipeguard::lambda::InvocationError;
use pipeguard_core::health::{EventStatus, HealthRecord};
use pipeguard_core::pipeline::{RetryMode, StageSnapshot};
use pipeguard_core::retry::{self, RetryPolicies, RetryVerdict};

impl Retrier {
    /// Records the update (when there is an event store), then, if the event closed, resumes
    /// the stages it held: never before the closing is recorded, so a gate that runs right
    /// after the resume sees the event closed.
    pub(crate) async fn on_health_event(
        &self,
        policies: &RetryPolicies,
        record: &HealthRecord,
    ) -> Result<(), InvocationError> {
        let event = &record.event;
        if let Some(store) = self.health.store() {
            let outcome = match store.record(record).await? {
                Recorded::Stored => "recorded",
                Recorded::Outdated => "already recorded (this update or a newer one)",
            };
            tracing::info!(event_arn = %event.arn, region = %event.region, status = %event.status, backup = record.backup, outcome, "AWS Health event");
        }
        if event.status == EventStatus::Closed {
            self.resume_held(policies, Some(&event.arn)).await?;
        }
        Ok(())
    }

    /// The schedule: every held stage whose events have all closed resumes.
    pub(crate) async fn sweep(&self, policies: &RetryPolicies) -> Result<(), InvocationError> {
        self.resume_held(policies, None).await
    }

    /// Resumes the held stages of the managed pipelines (only those `just_closed` held, when
    /// given) whose events have all closed. One pipeline that cannot be read does not keep the
    /// others from resuming; its error still fails the invocation afterwards, so the event is
    /// delivered again (or kept in the dead-letter queue).
    async fn resume_held(
        &self,
        policies: &RetryPolicies,
        just_closed: Option<&str>,
    ) -> Result<(), InvocationError> {
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
            match self.resume_in(policies, pipeline, just_closed).await {
                Ok(count) => resumed += count,
                Err(error) => {
                    tracing::warn!(pipeline = %pipeline, %error, "could not look for stages to resume");
                    first_error.get_or_insert(error);
                }
            }
        }
        tracing::info!(
            trigger = just_closed.map_or("sweep", |_| "AWS Health event closed"),
            event_arn = just_closed,
            checked = pipelines.len(),
            resumed,
            "held stages checked"
        );
        first_error.map_or(Ok(()), Err)
    }

    /// Resumes the held stages of one pipeline that may resume; returns how many it resumed.
    async fn resume_in(
        &self,
        policies: &RetryPolicies,
        pipeline: &str,
        just_closed: Option<&str>,
    ) -> Result<usize, InvocationError> {
        let stages = self.codepipeline.stages(pipeline).await?;
        let mode = policies.for_pipeline(pipeline).retry_mode;
        let mut resumed = 0;
        for (stage, hold) in retry::held_stages(&stages, just_closed) {
            let closed = self.health.closed(&hold).await?;
            if !retry::may_resume(&hold, &closed, just_closed) {
                let open = hold.still_open(&closed, just_closed);
                let execution_id = stage.execution_id.as_deref().unwrap_or_default();
                let verdict = RetryVerdict::Held {
                    events: open.into_iter().map(str::to_owned).collect(),
                };
                decided(pipeline, execution_id, Some(&stage.name), &verdict);
                continue;
            }
            let reason = match just_closed {
                Some(arn) => format!("AWS Health event {arn} closed, and no other holds it"),
                None => "every AWS Health event that held it has closed".to_owned(),
            };
            resumed += usize::from(self.resume(pipeline, stage, mode, &reason).await?);
        }
        Ok(resumed)
    }

    /// Retries a held stage's failed execution; false when someone already did.
    pub(crate) async fn resume(
        &self,
        pipeline: &str,
        stage: &StageSnapshot,
        mode: RetryMode,
        reason: &str,
    ) -> Result<bool, InvocationError> {
        let execution_id = stage.execution_id.as_deref().unwrap_or_default();
        let outcome = self
            .codepipeline
            .retry_stage(pipeline, &stage.name, execution_id, mode)
            .await?;
        let resumed = RetryVerdict::Resumed {
            because: reason.to_owned(),
        };
        let verdict = RetryVerdict::after(outcome, resumed);
        decided(pipeline, execution_id, Some(&stage.name), &verdict);
        Ok(matches!(verdict, RetryVerdict::Resumed { .. }))
    }
}
