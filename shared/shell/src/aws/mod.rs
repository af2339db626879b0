//! The imperative shell's edge: every AWS call pipeguard makes, one module per service, on the
//! official SDK, each item at one path (`pipeguard::aws::CodePipeline`, ...). The decisions
//! cannot reach it: they live in `pipeguard_core`, a crate this one depends on.

mod codepipeline;
mod dynamodb;
mod freezes;
mod health;
mod sns;
mod sources;
mod sts;

pub use codepipeline::{CodePipeline, PipelineCallError, ReportError, Reported};
pub use dynamodb::{EventStore, Recorded, StoreError};
pub use freezes::{FREEZES_PARTITION, FreezeStore, FreezeStoreError, new_freeze_id};
pub use health::{HealthApi, HealthEndpoint};
pub use sns::{Notifier, NotifyError};
pub use sources::HealthSources;
pub use sts::{CallerAccountError, CallerIdentity, caller_identity};

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_codepipeline::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason,
};
use aws_smithy_types::retry::ErrorKind;
use std::time::Duration;
use tokio::task::JoinSet;

/// The root certificates of Amazon Trust Services, which sign the certificates of every AWS
/// endpoint the functions call (and Starfield's, which cross-signs them for older clients).
const AMAZON_ROOTS: &str = include_str!("amazon-roots.pem");

/// Which certificates TLS connections trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustRoots {
    /// Amazon's roots, compiled in: nothing to read at cold start, and only the CAs AWS
    /// endpoints chain to.
    Amazon,
    /// The platform's store (every file of `/etc/ssl/certs`, or `SSL_CERT_FILE` /
    /// `SSL_CERT_DIR`), for machines behind a proxy with its own CA.
    Native,
}

impl TrustRoots {
    /// For the functions: Amazon's, unless `SSL_CERT_FILE` or `SSL_CERT_DIR` names a store.
    pub fn for_lambda(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let named = |name: &str| lookup(name).is_some_and(|value| !value.trim().is_empty());
        if named("SSL_CERT_FILE") || named("SSL_CERT_DIR") {
            Self::Native
        } else {
            Self::Amazon
        }
    }
}

/// The HTTPS client every SDK client of the process shares, trusting `roots`.
fn https_client(roots: TrustRoots) -> SharedHttpClient {
    let store = match roots {
        TrustRoots::Amazon => TrustStore::empty().with_pem_certificate(AMAZON_ROOTS.as_bytes()),
        TrustRoots::Native => TrustStore::default(),
    };
    // Building a context from a trust store cannot fail in this version; if one day it does,
    // the default context (the platform's roots) is still a sound one.
    let context = TlsContext::builder()
        .with_trust_store(store)
        .build()
        .unwrap_or_default();
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

/// The SDK's retries for a call whose effect must not happen twice: only after throttling, which
/// AWS answers before acting. After a timeout, a dropped connection or a 5xx the call may have
/// taken effect, so it is not repeated. Runs after the SDK's classifiers and vetoes their other
/// verdicts.
#[derive(Debug)]
pub(crate) struct OnlyThrottlingRetried;

impl ClassifyRetry for OnlyThrottlingRetried {
    fn classify_retry(&self, _: &InterceptorContext) -> RetryAction {
        RetryAction::NoActionIndicated
    }

    fn classify_retry_v2(&self, _: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        match previous {
            RetryAction::NoActionIndicated
            | RetryAction::RetryIndicated(RetryReason::RetryableError {
                kind: ErrorKind::ThrottlingError,
                ..
            }) => RetryAction::NoActionIndicated,
            _ => RetryAction::RetryForbidden,
        }
    }

    fn name(&self) -> &'static str {
        "only throttling retried"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Runs every call at once, each on its own task, and gathers what they found, in the order they
/// finish; the first error ends it. A call that panics panics here, as it would have run inline.
pub(crate) async fn all_at_once<T, E, F>(calls: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<Vec<T>, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut running: JoinSet<Result<Vec<T>, E>> = calls.into_iter().collect();
    let mut found = Vec::new();
    while let Some(finished) = running.join_next().await {
        match finished {
            Ok(result) => found.extend(result?),
            // Only a panic ends a task early: the set is never aborted while it is awaited.
            Err(failed) => std::panic::resume_unwind(
                failed
                    .try_into_panic()
                    .unwrap_or_else(|cancelled| Box::new(cancelled.to_string())),
            ),
        }
    }
    Ok(found)
}

/// One attempt may take 5 s and a call, with the SDK's standard retries, 15 s: well inside
/// the functions' timeout, so there is always time left to report a result.
pub async fn load_config() -> SdkConfig {
    let roots = TrustRoots::for_lambda(crate::lambda::process_env);
    load_config_for(None, None, roots).await
}

/// The same, for a region and a named profile when given (the CLI's `--region`, `--profile`);
/// otherwise the standard chain decides (environment, profile, instance metadata).
pub async fn load_config_for(
    region: Option<String>,
    profile: Option<String>,
    roots: TrustRoots,
) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client(roots));
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
    let store = lookup(pipeguard_core::gate::EVENT_STORE_VARIABLE)
        .filter(|table| !table.trim().is_empty())
        .map(|table| EventStore::new(aws_sdk_dynamodb::Client::new(config), table.trim()));
    HealthSources::new(HealthApi::from_env(config, lookup).await, store)
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
