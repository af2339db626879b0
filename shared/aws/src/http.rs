//! The HTTPS client and SDK configuration every AWS client of a process shares: whose
//! certificates TLS trusts, the timeouts, and whether there are credentials to sign with.

use crate::env::Environment;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_codepipeline::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use std::time::Duration;

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
    pub fn for_lambda(env: &Environment) -> Self {
        if env.get("SSL_CERT_FILE").is_some() || env.get("SSL_CERT_DIR").is_some() {
            Self::Native
        } else {
            Self::Amazon
        }
    }
}

/// Where the functions' credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// The environment's (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`),
    /// where Lambda puts the function role's: the provider the default chain would find first,
    /// named so that the rest of the chain is never built. Its web-identity link builds an STS
    /// client at load, and with it STS's endpoint rules, which no decision uses: about an
    /// eighth of a cold start's instructions.
    Environment,
    /// The SDK's default chain (environment, profile, web identity, container, instance).
    DefaultChain,
}

impl Credentials {
    /// For the functions: the environment's when it has a key pair, as Lambda's always does.
    pub fn for_lambda(env: &Environment) -> Self {
        if env.get("AWS_ACCESS_KEY_ID").is_some() && env.get("AWS_SECRET_ACCESS_KEY").is_some() {
            Self::Environment
        } else {
            Self::DefaultChain
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

/// The functions' configuration. One attempt may take 5 s and a call, with the SDK's standard
/// retries, 15 s: well inside the functions' timeout, so there is always time left to report a
/// result.
pub async fn load_config(env: &Environment) -> SdkConfig {
    let loader = loader(None, None, TrustRoots::for_lambda(env));
    match Credentials::for_lambda(env) {
        Credentials::Environment => loader
            .credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new()),
        Credentials::DefaultChain => loader,
    }
    .load()
    .await
}

/// The same, for a region and a named profile when given (the CLI's `--region`, `--profile`);
/// otherwise the standard chain decides (environment, profile, instance metadata).
pub async fn load_config_for(
    region: Option<String>,
    profile: Option<String>,
    roots: TrustRoots,
) -> SdkConfig {
    loader(region, profile, roots).load().await
}

/// The loader both configurations start from: the HTTPS client, the region and profile when
/// given, the timeouts.
fn loader(region: Option<String>, profile: Option<String>, roots: TrustRoots) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client(roots));
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region));
    }
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    loader.timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(Duration::from_secs(5))
            .operation_timeout(Duration::from_secs(15))
            .build(),
    )
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

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
