//! DynamoDB: the AWS Health event store. One item per event, keyed by the region it affects and
//! its ARN; each update is written with one conditional put that only a newer update passes,
//! so duplicates, backup-region copies and late deliveries change nothing. Reads are strongly
//! consistent: once an update is recorded, every later read sees it. A decision reads through
//! the index of what can block (`event_index`) once it is complete.

use crate::fan_out::all_at_once;
use crate::table::{Table, TableCallError, number, retained_until, text};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use pipeguard_core::gate::GatePolicy;
use pipeguard_core::health::{EventCategory, EventScope, EventStatus, HealthEvent, HealthRecord, store_key};
use pipeguard_core::hold::HeldBy;
use pipeguard_core::open_events::{indexed, open_key};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// An update is newer than what is stored when its `lastUpdatedTime` is later, or equal with
/// a greater `communicationId`; a new event always is.
const ONLY_NEWER: &str = "attribute_not_exists(#arn) OR #updated < :updated OR (#updated = :updated AND #communication < :communication)";

/// What came of recording an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The update is stored: it is the newest the store knows.
    Stored,
    /// The store already holds this update or a newer one (a duplicate, a backup region's
    /// copy, or a late delivery): nothing changed.
    Outdated,
}

/// The attribute the index of what can block (`event_index`) is keyed by, present only while an
/// event is open or upcoming.
pub const OPEN_KEY: &str = "open_key";

/// How the event store names itself in errors.
const STORE: &str = "the AWS Health event store";

/// A call to the event store that failed: its own type, so that a failed call on the freezes is
/// never taken for one on the event store.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StoreError(pub TableCallError);

impl StoreError {
    /// Whether DynamoDB refused to read the index itself: it is missing, or being built
    /// ("The table does not have the specified index", "Cannot read from backfilling global
    /// secondary index"), both a ValidationException.
    pub(crate) fn is_unreadable_index(&self) -> bool {
        use aws_sdk_dynamodb::error::ProvideErrorMetadata;
        let cause = &self.0.cause;
        self.0.operation == "Query"
            && cause.code() == Some("ValidationException")
            && cause.message().is_some_and(|message| message.contains("index"))
    }
}

/// The AWS Health event store.
#[derive(Debug, Clone)]
pub struct EventStore {
    pub(crate) table: Table,
    /// Set once the index's marker said complete: shared by the store's clones.
    pub(crate) index_complete: Arc<AtomicBool>,
}

impl EventStore {
    /// The store in `table`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self::in_table(Table::new(client, table))
    }

    /// The store in `table`, sharing its client.
    pub fn in_table(table: Table) -> Self {
        Self {
            table,
            index_complete: Arc::default(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table.name
    }

    pub(crate) fn error<E>(&self, operation: &'static str, error: E) -> StoreError
    where
        aws_sdk_dynamodb::Error: From<E>,
    {
        StoreError(self.table.call_failed(STORE, operation, error))
    }

    /// Records one update, unless the store already has it or a newer one. `own_account` is
    /// the stack's: its events keep the key items had before the store knew accounts.
    pub async fn record(&self, record: &HealthRecord, own_account: &str) -> Result<Recorded, StoreError> {
        let sent = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(item(record, own_account)))
            .condition_expression(ONLY_NEWER)
            .expression_attribute_names("#arn", "arn")
            .expression_attribute_names("#updated", "last_updated")
            .expression_attribute_names("#communication", "communication_id")
            .expression_attribute_values(":updated", number(record.last_updated))
            .expression_attribute_values(":communication", text(&record.communication_id))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Recorded::Stored),
            Err(SdkError::ServiceError(service)) if service.err().is_conditional_check_failed_exception() => {
                Ok(Recorded::Outdated)
            }
            Err(error) => Err(self.error("PutItem", error)),
        }
    }

    /// The events that may block a decision under `policy`: of its regions, public or of the
    /// accounts it watches, open or upcoming, read through the index once it is complete; until
    /// then every event recorded for its regions, of every account, whatever its status. Either
    /// way the gate's filter decides which block. Items written before the store knew accounts
    /// are the stack's own account's (`own_account`).
    pub async fn events_in(
        &self,
        policy: &GatePolicy,
        own_account: &str,
    ) -> Result<Vec<HealthEvent>, StoreError> {
        if self.index_trusted().await? {
            match self.open_events(policy, own_account).await {
                // The index was deleted or is being built again (a rollback, a downgrade): it is
                // not trusted until the sweep marks it complete again.
                Err(error) if error.is_unreadable_index() => {
                    self.index_complete
                        .store(false, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(%error, "the event store's index cannot be read: reading the store whole");
                }
                read => return read,
            }
        }
        self.every_event_in(&policy.regions, own_account).await
    }

    /// Every event recorded for these regions (`global` included when named), of every account,
    /// whatever its status: the whole of their partitions.
    pub(crate) async fn every_event_in(
        &self,
        regions: &[String],
        own_account: &str,
    ) -> Result<Vec<HealthEvent>, StoreError> {
        let queries = regions.iter().map(|region| {
            let request = self
                .table
                .client
                .query()
                .table_name(&self.table.name)
                .key_condition_expression("#region = :region")
                .expression_attribute_names("#region", "region")
                .expression_attribute_values(":region", text(region))
                .consistent_read(true);
            let (store, own_account) = (self.clone(), own_account.to_owned());
            async move {
                let mut pages = request.into_paginator().send();
                let mut events = Vec::new();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|error| store.error("Query", error))?;
                    events.extend(
                        page.items()
                            .iter()
                            .filter_map(|item| event_of(item, &own_account)),
                    );
                }
                Ok(events)
            }
        });
        all_at_once(queries).await
    }

    /// The recorded status of an event (of its account, for an account-specific one), or None
    /// when the store has never heard of it.
    pub async fn status_of(
        &self,
        held: &HeldBy,
        own_account: &str,
    ) -> Result<Option<EventStatus>, StoreError> {
        let key = store_key(&held.arn, held.account.as_deref(), own_account);
        let output = self
            .table
            .client
            .get_item()
            .table_name(&self.table.name)
            .key("region", text(&held.region))
            .key("arn", text(&key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| self.error("GetItem", error))?;
        Ok(output
            .item()
            .and_then(|item| string(item, "status"))
            .map(|status| EventStatus::from(status.as_str())))
    }
}

/// The item for an update: keyed by region and `store_key` (the ARN, and for another account's
/// account-specific event its account too), with the ARN itself in `event_arn` and the account
/// in `account`. `expires_at` (the table's TTL attribute) is set only once the event is closed;
/// `open_key` (the index's) only while it is open or upcoming.
fn item(record: &HealthRecord, own_account: &str) -> HashMap<String, AttributeValue> {
    let event = &record.event;
    let mut item = HashMap::from([
        ("region".to_owned(), text(&event.region)),
        (
            "arn".to_owned(),
            text(&store_key(&event.arn, event.account.as_deref(), own_account)),
        ),
        ("event_arn".to_owned(), text(&event.arn)),
        ("service".to_owned(), text(&event.service)),
        ("event_type_code".to_owned(), text(&event.event_type_code)),
        ("category".to_owned(), text(event.category.as_str())),
        ("status".to_owned(), text(event.status.as_str())),
        ("scope".to_owned(), text(record.scope.as_str())),
        ("last_updated".to_owned(), number(record.last_updated)),
        ("communication_id".to_owned(), text(&record.communication_id)),
    ]);
    if let Some(account) = &event.account {
        item.insert("account".into(), text(account));
    }
    if let Some(start) = event.start_time {
        item.insert("start_time".into(), number(start));
    }
    if let Some(end) = record.end_time {
        item.insert("end_time".into(), number(end));
    }
    if event.status == EventStatus::Closed {
        item.insert("expires_at".into(), number(retained_until(record.last_updated)));
    }
    if let Some(open_key) = open_key_attribute(event) {
        item.insert(OPEN_KEY.into(), open_key);
    }
    item
}

/// The index key an item written now carries: only while its event is open or upcoming.
fn open_key_attribute(event: &HealthEvent) -> Option<AttributeValue> {
    indexed(&event.status).then(|| text(&open_key(&event.region, event.account.as_deref())))
}

pub(crate) fn string(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name).and_then(|value| value.as_s().ok()).cloned()
}

/// The event an item holds; an item missing a key attribute is not one pipeguard wrote. An item
/// written before the store knew accounts has no `event_arn` (its key is the ARN) and no
/// `account`: any but a public one is the stack's own account's.
pub(crate) fn event_of(item: &HashMap<String, AttributeValue>, own_account: &str) -> Option<HealthEvent> {
    let field = |name: &str| string(item, name).unwrap_or_default();
    let key = string(item, "arn")?;
    let account = string(item, "account")
        .or_else(|| (!EventScope::from(field("scope").as_str()).is_public()).then(|| own_account.to_owned()));
    Some(HealthEvent {
        arn: string(item, "event_arn").unwrap_or(key),
        region: string(item, "region")?,
        account,
        service: field("service"),
        event_type_code: field("event_type_code"),
        category: EventCategory::from(field("category").as_str()),
        status: EventStatus::from(field("status").as_str()),
        start_time: item
            .get("start_time")
            .and_then(|value| value.as_n().ok())
            .and_then(|number| number.parse().ok()),
    })
}

#[cfg(test)]
#[path = "event_store_tests.rs"]
mod tests;
