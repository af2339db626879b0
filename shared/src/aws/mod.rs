//! The imperative shell's edge: every AWS call pipeguard makes, one module per service, on the
//! official SDK. Nothing under `gate`, `retry` or `rollback` may use this module.

pub mod codepipeline;
pub mod dynamodb;
pub mod health;
pub mod sns;
pub mod sources;

pub use codepipeline::{CodePipeline, PipelineCallError, ReportError, Reported};
pub use dynamodb::{EventStore, Recorded, StoreError};
pub use health::{HealthApi, HealthEndpoint};
pub use sns::Notifier;
pub use sources::HealthSources;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// One attempt may take 5 s and a call, with the SDK's standard retries, 15 s: well inside
/// the functions' timeout, so there is always time left to report a result.
pub async fn load_config() -> SdkConfig {
    load_config_for(None, None).await
}

/// The same, for a region and a named profile when given (the CLI's `--region`, `--profile`);
/// otherwise the standard chain decides (environment, profile, instance metadata).
pub async fn load_config_for(region: Option<String>, profile: Option<String>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region));
    }
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    loader
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(15))
                .build(),
        )
        .load()
        .await
}

/// Whether the configuration has credentials to sign with: why not, when it has none.
pub async fn check_credentials(config: &SdkConfig) -> Result<(), String> {
    use aws_sdk_codepipeline::config::ProvideCredentials;
    let provider = config
        .credentials_provider()
        .ok_or("no credentials provider is configured")?;
    provider
        .provide_credentials()
        .await
        .map(drop)
        .map_err(|error| error.to_string())
}

/// The notifier for `NOTIFY_TOPIC_ARN` (silent when it is unset).
pub fn notifier(config: &SdkConfig, lookup: impl Fn(&str) -> Option<String>) -> Notifier {
    Notifier::new(aws_sdk_sns::Client::new(config), lookup("NOTIFY_TOPIC_ARN"))
}

/// The AWS Health API and, when `HEALTH_EVENTS_TABLE` names one, the event store.
pub async fn health_sources(config: &SdkConfig, lookup: impl Fn(&str) -> Option<String>) -> HealthSources {
    let store = lookup(crate::gate::EVENT_STORE_VARIABLE)
        .filter(|table| !table.trim().is_empty())
        .map(|table| EventStore::new(aws_sdk_dynamodb::Client::new(config), table.trim()));
    HealthSources::new(HealthApi::from_env(config, lookup).await, store)
}
