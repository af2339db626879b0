//! Which Health endpoint to ask: the ones configured, or AWS's two regional endpoints, the active
//! one (from DNS) first.

use crate::env::Environment;
use aws_config::SdkConfig;
use std::time::Duration;

/// `global.health.amazonaws.com` is a CNAME to the active endpoint, `health.<region>.amazonaws.com`.
const GLOBAL_ENDPOINT: &str = "global.health.amazonaws.com.";
const HEALTH_REGIONS: [&str; 2] = ["us-east-1", "us-east-2"];
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(2);

/// A Health API endpoint: a client and the name used for it in messages.
#[derive(Debug, Clone)]
pub struct HealthEndpoint {
    /// How messages name it.
    pub name: String,
    /// The client that asks it.
    pub client: aws_sdk_health::Client,
}

/// The endpoints to ask, in order: `PIPEGUARD_HEALTH_ENDPOINTS` (comma-separated URLs, tried in
/// order) or the SDK's `AWS_ENDPOINT_URL_HEALTH` / `AWS_ENDPOINT_URL` for local runs; else AWS's
/// two regional endpoints, the active one (from DNS) first.
pub(super) async fn configured(config: &SdkConfig, env: &Environment) -> Vec<HealthEndpoint> {
    if let Some(urls) = env.get("PIPEGUARD_HEALTH_ENDPOINTS") {
        let endpoints = urls
            .split(',')
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(|url| HealthEndpoint {
                name: url.to_owned(),
                client: aws_sdk_health::Client::from_conf(
                    aws_sdk_health::config::Builder::from(config)
                        .endpoint_url(url)
                        .build(),
                ),
            })
            .collect();
        return endpoints;
    }
    if let Some(url) = env
        .get("AWS_ENDPOINT_URL_HEALTH")
        .or_else(|| env.get("AWS_ENDPOINT_URL"))
    {
        return vec![HealthEndpoint {
            name: url,
            client: aws_sdk_health::Client::new(config),
        }];
    }
    let active = discover_active_region().await;
    if active.is_none() {
        tracing::warn!("could not resolve the active AWS Health endpoint; trying us-east-1, then us-east-2");
    }
    endpoint_order(active.as_deref())
        .into_iter()
        .map(|region| HealthEndpoint {
            name: format!("health.{region}.amazonaws.com"),
            client: aws_sdk_health::Client::from_conf(
                aws_sdk_health::config::Builder::from(config)
                    .region(aws_config::Region::new(region))
                    .build(),
            ),
        })
        .collect()
}

/// The active endpoint's region, from the CNAME of the global endpoint, as AWS documents.
async fn discover_active_region() -> Option<String> {
    use hickory_resolver::proto::rr::{RData, RecordType};
    let resolver = hickory_resolver::TokioResolver::builder_tokio()
        .ok()?
        .build()
        .ok()?;
    let lookup = tokio::time::timeout(
        DISCOVERY_TIMEOUT,
        resolver.lookup(GLOBAL_ENDPOINT, RecordType::CNAME),
    )
    .await
    .ok()?
    .ok()?;
    lookup.answers().iter().find_map(|record| match &record.data {
        RData::CNAME(target) => region_from_cname(&target.0.to_string()),
        _ => None,
    })
}

/// `health.us-east-2.amazonaws.com.` → `us-east-2`, for the two regions that host Health.
pub(super) fn region_from_cname(name: &str) -> Option<String> {
    let mut labels = name.trim_end_matches('.').split('.');
    match (labels.next(), labels.next()) {
        (Some("health"), Some(region)) if HEALTH_REGIONS.contains(&region) => Some(region.to_owned()),
        _ => None,
    }
}

/// The active region first, then the other one; us-east-1 first when unknown.
pub(super) fn endpoint_order(active: Option<&str>) -> Vec<&'static str> {
    match active {
        Some("us-east-2") => vec!["us-east-2", "us-east-1"],
        _ => vec!["us-east-1", "us-east-2"],
    }
}
