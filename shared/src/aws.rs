//! The shared AWS SDK configuration, loaded once per cold start.

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
