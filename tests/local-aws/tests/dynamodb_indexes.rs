//! Global secondary indexes with the real DynamoDB SDK, against the emulator and against moto's
//! server (README.md, "Checked against moto"): created with the table or by UpdateTable, sparse,
//! projected, read eventually consistently only, paged by the table's and the index's keys.
//! Consumed capacity is in dynamodb_capacity.rs; both use the AWS Health event store's shape.

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
    AttributeValue, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, IndexStatus, KeyType,
    Projection, ProjectionType, ScalarAttributeType, Select,
};
use common::admin;
use events::{arns, create_events, event, index_query, open_index};
use serde_json::json;
use std::time::Duration;
use support::{Moto, assert_error, assert_refused, definition, key, n, put, s, targets};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_holds_only_the_items_with_its_keys_projected() {
    for target in targets().await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        let projection = Projection::builder()
            .projection_type(ProjectionType::Include)
            .non_key_attributes("status")
            .build();
        create_events(dynamodb, Some(open_index(projection))).await;
        let mut described = event("arn:e", Some("us-east-1#111"), 20, "open");
        described.insert("description".into(), s("a long text"));
        for item in [
            event("arn:a", Some("us-east-1#111"), 30, "open"),
            event("arn:b", Some("us-east-1#111"), 10, "upcoming"),
            event("arn:c", None, 25, "closed"),
            event("arn:d", Some("us-east-1#222"), 5, "open"),
            described,
        ] {
            put(dynamodb, "events", item).await;
        }

        let all = index_query(dynamodb, "us-east-1#111").send().await.unwrap();
        assert_eq!(arns(all.items()), ["arn:b", "arn:e", "arn:a"]);
        assert_eq!((all.count(), all.scanned_count()), (3, 3));
        let mut names: Vec<&str> = all.items()[1].keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["arn", "open_key", "region", "status", "updated"]);

        let backwards = index_query(dynamodb, "us-east-1#111")
            .scan_index_forward(false)
            .send()
            .await
            .unwrap();
        assert_eq!(arns(backwards.items()), ["arn:a", "arn:e", "arn:b"]);
        let recent = index_query(dynamodb, "us-east-1#111")
            .key_condition_expression("open_key = :k AND updated >= :t")
            .expression_attribute_values(":t", n(20))
            .send()
            .await
            .unwrap();
        assert_eq!(arns(recent.items()), ["arn:e", "arn:a"]);
        let open = index_query(dynamodb, "us-east-1#111")
            .filter_expression("#status = :s")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":s", s("open"))
            .send()
            .await
            .unwrap();
        assert_eq!(arns(open.items()), ["arn:e", "arn:a"]);
        assert_eq!((open.count(), open.scanned_count()), (2, 3));
        let counted = index_query(dynamodb, "us-east-1#111")
            .select(Select::Count)
            .send()
            .await
            .unwrap();
        assert_eq!((counted.count(), counted.items().len()), (3, 0));

        let described = dynamodb
            .describe_table()
            .table_name("events")
            .send()
            .await
            .unwrap();
        let indexes = described.table().unwrap().global_secondary_indexes();
        assert_eq!(indexes.len(), 1);
        let index = &indexes[0];
        assert_eq!(index.index_name(), Some("open"));
        assert_eq!(index.index_status(), Some(&IndexStatus::Active));
        let keys: Vec<(&str, &KeyType)> = index
            .key_schema()
            .iter()
            .map(|key| (key.attribute_name(), key.key_type()))
            .collect();
        assert_eq!(keys, [("open_key", &KeyType::Hash), ("updated", &KeyType::Range)]);
        let projection = index.projection().unwrap();
        assert_eq!(projection.projection_type(), Some(&ProjectionType::Include));
        assert_eq!(projection.non_key_attributes(), ["status"]);
        // moto lists no ItemCount for an index.
        let count = if target.is_moto() { None } else { Some(4) };
        assert_eq!(index.item_count(), count);

        let consistent = index_query(dynamodb, "us-east-1#111")
            .consistent_read(true)
            .send()
            .await;
        assert_refused(
            &target,
            consistent,
            "Consistent reads are not supported on global secondary indexes",
            Moto::Agrees,
        );
        let unknown = dynamodb
            .query()
            .table_name("events")
            .index_name("closed")
            .key_condition_expression("open_key = :k")
            .expression_attribute_values(":k", s("x"))
            .send()
            .await
            .unwrap_err();
        // moto answers ResourceNotFoundException, DynamoDB a ValidationException.
        let (code, words) = if target.is_moto() {
            (
                "ResourceNotFoundException",
                "Invalid index: closed for table: events",
            )
        } else {
            (
                "ValidationException",
                "The table does not have the specified index: closed",
            )
        };
        assert_error(&unknown, code, words);
        let not_projected = index_query(dynamodb, "us-east-1#111")
            .select(Select::AllAttributes)
            .send()
            .await;
        assert_refused(
            &target,
            not_projected,
            "Select type ALL_ATTRIBUTES is not supported for global secondary index open",
            Moto::Agrees,
        );
        let on_index_key = index_query(dynamodb, "us-east-1#111")
            .filter_expression("updated > :t")
            .expression_attribute_values(":t", n(1))
            .send()
            .await;
        assert_refused(
            &target,
            on_index_key,
            "Filter Expression can only contain non-primary key attributes: Primary key attribute: updated",
            Moto::Accepts,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_pages_by_the_tables_and_its_own_keys() {
    for target in targets().await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        let projection = Projection::builder()
            .projection_type(ProjectionType::KeysOnly)
            .build();
        create_events(dynamodb, Some(open_index(projection))).await;
        for number in 1..=7 {
            let item = event(
                &format!("arn:{}", 8 - number),
                Some("us-east-1#1"),
                number,
                "open",
            );
            put(dynamodb, "events", item).await;
        }
        put(dynamodb, "events", event("arn:9", None, 4, "closed")).await;

        let first = index_query(dynamodb, "us-east-1#1")
            .limit(3)
            .send()
            .await
            .unwrap();
        assert_eq!(arns(first.items()), ["arn:7", "arn:6", "arn:5"]);
        let last = first.last_evaluated_key().unwrap();
        let mut names: Vec<&str> = last.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["arn", "open_key", "region", "updated"]);
        assert_eq!(last["updated"], n(3));

        let mut pages = index_query(dynamodb, "us-east-1#1")
            .limit(3)
            .into_paginator()
            .send();
        let mut read = Vec::new();
        while let Some(page) = pages.next().await {
            read.push(arns(page.unwrap().items()));
        }
        assert_eq!(
            read.concat(),
            ["arn:7", "arn:6", "arn:5", "arn:4", "arn:3", "arn:2", "arn:1"]
        );
        assert_eq!(read.len(), 3);

        // A start key without the index's keys is not one of the index.
        let mut table_key_only = last.clone();
        table_key_only.remove("updated");
        table_key_only.remove("open_key");
        let resumed = index_query(dynamodb, "us-east-1#1")
            .set_exclusive_start_key(Some(table_key_only))
            .send()
            .await;
        assert_refused(
            &target,
            resumed,
            "The provided starting key is invalid",
            Moto::Crashes,
        );
    }
}

fn create_action(index: &str) -> GlobalSecondaryIndexUpdate {
    GlobalSecondaryIndexUpdate::builder()
        .create(
            CreateGlobalSecondaryIndexAction::builder()
                .index_name(index)
                .key_schema(key("open_key", KeyType::Hash))
                .key_schema(key("updated", KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .unwrap(),
        )
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_table_adds_one_index_backfilled_from_the_items() {
    for target in targets().await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        create_events(dynamodb, None).await;
        put(dynamodb, "events", event("arn:a", Some("us-east-1#1"), 2, "open")).await;
        put(dynamodb, "events", event("arn:b", None, 1, "closed")).await;
        put(dynamodb, "events", event("arn:c", Some("us-east-1#1"), 1, "open")).await;

        let update = |actions: Vec<GlobalSecondaryIndexUpdate>| {
            dynamodb
                .update_table()
                .table_name("events")
                .attribute_definitions(definition("open_key", ScalarAttributeType::S))
                .attribute_definitions(definition("updated", ScalarAttributeType::N))
                .set_global_secondary_index_updates(Some(actions))
                .send()
        };
        let two = update(vec![create_action("open"), create_action("also-open")]).await;
        let created = if target.is_moto() {
            // moto creates both; DynamoDB creates one index per UpdateTable.
            let updated = two.unwrap();
            updated.table_description().unwrap().global_secondary_indexes()[0].clone()
        } else {
            assert_error(
                &two.unwrap_err(),
                "LimitExceededException",
                "Only 1 online index can be created",
            );
            let updated = update(vec![create_action("open")]).await.unwrap();
            let created = updated.table_description().unwrap().global_secondary_indexes()[0].clone();
            assert_eq!(created.backfilling(), Some(false));
            created
        };
        // AWS answers CREATING; moto's index is ACTIVE at once.
        let creating = if target.is_moto() {
            IndexStatus::Active
        } else {
            IndexStatus::Creating
        };
        assert_eq!(created.index_status(), Some(&creating));
        let described = dynamodb
            .describe_table()
            .table_name("events")
            .send()
            .await
            .unwrap();
        let index = &described.table().unwrap().global_secondary_indexes()[0];
        assert_eq!(index.index_status(), Some(&IndexStatus::Active));
        let count = if target.is_moto() { None } else { Some(2) };
        assert_eq!(index.item_count(), count);
        let open = index_query(dynamodb, "us-east-1#1").send().await.unwrap();
        assert_eq!(arns(open.items()), ["arn:c", "arn:a"]);
    }
}

/// The emulator's backfill delay (admin setting `dynamodb_index_backfill_ms`): the index is
/// CREATING, backfilling and not readable, and the table UPDATING, until it has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_is_not_readable_while_it_is_backfilled() {
    let emulator = local_aws::Emulator::start().await.unwrap();
    let dynamodb = &support::client(
        emulator.url(),
        aws_sdk_dynamodb::config::retry::RetryConfig::standard(),
    );
    admin(
        &emulator,
        "POST",
        "/_admin/settings",
        json!({"dynamodb_index_backfill_ms": 400}),
    );
    create_events(dynamodb, None).await;
    put(dynamodb, "events", event("arn:a", Some("us-east-1#1"), 2, "open")).await;
    dynamodb
        .update_table()
        .table_name("events")
        .attribute_definitions(definition("open_key", ScalarAttributeType::S))
        .attribute_definitions(definition("updated", ScalarAttributeType::N))
        .global_secondary_index_updates(create_action("open"))
        .send()
        .await
        .unwrap();
    let described = dynamodb
        .describe_table()
        .table_name("events")
        .send()
        .await
        .unwrap();
    let table = described.table().unwrap();
    assert_eq!(
        table.table_status().map(|status| status.as_str()),
        Some("UPDATING")
    );
    let index = &table.global_secondary_indexes()[0];
    assert_eq!(index.index_status(), Some(&IndexStatus::Creating));
    assert_eq!(index.backfilling(), Some(true));
    let early = index_query(dynamodb, "us-east-1#1").send().await.unwrap_err();
    assert_error(
        &early,
        "ValidationException",
        "Cannot read from backfilling global secondary index: open",
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    let open = index_query(dynamodb, "us-east-1#1").send().await.unwrap();
    assert_eq!(arns(open.items()), ["arn:a"]);
    let described = dynamodb
        .describe_table()
        .table_name("events")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .table()
            .unwrap()
            .table_status()
            .map(|status| status.as_str()),
        Some("ACTIVE")
    );
}

/// A Query page ends at 1 MB read, with a LastEvaluatedKey; the pages hold every item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_page_ends_at_one_megabyte() {
    for target in targets().await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        create_events(dynamodb, None).await;
        for number in 0..12 {
            let mut item = event(&format!("arn:{number:02}"), None, number, "closed");
            item.insert("description".into(), AttributeValue::S("x".repeat(100 * 1024)));
            put(dynamodb, "events", item).await;
        }
        let query = || {
            dynamodb
                .query()
                .table_name("events")
                .key_condition_expression("#region = :r")
                .expression_attribute_names("#region", "region")
                .expression_attribute_values(":r", s("us-east-1"))
        };
        let first = query().send().await.unwrap();
        assert!(first.last_evaluated_key().is_some());
        assert!((9..12).contains(&first.items().len()), "{}", first.items().len());
        let mut pages = query().into_paginator().send();
        let mut read = Vec::new();
        while let Some(page) = pages.next().await {
            read.extend(arns(page.unwrap().items()));
        }
        let expected: Vec<String> = (0..12).map(|number| format!("arn:{number:02}")).collect();
        assert_eq!(read, expected);
    }
}

/// A Scan reads the whole table, page by page: its filter (which may name a key attribute,
/// unlike a Query's) applies to what each page read, and ScannedCount counts what it dropped.
/// This is how the event store's items written before the index are found and given their key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_reads_every_item_in_pages_and_filters_what_it_read() {
    for target in targets().await {
        println!("checking {}", target.name);
        let dynamodb = &target.dynamodb;
        create_events(
            dynamodb,
            Some(open_index(
                Projection::builder()
                    .projection_type(ProjectionType::KeysOnly)
                    .build(),
            )),
        )
        .await;
        for number in 0..7 {
            let status = if number % 2 == 0 { "open" } else { "closed" };
            put(
                dynamodb,
                "events",
                event(&format!("arn:{number}"), None, number, status),
            )
            .await;
        }
        let mut other = event("arn:x", None, 1, "open");
        other.insert("region".into(), s("pipeguard#store"));
        put(dynamodb, "events", other).await;
        put(
            dynamodb,
            "events",
            event("arn:indexed", Some("us-east-1#111"), 1, "open"),
        )
        .await;

        let scan = || {
            dynamodb
                .scan()
                .table_name("events")
                .filter_expression(
                    "attribute_not_exists(open_key) AND #status = :open AND NOT begins_with(#region, :ours)",
                )
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#region", "region")
                .expression_attribute_values(":open", s("open"))
                .expression_attribute_values(":ours", s("pipeguard#"))
                .limit(3)
        };
        let first = scan().send().await.unwrap();
        assert_eq!(first.scanned_count(), 3);
        assert!(first.last_evaluated_key().is_some());
        let (mut found, mut scanned, mut pages) = (Vec::new(), 0, 0);
        let mut paginator = scan().into_paginator().send();
        while let Some(page) = paginator.next().await {
            let page = page.unwrap();
            found.extend(arns(page.items()));
            scanned += page.scanned_count();
            pages += 1;
        }
        found.sort();
        assert_eq!(found, ["arn:0", "arn:2", "arn:4", "arn:6"]);
        assert_eq!(scanned, 9);
        assert!(pages >= 3, "{pages} pages");
    }
}
