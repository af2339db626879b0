//! The event store's index of what can block, against the emulator's DynamoDB through the real
//! SDK: a decision reads the keys of the regions and accounts it watches (and each hit again,
//! strongly consistently), never another account's events or closed ones; a store of an earlier
//! release keeps being read whole until the sweep has given its events their key and DynamoDB
//! has built the index.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};
use e2e::{EVENT_STORE, Local};
use pipeguard_aws::{EventStore, OPEN_INDEX};
use pipeguard_core::gate::{GateDefaults, GatePolicy};
use pipeguard_core::health::{EventCategory, EventScope, EventStatus, HealthEvent, HealthRecord};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;

/// The emulator's account: the stack's own.
const OWN: &str = "123456789012";
/// An account the pipeline deploys into.
const WATCHED: &str = "222233334444";
/// An account of the organization the pipeline does not deploy into.
const UNWATCHED: &str = "555566667777";

fn arn(name: &str) -> String {
    format!("arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/{name}")
}

fn policy() -> GatePolicy {
    GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()))
        .unwrap()
        .for_action(Some(&format!(r#"{{"accounts": ["{OWN}", "{WATCHED}"]}}"#)))
        .unwrap()
}

/// An update of the event `name`: `account` None for a public one.
fn update(name: &str, account: Option<&str>, status: EventStatus) -> HealthRecord {
    HealthRecord {
        event: HealthEvent {
            arn: arn(name),
            service: "EC2".into(),
            event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
            category: EventCategory::Issue,
            region: "us-east-1".into(),
            status,
            account: account.map(str::to_owned),
            start_time: Some(1_795_000_000),
        },
        end_time: None,
        last_updated: 1_795_000_100,
        scope: if account.is_some() {
            EventScope::AccountSpecific
        } else {
            EventScope::Public
        },
        communication_id: "c-1".into(),
        backup: false,
    }
}

/// The events found, as `name status account`, sorted.
async fn found(store: &EventStore) -> Vec<String> {
    let mut found: Vec<String> = store
        .events_in(&policy(), OWN)
        .await
        .unwrap()
        .into_iter()
        .map(|event| {
            let name = event.arn.rsplit('/').next().unwrap_or_default().to_owned();
            format!(
                "{name} {} {}",
                event.status,
                event.account.as_deref().unwrap_or("public")
            )
        })
        .collect();
    found.sort();
    found
}

/// The event store's reads since call `from`: (operation, the index a Query read).
fn reads_since(local: &Local, from: usize) -> Vec<(String, Option<String>)> {
    let calls = local.admin("GET", "/_admin/calls", json!({}));
    calls
        .as_array()
        .into_iter()
        .flatten()
        .skip(from)
        .filter(|call| call["service"] == "dynamodb")
        .map(|call| {
            (
                call["operation"].as_str().unwrap_or_default().to_owned(),
                call["consumed_capacity"]["index"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn calls_so_far(local: &Local) -> usize {
    local
        .admin("GET", "/_admin/calls", json!({}))
        .as_array()
        .map_or(0, Vec::len)
}

fn item(local: &Local, name: &str) -> Value {
    let items = local.admin("GET", &format!("/_admin/tables/{EVENT_STORE}/items"), json!({}));
    items
        .as_array()
        .into_iter()
        .flatten()
        .find(|item| item["event_arn"]["S"] == arn(name).as_str())
        .cloned()
        .unwrap_or(Value::Null)
}

fn definition(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .unwrap()
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_the_sweep_marks_the_index_complete_a_decision_reads_only_what_can_block() {
    let local = Local::start_with_store(&[]).await;
    let store = EventStore::new(local.dynamodb(), EVENT_STORE);
    // An open notification of the account: in the index, of a kind the policy does not block on.
    let mut notice = update("notice", Some(OWN), EventStatus::Open);
    notice.event.category = EventCategory::AccountNotification;
    for record in [
        update("own", Some(OWN), EventStatus::Open),
        update("watched", Some(WATCHED), EventStatus::Upcoming),
        update("public", None, EventStatus::Open),
        update("unwatched", Some(UNWATCHED), EventStatus::Open),
        update("over", Some(OWN), EventStatus::Closed),
        notice,
    ] {
        store.record(&record, OWN).await.unwrap();
    }
    assert_eq!(item(&local, "own")["open_key"]["S"], format!("us-east-1#{OWN}"));
    assert_eq!(item(&local, "public")["open_key"]["S"], "us-east-1#public");
    assert!(
        item(&local, "over")["open_key"].is_null(),
        "a closed event is out of the index"
    );

    // No marker yet: the region is read whole, every account's events and closed ones too.
    let mark = calls_so_far(&local);
    assert_eq!(
        found(&store).await,
        [
            format!("notice open {OWN}"),
            format!("over closed {OWN}"),
            format!("own open {OWN}"),
            "public open public".to_owned(),
            format!("unwatched open {UNWATCHED}"),
            format!("watched upcoming {WATCHED}"),
        ]
    );
    let reads = reads_since(&local, mark);
    assert!(reads.contains(&("Query".into(), None)), "{reads:?}");

    // The sweep, as the schedule runs it in stage-retry, finds nothing to key and marks it.
    local.sweep();
    local.invoked("stage-retry", 1, "the sweep").await;
    let items = local.admin("GET", &format!("/_admin/tables/{EVENT_STORE}/items"), json!({}));
    let marker = items
        .as_array()
        .into_iter()
        .flatten()
        .find(|item| item["region"]["S"] == "pipeguard#store")
        .cloned();
    assert_eq!(
        marker.map(|marker| marker["state"]["S"].clone()),
        Some(json!("complete"))
    );

    // A process that starts now reads the marker once, then the index: public events and the
    // watched accounts' of a kind the policy blocks on, each confirmed by GetItem; never the
    // unwatched account's, closed ones, or the notification.
    let fresh = EventStore::new(local.dynamodb(), EVENT_STORE);
    let mark = calls_so_far(&local);
    let expected = [
        format!("own open {OWN}"),
        "public open public".to_owned(),
        format!("watched upcoming {WATCHED}"),
    ];
    assert_eq!(found(&fresh).await, expected);
    let mut reads = reads_since(&local, mark);
    reads.sort();
    let index = |_| ("Query".to_owned(), Some("open".to_owned()));
    let get = |_| ("GetItem".to_owned(), None);
    let expected_reads: Vec<_> = (0..4).map(get).chain((0..3).map(index)).collect();
    assert_eq!(
        reads, expected_reads,
        "marker + 3 hits read again, 3 keys queried"
    );
    let mark = calls_so_far(&local);
    assert_eq!(found(&fresh).await, expected);
    assert_eq!(
        reads_since(&local, mark)
            .iter()
            .filter(|read| read.0 == "GetItem")
            .count(),
        3,
        "the marker is read once a process"
    );

    // An event the index still names but the table has since closed does not block.
    store
        .record(
            &HealthRecord {
                last_updated: 1_795_000_200,
                ..update("own", Some(OWN), EventStatus::Closed)
            },
            OWN,
        )
        .await
        .unwrap();
    assert!(
        item(&local, "own")["open_key"].is_null(),
        "closing takes it out of the index"
    );
    assert_eq!(found(&fresh).await, expected[1..]);
}

/// An item as the release before the index wrote it: no `open_key`; an own-account event with
/// no `account` either (the store did not know accounts yet).
fn legacy(name: &str, account: Option<&str>, status: &str, padding: usize) -> Value {
    let key = match account {
        Some(account) if account != OWN => format!("{}#{account}", arn(name)),
        _ => arn(name),
    };
    let mut item = json!({"region": {"S": "us-east-1"}, "arn": {"S": key}, "event_arn": {"S": arn(name)},
        "service": {"S": "EC2"}, "event_type_code": {"S": "AWS_EC2_OPERATIONAL_ISSUE"},
        "category": {"S": "issue"}, "status": {"S": status},
        "scope": {"S": if account.is_some() { "ACCOUNT_SPECIFIC" } else { "PUBLIC" }},
        "last_updated": {"N": "1795000100"}, "communication_id": {"S": "c-1"},
        "description": {"S": "x".repeat(padding)}});
    if let Some(account) = account.filter(|account| *account != OWN) {
        item["account"] = json!({"S": account});
    }
    item
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_store_is_read_whole_until_its_events_have_their_key_and_the_index_is_built() {
    let local = Local::start(&[]).await;
    // The table as the last release created it, with its events.
    local.admin(
        "POST",
        "/_admin/tables",
        json!({"TableName": EVENT_STORE, "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "region", "AttributeType": "S"}, {"AttributeName": "arn", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "region", "KeyType": "HASH"}, {"AttributeName": "arn", "KeyType": "RANGE"}]}),
    );
    // Ten other accounts' events of 200 KB each: the scan takes several 1 MB pages.
    let mut items: Vec<Value> = (0..10)
        .map(|number| legacy(&format!("big{number}"), Some(UNWATCHED), "open", 200 * 1024))
        .collect();
    items.extend([
        legacy("own", Some(OWN), "open", 0),
        legacy("public", None, "upcoming", 0),
        legacy("over", Some(OWN), "closed", 0),
    ]);
    local.admin(
        "POST",
        "/_admin/dynamodb/seed",
        json!({"table": EVENT_STORE, "items": items}),
    );

    // The stack update adds the index; DynamoDB takes a while to build it.
    local.admin(
        "POST",
        "/_admin/settings",
        json!({"dynamodb_index_backfill_ms": 3000}),
    );
    local
        .dynamodb()
        .update_table()
        .table_name(EVENT_STORE)
        .attribute_definitions(definition("open_key"))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name(OPEN_INDEX)
                        .key_schema(key("open_key", KeyType::Hash))
                        .key_schema(key("arn", KeyType::Range))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::Include)
                                .non_key_attributes("service")
                                .non_key_attributes("event_type_code")
                                .non_key_attributes("category")
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let store = EventStore::new(local.dynamodb(), EVENT_STORE);
    let whole = [
        "big0 open 555566667777",
        "own open 123456789012",
        "public upcoming public",
    ];
    let blocking_part = |found: Vec<String>| -> Vec<String> {
        found
            .into_iter()
            .filter(|found| !found.starts_with("big") || found.starts_with("big0"))
            .filter(|found| !found.starts_with("over"))
            .collect()
    };

    // Runs short of time stop where they got to (between pages or within one) and the next
    // goes on from there: every open or upcoming event is keyed exactly once.
    let (mut runs, mut keyed) = (0, 0);
    let mut second = store.backfill_open_index(OWN, Instant::now()).await.unwrap();
    assert_eq!(
        (second.scanned, second.complete),
        (0, false),
        "out of time before it began"
    );
    while keyed < 12 && runs < 500 {
        second = store
            .backfill_open_index(OWN, Instant::now() + Duration::from_millis(20))
            .await
            .unwrap();
        keyed += second.keyed;
        runs += 1;
        if runs == 1 {
            assert_eq!(blocking_part(found(&store).await), whole, "read whole meanwhile");
        }
    }
    second = store.backfill_open_index(OWN, far()).await.unwrap();
    keyed += second.keyed;
    assert_eq!(
        keyed, 12,
        "every open or upcoming event keyed once, in {runs} runs"
    );
    assert!(!second.complete, "DynamoDB has not built the index yet");
    assert_eq!(item(&local, "own")["open_key"]["S"], format!("us-east-1#{OWN}"));
    assert_eq!(item(&local, "public")["open_key"]["S"], "us-east-1#public");
    assert_eq!(
        item(&local, "big3")["open_key"]["S"],
        format!("us-east-1#{UNWATCHED}")
    );
    assert!(item(&local, "over")["open_key"].is_null());
    assert_eq!(
        item(&local, "own")["description"]["S"],
        "",
        "the rest of the item kept"
    );
    let mark = calls_so_far(&local);
    assert_eq!(blocking_part(found(&store).await), whole, "still read whole");
    assert!(reads_since(&local, mark).contains(&("Query".into(), None)));

    // Once it is built, the next run marks it complete without scanning again.
    assert!(
        item(&local, "own")["account"]["S"] == OWN,
        "keyed as the stack's own account's, and says so"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let third = store.backfill_open_index(OWN, far()).await.unwrap();
    assert_eq!((third.scanned, third.complete), (0, true), "{third:?}");
    let mark = calls_so_far(&local);
    assert_eq!(
        found(&store).await,
        [format!("own open {OWN}"), "public upcoming public".to_owned()]
    );
    assert!(
        reads_since(&local, mark)
            .iter()
            .all(|read| read.0 == "GetItem" || read.1.as_deref() == Some("open")),
        "read through the index only"
    );
}
