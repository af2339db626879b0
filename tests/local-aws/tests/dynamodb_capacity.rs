//! ConsumedCapacity with the real DynamoDB SDK, counted as DynamoDB documents it: a read one
//! unit per 4 KB read (a Query's items summed, filtered out or not), half eventually
//! consistent, at least one; a write one unit per 1 KB of the larger of the old and the new
//! item, a failed conditional write too; an index's units apart with INDEXES. moto answers fixed
//! figures (1 for a write or a Query, 0.5 for a GetItem), asserted too (README.md, "Checked
//! against moto"). The emulator also records each call's units in `/_admin/calls`, and seeds
//! tables through `/_admin/dynamodb/seed`.

mod common;
#[path = "dynamodb_conformance/events.rs"]
#[allow(dead_code, reason = "each test binary uses a part of the shared helpers")]
mod events;
#[path = "dynamodb_conformance/moto.rs"]
mod moto;
#[path = "dynamodb_conformance/support.rs"]
#[allow(dead_code, reason = "each test binary uses a part of the shared helpers")]
mod support;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConsumedCapacity, Projection, ProjectionType, ReturnConsumedCapacity,
};
use common::admin;
use events::{create_events, event, index_query, open_index};
use serde_json::{Value, json};
use support::{Item, assert_error, s, targets};

/// An open event of 4,975 bytes as DynamoDB counts them: `region` 15, `arn` 9, `open_key` 21,
/// `updated` (a one-digit number) 9, `status` 10, `description` 11 + 4,900.
fn large_event(arn: &str) -> Item {
    let mut item = event(arn, Some("us-east-1#111"), 1, "open");
    item.insert("description".into(), AttributeValue::S("x".repeat(4900)));
    item
}

fn total(consumed: Option<&ConsumedCapacity>) -> Option<f64> {
    consumed.and_then(ConsumedCapacity::capacity_units)
}

fn index_units(consumed: Option<&ConsumedCapacity>) -> Option<f64> {
    consumed
        .and_then(|consumed| consumed.global_secondary_indexes())
        .and_then(|indexes| indexes.get("open"))
        .and_then(|index| index.capacity_units())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_is_counted_as_dynamodb_documents() {
    for target in targets().await {
        println!("checking {}", target.name);
        let moto = target.is_moto();
        let dynamodb = &target.dynamodb;
        let all = Projection::builder().projection_type(ProjectionType::All).build();
        create_events(dynamodb, Some(open_index(all))).await;

        // 4,975 bytes: 5 write units on the table, 5 on the index it enters.
        let put = dynamodb
            .put_item()
            .table_name("events")
            .set_item(Some(large_event("arn:1")))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await
            .unwrap();
        let consumed = put.consumed_capacity();
        assert_eq!(total(consumed), Some(if moto { 1.0 } else { 10.0 }));
        let table = consumed
            .and_then(|consumed| consumed.table())
            .and_then(|table| table.capacity_units());
        assert_eq!(table, Some(if moto { 1.0 } else { 5.0 }));
        assert_eq!(index_units(consumed), if moto { None } else { Some(5.0) });
        for arn in ["arn:2", "arn:3"] {
            support::put(dynamodb, "events", large_event(arn)).await;
        }

        let get = |arn: &'static str, consistent: bool| {
            dynamodb
                .get_item()
                .table_name("events")
                .key("region", s("us-east-1"))
                .key("arn", s(arn))
                .consistent_read(consistent)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
        };
        // 4,975 bytes are two 4 KB reads.
        let eventually = get("arn:1", false).await.unwrap();
        assert_eq!(
            total(eventually.consumed_capacity()),
            Some(if moto { 0.5 } else { 1.0 })
        );
        let strongly = get("arn:1", true).await.unwrap();
        assert_eq!(
            total(strongly.consumed_capacity()),
            Some(if moto { 0.5 } else { 2.0 })
        );
        let missing = get("arn:none", true).await.unwrap();
        assert_eq!(
            total(missing.consumed_capacity()),
            Some(if moto { 0.5 } else { 1.0 })
        );

        // A Query pays for every item it reads, kept by the filter or not: 3 × 4,975 bytes
        // are four 4 KB reads.
        let filtered = dynamodb
            .query()
            .table_name("events")
            .key_condition_expression("#region = :r")
            .filter_expression("#status = :s")
            .expression_attribute_names("#region", "region")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":r", s("us-east-1"))
            .expression_attribute_values(":s", s("gone"))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap();
        assert_eq!((filtered.count(), filtered.scanned_count()), (0, 3));
        assert_eq!(
            total(filtered.consumed_capacity()),
            Some(if moto { 1.0 } else { 4.0 })
        );

        // An index Query reads the index alone, eventually consistently.
        let indexed = index_query(dynamodb, "us-east-1#111")
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await
            .unwrap();
        let consumed = indexed.consumed_capacity();
        assert_eq!(total(consumed), Some(if moto { 1.0 } else { 2.0 }));
        assert_eq!(index_units(consumed), if moto { None } else { Some(2.0) });
        let table = consumed.and_then(|consumed| consumed.table());
        assert_eq!(table.is_some(), moto, "{consumed:?}");
        if moto {
            // moto names the index among the local secondary indexes.
            let local = consumed.and_then(|consumed| consumed.local_secondary_indexes());
            assert!(
                local.is_some_and(|local| local.contains_key("open")),
                "{consumed:?}"
            );
        }
        let none = index_query(dynamodb, "us-east-1#111").send().await.unwrap();
        assert!(none.consumed_capacity().is_none());
    }
}

fn dynamodb_calls(emulator: &local_aws::Emulator) -> Vec<Value> {
    let calls = admin(emulator, "GET", "/_admin/calls", json!({}));
    calls
        .as_array()
        .unwrap()
        .iter()
        .filter(|call| call["service"] == "dynamodb")
        .cloned()
        .collect()
}

/// Each call's units are recorded, asked for or not, a failed conditional write's too, so that
/// a benchmark can sum them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_records_its_units() {
    let emulator = local_aws::Emulator::start().await.unwrap();
    let dynamodb = &support::client(
        emulator.url(),
        aws_sdk_dynamodb::config::retry::RetryConfig::standard(),
    );
    create_events(dynamodb, None).await;
    support::put(dynamodb, "events", large_event("arn:1")).await;
    let refused = dynamodb
        .put_item()
        .table_name("events")
        .set_item(Some(event("arn:1", None, 2, "closed")))
        .condition_expression("attribute_not_exists(arn)")
        .send()
        .await
        .unwrap_err();
    assert_error(
        &refused,
        "ConditionalCheckFailedException",
        "conditional request failed",
    );
    dynamodb
        .query()
        .table_name("events")
        .key_condition_expression("#region = :r")
        .expression_attribute_names("#region", "region")
        .expression_attribute_values(":r", s("us-east-1"))
        .send()
        .await
        .unwrap();
    let units: Vec<(String, Value)> = dynamodb_calls(&emulator)
        .into_iter()
        .map(|call| {
            (
                call["operation"].as_str().unwrap().to_owned(),
                call["consumed_capacity"].clone(),
            )
        })
        .collect();
    assert_eq!(
        units,
        [
            ("CreateTable".to_owned(), Value::Null),
            (
                "PutItem".to_owned(),
                json!({"read_units": 0.0, "write_units": 5.0})
            ),
            // The larger of the stored item and the refused one.
            (
                "PutItem".to_owned(),
                json!({"read_units": 0.0, "write_units": 5.0})
            ),
            ("Query".to_owned(), json!({"read_units": 1.0, "write_units": 0.0})),
        ]
    );
}

/// `POST /_admin/dynamodb/seed` writes many items in one call through PutItem's path: checked
/// all before any is written, and kept in the indexes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_writes_many_items_at_once_and_keeps_the_indexes() {
    let emulator = local_aws::Emulator::start().await.unwrap();
    let dynamodb = &support::client(
        emulator.url(),
        aws_sdk_dynamodb::config::retry::RetryConfig::standard(),
    );
    let keys = Projection::builder()
        .projection_type(ProjectionType::KeysOnly)
        .build();
    create_events(dynamodb, Some(open_index(keys))).await;
    let closed = admin(
        &emulator,
        "POST",
        "/_admin/dynamodb/seed",
        json!({"table": "events", "count": 20000, "template": {
            "region": {"S": "us-east-1"}, "arn": {"S": "arn:closed/{i:06}"},
            "updated": {"N": "{i}"}, "status": {"S": "closed"}, "account": {"S": "{i%1000:012}"}}}),
    );
    assert_eq!(closed, json!({"written": 20000, "item_count": 20000}));
    let open = admin(
        &emulator,
        "POST",
        "/_admin/dynamodb/seed",
        json!({"table": "events", "count": 10, "start": 1, "template": {
            "region": {"S": "us-east-1"}, "arn": {"S": "arn:open/{i:02}"}, "updated": {"N": "{i}"},
            "status": {"S": "open"}, "open_key": {"S": "us-east-1#{i%2:012}"}}}),
    );
    assert_eq!(open, json!({"written": 10, "item_count": 20010}));
    let listed = admin(
        &emulator,
        "POST",
        "/_admin/dynamodb/seed",
        json!({"table": "events", "items": [
            {"region": {"S": "us-west-2"}, "arn": {"S": "arn:listed"}, "updated": {"N": "1"},
             "open_key": {"S": "us-west-2#000000000001"}}]}),
    );
    assert_eq!(listed["written"], 1);

    // The index answers the 5 open events of one account, reading those alone.
    let answer = index_query(dynamodb, "us-east-1#000000000001")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!((answer.count(), answer.scanned_count()), (5, 5));
    assert_eq!(total(answer.consumed_capacity()), Some(0.5));
    let other = index_query(dynamodb, "us-west-2#000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(other.count(), 1);

    // One item PutItem would refuse (no sort key) refuses them all.
    let before = dynamodb
        .describe_table()
        .table_name("events")
        .send()
        .await
        .unwrap();
    let refused = emulator
        .admin(
            "POST",
            "/_admin/dynamodb/seed",
            json!({"table": "events", "items": [
                {"region": {"S": "eu-west-1"}, "arn": {"S": "arn:fine"}},
                {"region": {"S": "eu-west-1"}}]}),
        )
        .unwrap_err()
        .message;
    assert!(
        refused.contains("item 1") && refused.contains("Missing the key arn"),
        "{refused}"
    );
    let after = dynamodb
        .describe_table()
        .table_name("events")
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.table().unwrap().item_count(),
        before.table().unwrap().item_count()
    );
    let bad_template = emulator
        .admin(
            "POST",
            "/_admin/dynamodb/seed",
            json!({"table": "events", "count": 1, "template": {"region": {"S": "{id}"}}}),
        )
        .unwrap_err()
        .message;
    assert!(bad_template.contains("bad placeholder"), "{bad_template}");
}
