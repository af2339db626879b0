//! The real DynamoDB SDK against the emulator: every operation the AWS Health event store will
//! use must answer what the SDK parses, errors must arrive as the SDK's typed errors, and the
//! condition language, pagination and throttling must behave as DynamoDB's do. The same
//! assertions run against moto's server, a second implementation, so that an assumption the
//! emulator and these tests share is caught; where moto is known to differ from what AWS
//! documents, the assertion stays on AWS's behaviour for the emulator and names moto's
//! (README.md, "Checked against moto").

mod common;
#[path = "dynamodb_conformance/moto.rs"]
mod moto;
#[path = "dynamodb_conformance/support.rs"]
mod support;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, ScalarAttributeType, Select, TableStatus,
};
use common::admin;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use support::{
    Moto, assert_error, assert_refused, client, create_table, definition, get, key, n, put, query_pages, s,
    sort_keys, targets, targets_with_table,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_are_created_described_and_unique() {
    for target in targets().await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        let created = create_table(dynamodb, "events", Some(ScalarAttributeType::N)).await;
        let created = created.table_description().unwrap();
        // AWS documents CREATING; moto's tables are ACTIVE at once.
        let creating = if target.is_moto() {
            TableStatus::Active
        } else {
            TableStatus::Creating
        };
        assert_eq!(created.table_status(), Some(&creating));

        dynamodb
            .wait_until_table_exists()
            .table_name("events")
            .wait(Duration::from_secs(5))
            .await
            .unwrap();
        let described = dynamodb
            .describe_table()
            .table_name("events")
            .send()
            .await
            .unwrap();
        let table = described.table().unwrap();
        assert_eq!(table.table_status(), Some(&TableStatus::Active));
        assert_eq!(
            table.table_arn(),
            Some("arn:aws:dynamodb:us-east-1:123456789012:table/events")
        );
        let keys: Vec<(&str, &KeyType)> = table
            .key_schema()
            .iter()
            .map(|key| (key.attribute_name(), key.key_type()))
            .collect();
        assert_eq!(keys, [("pk", &KeyType::Hash), ("sk", &KeyType::Range)]);
        let types: Vec<(&str, &ScalarAttributeType)> = table
            .attribute_definitions()
            .iter()
            .map(|definition| (definition.attribute_name(), definition.attribute_type()))
            .collect();
        assert_eq!(
            types,
            [("pk", &ScalarAttributeType::S), ("sk", &ScalarAttributeType::N)]
        );
        let billing = table
            .billing_mode_summary()
            .and_then(|summary| summary.billing_mode());
        assert_eq!(billing, Some(&BillingMode::PayPerRequest));
        assert_eq!(table.item_count(), Some(0));
        assert!(table.creation_date_time().is_some());

        let create = |name: &'static str, key_attribute: &'static str| {
            dynamodb
                .create_table()
                .table_name(name)
                .billing_mode(BillingMode::PayPerRequest)
                .key_schema(key(key_attribute, KeyType::Hash))
                .attribute_definitions(definition("pk", ScalarAttributeType::S))
                .send()
        };
        let again = create("events", "pk").await.unwrap_err();
        assert_service_error!(again, is_resource_in_use_exception);
        let undefined_key = create("other", "id").await.unwrap_err();
        assert_error(
            &undefined_key,
            "ValidationException",
            "not defined in AttributeDefinitions",
        );
        let missing = dynamodb
            .describe_table()
            .table_name("nope")
            .send()
            .await
            .unwrap_err();
        assert_service_error!(missing, is_resource_not_found_exception);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_round_trip_with_every_attribute_type() {
    for target in targets_with_table("health-events", None).await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        let detail = HashMap::from([
            ("service".to_owned(), s("EC2")),
            (
                "regions".to_owned(),
                AttributeValue::L(vec![s("us-east-1"), n(3)]),
            ),
        ]);
        let item = HashMap::from([
            ("pk".to_owned(), s("arn:aws:health:us-east-1::event/EC2/X/1")),
            ("count".to_owned(), n(42)),
            ("ratio".to_owned(), n("-0.5")),
            ("open".to_owned(), AttributeValue::Bool(true)),
            ("closedAt".to_owned(), AttributeValue::Null(true)),
            ("detail".to_owned(), AttributeValue::M(detail)),
            (
                "tags".to_owned(),
                AttributeValue::Ss(vec!["b".into(), "a".into()]),
            ),
            (
                "codes".to_owned(),
                AttributeValue::Ns(vec!["10".into(), "2".into()]),
            ),
            ("raw".to_owned(), AttributeValue::B(Blob::new(vec![0, 1, 2, 255]))),
        ]);
        put(dynamodb, "health-events", item.clone()).await;
        let read = get(
            dynamodb,
            "health-events",
            "arn:aws:health:us-east-1::event/EC2/X/1",
        )
        .await;
        assert_eq!(read, Some(item.clone()));
        assert_eq!(get(dynamodb, "health-events", "other").await, None);
        if let Some(emulator) = &target.emulator {
            let stored = admin(emulator, "GET", "/_admin/tables/health-events/items", json!({}));
            assert_eq!(stored.as_array().map(Vec::len), Some(1));
            assert_eq!(
                (&stored[0]["count"], &stored[0]["raw"]),
                (&json!({"N": "42"}), &json!({"B": "AAEC/w=="}))
            );
        }

        let replaced = dynamodb
            .put_item()
            .table_name("health-events")
            .item("pk", s("arn:aws:health:us-east-1::event/EC2/X/1"))
            .item("count", n(43))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .unwrap();
        assert_eq!(replaced.attributes(), Some(&item));
        let read = get(
            dynamodb,
            "health-events",
            "arn:aws:health:us-east-1::event/EC2/X/1",
        )
        .await;
        assert_eq!(read.unwrap().len(), 2, "a put replaces the whole item");

        let no_key = dynamodb
            .put_item()
            .table_name("health-events")
            .item("count", n(1))
            .send()
            .await
            .unwrap_err();
        assert_error(&no_key, "ValidationException", "Missing the key pk");
        let wrong_type = dynamodb
            .put_item()
            .table_name("health-events")
            .item("pk", n(1))
            .send()
            .await
            .unwrap_err();
        assert_error(&wrong_type, "ValidationException", "Type mismatch for key pk");
        let extra_key = dynamodb
            .get_item()
            .table_name("health-events")
            .key("pk", s("x"))
            .key("sk", s("y"))
            .send()
            .await
            .unwrap_err();
        assert_error(&extra_key, "ValidationException", "does not match the schema");
        let bad_number = dynamodb
            .put_item()
            .table_name("health-events")
            .item("pk", s("x"))
            .item("count", n("twelve"))
            .send()
            .await
            .unwrap_err();
        assert_error(&bad_number, "ValidationException", "numeric value: twelve");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_condition_is_a_typed_error_and_changes_nothing() {
    for target in targets_with_table("health-events", None).await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        let event = |status: &str, version: u32| {
            HashMap::from([
                ("pk".to_owned(), s("e1")),
                ("status".to_owned(), s(status)),
                ("version".to_owned(), n(version)),
            ])
        };
        put(dynamodb, "health-events", event("open", 1)).await;
        let conditional_put = |status: &'static str, condition: &'static str| {
            dynamodb
                .put_item()
                .table_name("health-events")
                .set_item(Some(event("closed", 2)))
                .condition_expression(condition)
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(status))
                .send()
        };
        let failed = conditional_put("closed", "attribute_not_exists(pk) OR #status = :status")
            .await
            .unwrap_err();
        assert_service_error!(failed, is_conditional_check_failed_exception);
        assert_eq!(get(dynamodb, "health-events", "e1").await, Some(event("open", 1)));
        if let Some(emulator) = &target.emulator {
            let stored = admin(emulator, "GET", "/_admin/tables/health-events/items", json!({}));
            assert_eq!(stored[0]["status"], json!({"S": "open"}));
        }

        conditional_put("open", "#status = :status").await.unwrap();
        assert_eq!(
            get(dynamodb, "health-events", "e1").await,
            Some(event("closed", 2))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_newest_write_wins_whatever_the_order() {
    for target in targets_with_table("health-events", None).await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        // (lastUpdatedTime, communicationId, whether it is newer than everything before it)
        let writes = [
            (200, "b", true),
            (100, "z", false),
            (200, "b", false),
            (200, "c", true),
            (1000, "a", true),
            (999, "z", false),
            (1000, "a", false),
        ];
        let write = |pk: &'static str, updated: u32, communication: &'static str| {
            dynamodb
                .put_item()
                .table_name("health-events")
                .item("pk", s(pk))
                .item("lastUpdatedTime", n(updated))
                .item("communicationId", s(communication))
                .item("seen", s(&format!("{updated}/{communication}")))
                .condition_expression(
                    "attribute_not_exists(pk) OR #updated < :updated OR (#updated = :updated AND #comm < :comm)",
                )
                .expression_attribute_names("#updated", "lastUpdatedTime")
                .expression_attribute_names("#comm", "communicationId")
                .expression_attribute_values(":updated", n(updated))
                .expression_attribute_values(":comm", s(communication))
                .send()
        };
        for (updated, communication, newer) in writes {
            match write("in-order", updated, communication).await {
                Ok(_) => assert!(newer, "{updated}/{communication} should have lost"),
                Err(error) => {
                    assert!(!newer, "{updated}/{communication} should have won: {error:?}");
                    assert_service_error!(error, is_conditional_check_failed_exception);
                }
            }
        }
        for (updated, communication, _) in writes.iter().rev() {
            let _ = write("reversed", *updated, communication).await;
        }
        for pk in ["in-order", "reversed"] {
            let stored = get(dynamodb, "health-events", pk).await.unwrap();
            assert_eq!(stored["seen"], s("1000/a"), "{pk}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_page_through_one_partition_in_sort_key_order() {
    for target in targets_with_table("timeline", Some(ScalarAttributeType::N)).await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        // 1..=25 in a scrambled order, so the order of the answers is the emulator's doing.
        for sort in (0..25).map(|index| (index * 7) % 25 + 1) {
            let item = HashMap::from([("pk".to_owned(), s("EC2")), ("sk".to_owned(), n(sort))]);
            put(dynamodb, "timeline", item).await;
        }
        for (pk, sort) in [("EC", 1), ("EC22", 2), ("LAMBDA", 3)] {
            let item = HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), n(sort))]);
            put(dynamodb, "timeline", item).await;
        }
        let ec2 = [(":p", s("EC2"))];
        let pages = query_pages(dynamodb, "timeline", "pk = :p", &ec2, 4).await;
        assert_eq!(pages.len(), 7);
        assert!(pages.iter().all(|page| page.len() <= 4));
        let all: Vec<String> = pages.iter().flat_map(|page| sort_keys(page)).collect();
        let expected: Vec<String> = (1..=25).map(|sort| sort.to_string()).collect();
        assert_eq!(all, expected, "each once, numerically ordered");

        // Like DynamoDB, a page that fills up exactly still says there may be more; moto says
        // nothing follows. AWS documents that a LastEvaluatedKey does not mean more follows, so
        // both are allowed and a reader must take either.
        let exact = query_pages(dynamodb, "timeline", "pk = :p", &ec2, 5).await;
        let sizes: Vec<usize> = exact.iter().map(Vec::len).collect();
        let last = if target.is_moto() { None } else { Some(0) };
        assert_eq!(sizes, [&[5, 5, 5, 5, 5][..], last.as_slice()].concat());

        let (mut backwards, mut start, mut page_count) = (Vec::new(), None, 0);
        loop {
            let page = dynamodb
                .query()
                .table_name("timeline")
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s("EC2"))
                .scan_index_forward(false)
                .limit(10)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            page_count += 1;
            backwards.extend(sort_keys(page.items()));
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        let descending: Vec<String> = expected.iter().rev().cloned().collect();
        assert_eq!((backwards, page_count), (descending, 3));

        let ranges = [
            (
                "pk = :p AND sk BETWEEN :lo AND :hi",
                vec![(":lo", n(9)), (":hi", n(12))],
                "9 10 11 12",
            ),
            ("pk = :p AND sk < :v", vec![(":v", n(3))], "1 2"),
            ("sk >= :v AND pk = :p", vec![(":v", n(24))], "24 25"),
            ("(pk = :p) AND (sk = :v)", vec![(":v", n(5))], "5"),
        ];
        for (condition, mut values, expected) in ranges {
            values.push((":p", s("EC2")));
            let pages = query_pages(dynamodb, "timeline", condition, &values, 100).await;
            let found: Vec<String> = pages.iter().flat_map(|page| sort_keys(page)).collect();
            assert_eq!(found.join(" "), expected, "{condition}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_apply_after_the_limit_and_begins_with_selects_sort_keys() {
    for target in targets_with_table("notes", Some(ScalarAttributeType::S)).await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        for index in 1..=12 {
            let mut item = HashMap::from([
                ("pk".to_owned(), s("EC2")),
                ("sk".to_owned(), s(&format!("event#{index:03}"))),
                (
                    "status".to_owned(),
                    s(if index % 2 == 0 { "open" } else { "closed" }),
                ),
            ]);
            if index % 3 == 0 {
                item.insert("region".to_owned(), s("us-east-1"));
            }
            put(dynamodb, "notes", item).await;
        }
        for sort in ["comm#1", "eventual", "zzz"] {
            let item = HashMap::from([("pk".to_owned(), s("EC2")), ("sk".to_owned(), s(sort))]);
            put(dynamodb, "notes", item).await;
        }
        let values = [(":p", s("EC2")), (":prefix", s("event#"))];
        let pages = query_pages(
            dynamodb,
            "notes",
            "pk = :p AND begins_with(sk, :prefix)",
            &values,
            100,
        )
        .await;
        let events: Vec<String> = pages.iter().flat_map(|page| sort_keys(page)).collect();
        let expected: Vec<String> = (1..=12).map(|index| format!("event#{index:03}")).collect();
        assert_eq!(events, expected);

        let filtered = |limit: Option<i32>| {
            dynamodb
                .query()
                .table_name("notes")
                .key_condition_expression("pk = :p AND begins_with(sk, :prefix)")
                .filter_expression("#status = :open AND attribute_exists(#region)")
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#region", "region")
                .expression_attribute_values(":p", s("EC2"))
                .expression_attribute_values(":prefix", s("event#"))
                .expression_attribute_values(":open", s("open"))
                .set_limit(limit)
                .send()
        };
        let all = filtered(None).await.unwrap();
        assert_eq!(sort_keys(all.items()), ["event#006", "event#012"]);
        assert_eq!((all.count(), all.scanned_count()), (2, 12));
        assert!(all.last_evaluated_key().is_none());
        let first_five = filtered(Some(5)).await.unwrap();
        assert_eq!((first_five.count(), first_five.scanned_count()), (0, 5));
        let resume = first_five.last_evaluated_key().unwrap();
        assert_eq!(resume["sk"], s("event#005"));
        assert_eq!(resume.len(), 2, "only the key attributes");

        let counted = dynamodb
            .query()
            .table_name("notes")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("EC2"))
            .select(Select::Count)
            .send()
            .await
            .unwrap();
        assert_eq!((counted.count(), counted.items.is_none()), (15, true));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_expressions_are_refused_and_change_nothing() {
    for target in targets_with_table("notes", Some(ScalarAttributeType::S)).await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        let conditional_put = |condition: &'static str| {
            dynamodb
                .put_item()
                .table_name("notes")
                .item("pk", s("a"))
                .item("sk", s("b"))
                .item("tags", AttributeValue::Ss(vec!["x".into()]))
                .condition_expression(condition)
                .expression_attribute_values(":v", s("x"))
                .send()
        };
        // The last is carried out by moto, which does not check that every value is used.
        let cases = [
            (
                "attribute_not_exists(pk) OR",
                "Syntax error; token: <EOF>",
                Moto::Crashes,
            ),
            ("tags = :v AND", "Syntax error", Moto::Crashes),
            (
                "tags = :undefined OR tags = :v",
                "attribute value: :undefined",
                Moto::Crashes,
            ),
            ("#tags = :v", "attribute name: #tags", Moto::Crashes),
            (
                "attribute_not_exists(pk)",
                "unused in expressions: keys: {:v}",
                Moto::Accepts,
            ),
        ];
        for (condition, expected, moto) in cases {
            assert_refused(&target, conditional_put(condition).await, expected, moto);
        }
        let written = query_pages(dynamodb, "notes", "pk = :p", &[(":p", s("a"))], 10).await;
        let written = written.concat().len();
        assert_eq!(
            written,
            usize::from(target.is_moto()),
            "only what was carried out was written"
        );

        let query = |key_condition: &'static str, filter: Option<&'static str>| {
            dynamodb
                .query()
                .table_name("notes")
                .key_condition_expression(key_condition)
                .set_filter_expression(filter.map(str::to_owned))
                .expression_attribute_values(":p", s("a"))
                .send()
        };
        let cases = [
            (
                "pk = :p",
                Some("sk = :p"),
                "Primary key attribute: sk",
                Moto::Accepts,
            ),
            (
                "pk = :p OR sk = :p",
                None,
                "Invalid operator used in KeyConditionExpression: OR",
                Moto::Crashes,
            ),
            ("sk = :p", None, "missed key schema element: pk", Moto::Agrees),
            (
                "pk = :p AND other = :p",
                None,
                "not a key attribute",
                Moto::Says("missed key schema element: sk"),
            ),
        ];
        for (key_condition, filter, expected, moto) in cases {
            assert_refused(&target, query(key_condition, filter).await, expected, moto);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_resource_not_found() {
    for target in targets().await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        let put = dynamodb
            .put_item()
            .table_name("missing")
            .item("pk", s("a"))
            .send()
            .await
            .unwrap_err();
        assert_service_error!(put, is_resource_not_found_exception);
        let get = dynamodb
            .get_item()
            .table_name("missing")
            .key("pk", s("a"))
            .send()
            .await
            .unwrap_err();
        assert_service_error!(get, is_resource_not_found_exception);
        let query = dynamodb
            .query()
            .table_name("missing")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("a"))
            .send()
            .await
            .unwrap_err();
        assert_service_error!(query, is_resource_not_found_exception);
    }
}

/// What the emulator does not speak it refuses, naming it, rather than ignore it and change what
/// the request means. moto speaks these, so this is the emulator's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_emulated_is_refused_clearly() {
    let emulator = local_aws::Emulator::start().await.unwrap();
    let dynamodb = &client(emulator.url(), RetryConfig::standard());
    create_table(dynamodb, "notes", Some(ScalarAttributeType::S)).await;
    let conditional_put = |condition: &'static str| {
        dynamodb
            .put_item()
            .table_name("notes")
            .item("pk", s("a"))
            .item("sk", s("b"))
            .item("tags", AttributeValue::Ss(vec!["x".into()]))
            .condition_expression(condition)
            .expression_attribute_values(":v", s("x"))
            .send()
    };
    for (condition, expected) in [
        ("contains(tags, :v)", "contains is not emulated"),
        ("tags.inner = :v", "not emulated"),
    ] {
        let error = conditional_put(condition).await.unwrap_err();
        assert_error(&error, "ValidationException", expected);
    }
    let index_deleted = dynamodb
        .update_table()
        .table_name("notes")
        .global_secondary_index_updates(
            aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                .delete(
                    aws_sdk_dynamodb::types::DeleteGlobalSecondaryIndexAction::builder()
                        .index_name("by-status")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_error(&index_deleted, "ValidationException", "only Create is emulated");
    let projected = dynamodb
        .get_item()
        .table_name("notes")
        .key("pk", s("a"))
        .key("sk", s("b"))
        .projection_expression("tags")
        .send()
        .await
        .unwrap_err();
    assert_error(
        &projected,
        "ValidationException",
        "ProjectionExpression is not emulated",
    );
    let delete = dynamodb
        .delete_item()
        .table_name("notes")
        .key("pk", s("a"))
        .send()
        .await
        .unwrap_err();
    assert_error(&delete, "UnknownOperationException", "DeleteItem is not emulated");
}

/// Faults are the emulator's: moto injects none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_throttling_is_retried_by_the_sdk_and_then_succeeds() {
    let emulator = local_aws::Emulator::start().await.unwrap();
    let dynamodb = client(emulator.url(), RetryConfig::standard());
    create_table(&dynamodb, "health-events", None).await;
    let fault = json!({"service": "dynamodb", "operation": "PutItem", "kind": "throttle", "count": 2});
    admin(&emulator, "POST", "/_admin/faults", fault);
    let item = HashMap::from([("pk".to_owned(), s("e1"))]);
    put(&dynamodb, "health-events", item.clone()).await;
    assert_eq!(get(&dynamodb, "health-events", "e1").await, Some(item));

    let calls = admin(&emulator, "GET", "/_admin/calls", json!({}));
    let puts: Vec<(&Value, &Value, &Value)> = calls
        .as_array()
        .unwrap()
        .iter()
        .filter(|call| call["service"] == "dynamodb" && call["operation"] == "PutItem")
        .map(|call| (&call["fault"], &call["status"], &call["caller"]))
        .collect();
    let throttled = (&json!("throttle"), &json!(400), &json!("local"));
    assert_eq!(
        puts,
        [throttled, throttled, (&Value::Null, &json!(200), &json!("local"))]
    );

    // When the retries run out, the throttling arrives as DynamoDB's typed error.
    let impatient = client(
        emulator.url(),
        RetryConfig::standard()
            .with_max_attempts(2)
            .with_initial_backoff(Duration::from_millis(1)),
    );
    let fault = json!({"service": "dynamodb", "operation": "GetItem", "kind": "throttle", "count": 2});
    admin(&emulator, "POST", "/_admin/faults", fault);
    let error = impatient
        .get_item()
        .table_name("health-events")
        .key("pk", s("e1"))
        .send()
        .await
        .unwrap_err();
    assert_service_error!(error, is_provisioned_throughput_exceeded_exception);
}
