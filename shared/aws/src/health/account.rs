//! The account's own view (DescribeEvents): every event matching the filters, each page of each
//! query, and how its answers and errors read in the core's words.

use crate::fan_out::all_at_once;
use crate::sdk_failure::SdkFailure;
use aws_sdk_health::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_health::types::{EventFilter, EventScopeCode, EventStatusCode, EventTypeCategory};
use pipeguard_core::health::{EventCategory, EventScope, EventStatus, HealthCallError, HealthEvent};
use std::fmt;

/// The most events a page of the API's answers holds.
pub(super) const PAGE_SIZE: i32 = 100;

/// Why one endpoint could not answer a call, in the core's words (plain text: the core holds no
/// SDK type).
pub(super) fn call_error<E, R>(error: SdkError<E, R>) -> HealthCallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    match SdkFailure::of(&error) {
        SdkFailure::Timeout => HealthCallError::Timeout,
        SdkFailure::Unreachable(why) => HealthCallError::Unreachable(why),
        SdkFailure::BadResponse(why) => HealthCallError::BadResponse(why),
        SdkFailure::Refused { code, message } => match code.as_str() {
            "SubscriptionRequiredException" => HealthCallError::SubscriptionRequired,
            "ThrottlingException" | "TooManyRequestsException" | "Throttling" => {
                HealthCallError::Throttled(message)
            }
            _ => HealthCallError::Service { code, message },
        },
    }
}

/// All queries run concurrently; each follows every page.
pub(super) async fn events_from(
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
    for event in all_at_once(queries).await? {
        if !all.iter().any(|seen| seen.arn == event.arn) {
            all.push(event);
        }
    }
    Ok(all)
}

/// An event as the caller's own view reports it: any but a public one is `own_account`'s.
pub(super) fn to_plain_event(event: &aws_sdk_health::types::Event, own_account: Option<&str>) -> HealthEvent {
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

/// A scope the answer does not give is taken for account-specific: never for public, which
/// would block every account.
pub(super) fn scope_of(scope: Option<&EventScopeCode>) -> EventScope {
    scope.map_or(EventScope::AccountSpecific, |scope| {
        EventScope::from(scope.as_str())
    })
}
