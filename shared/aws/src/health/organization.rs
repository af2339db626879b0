//! The organization's view (DescribeEventsForOrganization, and DescribeEventDetailsForOrganization
//! for the events a hold names): whose each event is, among the accounts a pipeline deploys into.

use super::account::{PAGE_SIZE, call_error, scope_of, to_plain_event};
use super::filters::organization_filters_for;
use crate::fan_out::all_at_once;
use aws_sdk_health::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_health::types::{
    EventAccountFilter, EventStatusCode, EventTypeCategory, OrganizationEventFilter,
};
use pipeguard_core::gate::GatePolicy;
use pipeguard_core::health::{EventCategory, EventScope, EventStatus, HealthCallError, HealthEvent};
use std::fmt;

/// DescribeEventDetailsForOrganization takes at most 10 events a call.
const MAX_DETAIL_FILTERS: usize = 10;

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

/// The organization's events the policy asks about, each as the accounts among `accounts` it
/// concerns: a public event once for all of them, an account-specific one once per account.
/// The events of all the accounts are asked for at once; only when some are account-specific
/// and more than one account was asked about, the same queries go again one account at a time,
/// to learn whose each is: the calls grow with the accounts watched, never with the events open.
pub(super) async fn organization_events_from(
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
    events.extend(all_at_once(per_account).await?);
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
    for (event, scope) in all_at_once(queries).await? {
        if !found.iter().any(|(seen, _)| seen.arn == event.arn) {
            found.push((event, scope));
        }
    }
    Ok(found)
}

/// The organization's record of each (event, account): DescribeEventDetailsForOrganization, ten
/// at a time. A public event is asked without an account, as AWS requires.
pub(super) async fn organization_details_from(
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
    all_at_once(calls).await
}

/// An event of the organization's view, and its scope; whose it is depends on the accounts the
/// query asked about.
pub(super) fn organization_event(
    event: &aws_sdk_health::types::OrganizationEvent,
) -> (HealthEvent, EventScope) {
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
