//! What the conformance tests share: the implementations they run against (the emulator, and
//! moto's server as a second opinion), tables and items, and the assertions on SDK errors.

use super::moto;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use local_aws::Emulator;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// One implementation of DynamoDB the same assertions run against.
pub struct Target {
    /// `local-aws` or `moto`: printed as each half starts, so a failure says whose it is.
    pub name: &'static str,
    pub dynamodb: Client,
    /// The emulator, for what only it has: its admin interface, faults, and what it refuses
    /// as not emulated.
    pub emulator: Option<Emulator>,
    moto: Option<moto::Turn>,
}

impl Target {
    pub fn is_moto(&self) -> bool {
        self.moto.is_some()
    }
}

pub fn client(url: String, retry: RetryConfig) -> Client {
    Client::from_conf(
        crate::sdk_config!(aws_sdk_dynamodb, url)
            .retry_config(retry)
            .build(),
    )
}

/// The emulator, then moto (unless `LOCAL_AWS_MOTO_PYTHON=off`), each with no table.
pub async fn targets() -> Vec<Target> {
    let emulator = Emulator::start().await.unwrap();
    let mut targets = vec![Target {
        name: "local-aws",
        dynamodb: client(emulator.url(), RetryConfig::standard()),
        emulator: Some(emulator),
        moto: None,
    }];
    if let Some(turn) = moto::turn().await {
        targets.push(Target {
            name: "moto",
            // No retries: moto's 500s are answers to assert (Moto::Crashes), not blips.
            dynamodb: client(turn.url.clone(), RetryConfig::disabled()),
            emulator: None,
            moto: Some(turn),
        });
    }
    targets
}

/// [`targets`], each with a PAY_PER_REQUEST table keyed by `pk` (a string) and, when given, a
/// sort key `sk` of that type.
pub async fn targets_with_table(name: &str, sort: Option<ScalarAttributeType>) -> Vec<Target> {
    let targets = targets().await;
    for target in &targets {
        create_table(&target.dynamodb, name, sort.clone()).await;
    }
    targets
}

/// Asserts that an SDK call failed with this error code and a message containing `expected`.
pub fn assert_error<E: ProvideErrorMetadata + std::fmt::Debug>(error: &E, code: &str, expected: &str) {
    assert_eq!(error.code(), Some(code), "{error:?}");
    let message = error.message().unwrap_or_default();
    assert!(message.contains(expected), "{message:?} lacks {expected:?}");
}

/// What moto answers where it differs from what AWS documents, or from the emulator where AWS
/// documents nothing (README.md, "Checked against moto"). Asserted too, so that a change in
/// moto shows and the README is told.
#[derive(Clone, Copy, Debug)]
pub enum Moto {
    /// What AWS documents, as the emulator answers.
    Agrees,
    /// It carries the request out.
    Accepts,
    /// 500, an exception inside moto, where DynamoDB answers a ValidationException.
    Crashes,
    /// A ValidationException in other words than the emulator's (AWS documents none).
    Says(&'static str),
}

/// Asserts that DynamoDB refuses the request: a ValidationException whose message contains
/// `expected`, or on moto what `moto` says it answers instead.
pub fn assert_refused<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    target: &Target,
    answer: Result<T, SdkError<E, HttpResponse>>,
    expected: &str,
    moto: Moto,
) {
    match if target.is_moto() { moto } else { Moto::Agrees } {
        Moto::Agrees => assert_error(&answer.unwrap_err(), "ValidationException", expected),
        Moto::Says(words) => assert_error(&answer.unwrap_err(), "ValidationException", words),
        Moto::Accepts => {
            if let Err(error) = answer {
                panic!("moto was known to accept what AWS refuses ({expected}): {error:?}");
            }
        }
        Moto::Crashes => {
            let error = answer.unwrap_err();
            let status = error.raw_response().map(|response| response.status().as_u16());
            assert_eq!(status, Some(500), "moto was known to fail with 500: {error:?}");
        }
    }
}

pub fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

pub fn definition(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .unwrap()
}

pub async fn create_table(
    dynamodb: &Client,
    name: &str,
    sort: Option<ScalarAttributeType>,
) -> aws_sdk_dynamodb::operation::create_table::CreateTableOutput {
    let mut request = dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(definition("pk", ScalarAttributeType::S));
    if let Some(kind) = sort {
        request = request
            .key_schema(key("sk", KeyType::Range))
            .attribute_definitions(definition("sk", kind));
    }
    request.send().await.unwrap()
}

pub fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

pub fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

pub async fn put(dynamodb: &Client, table: &str, item: Item) {
    dynamodb
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

pub async fn get(dynamodb: &Client, table: &str, pk: &str) -> Option<Item> {
    let output = dynamodb
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    output.item
}

/// Every page of a query, `limit` items at most each.
pub async fn query_pages(
    dynamodb: &Client,
    table: &str,
    key_condition: &str,
    values: &[(&str, AttributeValue)],
    limit: i32,
) -> Vec<Vec<Item>> {
    let mut request = dynamodb
        .query()
        .table_name(table)
        .key_condition_expression(key_condition)
        .limit(limit);
    for (placeholder, value) in values {
        request = request.expression_attribute_values(*placeholder, value.clone());
    }
    let mut pages = request.into_paginator().send();
    let mut collected = Vec::new();
    while let Some(page) = pages.next().await {
        collected.push(page.unwrap().items().to_vec());
    }
    collected
}

pub fn sort_keys(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|item| match &item["sk"] {
            AttributeValue::N(number) | AttributeValue::S(number) => number.clone(),
            other => panic!("sort key {other:?}"),
        })
        .collect()
}
