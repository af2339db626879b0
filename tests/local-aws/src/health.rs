//! AWS Health over Smithy RPC v2 CBOR: DescribeEvents with the filters pipeguard uses, the
//! API's limits (10 values per list filter, 10 to 100 results a page) and pagination, as the
//! caller's account sees it (public events and the events of its own account); and the
//! organizational view (DescribeHealthServiceStatusForOrganization,
//! DescribeEventsForOrganization, DescribeEventDetailsForOrganization) over the organization set
//! through the admin interface.

use crate::Shared;
use crate::state::{ACCOUNT, HealthEvent, Organization, OrganizationRole, OrganizationView};
use crate::wire::{AwsError, page};
use serde_json::{Value, json};
use std::sync::Arc;

const MAX_FILTER_VALUES: usize = 10;
/// `OrganizationEventFilter.awsAccountIds` takes up to 50 accounts.
const MAX_ACCOUNT_IDS: usize = 50;
/// `organizationEventDetailFilters` takes 1 to 10 events.
const MAX_DETAIL_FILTERS: usize = 10;

/// The list filters both DescribeEvents and DescribeEventsForOrganization apply, and the event
/// field each one matches.
const LIST_FILTERS: [(&str, &str); 5] = [
    ("eventTypeCodes", "eventTypeCode"),
    ("services", "service"),
    ("regions", "region"),
    ("eventTypeCategories", "eventTypeCategory"),
    ("eventStatusCodes", "statusCode"),
];

/// DescribeEventDetailsForOrganization's documented messages for an event it cannot return.
const NO_PUBLIC_EVENT: &str = "We couldn't find a public event that matches your request. To find an event that is account specific, you must enter an Amazon Web Services account ID in the request.";
const NO_ACCOUNT_EVENT: &str = "We couldn't find an account specific event for the specified Amazon Web Services account. To find an event that is public, you must enter a null value for the Amazon Web Services account ID in the request.";

pub fn handle(shared: &Arc<Shared>, operation: &str, input: &Value) -> Result<Value, AwsError> {
    match operation {
        "DescribeEvents" => describe_events(shared, input),
        "DescribeHealthServiceStatusForOrganization" => {
            let organization = organization(shared, false)?;
            // The one call AWS documents for the management account alone.
            if organization.caller != OrganizationRole::Management {
                return Err(AwsError::new(
                    403,
                    "AccessDeniedException",
                    format!("Account {ACCOUNT} is not the management account of its organization."),
                ));
            }
            Ok(json!({"healthServiceAccessStatusForOrganization": organization.view.as_str()}))
        }
        "DescribeEventsForOrganization" => describe_events_for_organization(shared, input),
        "DescribeEventDetailsForOrganization" => describe_event_details_for_organization(shared, input),
        other => Err(AwsError::new(
            400,
            "UnknownOperationException",
            format!("{other} is not emulated"),
        )),
    }
}

fn length_error(name: &str, max: usize) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must have length between 1 and {max}"
    ))
}

fn null_error(name: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
    ))
}

/// A list filter: absent means anything; present must hold 1 to `max` values.
fn list_filter<'a>(filter: &'a Value, name: &str, max: usize) -> Result<Option<Vec<&'a str>>, AwsError> {
    let Some(values) = filter.get(name).and_then(Value::as_array) else {
        return Ok(None);
    };
    if values.is_empty() || values.len() > max {
        return Err(length_error(&format!("filter.{name}"), max));
    }
    Ok(Some(values.iter().filter_map(Value::as_str).collect()))
}

/// The list filters of `LIST_FILTERS` that `filter` sets, as (event field, wanted values).
fn list_filters(filter: &Value) -> Result<Vec<(&'static str, Vec<&str>)>, AwsError> {
    let mut filters = Vec::new();
    for (filter_name, field) in LIST_FILTERS {
        if let Some(values) = list_filter(filter, filter_name, MAX_FILTER_VALUES)? {
            filters.push((field, values));
        }
    }
    Ok(filters)
}

fn matches(event: &Value, filters: &[(&str, Vec<&str>)]) -> bool {
    filters.iter().all(|(field, values)| {
        event
            .get(*field)
            .and_then(Value::as_str)
            .is_some_and(|value| values.contains(&value))
    })
}

/// An event as the API answers it (`Event` and `OrganizationEvent` share these fields).
fn event_json(event: &HealthEvent) -> Value {
    let mut answer = json!({
        "arn": event.arn,
        "service": event.service,
        "eventTypeCode": event.event_type_code,
        "eventTypeCategory": event.event_type_category,
        "eventScopeCode": event.scope(),
        "region": event.region,
        "startTime": event.start_time,
        "lastUpdatedTime": event.last_updated_time,
        "statusCode": event.status_code,
    });
    if let Some(end) = event.end_time {
        answer["endTime"] = json!(end);
    }
    answer
}

/// A page of events, the most recently updated first, in `{"events", "nextToken"?}`.
fn events_page(
    mut events: Vec<Value>,
    input: &Value,
    sizes: std::ops::RangeInclusive<i64>,
) -> Result<Value, AwsError> {
    let updated = |event: &Value| {
        event
            .get("lastUpdatedTime")
            .and_then(Value::as_f64)
            .unwrap_or_default()
    };
    events.sort_by(|a, b| updated(b).total_cmp(&updated(a)));
    let (events, next) = page(events, input, sizes, 10, "InvalidPaginationToken")?;
    let mut output = json!({"events": events});
    if let Some(next) = next {
        output["nextToken"] = json!(next);
    }
    Ok(output)
}

fn describe_events(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let filter = input.get("filter").cloned().unwrap_or(json!({}));
    let mut filters = list_filters(&filter)?;
    if let Some(arns) = list_filter(&filter, "eventArns", MAX_FILTER_VALUES)? {
        filters.push(("arn", arns));
    }
    let events: Vec<Value> = shared
        .state()
        .health_events
        .iter()
        .filter(|event| event.visible_to(ACCOUNT))
        .map(event_json)
        .filter(|event| matches(event, &filters))
        .collect();
    events_page(events, input, 10..=100)
}

/// The organization, if the caller may use the organizational view: not as a plain member
/// (AccessDeniedException), and, when `needs_view`, only once the view is enabled.
fn organization(shared: &Arc<Shared>, needs_view: bool) -> Result<Organization, AwsError> {
    let organization = shared.state().organization.clone();
    if organization.caller == OrganizationRole::Member {
        return Err(AwsError::new(
            403,
            "AccessDeniedException",
            format!(
                "Account {ACCOUNT} is neither the management account of its organization nor a delegated administrator for AWS Health: the organizational view is not available to it."
            ),
        ));
    }
    if needs_view && organization.view != OrganizationView::Enabled {
        return Err(AwsError::new(
            403,
            "AccessDeniedException",
            format!(
                "The AWS Health organizational view is not enabled for this organization (its status is {}). Call EnableHealthServiceAccessForOrganization from the management account first.",
                organization.view.as_str()
            ),
        ));
    }
    Ok(organization)
}

/// The only locale AWS Health supports is English.
fn check_locale(input: &Value) -> Result<(), AwsError> {
    match input.get("locale").and_then(Value::as_str) {
        Some(locale) if !locale.starts_with("en") => Err(AwsError::new(
            400,
            "UnsupportedLocale",
            format!("The locale {locale} is not supported; English (en) is the only one."),
        )),
        _ => Ok(()),
    }
}

/// The organization's members an event affects: none for a public event.
fn affected_members(event: &HealthEvent, organization: &Organization) -> Vec<String> {
    event
        .accounts
        .iter()
        .filter(|account| organization.is_member(account))
        .cloned()
        .collect()
}

/// Whether the organizational view shows the event: public events, and account-specific
/// events of at least one member.
fn in_organization(event: &HealthEvent, organization: &Organization) -> bool {
    event.accounts.is_empty() || !affected_members(event, organization).is_empty()
}

fn describe_events_for_organization(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    check_locale(input)?;
    let filter = input.get("filter").cloned().unwrap_or(json!({}));
    let supported: Vec<&str> = LIST_FILTERS
        .iter()
        .map(|(name, _)| *name)
        .chain(["awsAccountIds"])
        .collect();
    let unsupported: Vec<String> = filter
        .as_object()
        .map(|fields| {
            fields
                .keys()
                .filter(|name| !supported.contains(&name.as_str()))
                .map(|name| format!("filter.{name}"))
                .collect()
        })
        .unwrap_or_default();
    if !unsupported.is_empty() {
        return Err(AwsError::validation(format!(
            "{} not emulated by local-aws (supported filters: {})",
            unsupported.join(", "),
            supported.join(", ")
        )));
    }
    let filters = list_filters(&filter)?;
    let accounts = list_filter(&filter, "awsAccountIds", MAX_ACCOUNT_IDS)?;
    if let Some(bad) = accounts
        .iter()
        .flatten()
        .find(|account| account.is_empty() || account.len() > 12 || account.contains(char::is_whitespace))
    {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value '{bad}' at 'filter.awsAccountIds' failed to satisfy constraint: Member must have length less than or equal to 12 and match pattern ^\\S+$"
        )));
    }
    let organization = organization(shared, true)?;
    let events: Vec<Value> = shared
        .state()
        .health_events
        .iter()
        .filter(|event| match &accounts {
            // With accounts named, only the account-specific events of those of them that
            // are members.
            Some(wanted) => affected_members(event, &organization)
                .iter()
                .any(|account| wanted.contains(&account.as_str())),
            None => in_organization(event, &organization),
        })
        .map(event_json)
        .filter(|event| matches(event, &filters))
        .collect();
    events_page(events, input, 1..=100)
}

fn describe_event_details_for_organization(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    const FILTERS: &str = "organizationEventDetailFilters";
    let filters = input
        .get(FILTERS)
        .and_then(Value::as_array)
        .ok_or_else(|| null_error(FILTERS))?;
    if filters.is_empty() || filters.len() > MAX_DETAIL_FILTERS {
        return Err(length_error(FILTERS, MAX_DETAIL_FILTERS));
    }
    let mut wanted = Vec::new();
    for (index, filter) in filters.iter().enumerate() {
        let arn = filter
            .get("eventArn")
            .and_then(Value::as_str)
            .ok_or_else(|| null_error(&format!("{FILTERS}.{}.member.eventArn", index + 1)))?;
        wanted.push((arn, filter.get("awsAccountId").and_then(Value::as_str)));
    }
    check_locale(input)?;
    let organization = organization(shared, true)?;
    let state = shared.state();
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    for (arn, account) in wanted {
        let event = state.health_events.iter().find(|event| event.arn == arn);
        let found = event.filter(|event| match account {
            None => event.accounts.is_empty(),
            Some(account) => {
                organization.is_member(account) && event.accounts.iter().any(|affected| affected == account)
            }
        });
        match found {
            Some(event) => {
                let mut details = json!({
                    "event": event_json(event),
                    "eventDescription": {"latestDescription": event.description()},
                });
                if let Some(account) = account {
                    details["awsAccountId"] = json!(account);
                }
                successful.push(details);
            }
            None => {
                let mut item = json!({
                    "eventArn": arn,
                    "errorName": "NotFoundException",
                    "errorMessage": if account.is_some() { NO_ACCOUNT_EVENT } else { NO_PUBLIC_EVENT },
                });
                if let Some(account) = account {
                    item["awsAccountId"] = json!(account);
                }
                failed.push(item);
            }
        }
    }
    Ok(json!({"successfulSet": successful, "failedSet": failed}))
}
