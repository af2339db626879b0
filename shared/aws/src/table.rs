//! The stack's one DynamoDB table, which three stores share: AWS Health events (`event_store`)
//! and, in partitions of their own, the freezes (`freeze_store`) and the overrides
//! (`override_store`) people set. What they write and read alike lives here once.

use crate::env::Environment;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::QueryError;
use aws_sdk_dynamodb::types::AttributeValue;
use pipeguard_core::gate::EVENT_STORE_VARIABLE;
use pipeguard_core::record::{Attribute, Item};
use std::collections::HashMap;

/// Closed events are kept this long after their last update (for the sweep, `pipeguard
/// status` and people), then DynamoDB's TTL deletes them; an ended freeze as long. Open events
/// and active freezes are kept until they end.
pub const CLOSED_RETENTION_DAYS: i64 = 30;

/// The table a function or command is given, when `HEALTH_EVENTS_TABLE` names one.
#[derive(Debug, Clone)]
pub struct Table {
    /// The DynamoDB client.
    pub client: aws_sdk_dynamodb::Client,
    /// The table's name.
    pub name: String,
}

/// A call to a store of the table that failed: which, on which store and table, and what
/// DynamoDB said.
#[derive(Debug, thiserror::Error)]
#[error(
    "{operation} on {store} (table {table}) failed: {}",
    DisplayErrorContext(cause)
)]
pub struct TableCallError {
    /// The operation called.
    pub operation: &'static str,
    /// The store, for people: "the AWS Health event store", "the freezes".
    pub store: &'static str,
    /// The table.
    pub table: String,
    /// What the SDK answered, typed for matching. The message gives it with its chain, so it is
    /// not also the error's `source()`, which would print it twice.
    pub cause: Box<aws_sdk_dynamodb::Error>,
}

impl Table {
    /// The table `name`, through `client`.
    pub fn new(client: aws_sdk_dynamodb::Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    /// The table named by `HEALTH_EVENTS_TABLE`, if any.
    pub fn from_env(config: &SdkConfig, env: &Environment) -> Option<Self> {
        let name = env.get(EVENT_STORE_VARIABLE)?;
        Some(Self::new(aws_sdk_dynamodb::Client::new(config), name.trim()))
    }

    /// Every item of `partition` (every page, strongly consistent), keyed as the core reads
    /// them: what people set (freezes, overrides), each kind in a partition of its own.
    pub(crate) async fn partition_items(
        &self,
        partition: &str,
    ) -> Result<Vec<(String, Item)>, SdkError<QueryError>> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.name)
            .key_condition_expression("#region = :partition")
            .expression_attribute_names("#region", "region")
            .expression_attribute_values(":partition", text(partition))
            .consistent_read(true)
            .into_paginator()
            .send();
        let mut items = Vec::new();
        while let Some(page) = pages.next().await {
            items.extend(page?.items().iter().map(keyed));
        }
        Ok(items)
    }

    /// Writes `item` only if `condition` holds of the item it would replace (`#arn` naming the
    /// sort key; no values): false when it does not, so that a store says why in its own words.
    pub(crate) async fn put_if(
        &self,
        item: HashMap<String, AttributeValue>,
        condition: &str,
    ) -> Result<bool, SdkError<PutItemError>> {
        let sent = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(condition)
            .expression_attribute_names("#arn", "arn")
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(service)) if service.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }

    /// `operation` on `store` failed with `error`.
    pub(crate) fn call_failed<E>(
        &self,
        store: &'static str,
        operation: &'static str,
        error: E,
    ) -> TableCallError
    where
        aws_sdk_dynamodb::Error: From<E>,
    {
        TableCallError {
            operation,
            store,
            table: self.name.clone(),
            cause: Box::new(aws_sdk_dynamodb::Error::from(error)),
        }
    }
}

/// The TTL of an item that ended at `ended` (seconds since the epoch).
pub(crate) fn retained_until(ended: i64) -> i64 {
    ended + CLOSED_RETENTION_DAYS * 24 * 3600
}

/// A string attribute.
pub(crate) fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// A number attribute.
pub(crate) fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A record's id nobody else is likely to make in the same instant: `prefix-` and the time in
/// nanoseconds with the process id, in base 36. Creating it is conditional all the same.
pub(crate) fn new_record_id(prefix: &str) -> String {
    let mut value = crate::clock::unix_nanos() ^ (u128::from(std::process::id()) << 96);
    let mut digits = Vec::new();
    while value > 0 && digits.len() < 10 {
        let digit = u8::try_from(value % 36).unwrap_or(0);
        digits.push(char::from_digit(u32::from(digit), 36).unwrap_or('0'));
        value /= 36;
    }
    format!("{prefix}-{}", digits.into_iter().collect::<String>())
}

/// A record's item as the core reads it: its key (the `arn` sort key: a freeze's or an
/// override's id) and its attributes but the key's.
pub(crate) fn keyed(item: &HashMap<String, AttributeValue>) -> (String, Item) {
    let key = item
        .get("arn")
        .and_then(|key| key.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let attributes = item
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "region" | "arn"))
        .map(|(name, value)| (name.clone(), attribute(value)))
        .collect();
    (key, attributes)
}

fn attribute(value: &AttributeValue) -> Attribute {
    match value {
        AttributeValue::S(text) => Attribute::Text(text.clone()),
        AttributeValue::N(number) => Attribute::Number(number.clone()),
        AttributeValue::L(list) => Attribute::List(list.iter().map(attribute).collect()),
        _ => Attribute::Other,
    }
}
