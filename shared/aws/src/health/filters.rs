//! The API's filters for a policy: regions and services beyond the ten values each list filter
//! takes are split into several queries, for the account's view and the organization's alike.

use aws_sdk_health::types::{EventFilter, EventStatusCode, EventTypeCategory, OrganizationEventFilter};
use pipeguard_core::gate::{GatePolicy, MAX_ACCOUNTS};

/// DescribeEvents takes at most 10 values in each list filter.
pub(super) const MAX_FILTER_VALUES: usize = 10;

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
pub(super) fn organization_filters_for(
    policy: &GatePolicy,
    accounts: &[&str],
) -> Vec<OrganizationEventFilter> {
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
