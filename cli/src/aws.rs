//! The AWS side of the command line: one configuration from the standard chain (with `--region`
//! and `--profile`), the clients built from it, and the pipelines a command is about.

use crate::ended::Problem;
use aws_config::SdkConfig;
use pipeguard_aws::{
    CallerIdentity, ChangeCalendars, CloudWatchAlarms, CodePipeline, Environment, FreezeStore, HealthSources,
    OverrideStore, PipelineCallError, Table, TrustRoots,
};
use pipeguard_core::gate::EVENT_STORE_VARIABLE;
use pipeguard_core::hold::{GateActions, GateFunctions};
use pipeguard_core::overrides::Override;
use pipeguard_core::pipeline::StageSnapshot;
use pipeguard_core::retry;
use pipeguard_core::text::printable;
use pipeguard_core::trigger::{OVERRIDE_GRANTED_DETAIL_TYPE, PIPEGUARD_SOURCE, UNFROZEN_DETAIL_TYPE};

/// The region the CLI works in and the clients it uses.
pub struct Aws {
    config: SdkConfig,
    pub codepipeline: CodePipeline,
}

impl Aws {
    /// Loads the configuration and checks that there are credentials to sign with, so that a
    /// missing one is said once, clearly, and before anything else.
    pub async fn connect(region: Option<String>, profile: Option<String>) -> Result<Self, Problem> {
        // People's machines may sit behind a proxy with its own CA: the platform's store.
        let config = pipeguard_aws::http::load_config_for(region, profile, TrustRoots::Native).await;
        if config.region().is_none() {
            return Err(Problem::Usage(
                "no AWS region: pass --region, or set AWS_REGION or a profile's region".into(),
            ));
        }
        if let Err(error) = pipeguard_aws::http::check_credentials(&config).await {
            return Err(Problem::Usage(format!(
                "no AWS credentials ({error}): set AWS_PROFILE (or --profile) and sign in, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )));
        }
        Ok(Self {
            codepipeline: CodePipeline::from_config(&config),
            config,
        })
    }

    /// The settings a command reads, as the functions read theirs: the process environment,
    /// with the region the configuration chose as `AWS_REGION` and, when given, `table` as
    /// `HEALTH_EVENTS_TABLE`.
    pub fn env(&self, table: Option<String>) -> Environment {
        let region = self.config.region().map(|region| region.to_string());
        Environment::of_process()
            .with("AWS_REGION", region)
            .with(EVENT_STORE_VARIABLE, table)
    }

    /// The actions of `pipeline` whose hold markers are the gate's: those that invoke
    /// `GATE_FUNCTIONS` when it is set, else every Lambda invoke action. The structure is asked
    /// only when one of `stages` carries a marker; when it cannot be read (a role without
    /// `codepipeline:GetPipeline`, as before this release), every action's marker counts, with a
    /// warning: here a hold only keeps a stage from being retried, and is shown.
    pub async fn gate_actions(
        &self,
        pipeline: &str,
        stages: &[StageSnapshot],
        gates: &GateFunctions,
    ) -> Result<GateActions, PipelineCallError> {
        if !stages.iter().any(retry::carries_marker) {
            return Ok(GateActions::default());
        }
        let declared = match self.codepipeline.declared_actions(pipeline).await {
            Ok(declared) => declared,
            Err(error) if error.is_not_found() => return Err(error),
            Err(error) => {
                eprintln!(
                    "warning: {}; taking every action's hold marker for the gate's",
                    printable(&error.to_string())
                );
                return Ok(GateActions::every_action_of(stages));
            }
        };
        Ok(if gates.is_empty() {
            GateActions::every_lambda_invoke(&declared)
        } else {
            GateActions::of(&declared, gates)
        })
    }

    /// Whose the credentials are: a freeze records who froze.
    pub async fn identity(&self) -> Result<CallerIdentity, Problem> {
        pipeguard_aws::caller_identity(&self.config)
            .await
            .map_err(|error| Problem::Failed(error.to_string()))
    }

    /// The account of the credentials: the one the Health API's own view is of, and the one a
    /// gate policy watches when it names none.
    pub async fn own_account(&self) -> Result<String, Problem> {
        Ok(self.identity().await?.account)
    }

    /// The freezes in `table` (or `HEALTH_EVENTS_TABLE`), when one is named.
    pub fn freeze_store(&self, table: Option<String>) -> Option<FreezeStore> {
        Table::from_env(&self.config, &self.env(table)).map(FreezeStore::in_table)
    }

    /// The service's CloudWatch alarms, asked in each region a policy names (a client is built
    /// for a region when first asked).
    pub fn alarms(&self) -> CloudWatchAlarms {
        CloudWatchAlarms::from_config(&self.config)
    }

    /// The service's Change Calendars, asked in each region a policy names (a client is built
    /// for a region when first asked).
    pub fn calendars(&self) -> ChangeCalendars {
        ChangeCalendars::from_config(&self.config)
    }

    /// The overrides in `table` (or `HEALTH_EVENTS_TABLE`), when one is named.
    pub fn override_store(&self, table: Option<String>) -> Option<OverrideStore> {
        Table::from_env(&self.config, &self.env(table)).map(OverrideStore::in_table)
    }

    /// Tells stage-retry that freeze `id` ended, so that it resumes the stages it held now.
    pub async fn announce_unfrozen(&self, id: &str) -> Result<(), String> {
        self.announce(UNFROZEN_DETAIL_TYPE, serde_json::json!({ "freeze_id": id }))
            .await
    }

    /// Tells stage-retry that `granted` was granted, so that it resumes the stages of its
    /// pipeline held only by what it covers now.
    pub async fn announce_override(&self, granted: &Override) -> Result<(), String> {
        let kinds: Vec<&str> = granted.kinds.iter().map(|kind| kind.name()).collect();
        let detail = serde_json::json!({
            "override_id": granted.id,
            "pipeline": granted.pipeline,
            "kinds": kinds,
        });
        self.announce(OVERRIDE_GRANTED_DETAIL_TYPE, detail).await
    }

    /// Puts an event of pipeguard's on this region's default bus, which the template's rules
    /// route to stage-retry.
    async fn announce(&self, detail_type: &str, detail: serde_json::Value) -> Result<(), String> {
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .source(PIPEGUARD_SOURCE)
            .detail_type(detail_type)
            .detail(detail.to_string())
            .build();
        let output = aws_sdk_eventbridge::Client::new(&self.config)
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|error| aws_sdk_eventbridge::error::DisplayErrorContext(error).to_string())?;
        match output.entries().first().and_then(|entry| entry.error_code()) {
            None if output.failed_entry_count() == 0 => Ok(()),
            code => Err(format!(
                "PutEvents refused the event ({})",
                code.unwrap_or("no reason given")
            )),
        }
    }

    /// Where AWS Health is asked: the API, and the event store when `table` (or
    /// `HEALTH_EVENTS_TABLE`) names one.
    pub async fn health_sources(&self, table: Option<String>) -> HealthSources {
        let env = self.env(table);
        HealthSources::from_env(&self.config, &env, Table::from_env(&self.config, &env)).await
    }
}
