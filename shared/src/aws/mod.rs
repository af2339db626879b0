//! The imperative shell's edge: every AWS call pipeguard makes, one module per service, on the
//! official SDK. Nothing under `gate`, `retry` or `rollback` may use this module.

pub mod codepipeline;
pub mod health;
pub mod sns;

pub use codepipeline::{CodePipeline, PipelineCallError, ReportError, Reported};
pub use health::{HealthApi, HealthEndpoint};
pub use sns::Notifier;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// One attempt may take 5 s and a call, with the SDK's standard retries, 15 s: well inside
/// the functions' timeout, so there is always time left to report a result.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
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

/// The notifier for `NOTIFY_TOPIC_ARN` (silent when it is unset).
pub fn notifier(config: &SdkConfig, lookup: impl Fn(&str) -> Option<String>) -> Notifier {
    Notifier::new(aws_sdk_sns::Client::new(config), lookup("NOTIFY_TOPIC_ARN"))
}

/// What stage-retry and apply-rollback build at cold start: CodePipeline, and the notifier.
pub async fn pipeline_clients() -> (CodePipeline, Notifier) {
    let config = load_config().await;
    (
        CodePipeline::from_config(&config),
        notifier(&config, |name| std::env::var(name).ok()),
    )
}
