//! One failure, read top to bottom: is it still the stage's current failure, does it qualify
//! (a failed apply, or a failed bake of the stack's gate),
//! is it a failed rollback (never rolled back again), which execution to return to (the stage's
//! last good state: after a rollback, the one it returned to), roll back, tell people. Every decision is `pipeguard_core::rollback`'s; this file fetches and acts.

use lambda_runtime::LambdaEvent;
use pipeguard_aws::lambda::{Function, InvocationError};
use pipeguard_aws::{CodePipeline, Environment, Notifier, PipelineCallError, SdkConfig};
use pipeguard_core::config::SettingError;
use pipeguard_core::hold::GateActions;
use pipeguard_core::rollback::{self, RollbackPolicies, RollbackVerdict};
use pipeguard_core::trigger::{ChangeState, PipelineChange, Trigger, parse_invocation};
use serde_json::Value;
use std::sync::Arc;

/// Everything built once per cold start.
pub struct Rollbacker {
    policies: Result<RollbackPolicies, SettingError>,
    codepipeline: CodePipeline,
    notifier: Notifier,
}

/// Why deciding stopped early: a verdict, or a CodePipeline call that failed.
enum Stop {
    Decided(RollbackVerdict),
    Failed(PipelineCallError),
}

impl From<RollbackVerdict> for Stop {
    fn from(verdict: RollbackVerdict) -> Self {
        Self::Decided(verdict)
    }
}

impl From<PipelineCallError> for Stop {
    fn from(error: PipelineCallError) -> Self {
        Self::Failed(error)
    }
}

impl Function for Rollbacker {
    const NAME: &'static str = "apply-rollback";

    async fn from_env(config: &SdkConfig, env: &Environment) -> Self {
        let policies = pipeguard_aws::lambda::settings_at_cold_start(
            "rollback",
            RollbackPolicies::from_env(env.lookup()),
        );
        Self {
            policies,
            codepipeline: CodePipeline::from_config(config),
            notifier: Notifier::from_env(config, env),
        }
    }

    async fn handle(self: Arc<Self>, event: LambdaEvent<Value>) -> Result<(), InvocationError> {
        self.on_invocation(event).await
    }
}

impl Rollbacker {
    /// Handles every failure in the invocation. An AWS error fails the invocation so Lambda
    /// delivers it again: every step is safe to repeat.
    pub(crate) async fn on_invocation(&self, event: LambdaEvent<Value>) -> Result<(), InvocationError> {
        let policies = self.policies.as_ref().map_err(Clone::clone)?;
        for trigger in parse_invocation(&event.payload, pipeguard_aws::clock::unix_seconds()) {
            match trigger {
                Trigger::Pipeline(change) if change.state == ChangeState::Failed => {
                    self.on_failure(policies, &change).await?;
                }
                Trigger::Refused(refusal) => pipeguard_aws::lambda::refused(Self::NAME, &refusal),
                other => tracing::debug!(?other, "not a trigger apply-rollback acts on"),
            }
        }
        Ok(())
    }

    async fn on_failure(
        &self,
        policies: &RollbackPolicies,
        change: &PipelineChange,
    ) -> Result<(), PipelineCallError> {
        let (pipeline, failed) = (change.pipeline.as_str(), change.execution_id.as_str());
        let stages = self.codepipeline.stages(pipeline).await?;
        let failure = match rollback::locate(pipeline, failed, change.named_stage(), &stages) {
            Ok(failure) => failure,
            Err(verdict) => {
                log(change, change.named_stage(), &verdict);
                return Ok(());
            }
        };
        let verdict = match self.decide(policies, &failure).await {
            Ok(verdict) | Err(Stop::Decided(verdict)) => verdict,
            Err(Stop::Failed(error)) => return Err(error),
        };
        log(change, Some(&failure.stage.name), &verdict);
        if let Some(notice) = verdict.notice(&failure) {
            self.notifier.tell(&notice).await;
        }
        Ok(())
    }

    /// Fetches only what the next step needs, and rolls back when every step agrees.
    async fn decide(
        &self,
        policies: &RollbackPolicies,
        failure: &rollback::Failure<'_>,
    ) -> Result<RollbackVerdict, Stop> {
        let (pipeline, failed, stage) = (failure.pipeline, failure.execution_id, &failure.stage.name);
        let policy = policies.for_pipeline(pipeline);
        let runs = self.codepipeline.action_runs(pipeline, failed).await?;
        // Which actions invoke the stack's gate is asked (GetPipeline) only when a failed run
        // says its bake failed: only the gate's own BAKE_FAILED is a failed bake.
        let gate_functions = policies.gate_functions();
        let gates = if policy.bake_failures
            && !gate_functions.is_empty()
            && runs
                .iter()
                .any(|run| run.stage == *stage && rollback::says_bake_failed(run))
        {
            GateActions::of(
                &self.codepipeline.declared_actions(pipeline).await?,
                gate_functions,
            )
        } else {
            GateActions::none()
        };
        let apply = rollback::qualifying_failure(policy, stage, failure.is_source_stage, &runs, &gates)?;
        // GetPipelineState says whether the failed execution was a rollback; only when it does
        // not does the history have to be read for it.
        let execution_type = match &failure.stage.execution_type {
            Some(known) => Some(known.clone()),
            None => self
                .codepipeline
                .newest_execution_where(pipeline, None, |execution| execution.id == failed)
                .await?
                .map(|execution| execution.execution_type),
        };
        if let Some(execution_type) = &execution_type {
            rollback::not_a_rollback(failure, execution_type)?;
        }
        // The stage's last good state: a rollback that succeeded stands for its target, which
        // may be on a later page than the rollback.
        let succeeded = self
            .codepipeline
            .executions_until(pipeline, Some(stage), |read| {
                rollback::last_good_execution(read, failed).is_settled()
            })
            .await?;
        let last_good = rollback::last_good_execution(&succeeded, failed);
        let plan = rollback::choose(policy, failure, apply, last_good)?;
        let outcome = self
            .codepipeline
            .rollback_stage(pipeline, stage, &plan.target.id)
            .await?;
        Ok(RollbackVerdict::after(plan, outcome))
    }
}

/// Logs the decision about `change` (in `stage`, when one was found or named), and counts it.
fn log(change: &PipelineChange, stage: Option<&str>, verdict: &RollbackVerdict) {
    tracing::info!(
        pipeline = %change.pipeline,
        execution_id = %change.execution_id,
        stage,
        verdict = verdict.label(),
        reason = %verdict.reason(),
        "rollback decision"
    );
    pipeguard_aws::metrics::decision(Rollbacker::NAME, verdict.label(), None);
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
