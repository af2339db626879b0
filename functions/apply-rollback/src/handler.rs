//! One failure, read top to bottom: is it still the stage's current failure, does it qualify,
//! is it a failed rollback (never rolled back again), which execution to return to, roll back,
//! tell people.

use lambda_runtime::{Error, LambdaEvent};
use pipeguard::config::SettingError;
use pipeguard::notify::{Notice, Notifier};
use pipeguard::pipeline_event::{PipelineChange, Trigger, parse_invocation};
use pipeguard::pipeline_state::{self, PipelineCallError, RollbackOutcome};
use pipeguard::rollback::{self, RollbackPolicies};
use serde_json::Value;

/// Everything built once per cold start.
pub struct Rollbacker {
    pub policies: Result<RollbackPolicies, SettingError>,
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub notifier: Notifier,
}

/// What became of one failure, for the log line and the message to people.
struct Verdict {
    decision: &'static str,
    reason: String,
    notice: Option<Notice>,
}

impl Verdict {
    fn quiet(decision: &'static str, reason: String) -> Self {
        Self {
            decision,
            reason,
            notice: None,
        }
    }
}

impl Rollbacker {
    pub async fn from_env() -> Self {
        let (codepipeline, notifier) = pipeguard::aws::pipeline_clients().await;
        let policies = RollbackPolicies::from_env(|name| std::env::var(name).ok());
        if let Err(error) = &policies {
            tracing::error!(%error, "invalid rollback configuration in the environment; every event will fail with it");
        }
        Self {
            policies,
            codepipeline,
            notifier,
        }
    }

    /// Handles every failure in the invocation. An AWS error fails the invocation so Lambda
    /// delivers it again: every step is safe to repeat.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<(), Error> {
        let policies = self.policies.as_ref().map_err(Clone::clone)?;
        for trigger in parse_invocation(&event.payload) {
            match trigger {
                Trigger::Pipeline(change) if change.state == "FAILED" => {
                    let verdict = self.on_failure(policies, &change).await?;
                    tracing::info!(
                        pipeline = %change.pipeline,
                        execution_id = %change.execution_id,
                        stage = ?change.stage.as_deref().or(change.failed_stage.as_deref()),
                        decision = verdict.decision,
                        reason = %verdict.reason,
                        "rollback decision"
                    );
                    if let Some(notice) = verdict.notice
                        && let Err(error) = self.notifier.publish(&notice).await
                    {
                        tracing::warn!(%error, "notification not sent");
                    }
                }
                other => tracing::debug!(?other, "not a trigger apply-rollback acts on"),
            }
        }
        Ok(())
    }

    async fn on_failure(
        &self,
        policies: &RollbackPolicies,
        change: &PipelineChange,
    ) -> Result<Verdict, PipelineCallError> {
        let (pipeline, failed) = (change.pipeline.as_str(), change.execution_id.as_str());
        let policy = policies.for_pipeline(pipeline);
        let stages = pipeline_state::stages(&self.codepipeline, pipeline).await?;
        let named = change.stage.as_deref().or(change.failed_stage.as_deref());
        let found = match named {
            Some(name) => stages.iter().position(|stage| stage.name == name),
            None => stages
                .iter()
                .position(|stage| stage.is_failed() && stage.execution_id.as_deref() == Some(failed)),
        };
        let Some(index) = found else {
            return Ok(Verdict::quiet("skip", "no failed stage of this execution".into()));
        };
        let stage = &stages[index];
        if let Err(reason) = rollback::still_failed(failed, stage) {
            return Ok(Verdict::quiet("skip", reason));
        }

        let runs = pipeline_state::action_runs(&self.codepipeline, pipeline, failed).await?;
        let apply = match rollback::qualifying_failure(policy, &stage.name, index == 0, &runs) {
            Ok(apply) => apply,
            Err(reason) => return Ok(Verdict::quiet("not-qualifying", reason)),
        };
        let failed_execution =
            pipeline_state::newest_execution_where(&self.codepipeline, pipeline, None, |execution| {
                execution.id == failed
            })
            .await?;
        if failed_execution.is_some_and(|execution| execution.execution_type == "ROLLBACK") {
            let reason = format!(
                "execution {failed} was itself a rollback, and a failed rollback is never rolled back again"
            );
            let notice = rollback::not_rolled_back_notice(pipeline, &stage.name, failed, &reason);
            return Ok(Verdict {
                decision: "failed-rollback",
                reason,
                notice: Some(notice),
            });
        }

        let target = pipeline_state::newest_execution_where(
            &self.codepipeline,
            pipeline,
            Some(&stage.name),
            |execution| rollback::is_rollback_target(execution, failed),
        )
        .await?;
        let Some(target) = target else {
            let reason = format!(
                "no earlier successful execution of stage {}; rollback skipped",
                stage.name
            );
            let notice = rollback::not_rolled_back_notice(pipeline, &stage.name, failed, &reason);
            return Ok(Verdict {
                decision: "no-target",
                reason,
                notice: Some(notice),
            });
        };
        let notice =
            rollback::rolled_back_notice(pipeline, &stage.name, apply, failed, &target, policy.dry_run);
        if policy.dry_run {
            let reason = format!("dry run: would roll back to {}", target.id);
            return Ok(Verdict {
                decision: "dry-run",
                reason,
                notice: Some(notice),
            });
        }
        Ok(
            match pipeline_state::rollback_stage(&self.codepipeline, pipeline, &stage.name, &target.id)
                .await?
            {
                RollbackOutcome::Started(rollback_execution) => Verdict {
                    decision: "rollback",
                    reason: format!("rolling back to {} in execution {rollback_execution}", target.id),
                    notice: Some(notice),
                },
                RollbackOutcome::AlreadyHandled(reason) => {
                    Verdict::quiet("skip", format!("already handled: {reason}"))
                }
                RollbackOutcome::Refused(reason) => {
                    let notice = rollback::not_rolled_back_notice(pipeline, &stage.name, failed, &reason);
                    Verdict {
                        decision: "refused",
                        reason,
                        notice: Some(notice),
                    }
                }
            },
        )
    }
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
