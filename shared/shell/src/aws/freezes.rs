//! DynamoDB: the freezes people set, in the event store's table under a partition of their own
//! (`region` = `pipeguard#freezes`, `arn` = the freeze's id), so that a stack deployed from the
//! last release needs no new table. Every freeze is one item; the gate reads them all with one
//! strongly consistent Query; a freeze is created only if its id is new and ended only once.
//! Ended freezes stay for 30 days (the table's TTL), so that releases can say who froze.

use super::dynamodb::CLOSED_RETENTION_DAYS;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use pipeguard_core::freeze::{Coverage, Freeze, FreezesUnread, Unfrozen};
use std::collections::HashMap;
use std::time::Duration;

/// The partition key of every freeze: not a region, so the event store's queries never see one.
pub const FREEZES_PARTITION: &str = "pipeguard#freezes";

/// A call about freezes that failed.
#[derive(Debug, thiserror::Error)]
pub enum FreezeStoreError {
    /// DynamoDB answered with an error.
    #[error(
        "{operation} on the freezes (table {table}) failed: {}",
        DisplayErrorContext(cause)
    )]
    Call {
        /// The operation called.
        operation: &'static str,
        /// The table.
        table: String,
        /// What the SDK answered.
        cause: Box<aws_sdk_dynamodb::Error>,
    },
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
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl FreezeStore {
    /// The freezes in `table`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn error<E>(&self, operation: &'static str, error: E) -> FreezeStoreError
    where
        aws_sdk_dynamodb::Error: From<E>,
    {
        FreezeStoreError::Call {
            operation,
            table: self.table.clone(),
            cause: Box::new(aws_sdk_dynamodb::Error::from(error)),
        }
    }

    /// Every freeze recorded, active or ended (every page). An item that is not a freeze
    /// pipeguard wrote is skipped, and logged.
    pub async fn all(&self) -> Result<Vec<Freeze>, FreezeStoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#region = :partition")
            .expression_attribute_names("#region", "region")
            .expression_attribute_values(":partition", text(FREEZES_PARTITION))
            .consistent_read(true)
            .into_paginator()
            .send();
        let mut freezes = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| self.error("Query", error))?;
            for item in page.items() {
                match freeze_of(item) {
                    Some(freeze) => freezes.push(freeze),
                    None => {
                        tracing::warn!(table = %self.table, key = ?item.get("arn"), "an item among the freezes is not one pipeguard wrote; skipped")
                    }
                }
            }
        }
        Ok(freezes)
    }

    /// The freezes, as the gate takes them, within `budget`: why they could not be read names
    /// the table.
    pub async fn for_gate(&self, budget: Duration) -> Result<Vec<Freeze>, FreezesUnread> {
        match tokio::time::timeout(budget, self.all()).await {
            Ok(read) => read.map_err(|error| FreezesUnread(error.to_string())),
            Err(_) => Err(FreezesUnread(format!(
                "Query on the freezes (table {}) did not answer within {} s",
                self.table,
                budget.as_secs()
            ))),
        }
    }

    /// Records a new freeze, only if no freeze has its id.
    pub async fn create(&self, freeze: &Freeze) -> Result<(), FreezeStoreError> {
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item(freeze)))
            .condition_expression("attribute_not_exists(#arn)")
            .expression_attribute_names("#arn", "arn")
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service)) if service.err().is_conditional_check_failed_exception() => {
                Err(FreezeStoreError::IdTaken(freeze.id.clone()))
            }
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
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item(&ended)))
            .condition_expression("attribute_exists(#arn) AND attribute_not_exists(unfrozen_at)")
            .expression_attribute_names("#arn", "arn")
            .send()
            .await;
        match sent {
            Ok(_) => Ok(ended),
            Err(SdkError::ServiceError(service)) if service.err().is_conditional_check_failed_exception() => {
                Err(FreezeStoreError::NotActive(freeze.id.clone()))
            }
            Err(error) => Err(self.error("PutItem", error)),
        }
    }
}

/// A freeze id nobody else is likely to make in the same instant: `frz-` and the time in
/// nanoseconds with the process id, in base 36. Creating it is conditional all the same.
pub fn new_freeze_id() -> String {
    let mut value = crate::clock::unix_nanos() ^ (u128::from(std::process::id()) << 96);
    let mut digits = Vec::new();
    while value > 0 && digits.len() < 10 {
        let digit = u8::try_from(value % 36).unwrap_or(0);
        digits.push(char::from_digit(u32::from(digit), 36).unwrap_or('0'));
        value /= 36;
    }
    format!("frz-{}", digits.into_iter().collect::<String>())
}

/// When an ended freeze's item goes: as long as a closed AWS Health event's.
fn retained_until(ended: i64) -> i64 {
    ended + CLOSED_RETENTION_DAYS * 24 * 3600
}

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
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
        Coverage::Everything => {}
        Coverage::Prefix(prefix) => {
            item.insert("prefix".into(), text(prefix));
        }
        Coverage::Pipelines(names) => {
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

fn freeze_of(item: &HashMap<String, AttributeValue>) -> Option<Freeze> {
    let string = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).cloned();
    let whole = |name: &str| {
        item.get(name)
            .and_then(|value| value.as_n().ok())
            .and_then(|number| number.parse::<i64>().ok())
    };
    let coverage = match (string("prefix"), item.get("pipelines")) {
        (Some(prefix), _) => Coverage::Prefix(prefix),
        (None, Some(AttributeValue::L(names))) => Coverage::Pipelines(
            names
                .iter()
                .filter_map(|name| name.as_s().ok().cloned())
                .collect(),
        ),
        (None, Some(_)) => return None,
        (None, None) => Coverage::Everything,
    };
    let unfrozen = match (whole("unfrozen_at"), string("unfrozen_by")) {
        (Some(at), by) => Some(Unfrozen {
            at,
            by: by.unwrap_or_default(),
        }),
        (None, _) => None,
    };
    Some(Freeze {
        id: string("arn")?,
        by: string("frozen_by")?,
        reason: string("reason")?,
        since: whole("since")?,
        until: whole("until"),
        coverage,
        unfrozen,
    })
}

#[cfg(test)]
#[path = "freezes_tests.rs"]
mod tests;
