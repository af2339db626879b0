//! The shared AWS SDK configuration, loaded once per cold start.

use crate::notify::Notifier;
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

/// What stage-retry and apply-rollback build at cold start: a CodePipeline client, and the
/// notifier for `NOTIFY_TOPIC_ARN`.
pub async fn pipeline_clients() -> (aws_sdk_codepipeline::Client, Notifier) {
    let config = load_config().await;
    let topic = std::env::var("NOTIFY_TOPIC_ARN").ok();
    (
        aws_sdk_codepipeline::Client::new(&config),
        Notifier::new(aws_sdk_sns::Client::new(&config), topic),
    )
}
