//! Held stages end by themselves: every AWS Health event is recorded before anything acts on
//! it, a closing event resumes the stages it held, and the sweep's schedule re-checks every
//! held stage, so a hold ends even when its closing event was lost or could not be acted on.

use crate::handler::{Invocation, Retrier, decided};
use pipeguard::aws::Recorded;
use pipeguard::lambda::InvocationError;
use pipeguard_core::health::{EventStatus, HealthRecord};
use pipeguard_core::hold::{EventRef, HeldBy};
use pipeguard_core::pipeline::{RetryMode, StageSnapshot};
use pipeguard_core::retry::{self, RetryVerdict};

impl Retrier {
    /// Records the update (when there is an event store), then, if the event closed, resumes
    /// the stages it held: never before the closing is recorded, so a gate that runs right
    /// after the resume sees the event closed.
    pub(crate) async fn on_health_event(
        &self,
        invocation: &Invocation<'_>,
        record: &HealthRecord,
    ) -> Result<(), InvocationError> {
        let event = &record.event;
        if let Some(store) = self.health.store() {
            let outcome = match store.record(record, invocation.own_account).await? {
                Recorded::Stored => "recorded",
                Recorded::Outdated => "already recorded (this update or a newer one)",
            };
            tracing::info!(event_arn = %event.arn, account = event.account.as_deref(), region = %event.region, status = %event.status, backup = record.backup, outcome, "AWS Health event");
        }
        if event.status == EventStatus::Closed {
            let closed = EventRef {
                arn: &event.arn,
                account: event.account.as_deref(),
            };
            self.resume_held(invocation, Some(closed)).await?;
        }
        Ok(())
    }

    /// The schedule: every held stage whose events have all closed resumes.
    pub(crate) async fn sweep(&self, invocation: &Invocation<'_>) -> Result<(), InvocationError> {
        self.resume_held(invocation, None).await
    }

    /// Resumes the held stages of the managed pipelines (only those `just_closed` held, when
    /// given) whose events have all closed. One pipeline that cannot be read does not keep the
    /// others from resuming; its error still fails the invocation afterwards, so the event is
    /// delivered again (or kept in the dead-letter queue).
    async fn resume_held(
        &self,
        invocation: &Invocation<'_>,
        just_closed: Option<EventRef<'_>>,
    ) -> Result<(), InvocationError> {
        let policies = invocation.policies;
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
            match self.resume_in(invocation, pipeline, just_closed).await {
                Ok(count) => resumed += count,
                Err(error) => {
                    tracing::warn!(pipeline = %pipeline, %error, "could not look for stages to resume");
                    first_error.get_or_insert(error);
                }
            }
        }
        tracing::info!(
            trigger = just_closed.map_or("sweep", |_| "AWS Health event closed"),
            event_arn = just_closed.map(|event| event.arn),
            account = just_closed.and_then(|event| event.account),
            checked = pipelines.len(),
            resumed,
            "held stages checked"
        );
        first_error.map_or(Ok(()), Err)
    }

    /// Resumes the held stages of one pipeline that may resume; returns how many it resumed.
    async fn resume_in(
        &self,
        invocation: &Invocation<'_>,
        pipeline: &str,
        just_closed: Option<EventRef<'_>>,
    ) -> Result<usize, InvocationError> {
        let stages = self.codepipeline.stages(pipeline).await?;
        let mode = invocation.policies.for_pipeline(pipeline).retry_mode;
        let mut resumed = 0;
        for (stage, hold) in retry::held_stages(&stages, just_closed) {
            let closed = self.health.closed(&hold, invocation.own_account).await?;
            if !retry::may_resume(&hold, &closed, just_closed) {
                let open = hold.still_open(&closed, just_closed);
                let execution_id = stage.execution_id.as_deref().unwrap_or_default();
                let verdict = RetryVerdict::Held {
                    events: open.into_iter().map(HeldBy::describe).collect(),
                };
                decided(pipeline, execution_id, Some(&stage.name), &verdict);
                continue;
            }
            let reason = match just_closed {
                Some(event) => format!(
                    "AWS Health event {} closed, and no other holds it",
                    event.describe()
                ),
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
