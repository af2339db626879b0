use super::*;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::{GlobalSecondaryIndexDescription, TableDescription};
use aws_smithy_mocks::{RuleMode, mock, mock_client};

const OWN: &str = "123456789012";

/// An open event of the stack's own account as the release before the index wrote it.
fn legacy_item() -> Item {
    Item::from([
        ("region".to_owned(), text("us-east-1")),
        ("arn".to_owned(), text("arn:aws:health:us-east-1::event/EC2/X/1")),
        ("status".to_owned(), text("open")),
        ("scope".to_owned(), text("ACCOUNT_SPECIFIC")),
        ("last_updated".to_owned(), AttributeValue::N("100".into())),
        ("communication_id".to_owned(), text("c-1")),
    ])
}

fn described(status: Option<IndexStatus>) -> DescribeTableOutput {
    let mut table = TableDescription::builder();
    if let Some(status) = status {
        table = table.global_secondary_indexes(
            GlobalSecondaryIndexDescription::builder()
                .index_name(OPEN_INDEX)
                .index_status(status)
                .build(),
        );
    }
    DescribeTableOutput::builder().table(table.build()).build()
}

fn marker_says(state: &'static str) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|request| is_marker(request.key()))
        .then_output(move || GetItemOutput::builder().item("state", text(state)).build())
}

fn is_marker(key: Option<&HashMap<String, AttributeValue>>) -> bool {
    key.and_then(|key| key.get("region"))
        .is_some_and(|region| region.as_s().is_ok_and(|region| region == MARKER_PARTITION))
}

/// An event that changed between the scan and the rewrite (a newer update recorded it with its
/// key, or its closing without) is left as it is: the conditional put fails, nothing is lost, and
/// the backfill goes on.
#[tokio::test]
async fn an_event_that_changed_since_the_scan_is_not_overwritten() {
    let no_marker = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|request| is_marker(request.key()))
        .then_output(|| GetItemOutput::builder().build());
    let scan = mock!(aws_sdk_dynamodb::Client::scan).then_output(|| {
        ScanOutput::builder()
            .items(legacy_item())
            .scanned_count(1)
            .build()
    });
    let changed = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| {
            !is_marker(request.item())
                && request.condition_expression()
                    == Some("#updated = :updated AND #communication = :communication")
                && request
                    .expression_attribute_values()
                    .and_then(|values| values.get(":updated"))
                    == Some(&AttributeValue::N("100".into()))
                && request.item().and_then(|item| item.get(OPEN_KEY)) == Some(&text("us-east-1#123456789012"))
        })
        .then_error(|| {
            PutItemError::ConditionalCheckFailedException(ConditionalCheckFailedException::builder().build())
        });
    let marker_written = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| is_marker(request.item()))
        .then_output(|| PutItemOutput::builder().build());
    let built =
        mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| described(Some(IndexStatus::Active)));
    let store = EventStore::new(
        mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&no_marker, &scan, &changed, &marker_written, &built]
        ),
        "events",
    );
    let done = store
        .backfill_open_index(OWN, Instant::now() + std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        done,
        Backfill {
            scanned: 1,
            keyed: 0,
            complete: true
        }
    );
    assert_eq!(changed.num_calls(), 1);
    assert_eq!(
        marker_written.num_calls(),
        2,
        "the end of the scan, then complete"
    );
    assert!(
        store.index_trusted().await.unwrap(),
        "trusted without asking again"
    );
    assert_eq!(no_marker.num_calls(), 1);
}

/// A failed read of the marker is the store's error: the sweep fails and runs again.
#[tokio::test]
async fn a_marker_that_cannot_be_read_is_an_error() {
    let throttled = mock!(aws_sdk_dynamodb::Client::get_item).then_error(|| {
        aws_sdk_dynamodb::operation::get_item::GetItemError::generic(
            aws_sdk_dynamodb::error::ErrorMetadata::builder()
                .code("ThrottlingException")
                .build(),
        )
    });
    let store = EventStore::new(mock_client!(aws_sdk_dynamodb, [&throttled]), "events");
    let error = store.index_trusted().await.unwrap_err().to_string();
    assert!(error.contains("GetItem") && error.contains("events"), "{error}");
}

/// An index DynamoDB is building again, or that is gone (a stack rolled back, or downgraded and
/// upgraded), holds nothing the marker vouched for: the marker goes back to scanning from the
/// start, and the store stops trusting the index.
#[tokio::test]
async fn an_index_being_built_again_or_gone_is_no_longer_complete() {
    for status in [Some(IndexStatus::Creating), None] {
        let complete = marker_says("complete");
        let answer = status.clone();
        let building =
            mock!(aws_sdk_dynamodb::Client::describe_table).then_output(move || described(answer.clone()));
        let reset = mock!(aws_sdk_dynamodb::Client::put_item)
            .match_requests(|request| {
                is_marker(request.item())
                    && request.item().and_then(|item| item.get("state")) == Some(&text("scanning"))
                    && request
                        .item()
                        .is_some_and(|item| !item.contains_key("cursor_arn"))
            })
            .then_output(|| PutItemOutput::builder().build());
        let nothing_left =
            mock!(aws_sdk_dynamodb::Client::scan).then_output(|| ScanOutput::builder().build());
        let saved =
            mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
        let store = EventStore::new(
            mock_client!(
                aws_sdk_dynamodb,
                RuleMode::MatchAny,
                [&complete, &building, &reset, &nothing_left, &saved]
            ),
            "events",
        );
        store.index_complete.store(true, Ordering::Relaxed);
        let done = store
            .backfill_open_index(OWN, Instant::now() + std::time::Duration::from_secs(60))
            .await
            .unwrap();
        assert!(!done.complete, "{status:?}");
        assert_eq!(reset.num_calls(), 1, "{status:?}: the marker starts over");
        assert!(!store.index_complete.load(Ordering::Relaxed), "{status:?}");
        // Being built: the scan starts over at once; gone: nothing to key until it is back.
        let scans = if status.is_some() { 1 } else { 0 };
        assert_eq!(nothing_left.num_calls(), scans, "{status:?}");
    }
}

/// A decision that finds the index gone reads the store whole, and stops trusting the index.
#[tokio::test]
async fn a_decision_that_finds_the_index_gone_reads_the_store_whole() {
    let complete = marker_says("complete");
    let no_index = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|request| request.index_name() == Some(OPEN_INDEX))
        .then_error(|| {
            aws_sdk_dynamodb::operation::query::QueryError::generic(
                aws_sdk_dynamodb::error::ErrorMetadata::builder()
                    .code("ValidationException")
                    .message("The table does not have the specified index: open")
                    .build(),
            )
        });
    let whole = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|request| request.index_name().is_none())
        .then_output(|| {
            aws_sdk_dynamodb::operation::query::QueryOutput::builder()
                .items(legacy_item())
                .build()
        });
    let store = EventStore::new(
        mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&complete, &no_index, &whole]
        ),
        "events",
    );
    let events = store.events_in(&policy(), OWN).await.unwrap();
    assert_eq!(events.len(), 1);
    assert!(no_index.num_calls() >= 1);
    assert_eq!(whole.num_calls(), 1);
    assert!(!store.index_complete.load(Ordering::Relaxed));
}

/// An event the index still names but the table has since recorded closed (an index is only
/// eventually consistent) is read as the table says: closed, which blocks nothing.
#[tokio::test]
async fn a_hit_the_table_says_is_closed_is_read_closed() {
    let complete = marker_says("complete");
    let stale_hit = mock!(aws_sdk_dynamodb::Client::query).then_output(|| {
        aws_sdk_dynamodb::operation::query::QueryOutput::builder()
            .items(Item::from([
                ("region".to_owned(), text("us-east-1")),
                ("arn".to_owned(), text("arn:aws:health:us-east-1::event/EC2/X/1")),
                ("open_key".to_owned(), text("us-east-1#123456789012")),
                ("service".to_owned(), text("EC2")),
                ("event_type_code".to_owned(), text("AWS_EC2_OPERATIONAL_ISSUE")),
                ("category".to_owned(), text("issue")),
            ]))
            .build()
    });
    let closed_now = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|request| !is_marker(request.key()) && request.consistent_read() == Some(true))
        .then_output(|| {
            let mut item = legacy_item();
            item.insert("status".into(), text("closed"));
            GetItemOutput::builder().set_item(Some(item)).build()
        });
    let store = EventStore::new(
        mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&complete, &stale_hit, &closed_now]
        ),
        "events",
    );
    let policy = policy();
    let events = store.events_in(&policy, OWN).await.unwrap();
    assert_eq!(
        closed_now.num_calls(),
        1,
        "one hit, read again once though two keys were asked"
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status, pipeguard_core::health::EventStatus::Closed);
    assert!(!pipeguard_core::gate::blocks(&policy, &events[0]));
}

fn policy() -> GatePolicy {
    pipeguard_core::gate::GateDefaults::from_env(|name| {
        (name == "AWS_REGION").then(|| "us-east-1".to_owned())
    })
    .unwrap()
    .for_action(Some("{}"))
    .unwrap()
    .with_own_account(OWN)
}
