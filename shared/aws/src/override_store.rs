//! DynamoDB: the break-glass overrides people grant, in the stack's table under a partition of
//! their own (`region` = `pipeguard#overrides`, `arn` = the override's id), so that a stack
//! deployed from the last release needs no new table and a team can let fewer people write
//! this partition than the freezes' (`dynamodb:LeadingKeys`). An override is created only if its
//! id is new and ended only once; ended and expired ones stay for 30 days (the table's TTL), the
//! record of who broke the glass. An item that does not read passes nothing.

use crate::table::{Table, TableCallError, new_record_id, number, retained_until, text};
use aws_sdk_dynamodb::types::AttributeValue;
use pipeguard_core::overrides::{Ended, Override, RecordedOverrides};
use std::collections::HashMap;
use std::time::Duration;

/// The partition key of every override: not a region, so the event store's queries never see one.
pub const OVERRIDES_PARTITION: &str = "pipeguard#overrides";

/// How the overrides name themselves in errors.
const STORE: &str = "the overrides";

/// An override is created only under a new id.
const NEW_ID_ONLY: &str = "attribute_not_exists(#arn)";
/// An override is ended only while nobody has ended it.
const ONLY_WHILE_IN_FORCE: &str = "attribute_exists(#arn) AND attribute_not_exists(ended_at)";

/// A call about overrides that failed.
#[derive(Debug, thiserror::Error)]
pub enum OverrideStoreError {
    /// DynamoDB answered with an error.
    #[error(transparent)]
    Call(TableCallError),
    /// An override with this id exists already (two people granting in the same instant).
    #[error("an override with id {0} exists already")]
    IdTaken(String),
    /// No override has this id, or it has been ended already.
    #[error("no override in force has id {0}")]
    NotActive(String),
    /// The overrides did not answer in the time the gate had.
    #[error("Query on the overrides (table {table}) did not answer within {secs} s")]
    TimedOut {
        /// The table.
        table: String,
        /// The time it had, in whole seconds.
        secs: u64,
    },
}

/// The overrides in the stack's table.
#[derive(Debug, Clone)]
pub struct OverrideStore {
    table: Table,
}

impl OverrideStore {
    /// The overrides in `table`, sharing its client.
    pub fn in_table(table: Table) -> Self {
        Self { table }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table.name
    }

    fn error<E>(&self, operation: &'static str, error: E) -> OverrideStoreError
    where
        aws_sdk_dynamodb::Error: From<E>,
    {
        OverrideStoreError::Call(self.table.call_failed(STORE, operation, error))
    }

    /// Every override recorded, in force or not (every page), and every item that does not read
    /// as one (each logged: it passes nothing).
    pub async fn all(&self) -> Result<RecordedOverrides, OverrideStoreError> {
        let items = self
            .table
            .partition_items(OVERRIDES_PARTITION)
            .await
            .map_err(|error| self.error("Query", error))?;
        let recorded = RecordedOverrides::read(items);
        for unreadable in &recorded.unreadable {
            tracing::warn!(table = %self.table.name, key = %unreadable.key, why = %unreadable.why, "an override's item does not read: it passes nothing");
        }
        Ok(recorded)
    }

    /// The overrides, as the gate takes them, within `budget`.
    pub async fn for_gate(&self, budget: Duration) -> Result<RecordedOverrides, OverrideStoreError> {
        tokio::time::timeout(budget, self.all())
            .await
            .unwrap_or_else(|_| {
                Err(OverrideStoreError::TimedOut {
                    table: self.table.name.clone(),
                    secs: budget.as_secs(),
                })
            })
    }

    /// Records a new override, only if no override has its id.
    pub async fn create(&self, granted: &Override) -> Result<(), OverrideStoreError> {
        match self.table.put_if(item(granted), NEW_ID_ONLY).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(OverrideStoreError::IdTaken(granted.id.clone())),
            Err(error) => Err(self.error("PutItem", error)),
        }
    }

    /// Ends `granted` before its time, only if it exists and was not ended before (two people
    /// ending it at once: one of them is told it was ended already); the override as it now is.
    pub async fn end(&self, granted: &Override, ended: Ended) -> Result<Override, OverrideStoreError> {
        let ended = Override {
            ended: Some(ended),
            ..granted.clone()
        };
        match self.table.put_if(item(&ended), ONLY_WHILE_IN_FORCE).await {
            Ok(true) => Ok(ended),
            Ok(false) => Err(OverrideStoreError::NotActive(granted.id.clone())),
            Err(error) => Err(self.error("PutItem", error)),
        }
    }
}

/// An override id nobody else is likely to make in the same instant (`ovr-...`); creating it is
/// conditional all the same.
pub fn new_override_id() -> String {
    new_record_id("ovr")
}

fn item(granted: &Override) -> HashMap<String, AttributeValue> {
    let ended_at = granted.ended.as_ref().map_or(granted.until, |ended| ended.at);
    let mut item = HashMap::from([
        ("region".to_owned(), text(OVERRIDES_PARTITION)),
        ("arn".to_owned(), text(&granted.id)),
        ("pipeline".to_owned(), text(&granted.pipeline)),
        ("granted_by".to_owned(), text(&granted.by)),
        ("reason".to_owned(), text(&granted.reason)),
        ("since".to_owned(), number(granted.since)),
        ("until".to_owned(), number(granted.until)),
        (
            "kinds".to_owned(),
            AttributeValue::L(granted.kinds.iter().map(|kind| text(kind.name())).collect()),
        ),
        ("expires_at".to_owned(), number(retained_until(ended_at))),
    ]);
    if let Some(ended) = &granted.ended {
        item.insert("ended_at".into(), number(ended.at));
        item.insert("ended_by".into(), text(&ended.by));
    }
    item
}

#[cfg(test)]
#[path = "override_store_tests.rs"]
mod tests;
