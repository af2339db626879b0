//! The AWS Health API: which endpoint to ask, and every event that matches a policy, across all
//! pages and all the queries the API's filter limits make necessary: the account's own view
//! (DescribeEvents) and the organization's (DescribeEventsForOrganization, and
//! DescribeEventDetailsForOrganization for the events a hold names).

use aws_sdk_health::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_health::types::{
    EventAccountFilter, EventFilter, EventScopeCode, EventStatusCode, EventTypeCategory,
    OrganizationEventFilter,
};
use pipeguard_core::gate::{GatePolicy, MAX_ACCOUNTS};
use pipeguard_core::health::{
    EventCategory, EventScope, EventStatus, HealthCallError, HealthEvent, HealthUnavailable,
};
use std::fmt;
use std::time::Duration;

/// DescribeEvents takes at most 10 values in each list filter.
const MAX_FILTER_VALUES: usize = 10;
const PAGE_SIZE: i32 = 100;
/// DescribeEventDetailsForOrganization takes at most 10 events a call.
const MAX_DETAIL_FILTERS: usize = 10;
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

/// Why the organizational view could not answer. AccessDenied from it means it cannot be asked
/// from here (it is not enabled, this account is neither the organization's management account
/// nor a Health delegated administrator, or IAM does not allow it): a refusal, not an outage.
fn organization_call_error<E, R>(error: SdkError<E, R>) -> HealthCallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    if error.code() == Some("AccessDeniedException") {
        return HealthCallError::OrganizationView(format!(
            "{} (the organizational view must be enabled, and asked from the organization's management account or a Health delegated administrator that IAM allows to)",
            DisplayErrorContext(&error)
        ));
    }
    call_error(error)
}

/// The DescribeEvents filters for a policy: regions and services beyond the API's ten values
/// per list are split into several queries. Event type codes to ignore are not a filter the
/// API offers; the decision drops them.
pub fn filters_for(policy: &GatePolicy) -> Vec<EventFilter> {
    queries_for(policy)
        .into_iter()
        .map(|query| {
            EventFilter::builder()
                .set_regions(Some(query.regions))
                .set_services(query.services)
                .set_event_type_categories(Some(query.categories))
                .set_event_status_codes(Some(query.statuses))
                .build()
        })
        .collect()
}

/// The DescribeEventsForOrganization filters for a policy and the accounts asked about (at most
/// `MAX_ACCOUNTS`, the API's limit, which the policy keeps): the same queries as
/// `filters_for`, each narrowed to those accounts.
fn organization_filters_for(policy: &GatePolicy, accounts: &[&str]) -> Vec<OrganizationEventFilter> {
    let accounts: Vec<String> = accounts
        .iter()
        .take(MAX_ACCOUNTS)
        .map(|id| id.to_string())
        .collect();
    queries_for(policy)
        .into_iter()
        .map(|query| {
            OrganizationEventFilter::builder()
                .set_aws_account_ids(Some(accounts.clone()))
                .set_regions(Some(query.regions))
                .set_services(query.services)
                .set_event_type_categories(Some(query.categories))
                .set_event_status_codes(Some(query.statuses))
                .build()
        })
        .collect()
}

/// One query's worth of a policy: the API's list filters take ten values each.
struct Query {
    regions: Vec<String>,
    services: Option<Vec<String>>,
    categories: Vec<EventTypeCategory>,
    statuses: Vec<EventStatusCode>,
}

fn queries_for(policy: &GatePolicy) -> Vec<Query> {
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
    let mut queries = Vec::new();
    for regions in policy.regions.chunks(MAX_FILTER_VALUES) {
        for services in &service_chunks {
            queries.push(Query {
                regions: regions.to_vec(),
                services: services.clone(),
                categories: categories.clone(),
                statuses: statuses.clone(),
            });
        }
    }
    queries
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
    /// The endpoints, tried in order.
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

    /// The events with these ARNs, whatever their status (the API's ten ARNs per query), as
    /// `own_account` sees them.
    pub async fn events_by_arn(
        &self,
        arns: &[String],
        own_account: &str,
    ) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        let filters: Vec<EventFilter> = arns
            .chunks(MAX_FILTER_VALUES)
            .map(|chunk| {
                EventFilter::builder()
                    .set_event_arns(Some(chunk.to_vec()))
                    .build()
            })
            .collect();
        self.events(&filters, own_account).await
    }

    /// Every event matching the filters as `own_account` (the caller) sees them: its own
    /// account-specific events are that account's.
    pub async fn events(
        &self,
        filters: &[EventFilter],
        own_account: &str,
    ) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        self.ask(|client| events_from(client, filters.to_vec(), own_account.to_owned()))
            .await
    }

    /// Every event of the organization's view the policy asks about, one per account it concerns
    /// among `accounts` (an account-specific event may concern several), or one for every
    /// account when it is public.
    pub async fn organization_events(
        &self,
        policy: &GatePolicy,
        accounts: &[&str],
    ) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        let accounts: Vec<String> = accounts.iter().map(|id| id.to_string()).collect();
        self.ask(|client| organization_events_from(client, policy.clone(), accounts.clone()))
            .await
    }

    /// The organization's view of these events, each of the account it concerns (None: a public
    /// event): what `closed` asks about holds in other accounts.
    pub async fn organization_events_by_arn(
        &self,
        events: &[(String, Option<String>)],
    ) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        self.ask(|client| organization_details_from(client, events.to_vec()))
            .await
    }

    /// The first answer of the endpoints, asked in order. An error every endpoint would give
    /// the same (no support plan, an organizational view this account may not ask) is not
    /// asked of the next.
    async fn ask<T, F, Fut>(&self, call: F) -> Result<T, HealthUnavailable>
    where
        F: Fn(aws_sdk_health::Client) -> Fut,
        Fut: Future<Output = Result<T, HealthCallError>>,
    {
        let mut attempts = Vec::new();
        for endpoint in &self.endpoints {
            match call(endpoint.client.clone()).await {
                Ok(answer) => {
                    if !attempts.is_empty() {
                        tracing::warn!(endpoint = %endpoint.name, failed = ?attempts, "AWS Health answered after failover");
                    }
                    return Ok(answer);
                }
                Err(error) => {
                    let same_everywhere = error.is_same_everywhere();
                    attempts.push((endpoint.name.clone(), error));
                    if same_everywhere {
                        break;
                    }
                }
            }
        }
        Err(HealthUnavailable::of(attempts))
    }
}

/// The organization's events the policy asks about, each as the accounts among `accounts` it
/// concerns: a public event once for all of them, an account-specific one once per account.
/// The events of all the accounts are asked for at once; only when some are account-specific
/// and more than one account was asked about, the same queries go again one account at a time,
/// to learn whose each is: the calls grow with the accounts watched, never with the events open.
async fn organization_events_from(
    client: aws_sdk_health::Client,
    policy: GatePolicy,
    accounts: Vec<String>,
) -> Result<Vec<HealthEvent>, HealthCallError> {
    let asked: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let found = organization_query(client.clone(), organization_filters_for(&policy, &asked)).await?;
    let (everyones, specific): (Vec<_>, Vec<_>) = found.into_iter().partition(|(_, scope)| scope.is_public());
    let mut events: Vec<HealthEvent> = everyones.into_iter().map(|(event, _)| event).collect();
    if specific.is_empty() {
        return Ok(events);
    }
    if let [account] = accounts.as_slice() {
        events.extend(specific.into_iter().map(|(event, _)| HealthEvent {
            account: Some(account.clone()),
            ..event
        }));
        return Ok(events);
    }
    let per_account = accounts.into_iter().map(|account| {
        let (client, filters) = (client.clone(), organization_filters_for(&policy, &[&account]));
        async move {
            let found = organization_query(client, filters).await?;
            Ok::<_, HealthCallError>(
                found
                    .into_iter()
                    .filter(|(_, scope)| !scope.is_public())
                    .map(|(event, _)| HealthEvent {
                        account: Some(account.clone()),
                        ..event
                    })
                    .collect::<Vec<_>>(),
            )
        }
    });
    events.extend(super::all_at_once(per_account).await?);
    Ok(events)
}

/// Every event of the organization's view matching the filters, with its scope: the queries at
/// once, each to its last page; an event several queries match, once.
async fn organization_query(
    client: aws_sdk_health::Client,
    filters: Vec<OrganizationEventFilter>,
) -> Result<Vec<(HealthEvent, EventScope)>, HealthCallError> {
    let queries = filters.into_iter().map(|filter| {
        let request = client
            .describe_events_for_organization()
            .filter(filter)
            .max_results(PAGE_SIZE);
        async move {
            let mut pages = request.into_paginator().send();
            let mut events = Vec::new();
            while let Some(page) = pages.next().await {
                events.extend(
                    page.map_err(organization_call_error)?
                        .events()
                        .iter()
                        .map(organization_event),
                );
            }
            Ok::<_, HealthCallError>(events)
        }
    });
    let mut found: Vec<(HealthEvent, EventScope)> = Vec::new();
    for (event, scope) in super::all_at_once(queries).await? {
        if !found.iter().any(|(seen, _)| seen.arn == event.arn) {
            found.push((event, scope));
        }
    }
    Ok(found)
}

/// The organization's record of each (event, account): DescribeEventDetailsForOrganization, ten
/// at a time. A public event is asked without an account, as AWS requires.
async fn organization_details_from(
    client: aws_sdk_health::Client,
    events: Vec<(String, Option<String>)>,
) -> Result<Vec<HealthEvent>, HealthCallError> {
    let calls = events.chunks(MAX_DETAIL_FILTERS).map(|chunk| {
        let filters: Vec<EventAccountFilter> = chunk
            .iter()
            .filter_map(|(arn, account)| {
                EventAccountFilter::builder()
                    .event_arn(arn)
                    .set_aws_account_id(account.clone())
                    .build()
                    .ok()
            })
            .collect();
        let request = client
            .describe_event_details_for_organization()
            .set_organization_event_detail_filters(Some(filters));
        async move {
            let answer = request.send().await.map_err(organization_call_error)?;
            for failed in answer.failed_set() {
                tracing::warn!(
                    event = failed.event_arn().unwrap_or_default(),
                    account = failed.aws_account_id().unwrap_or_default(),
                    error = failed.error_name().unwrap_or_default(),
                    message = failed.error_message().unwrap_or_default(),
                    "the organizational view did not describe a held event; it stays open until asked again"
                );
            }
            Ok::<_, HealthCallError>(
                answer
                    .successful_set()
                    .iter()
                    .filter_map(|detail| {
                        let event = detail.event()?;
                        Some(HealthEvent {
                            account: detail.aws_account_id().map(str::to_owned),
                            ..to_plain_event(event, None)
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        }
    });
    super::all_at_once(calls).await
}

/// All queries run concurrently; each follows every page.
async fn events_from(
    client: aws_sdk_health::Client,
    filters: Vec<EventFilter>,
    own_account: String,
) -> Result<Vec<HealthEvent>, HealthCallError> {
    let queries = filters.into_iter().map(|filter| {
        let request = client.describe_events().filter(filter).max_results(PAGE_SIZE);
        let own_account = own_account.clone();
        async move {
            let mut pages = request.into_paginator().send();
            let mut events = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(call_error)?;
                events.extend(
                    page.events()
                        .iter()
                        .map(|event| to_plain_event(event, Some(&own_account))),
                );
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

/// An event as the caller's own view reports it: any but a public one is `own_account`'s.
fn to_plain_event(event: &aws_sdk_health::types::Event, own_account: Option<&str>) -> HealthEvent {
    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
    HealthEvent {
        arn: text(event.arn()),
        service: text(event.service()),
        event_type_code: text(event.event_type_code()),
        category: EventCategory::from(event.event_type_category().map_or("", EventTypeCategory::as_str)),
        region: text(event.region()),
        status: EventStatus::from(event.status_code().map_or("", EventStatusCode::as_str)),
        account: own_account
            .filter(|_| !scope_of(event.event_scope_code()).is_public())
            .map(str::to_owned),
        start_time: event.start_time().map(|time| time.secs()),
    }
}

/// An event of the organization's view, and its scope; whose it is depends on the accounts the
/// query asked about.
fn organization_event(event: &aws_sdk_health::types::OrganizationEvent) -> (HealthEvent, EventScope) {
    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
    let scope = scope_of(event.event_scope_code());
    let event = HealthEvent {
        arn: text(event.arn()),
        service: text(event.service()),
        event_type_code: text(event.event_type_code()),
        category: EventCategory::from(event.event_type_category().map_or("", EventTypeCategory::as_str)),
        region: text(event.region()),
        status: EventStatus::from(event.status_code().map_or("", EventStatusCode::as_str)),
        account: None,
        start_time: event.start_time().map(|time| time.secs()),
    };
    (event, scope)
}

/// A scope the answer does not give is taken for account-specific: never for public, which
/// would block every account.
fn scope_of(scope: Option<&EventScopeCode>) -> EventScope {
    scope.map_or(EventScope::AccountSpecific, |scope| {
        EventScope::from(scope.as_str())
    })
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
