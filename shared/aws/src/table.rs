//! The stack's one DynamoDB table, which two stores share: AWS Health events (`event_store`) and,
//! in a partition of their own, the freezes people set (`freeze_store`). What both write alike
//! lives here once.

use crate::env::Environment;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use pipeguard_core::gate::EVENT_STORE_VARIABLE;

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
