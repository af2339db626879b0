//! The AWS Health API: which endpoint to ask, and every event that matches a policy, across all
//! pages and all the queries the API's filter limits make necessary.

use aws_sdk_health::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_health::types::{EventFilter, EventStatusCode, EventTypeCategory};
use pipeguard_core::gate::GatePolicy;
use pipeguard_core::health::{EventCategory, EventStatus, HealthCallError, HealthEvent, HealthUnavailable};
use std::fmt;
use std::time::Duration;

/// DescribeEvents takes at most 10 values in each list filter.
const MAX_FILTER_VALUES: usize = 10;
const PAGE_SIZE: i32 = 100;
/// `global.health.amazonaws.com` is a CNAME to the active endpoint, `health.<region>.amazonaws.com`.
const GLOBAL_ENDPOINT: &str = "global.health.amazonaws.com.";
const HEALTH_REGIONS: [&str; 2] = ["us-east-1", "us-east-2"];
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Why one endpoint could not answer a call, in the core's words (plain text: the core holds no
/// SDK type).
fn call_error<E, R>(error: SdkError<E, R>) -> HealthCallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    match &error {
        SdkError::TimeoutError(_) => HealthCallError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => HealthCallError::Timeout,
        SdkError::DispatchFailure(_) => HealthCallError::Unreachable(DisplayErrorContext(&error).to_string()),
        SdkError::ResponseError(_) | SdkError::ConstructionFailure(_) => {
            HealthCallError::BadResponse(DisplayErrorContext(&error).to_string())
        }
        _ => {
            let code = error.code().unwrap_or("UnknownError").to_owned();
            let message = error.message().unwrap_or("no message").to_owned();
            match code.as_str() {
                "SubscriptionRequiredException" => HealthCallError::SubscriptionRequired,
                "ThrottlingException" | "TooManyRequestsException" | "Throttling" => {
                    HealthCallError::Throttled(message)
                }
                _ => HealthCallError::Service { code, message },
            }
        }
    }
}

/// The DescribeEvents filters for a policy: regions and services beyond the API's ten values
/// per list are split into several queries. Event type codes to ignore are not a filter the
/// API offers; the decision drops them.
pub fn filters_for(policy: &GatePolicy) -> Vec<EventFilter> {
    let service_chunks: Vec<Option<Vec<String>>> = if policy.services.is_empty() {
        vec![None]
    } else {
        policy
            .services
            .chunks(MAX_FILTER_VALUES)
            .map(|chunk| Some(chunk.to_vec()))
            .collect()
    };
    let categories: Vec<EventTypeCategory> = policy
        .categories
        .iter()
        .map(|category| EventTypeCategory::from(category.as_str()))
        .collect();
    let statuses: Vec<EventStatusCode> = policy
        .statuses
        .iter()
        .map(|status| EventStatusCode::from(status.as_str()))
        .collect();
    let mut filters = Vec::new();
    for regions in policy.regions.chunks(MAX_FILTER_VALUES) {
        for services in &service_chunks {
            filters.push(
                EventFilter::builder()
                    .set_regions(Some(regions.to_vec()))
                    .set_services(services.clone())
                    .set_event_type_categories(Some(categories.clone()))
                    .set_event_status_codes(Some(statuses.clone()))
                    .build(),
            );
        }
    }
    filters
}

/// A Health API endpoint: a client and the name used for it in messages.
#[derive(Debug, Clone)]
pub struct HealthEndpoint {
    /// How messages name it.
    pub name: String,
    /// The client that asks it.
    pub client: aws_sdk_health::Client,
}

/// The Health endpoints to ask, in order: the active one first, the other one when it fails.
#[derive(Debug, Clone)]
pub struct HealthApi {
    endpoints: Vec<HealthEndpoint>,
}

impl HealthApi {
    pub fn new(endpoints: Vec<HealthEndpoint>) -> Self {
        Self { endpoints }
    }

    /// Endpoints as configured: `PIPEGUARD_HEALTH_ENDPOINTS` (comma-separated URLs, tried in
    /// order) or the SDK's `AWS_ENDPOINT_URL_HEALTH` / `AWS_ENDPOINT_URL` for local runs; else
    /// AWS's two regional endpoints, the active one (from DNS) first.
    pub async fn from_env(config: &aws_config::SdkConfig, lookup: impl Fn(&str) -> Option<String>) -> Self {
        if let Some(urls) = lookup("PIPEGUARD_HEALTH_ENDPOINTS").filter(|urls| !urls.trim().is_empty()) {
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
            return Self::new(endpoints);
        }
        if let Some(url) = lookup("AWS_ENDPOINT_URL_HEALTH").or_else(|| lookup("AWS_ENDPOINT_URL")) {
            return Self::new(vec![HealthEndpoint {
                name: url,
                client: aws_sdk_health::Client::new(config),
            }]);
        }
        let active = discover_active_region().await;
        if active.is_none() {
            tracing::warn!(
                "could not resolve the active AWS Health endpoint; trying us-east-1, then us-east-2"
            );
        }
        let endpoints = endpoint_order(active.as_deref())
            .into_iter()
            .map(|region| HealthEndpoint {
                name: format!("health.{region}.amazonaws.com"),
                client: aws_sdk_health::Client::from_conf(
                    aws_sdk_health::config::Builder::from(config)
                        .region(aws_config::Region::new(region))
                        .build(),
                ),
            })
            .collect();
        Self::new(endpoints)
    }

    /// The events with these ARNs, whatever their status (the API's ten ARNs per query).
    pub async fn events_by_arn(&self, arns: &[String]) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        let filters: Vec<EventFilter> = arns
            .chunks(MAX_FILTER_VALUES)
            .map(|chunk| {
                EventFilter::builder()
                    .set_event_arns(Some(chunk.to_vec()))
                    .build()
            })
            .collect();
        self.events(&filters).await
    }

    /// Every event matching the filters, from the first endpoint that answers them all.
    /// A missing support plan is the same on every endpoint, so it is not retried elsewhere.
    pub async fn events(&self, filters: &[EventFilter]) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        let mut attempts = Vec::new();
        for endpoint in &self.endpoints {
            match events_from(&endpoint.client, filters).await {
                Ok(events) => {
                    if !attempts.is_empty() {
                        tracing::warn!(endpoint = %endpoint.name, failed = ?attempts, "AWS Health answered after failover");
                    }
                    return Ok(events);
                }
                Err(error) => {
                    let final_error = error == HealthCallError::SubscriptionRequired;
                    attempts.push((endpoint.name.clone(), error));
                    if final_error {
                        break;
                    }
                }
            }
        }
        Err(HealthUnavailable { attempts })
    }
}

/// All queries run concurrently; each follows every page.
async fn events_from(
    client: &aws_sdk_health::Client,
    filters: &[EventFilter],
) -> Result<Vec<HealthEvent>, HealthCallError> {
    let queries = filters.iter().map(|filter| {
        let request = client
            .describe_events()
            .filter(filter.clone())
            .max_results(PAGE_SIZE);
        async move {
            let mut pages = request.into_paginator().send();
            let mut events = Vec::new();
            while let Some(page) = pages.next().await {
                events.extend(page.map_err(call_error)?.events().iter().map(to_plain_event));
            }
            Ok::<_, HealthCallError>(events)
        }
    });
    let mut all: Vec<HealthEvent> = Vec::new();
    // An event matching several queries (regions and services split) is one event.
    for event in super::all_at_once(queries).await? {
        if !all.iter().any(|seen| seen.arn == event.arn) {
            all.push(event);
        }
    }
    Ok(all)
}

fn to_plain_event(event: &aws_sdk_health::types::Event) -> HealthEvent {
    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
    HealthEvent {
        arn: text(event.arn()),
        service: text(event.service()),
        event_type_code: text(event.event_type_code()),
        category: EventCategory::from(event.event_type_category().map_or("", EventTypeCategory::as_str)),
        region: text(event.region()),
        status: EventStatus::from(event.status_code().map_or("", EventStatusCode::as_str)),
        start_time: event.start_time().map(|time| time.secs()),
    }
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
fn region_from_cname(name: &str) -> Option<String> {
    let mut labels = name.trim_end_matches('.').split('.');
    match (labels.next(), labels.next()) {
        (Some("health"), Some(region)) if HEALTH_REGIONS.contains(&region) => Some(region.to_owned()),
        _ => None,
    }
}

/// The active region first, then the other one; us-east-1 first when unknown.
fn endpoint_order(active: Option<&str>) -> Vec<&'static str> {
    match active {
        Some("us-east-2") => vec!["us-east-2", "us-east-1"],
        _ => vec!["us-east-1", "us-east-2"],
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
