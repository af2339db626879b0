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
    let built = mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .global_secondary_indexes(
                        GlobalSecondaryIndexDescription::builder()
                            .index_name(OPEN_INDEX)
                            .index_status(IndexStatus::Active)
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let store = EventStore::new(
        mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&no_marker, &scan, &changed, &marker_written, &built]
        ),
        "events",
    );
    let done = store.backfill_open_index(OWN, Instant::now()).await.unwrap();
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
