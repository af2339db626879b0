//! The AWS Health event store's shape, for the index and capacity tests: events keyed by
//! `region` and `arn`, and a sparse index `open` of the events with an `open_key`
//! ("REGION#ACCOUNT") in `updated` order.

use super::support::{Item, definition, key, n, s};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, GlobalSecondaryIndex, KeyType, Projection, ScalarAttributeType,
};

/// The index `open`: `open_key`, then `updated`.
pub fn open_index(projection: Projection) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name("open")
        .key_schema(key("open_key", KeyType::Hash))
        .key_schema(key("updated", KeyType::Range))
        .projection(projection)
        .build()
        .unwrap()
}

/// The table `events`, PAY_PER_REQUEST, with the index if given.
pub async fn create_events(dynamodb: &Client, index: Option<GlobalSecondaryIndex>) {
    let mut request = dynamodb
        .create_table()
        .table_name("events")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("region", KeyType::Hash))
        .key_schema(key("arn", KeyType::Range))
        .attribute_definitions(definition("region", ScalarAttributeType::S))
        .attribute_definitions(definition("arn", ScalarAttributeType::S));
    if let Some(index) = index {
        request = request
            .attribute_definitions(definition("open_key", ScalarAttributeType::S))
            .attribute_definitions(definition("updated", ScalarAttributeType::N))
            .global_secondary_indexes(index);
    }
    request.send().await.unwrap();
}

/// An event of us-east-1; `open_key` only while it is open or upcoming.
pub fn event(arn: &str, open_key: Option<&str>, updated: i64, status: &str) -> Item {
    let mut item = Item::from([
        ("region".to_owned(), s("us-east-1")),
        ("arn".to_owned(), s(arn)),
        ("updated".to_owned(), n(updated)),
        ("status".to_owned(), s(status)),
    ]);
    if let Some(open_key) = open_key {
        item.insert("open_key".into(), s(open_key));
    }
    item
}

/// A Query of the index `open` for one `open_key`.
pub fn index_query(dynamodb: &Client, open_key: &str) -> QueryFluentBuilder {
    dynamodb
        .query()
        .table_name("events")
        .index_name("open")
        .key_condition_expression("open_key = :k")
        .expression_attribute_values(":k", s(open_key))
}

pub fn arns(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|item| match &item["arn"] {
            AttributeValue::S(arn) => arn.clone(),
            other => panic!("arn {other:?}"),
        })
        .collect()
}
