//! Faults aimed at one read of a table: a fault that names a table and a partition hits the
//! calls of the real SDK that read or write that partition of that table, and no other; one
//! that names them wrongly is refused when it is set.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
mod common;

use common::admin;
use local_aws::Emulator;
use serde_json::json;

const FREEZES: &str = "pipeguard#freezes";

/// The event store's shape: partition `region`, sort `arn`; the SDK does not retry, so a
/// faulted call fails at once.
async fn store(emulator: &Emulator, table: &str) -> Client {
    let dynamodb = Client::from_conf(
        sdk_config!(aws_sdk_dynamodb, emulator.url())
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    let mut request = dynamodb
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest);
    for (name, kind) in [("region", KeyType::Hash), ("arn", KeyType::Range)] {
        request = request
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(kind)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            );
    }
    request.send().await.unwrap();
    dynamodb
}

/// The error code a call failed with, as the SDK read it.
fn code(error: &impl ProvideErrorMetadata) -> String {
    error.code().unwrap_or("none").to_owned()
}

/// The gate's two Queries of its table: the events of a region, and the freezes.
async fn query(dynamodb: &Client, table: &str, partition: &str) -> Result<usize, String> {
    dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("#region = :partition")
        .expression_attribute_names("#region", "region")
        .expression_attribute_values(":partition", AttributeValue::S(partition.into()))
        .send()
        .await
        .map(|output| output.items().len())
        .map_err(|error| code(&error))
}

async fn get(dynamodb: &Client, table: &str, partition: &str) -> Result<bool, String> {
    dynamodb
        .get_item()
        .table_name(table)
        .key("region", AttributeValue::S(partition.into()))
        .key("arn", AttributeValue::S("a".into()))
        .send()
        .await
        .map(|output| output.item().is_some())
        .map_err(|error| code(&error))
}

async fn put(dynamodb: &Client, table: &str, partition: &str) -> Result<(), String> {
    dynamodb
        .put_item()
        .table_name(table)
        .item("region", AttributeValue::S(partition.into()))
        .item("arn", AttributeValue::S("a".into()))
        .send()
        .await
        .map(drop)
        .map_err(|error| code(&error))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_aimed_at_one_partition_of_one_table_hits_only_its_reads_and_writes() {
    let emulator = Emulator::start().await.unwrap();
    let events = store(&emulator, "events").await;
    store(&emulator, "other").await;
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "dynamodb", "operation": "Query", "kind": "server-error",
               "table": "events", "partition": FREEZES}),
    );
    let failed = Err("InternalFailure".to_owned());
    assert_eq!(query(&events, "events", FREEZES).await, failed);
    assert_eq!(
        query(&events, "events", "us-east-1").await,
        Ok(0),
        "the events read"
    );
    assert_eq!(query(&events, "other", FREEZES).await, Ok(0), "another table");
    assert_eq!(
        get(&events, "events", FREEZES).await,
        Ok(false),
        "another operation"
    );
    admin(&emulator, "DELETE", "/_admin/faults", json!({}));

    // Any operation that names the partition: the write and the read of one freeze.
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "dynamodb", "kind": "unavailable", "partition": FREEZES}),
    );
    let unavailable = "ServiceUnavailable".to_owned();
    assert_eq!(put(&events, "events", FREEZES).await, Err(unavailable.clone()));
    assert_eq!(get(&events, "events", FREEZES).await, Err(unavailable));
    assert_eq!(put(&events, "events", "us-east-1").await, Ok(()));
    assert_eq!(get(&events, "events", "us-east-1").await, Ok(true));
    let calls = admin(&emulator, "GET", "/_admin/calls", json!({}));
    let faulted: Vec<&str> = calls
        .as_array()
        .unwrap()
        .iter()
        .filter(|call| !call["fault"].is_null())
        .map(|call| call["operation"].as_str().unwrap())
        .collect();
    assert_eq!(faulted, ["Query", "PutItem", "GetItem"]);
}

#[test]
fn faults_naming_a_table_or_a_partition_wrongly_are_refused() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime.block_on(Emulator::start()).unwrap();
    let refused = [
        json!({"service": "dynamodb", "kind": "drop", "tabel": "events"}),
        json!({"service": "health", "kind": "drop", "table": "events"}),
        json!({"service": "dynamodb", "kind": "drop", "table": "no"}),
        json!({"service": "dynamodb", "operation": "CreateTable", "kind": "drop", "partition": "p"}),
    ];
    for fault in refused {
        let error = emulator
            .admin("POST", "/_admin/faults", fault.clone())
            .unwrap_err();
        assert_eq!(
            (error.status, error.code.as_str()),
            (400, "BadRequest"),
            "{fault}"
        );
    }
}

/// A Query of an index reads the index's partition: a fault names that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_aimed_at_an_index_partition_hits_only_the_queries_of_it() {
    let emulator = Emulator::start().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/tables",
        json!({"TableName": "events", "BillingMode": "PAY_PER_REQUEST",
               "KeySchema": [{"AttributeName": "region", "KeyType": "HASH"}, {"AttributeName": "arn", "KeyType": "RANGE"}],
               "AttributeDefinitions": [{"AttributeName": "region", "AttributeType": "S"},
                                        {"AttributeName": "arn", "AttributeType": "S"},
                                        {"AttributeName": "open_key", "AttributeType": "S"}],
               "GlobalSecondaryIndexes": [{"IndexName": "open",
                   "KeySchema": [{"AttributeName": "open_key", "KeyType": "HASH"}],
                   "Projection": {"ProjectionType": "KEYS_ONLY"}}]}),
    );
    let dynamodb = Client::from_conf(
        sdk_config!(aws_sdk_dynamodb, emulator.url())
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "dynamodb", "operation": "Query", "kind": "server-error",
               "table": "events", "partition": "us-east-1#111"}),
    );
    let open = |open_key: &'static str| {
        dynamodb
            .query()
            .table_name("events")
            .index_name("open")
            .key_condition_expression("open_key = :k")
            .expression_attribute_values(":k", AttributeValue::S(open_key.into()))
            .send()
    };
    assert!(open("us-east-1#222").await.is_ok());
    assert_eq!(query(&dynamodb, "events", "us-east-1").await, Ok(0));
    let faulted = open("us-east-1#111").await.unwrap_err();
    assert_eq!(code(&faulted), "InternalFailure");
}
