//! One invocation, read top to bottom: parse the triggers and hand each to what acts on it: a
//! failed stage to `failure`; AWS Health events, unfreezes and the sweep's schedule to `resume`.

use crate::invocation::Invocation;

use lambda_runtime::LambdaEvent;
use pipeguard_aws::lambda::{Function, InvocationError};
use pipeguard_aws::{
    CloudWatchAlarms, CodePipeline, Environment, FreezeStore, HealthSources, Notifier, OverrideStore,
    SdkConfig, Table,
};
use pipeguard_core::config::SettingError;
use pipeguard_core::holder::Release;
use pipeguard_core::retry::RetryPolicies;
use pipeguard_core::trigger::{ChangeLevel, ChangeState, Trigger, parse_invocation};
use serde_json::Value;
use std::sync::Arc;

/// Everything built once per cold start.
pub struct Retrier {
    pub(crate) policies: Result<RetryPolicies, SettingError>,
    pub(crate) codepipeline: CodePipeline,
    pub(crate) notifier: Notifier,
    /// Where resumes learn whether AWS Health events have closed, and where they are recorded.
    pub(crate) health: HealthSources,
    /// The freezes people set, read when a hold names one.
    pub(crate) freezes: Option<FreezeStore>,
    /// The break-glass overrides people grant, read when a stage is held.
    pub(crate) overrides: Option<OverrideStore>,
    /// The alarms that hold stages, asked whether they are OK again; a region's client is built
    /// when a hold first names one of its alarms.
    pub(crate) alarms: CloudWatchAlarms,
}

impl Function for Retrier {
    const NAME: &'static str = "stage-retry";

    async fn from_env(config: &SdkConfig, env: &Environment) -> Self {
        let policies =
            pipeguard_aws::lambda::settings_at_cold_start("retry", RetryPolicies::from_env(env.lookup()));
        if policies
            .as_ref()
            .is_ok_and(|policies| policies.gate_functions.is_empty())
        {
            tracing::warn!(
                "GATE_FUNCTIONS is not set: no hold marker is taken for the gate's, so no stage is held or resumed (the template sets it)"
            );
        }
        // One table, one client: the event store, the freezes and the overrides share it.
        let table = Table::from_env(config, env);
        Self {
            policies,
            codepipeline: CodePipeline::from_config(config),
            notifier: Notifier::from_env(config, env),
            health: HealthSources::from_env(config, env, table.clone()).await,
            freezes: table.clone().map(FreezeStore::in_table),
            overrides: table.map(OverrideStore::in_table),
            alarms: CloudWatchAlarms::from_config(config),
        }
    }

    async fn handle(self: Arc<Self>, event: LambdaEvent<Value>) -> Result<(), InvocationError> {
        self.on_invocation(event).await
    }
}

impl Retrier {
    /// Handles every trigger in the invocation. An AWS error fails the invocation, so Lambda
    /// delivers it again (and, in the end, to the dead-letter queue): every step is safe to repeat.
    pub(crate) async fn on_invocation(&self, event: LambdaEvent<Value>) -> Result<(), InvocationError> {
        let policies = self.policies.as_ref().map_err(Clone::clone)?;
        let function_arn = &event.context.invoked_function_arn;
        let own_account = pipeguard_aws::lambda::account_of(function_arn)
            .ok_or_else(|| InvocationError::UnknownAccount(function_arn.clone()))?;
        let invocation = Invocation {
            policies,
            own_account: &own_account,
        };
        for trigger in parse_invocation(&event.payload, pipeguard_aws::clock::unix_seconds()) {
            match trigger {
                Trigger::Pipeline(change)
                    if change.state == ChangeState::Failed && change.level != ChangeLevel::Action =>
                {
                    // Asked per failure: the ones before it in this delivery used time.
                    let time_left = pipeguard_aws::lambda::time_left(event.context.deadline);
                    self.on_failure(&invocation, &change, time_left).await?;
                }
                Trigger::Health(record) => self.on_health_event(&invocation, &record).await?,
                Trigger::Sweep => self.sweep(&invocation, event.context.deadline).await?,
                Trigger::Unfrozen { freeze_id } => {
                    self.resume_held(&invocation, Some(Release::Unfrozen(&freeze_id)))
                        .await?
                }
                Trigger::AlarmChanged { alarm, state } if state == "OK" => {
                    self.resume_held(&invocation, Some(Release::AlarmCleared(&alarm)))
                        .await?
                }
                Trigger::CalendarChanged { calendar, state } if state == "OPEN" => {
                    self.resume_held(&invocation, Some(Release::CalendarOpened(&calendar)))
                        .await?
                }
                Trigger::OverrideGranted {
                    override_id,
                    pipeline,
                    ..
                } => self.on_override(&invocation, &override_id, &pipeline).await?,
                Trigger::Pipeline(change) if change.state == ChangeState::Failed => tracing::debug!(
                    pipeline = %change.pipeline,
                    action = ?change.action,
                    "action failure ignored: the stage's failure event decides"
                ),
                Trigger::Ignored { reason } => tracing::info!(%reason, "event skipped"),
                Trigger::Refused(refusal) => pipeguard_aws::lambda::refused(Self::NAME, &refusal),
                other => tracing::debug!(?other, "not a trigger stage-retry acts on"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
