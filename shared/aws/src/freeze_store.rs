//! DynamoDB: the freezes people set, in the event store's table under a partition of their own
//! (`region` = `pipeguard#freezes`, `arn` = the freeze's id), so that a stack deployed from the
//! last release needs no new table. Every freeze is one item; the gate reads them all with one
//! strongly consistent Query; a freeze is created only if its id is new and ended only once.
//! Ended freezes stay for 30 days (the table's TTL), so that releases can say who froze. An item
//! that does not read as a freeze is never dropped: the core reads it as an unreadable freeze,
//! which blocks until it is ended by hand.

use crate::table::{Table, TableCallError, new_record_id, number, retained_until, text};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use pipeguard_core::freeze::{Freeze, FreezesUnread, RecordedFreezes, Unfrozen, UnreadableFreeze};
use pipeguard_core::selection::PipelineSelection;
use std::collections::HashMap;
use std::time::Duration;

/// The partition key of every freeze: not a region, so the event store's queries never see one.
pub const FREEZES_PARTITION: &str = "pipeguard#freezes";

/// How the freezes name themselves in errors.
const STORE: &str = "the freezes";

/// A freeze is created only under a new id.
const NEW_ID_ONLY: &str = "attribute_not_exists(#arn)";
/// A freeze is ended by hand only while nobody has ended it by hand.
const ONLY_WHILE_ACTIVE: &str = "attribute_exists(#arn) AND attribute_not_exists(unfrozen_at)";

/// A call about freezes that failed.
#[derive(Debug, thiserror::Error)]
pub enum FreezeStoreError {
    /// DynamoDB answered with an error.
    #[error(transparent)]
    Call(TableCallError),
    /// A freeze with this id exists already (two people freezing in the same instant).
    #[error("a freeze with id {0} exists already")]
    IdTaken(String),
    /// No freeze has this id, or it has been ended already.
    #[error("no active freeze has id {0}")]
    NotActive(String),
}

/// The freezes in the stack's table.
#[derive(Debug, Clone)]
pub struct FreezeStore {
    table: Table,
}

impl FreezeStore {
    /// The freezes in `table`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            table: Table::new(client, table),
        }
    }

    /// The freezes in `table`, sharing its client.
    pub fn in_table(table: Table) -> Self {
        Self { table }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table.name
    }

    fn error<E>(&self, operation: &'static str, error: E) -> FreezeStoreError
    where
        aws_sdk_dynamodb::Error: From<E>,
    {
        FreezeStoreError::Call(self.table.call_failed(STORE, operation, error))
    }

    /// Every freeze recorded, active or ended (every page), and every item that does not read as
    /// one (each logged).
    pub async fn all(&self) -> Result<RecordedFreezes, FreezeStoreError> {
        let items = self
            .table
            .partition_items(FREEZES_PARTITION)
            .await
            .map_err(|error| self.error("Query", error))?;
        let recorded = RecordedFreezes::read(items);
        for unreadable in recorded
            .unreadable
            .iter()
            .filter(|unreadable| unreadable.is_active())
        {
            tracing::warn!(table = %self.table.name, key = %unreadable.key, why = %unreadable.why, "a freeze's item does not read: it holds every pipeline it might cover until it is ended by hand");
        }
        Ok(recorded)
    }

    /// The freezes, as the gate takes them, within `budget`: why they could not be read names
    /// the table.
    pub async fn for_gate(&self, budget: Duration) -> Result<RecordedFreezes, FreezesUnread> {
        match tokio::time::timeout(budget, self.all()).await {
            Ok(read) => read.map_err(|error| FreezesUnread(error.to_string())),
            Err(_) => Err(FreezesUnread(format!(
                "Query on the freezes (table {}) did not answer within {} s",
                self.table.name,
                budget.as_secs()
            ))),
        }
    }

    /// Records a new freeze, only if no freeze has its id.
    pub async fn create(&self, freeze: &Freeze) -> Result<(), FreezeStoreError> {
        match self.table.put_if(item(freeze), NEW_ID_ONLY).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(FreezeStoreError::IdTaken(freeze.id.clone())),
            Err(error) => Err(self.error("PutItem", error)),
        }
    }

    /// Ends `freeze` by hand, only if it exists and was not ended by hand before (two people
    /// unfreezing at once: one of them is told it was ended already); the freeze as it now is.
    /// Freezes never change otherwise, so the whole item is written again.
    pub async fn unfreeze(&self, freeze: &Freeze, unfrozen: Unfrozen) -> Result<Freeze, FreezeStoreError> {
        let ended = Freeze {
            unfrozen: Some(unfrozen),
            ..freeze.clone()
        };
        match self.table.put_if(item(&ended), ONLY_WHILE_ACTIVE).await {
            Ok(true) => Ok(ended),
            Ok(false) => Err(FreezeStoreError::NotActive(freeze.id.clone())),
            Err(error) => Err(self.error("PutItem", error)),
        }
    }

    /// Ends by hand the item `unreadable` was read from, keeping what it says (for the record)
    /// with who ended it and when added, only if nobody has changed who ended it since it was read
    /// (two people unfreezing at once: one of them is told it was ended already). It is read again
    /// first, as it is, since what does not read cannot be written back from what was read.
    pub async fn unfreeze_unreadable(
        &self,
        unreadable: &UnreadableFreeze,
        unfrozen: Unfrozen,
    ) -> Result<(), FreezeStoreError> {
        let not_active = || FreezeStoreError::NotActive(unreadable.key.clone());
        let read = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("#region = :partition AND #arn = :key")
            .expression_attribute_names("#region", "region")
            .expression_attribute_names("#arn", "arn")
            .expression_attribute_values(":partition", text(FREEZES_PARTITION))
            .expression_attribute_values(":key", text(&unreadable.key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| self.error("Query", error))?;
        let mut item = read.items().first().cloned().ok_or_else(not_active)?;
        let mut put = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .expression_attribute_names("#arn", "arn");
        let mut conditions = vec!["attribute_exists(#arn)".to_owned()];
        for (name, placeholder) in [("unfrozen_at", ":unfrozen_at"), ("unfrozen_by", ":unfrozen_by")] {
            match item.get(name) {
                Some(was) => {
                    conditions.push(format!("{name} = {placeholder}"));
                    put = put.expression_attribute_values(placeholder, was.clone());
                }
                None => conditions.push(format!("attribute_not_exists({name})")),
            }
        }
        item.insert("unfrozen_at".into(), number(unfrozen.at));
        item.insert("unfrozen_by".into(), text(&unfrozen.by));
        item.insert("expires_at".into(), number(retained_until(unfrozen.at)));
        let sent = put
            .set_item(Some(item))
            .condition_expression(conditions.join(" AND "))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service)) if service.err().is_conditional_check_failed_exception() => {
                Err(not_active())
            }
            Err(error) => Err(self.error("PutItem", error)),
        }
    }
}

/// A freeze id nobody else is likely to make in the same instant (`frz-...`); creating it is
/// conditional all the same.
pub fn new_freeze_id() -> String {
    new_record_id("frz")
}

fn item(freeze: &Freeze) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::from([
        ("region".to_owned(), text(FREEZES_PARTITION)),
        ("arn".to_owned(), text(&freeze.id)),
        ("frozen_by".to_owned(), text(&freeze.by)),
        ("reason".to_owned(), text(&freeze.reason)),
        ("since".to_owned(), number(freeze.since)),
    ]);
    if let Some(until) = freeze.until {
        item.insert("until".into(), number(until));
    }
    if let Some(ended) = freeze
        .unfrozen
        .as_ref()
        .map(|unfrozen| unfrozen.at)
        .or(freeze.until)
    {
        item.insert("expires_at".into(), number(retained_until(ended)));
    }
    match &freeze.coverage {
        PipelineSelection::Everything => {}
        PipelineSelection::Prefix(prefix) => {
            item.insert("prefix".into(), text(prefix));
        }
        PipelineSelection::Names(names) => {
            item.insert(
                "pipelines".into(),
                AttributeValue::L(names.iter().map(|name| text(name)).collect()),
            );
        }
    }
    if let Some(unfrozen) = &freeze.unfrozen {
        item.insert("unfrozen_at".into(), number(unfrozen.at));
        item.insert("unfrozen_by".into(), text(&unfrozen.by));
    }
    item
}

#[cfg(test)]
#[path = "freeze_store_tests.rs"]
mod tests;
