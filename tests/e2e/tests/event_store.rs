//! The AWS Health event store against the emulator's DynamoDB, through the real SDK: updates
//! land in order whatever order they arrive in, duplicates and backup copies change nothing,
//! and reads see every recorded update.

use e2e::{EVENT_STORE, Local};
use pipeguard_aws::{EventStore, Recorded};
use pipeguard_core::gate::GateDefaults;
use pipeguard_core::health::{EventCategory, EventScope, EventStatus, HealthEvent, HealthRecord};
use pipeguard_core::hold::HeldBy;

/// The emulator's account: the stack's own.
const OWN: &str = "123456789012";

const ARN: &str = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1";

async fn store() -> (Local, EventStore) {
    let local = Local::start_with_store(&[]).await;
    let client = local.dynamodb();
    (local, EventStore::new(client, EVENT_STORE))
}

fn update(
    arn: &str,
    region: &str,
    status: EventStatus,
    last_updated: i64,
    communication: &str,
) -> HealthRecord {
    HealthRecord {
        event: HealthEvent {
            arn: arn.into(),
            service: "EC2".into(),
            event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
            category: EventCategory::Issue,
            region: region.into(),
            status,
            account: None,
            start_time: Some(1_795_000_000),
        },
        end_time: None,
        last_updated,
        scope: EventScope::Public,
        communication_id: communication.into(),
        backup: false,
    }
}

async fn status(store: &EventStore, arn: &str, region: &str) -> Option<EventStatus> {
    store
        .status_of(
            &HeldBy {
                arn: arn.into(),
                region: region.into(),
                account: None,
            },
            OWN,
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closing_delivered_before_its_opening_stays_closed() {
    let (_local, store) = store().await;
    let open = update(ARN, "us-east-1", EventStatus::Open, 100, "c-1");
    let closed = update(ARN, "us-east-1", EventStatus::Closed, 200, "c-2");
    assert_eq!(store.record(&closed, OWN).await.unwrap(), Recorded::Stored);
    assert_eq!(store.record(&open, OWN).await.unwrap(), Recorded::Outdated);
    assert_eq!(status(&store, ARN, "us-east-1").await, Some(EventStatus::Closed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_and_backup_copies_change_nothing_and_newer_updates_win() {
    let (local, store) = store().await;
    let open = update(ARN, "us-east-1", EventStatus::Open, 100, "c-1");
    assert_eq!(store.record(&open, OWN).await.unwrap(), Recorded::Stored);
    assert_eq!(
        store.record(&open, OWN).await.unwrap(),
        Recorded::Outdated,
        "a duplicate"
    );
    let mut backup = open.clone();
    backup.backup = true;
    assert_eq!(
        store.record(&backup, OWN).await.unwrap(),
        Recorded::Outdated,
        "the backup region's copy"
    );
    let same_second = update(ARN, "us-east-1", EventStatus::Closed, 100, "c-2");
    assert_eq!(
        store.record(&same_second, OWN).await.unwrap(),
        Recorded::Stored,
        "same time, later communication"
    );
    assert_eq!(status(&store, ARN, "us-east-1").await, Some(EventStatus::Closed));
    let item = local.admin(
        "GET",
        &format!("/_admin/tables/{EVENT_STORE}/items"),
        serde_json::json!({}),
    );
    assert_eq!(
        item.as_array().map(Vec::len),
        Some(1),
        "one item per event: {item:#}"
    );
    assert!(
        item[0]["expires_at"]["N"].as_str().is_some(),
        "a closed event expires: {item:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_find_each_regions_events_and_only_theirs() {
    let (_local, store) = store().await;
    let global = "arn:aws:health:us-east-1::event/IAM/AWS_IAM_OPERATIONAL_ISSUE/1";
    let ireland = "arn:aws:health:eu-west-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/2";
    for record in [
        update(ARN, "us-east-1", EventStatus::Open, 100, "a-1"),
        update(global, "global", EventStatus::Open, 100, "b-1"),
        update(ireland, "eu-west-1", EventStatus::Open, 100, "c-1"),
    ] {
        store.record(&record, OWN).await.unwrap();
    }
    let mut found: Vec<String> = store
        .events_in(
            &GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()))
                .unwrap()
                .for_action(Some(r#"{"regions": ["us-east-1", "global"]}"#))
                .unwrap()
                .with_own_account(OWN),
            OWN,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|event| format!("{} {} {}", event.region, event.status, event.arn))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [format!("global open {global}"), format!("us-east-1 open {ARN}")]
    );
    assert_eq!(status(&store, ARN, "eu-west-1").await, None, "keyed by region");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_be_written_is_an_error_not_a_silent_skip() {
    let (local, store) = store().await;
    local.fault(serde_json::json!({"service": "dynamodb", "operation": "PutItem", "kind": "server-error"}));
    let error = store
        .record(&update(ARN, "us-east-1", EventStatus::Open, 100, "c-1"), OWN)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("PutItem"), "{error}");
    local.admin("DELETE", "/_admin/faults", serde_json::json!({}));
    assert_eq!(
        status(&store, ARN, "us-east-1").await,
        None,
        "nothing half-written"
    );
}
