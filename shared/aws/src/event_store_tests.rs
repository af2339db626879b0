use super::*;
use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryError, QueryOutput};
use aws_sdk_dynamodb::types::error::{ConditionalCheckFailedException, ResourceNotFoundException};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use std::collections::BTreeSet;

const TABLE: &str = "pipeguard-health-events";
/// The stack's own account.
const OWN: &str = "123456789012";
const ARN: &str = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/1";
const STARTED: i64 = 1_763_800_000;
const LAST_UPDATED: i64 = 1_763_803_600;
const COMMUNICATION: &str = "2b5a8e9c4d1f-2";

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn event(region: &str, arn: &str, status: EventStatus) -> HealthEvent {
    HealthEvent {
        arn: arn.into(),
        service: "EC2".into(),
        event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
        category: EventCategory::Issue,
        region: region.into(),
        status,
        account: None,
        start_time: Some(STARTED),
    }
}

fn update(status: EventStatus, end_time: Option<i64>) -> HealthRecord {
    HealthRecord {
        event: event("us-east-1", ARN, status),
        end_time,
        last_updated: LAST_UPDATED,
        scope: EventScope::Public,
        communication_id: COMMUNICATION.into(),
        backup: false,
    }
}

/// An item as the store holds it for `event(region, arn, status)`: in the index of what can
/// block, under its region's public events, while open or upcoming.
fn stored(region: &str, arn: &str, status: &str) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::from([
        ("region".to_owned(), s(region)),
        ("arn".to_owned(), s(arn)),
        ("event_arn".to_owned(), s(arn)),
        ("service".to_owned(), s("EC2")),
        ("event_type_code".to_owned(), s("AWS_EC2_OPERATIONAL_ISSUE")),
        ("category".to_owned(), s("issue")),
        ("status".to_owned(), s(status)),
        ("scope".to_owned(), s("PUBLIC")),
        ("last_updated".to_owned(), n(LAST_UPDATED)),
        ("communication_id".to_owned(), s(COMMUNICATION)),
        ("start_time".to_owned(), n(STARTED)),
    ]);
    if matches!(status, "open" | "upcoming") {
        item.insert("open_key".to_owned(), s(&format!("{region}#public")));
    }
    item
}

/// The placeholders (`#name` or `:value`) an expression uses.
fn placeholders(expression: &str, sigil: char) -> BTreeSet<String> {
    expression
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == sigil))
        .filter(|word| word.starts_with(sigil))
        .map(str::to_owned)
        .collect()
}

/// A Query of one region, as `every_event_in` must send it (from its first page when `after` is None).
fn queries_region(
    request: &aws_sdk_dynamodb::operation::query::QueryInput,
    region: &str,
    after: Option<&HashMap<String, AttributeValue>>,
) -> bool {
    request.table_name() == Some(TABLE)
        && request.consistent_read() == Some(true)
        && request.key_condition_expression() == Some("#region = :region")
        && request.expression_attribute_names()
            == Some(&HashMap::from([("#region".to_owned(), "region".to_owned())]))
        && request.expression_attribute_values() == Some(&HashMap::from([(":region".to_owned(), s(region))]))
        && request.exclusive_start_key() == after
}

fn not_found<E>(error: fn(ResourceNotFoundException) -> E) -> E {
    error(
        ResourceNotFoundException::builder()
            .message("Requested resource not found")
            .build(),
    )
}

fn by_region(mut events: Vec<HealthEvent>) -> Vec<HealthEvent> {
    events.sort_by(|a, b| (&a.region, &a.arn).cmp(&(&b.region, &b.arn)));
    events
}

#[tokio::test]
async fn an_update_is_one_conditional_put_of_every_attribute_that_only_a_newer_update_passes() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| {
            request.table_name() == Some(TABLE)
                && request.item() == Some(&stored("us-east-1", ARN, "open"))
                && request.condition_expression() == Some(ONLY_NEWER)
                && request.expression_attribute_names()
                    == Some(&HashMap::from([
                        ("#arn".to_owned(), "arn".to_owned()),
                        ("#updated".to_owned(), "last_updated".to_owned()),
                        ("#communication".to_owned(), "communication_id".to_owned()),
                    ]))
                && request.expression_attribute_values()
                    == Some(&HashMap::from([
                        (":updated".to_owned(), n(LAST_UPDATED)),
                        (":communication".to_owned(), s(COMMUNICATION)),
                    ]))
        })
        .then_output(|| PutItemOutput::builder().build());
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&put]), TABLE);
    let recorded = store.record(&update(EventStatus::Open, None), OWN).await.unwrap();
    assert_eq!(recorded, Recorded::Stored);
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn the_condition_uses_every_name_and_value_it_defines_and_no_other() {
    // DynamoDB rejects a put whose expression uses an undefined placeholder or defines an unused one.
    let put = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| {
            let condition = request.condition_expression().unwrap_or_default();
            let names: BTreeSet<String> = request
                .expression_attribute_names()
                .map(|names| names.keys().cloned().collect())
                .unwrap_or_default();
            let values: BTreeSet<String> = request
                .expression_attribute_values()
                .map(|values| values.keys().cloned().collect())
                .unwrap_or_default();
            !condition.is_empty()
                && placeholders(condition, '#') == names
                && placeholders(condition, ':') == values
        })
        .then_output(|| PutItemOutput::builder().build());
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&put]), TABLE);
    store.record(&update(EventStatus::Open, None), OWN).await.unwrap();
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn only_a_closed_event_expires_thirty_days_after_its_last_update() {
    let thirty_days = 30 * 24 * 3600;
    let ended = LAST_UPDATED - 600;
    for (status, end_time, expires_at) in [
        (EventStatus::Open, None, None),
        (EventStatus::Upcoming, None, None),
        (
            EventStatus::Closed,
            Some(ended),
            Some(n(LAST_UPDATED + thirty_days)),
        ),
    ] {
        let expected_end = end_time.map(n);
        let put = mock!(aws_sdk_dynamodb::Client::put_item)
            .match_requests(move |request| {
                let item = request.item();
                item.and_then(|item| item.get("expires_at")) == expires_at.as_ref()
                    && item.and_then(|item| item.get("end_time")) == expected_end.as_ref()
            })
            .then_output(|| PutItemOutput::builder().build());
        let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&put]), TABLE);
        store
            .record(&update(status.clone(), end_time), OWN)
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1, "{status}");
    }
}

#[tokio::test]
async fn an_update_the_store_already_has_or_a_newer_one_is_outdated_not_an_error() {
    let outdated = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .message("The conditional request failed")
                .build(),
        )
    });
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&outdated]), TABLE);
    let recorded = store
        .record(&update(EventStatus::Closed, Some(LAST_UPDATED)), OWN)
        .await;
    assert_eq!(recorded.unwrap(), Recorded::Outdated);
    assert_eq!(outdated.num_calls(), 1);
}

#[tokio::test]
async fn a_put_that_fails_otherwise_is_an_error_naming_put_item_and_the_table() {
    let missing = mock!(aws_sdk_dynamodb::Client::put_item)
        .then_error(|| not_found(PutItemError::ResourceNotFoundException));
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&missing]), TABLE);
    let error = store
        .record(&update(EventStatus::Open, None), OWN)
        .await
        .unwrap_err();
    assert_eq!((error.0.operation, error.0.table.as_str()), ("PutItem", TABLE));
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "PutItem on the AWS Health event store (table {TABLE}) failed"
        )),
        "{message}"
    );
    assert!(message.contains("Requested resource not found"), "{message}");
}

#[tokio::test]
async fn events_are_read_with_one_strongly_consistent_query_per_region() {
    let global_arn = "arn:aws:health:global::event/IAM/AWS_IAM_OPERATIONAL_ISSUE/2";
    let us_east = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|request| queries_region(request, "us-east-1", None))
        .then_output(|| {
            QueryOutput::builder()
                .items(stored("us-east-1", ARN, "open"))
                .build()
        });
    let global = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|request| queries_region(request, "global", None))
        .then_output(move || {
            QueryOutput::builder()
                .items(stored("global", global_arn, "closed"))
                .build()
        });
    let store = EventStore::new(
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&us_east, &global]),
        TABLE,
    );
    let events = store
        .every_event_in(&["us-east-1".to_owned(), "global".to_owned()], OWN)
        .await
        .unwrap();
    assert_eq!(
        by_region(events),
        [
            event("global", global_arn, EventStatus::Closed),
            event("us-east-1", ARN, EventStatus::Open),
        ]
    );
    assert_eq!((us_east.num_calls(), global.num_calls()), (1, 1));
}

#[tokio::test]
async fn every_page_of_a_region_is_read() {
    let second_arn = "arn:aws:health:eu-west-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/3";
    let first_arn = "arn:aws:health:eu-west-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/2";
    let last_key = HashMap::from([
        ("region".to_owned(), s("eu-west-1")),
        ("arn".to_owned(), s(first_arn)),
    ]);
    let first = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|request| queries_region(request, "eu-west-1", None))
        .then_output({
            let last_key = last_key.clone();
            move || {
                QueryOutput::builder()
                    .items(stored("eu-west-1", first_arn, "open"))
                    .set_last_evaluated_key(Some(last_key.clone()))
                    .build()
            }
        });
    let second = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(move |request| queries_region(request, "eu-west-1", Some(&last_key)))
        .then_output(move || {
            QueryOutput::builder()
                .items(stored("eu-west-1", second_arn, "upcoming"))
                .build()
        });
    let store = EventStore::new(
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&first, &second]),
        TABLE,
    );
    let events = store
        .every_event_in(&["eu-west-1".to_owned()], OWN)
        .await
        .unwrap();
    assert_eq!(
        events,
        [
            event("eu-west-1", first_arn, EventStatus::Open),
            event("eu-west-1", second_arn, EventStatus::Upcoming),
        ]
    );
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

#[tokio::test]
async fn an_item_missing_its_arn_or_region_is_skipped() {
    let query = mock!(aws_sdk_dynamodb::Client::query).then_output(|| {
        let mut no_arn = stored("us-east-1", "unused", "open");
        no_arn.remove("arn");
        let mut no_region = stored("us-east-1", "arn:no-region", "open");
        no_region.remove("region");
        QueryOutput::builder()
            .items(no_arn)
            .items(stored("us-east-1", ARN, "open"))
            .items(no_region)
            .build()
    });
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&query]), TABLE);
    let events = store
        .every_event_in(&["us-east-1".to_owned()], OWN)
        .await
        .unwrap();
    assert_eq!(events, [event("us-east-1", ARN, EventStatus::Open)]);
}

#[tokio::test]
async fn a_query_that_fails_in_one_region_is_an_error_naming_query_and_the_table() {
    let healthy = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|request| queries_region(request, "us-east-1", None))
        .then_output(|| {
            QueryOutput::builder()
                .items(stored("us-east-1", ARN, "open"))
                .build()
        });
    let failing = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|request| queries_region(request, "eu-west-1", None))
        .then_error(|| not_found(QueryError::ResourceNotFoundException));
    let store = EventStore::new(
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&healthy, &failing]),
        TABLE,
    );
    let error = store
        .every_event_in(&["us-east-1".to_owned(), "eu-west-1".to_owned()], OWN)
        .await
        .unwrap_err();
    assert_eq!((error.0.operation, error.0.table.as_str()), ("Query", TABLE));
    assert!(
        error.to_string().contains("Requested resource not found"),
        "{error}"
    );
    assert_eq!(failing.num_calls(), 1);
}

#[tokio::test]
async fn the_status_of_a_stored_event_is_read_consistently_by_region_and_arn() {
    let get = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|request| {
            request.table_name() == Some(TABLE)
                && request.consistent_read() == Some(true)
                && request.key()
                    == Some(&HashMap::from([
                        ("region".to_owned(), s("us-east-1")),
                        ("arn".to_owned(), s(ARN)),
                    ]))
        })
        .then_output(|| {
            GetItemOutput::builder()
                .set_item(Some(stored("us-east-1", ARN, "closed")))
                .build()
        });
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&get]), TABLE);
    let held = HeldBy {
        arn: ARN.into(),
        region: "us-east-1".into(),
        account: None,
    };
    assert_eq!(
        store.status_of(&held, OWN).await.unwrap(),
        Some(EventStatus::Closed)
    );
    assert_eq!(get.num_calls(), 1);
}

#[tokio::test]
async fn an_event_the_store_never_heard_of_has_no_status() {
    let get = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|request| request.key().and_then(|key| key.get("arn")) == Some(&s(ARN)))
        .then_output(|| GetItemOutput::builder().build());
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&get]), TABLE);
    let held = HeldBy {
        arn: ARN.into(),
        region: "us-east-1".into(),
        account: None,
    };
    assert_eq!(store.status_of(&held, OWN).await.unwrap(), None);
    assert_eq!(get.num_calls(), 1);
}

#[tokio::test]
async fn a_failed_get_item_is_an_error_naming_get_item_and_the_table() {
    let missing = mock!(aws_sdk_dynamodb::Client::get_item)
        .then_error(|| not_found(GetItemError::ResourceNotFoundException));
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&missing]), TABLE);
    let held = HeldBy {
        arn: ARN.into(),
        region: "us-east-1".into(),
        account: None,
    };
    let error = store.status_of(&held, OWN).await.unwrap_err();
    assert_eq!((error.0.operation, error.0.table.as_str()), ("GetItem", TABLE));
    assert!(
        error.to_string().contains("Requested resource not found"),
        "{error}"
    );
}

/// An account-specific update of `account`, as EventBridge delivers it.
fn update_of(account: &str) -> HealthRecord {
    let mut update = update(EventStatus::Open, None);
    update.scope = EventScope::AccountSpecific;
    update.event.account = Some(account.into());
    update
}

fn put_key(request: &aws_sdk_dynamodb::operation::put_item::PutItemInput) -> (String, Option<String>) {
    let item = request.item().cloned().unwrap_or_default();
    let text = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).cloned();
    (text("arn").unwrap_or_default(), text("account"))
}

#[tokio::test]
async fn another_accounts_event_is_its_own_item_and_the_stacks_keeps_the_arn_as_its_key() {
    let other = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| {
            put_key(request) == (format!("{ARN}#222233334444"), Some("222233334444".into()))
                && request.item().and_then(|item| item.get("event_arn")) == Some(&s(ARN))
        })
        .then_output(|| PutItemOutput::builder().build());
    let own = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| put_key(request) == (ARN.to_owned(), Some(OWN.into())))
        .then_output(|| PutItemOutput::builder().build());
    let public = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| put_key(request) == (ARN.to_owned(), None))
        .then_output(|| PutItemOutput::builder().build());
    let store = EventStore::new(
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&other, &own, &public]),
        TABLE,
    );
    store.record(&update_of("222233334444"), OWN).await.unwrap();
    store.record(&update_of(OWN), OWN).await.unwrap();
    store.record(&update(EventStatus::Open, None), OWN).await.unwrap();
    assert_eq!(
        (other.num_calls(), own.num_calls(), public.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn items_read_as_the_events_of_their_accounts_and_items_from_before_accounts_as_the_stacks() {
    let mut other = stored("us-east-1", &format!("{ARN}#222233334444"), "open");
    other.insert("event_arn".into(), s(ARN));
    other.insert("account".into(), s("222233334444"));
    other.insert("scope".into(), s("ACCOUNT_SPECIFIC"));
    let mut legacy_specific = stored(
        "us-east-1",
        "arn:aws:health:us-east-1::event/EC2/X/legacy",
        "open",
    );
    legacy_specific.remove("event_arn");
    legacy_specific.insert("scope".into(), s("ACCOUNT_SPECIFIC"));
    let mut legacy_public = stored(
        "us-east-1",
        "arn:aws:health:us-east-1::event/EC2/X/public",
        "open",
    );
    legacy_public.remove("event_arn");
    let query = mock!(aws_sdk_dynamodb::Client::query).then_output(move || {
        QueryOutput::builder()
            .items(other.clone())
            .items(legacy_specific.clone())
            .items(legacy_public.clone())
            .build()
    });
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&query]), TABLE);
    let events = store
        .every_event_in(&["us-east-1".to_owned()], OWN)
        .await
        .unwrap();
    let read: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|event| (event.arn.as_str(), event.account.as_deref()))
        .collect();
    assert_eq!(
        read,
        [
            (ARN, Some("222233334444")),
            ("arn:aws:health:us-east-1::event/EC2/X/legacy", Some(OWN)),
            ("arn:aws:health:us-east-1::event/EC2/X/public", None),
        ]
    );
}

#[tokio::test]
async fn the_status_of_another_accounts_event_is_read_by_its_own_key() {
    let get = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|request| {
            request.key()
                == Some(&HashMap::from([
                    ("region".to_owned(), s("us-east-1")),
                    ("arn".to_owned(), s(&format!("{ARN}#222233334444"))),
                ]))
        })
        .then_output(|| GetItemOutput::builder().item("status", s("closed")).build());
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&get]), TABLE);
    let held = HeldBy {
        arn: ARN.into(),
        region: "us-east-1".into(),
        account: Some("222233334444".into()),
    };
    assert_eq!(
        store.status_of(&held, OWN).await.unwrap(),
        Some(EventStatus::Closed)
    );
}

/// The index key an item is written with is the key a decision reads for the event that item
/// reads as: another account's, the stack's own, a public one, and upcoming alike; none once
/// closed.
#[test]
fn an_item_is_in_the_index_under_the_key_its_event_is_read_with() {
    let mut upcoming = update_of("222233334444");
    upcoming.event.status = EventStatus::Upcoming;
    let mut closed = update_of(OWN);
    closed.event.status = EventStatus::Closed;
    for (record, expected) in [
        (update_of("222233334444"), Some("us-east-1#222233334444")),
        (update_of(OWN), Some("us-east-1#123456789012")),
        (update(EventStatus::Open, None), Some("us-east-1#public")),
        (upcoming, Some("us-east-1#222233334444")),
        (closed, None),
    ] {
        let written = item(&record, OWN);
        let read = event_of(&written, OWN).unwrap();
        let key = written.get("open_key").map(|key| key.as_s().unwrap().clone());
        assert_eq!(key.as_deref(), expected, "{record:?}");
        if let Some(key) = key {
            assert_eq!(
                key,
                pipeguard_core::open_events::open_key(&read.region, read.account.as_deref())
            );
        }
    }
}
