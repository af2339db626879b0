//! The event store as the handler's tests see it: its index of what can block already complete,
//! and an item's recorded status.

use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::types::{
    AttributeValue, GlobalSecondaryIndexDescription, IndexStatus, TableDescription,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use pipeguard_aws::EventStore;

/// The event store, its index of what can block already complete (the sweep's backfill, which
/// e2e's event_index tests cover, has nothing to do).
pub(super) fn store_with(rules: &[&Rule]) -> EventStore {
    let index_complete = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|request| {
            request
                .key()
                .and_then(|key| key.get("region"))
                .is_some_and(|region| region.as_s().is_ok_and(|region| region == "pipeguard#store"))
        })
        .then_output(|| {
            GetItemOutput::builder()
                .item("state", AttributeValue::S("complete".into()))
                .build()
        });
    let built = mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .global_secondary_indexes(
                        GlobalSecondaryIndexDescription::builder()
                            .index_name(pipeguard_aws::OPEN_INDEX)
                            .index_status(IndexStatus::Active)
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    // The sweep's audit of the index finds nothing, and keeps where it got to.
    let audited = mock!(aws_sdk_dynamodb::Client::scan).then_output(|| ScanOutput::builder().build());
    let progress = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| {
            request
                .item()
                .and_then(|item| item.get("region"))
                .is_some_and(|region| region.as_s().is_ok_and(|region| region == "pipeguard#store"))
        })
        .then_output(|| PutItemOutput::builder().build());
    let rules: Vec<&Rule> = [&index_complete, &built, &audited, &progress]
        .into_iter()
        .chain(rules.iter().copied())
        .collect();
    EventStore::new(
        mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &rules),
        "health-events",
    )
}

pub(super) fn stored_status(status: &'static str) -> Rule {
    mock!(aws_sdk_dynamodb::Client::get_item).then_output(move || {
        GetItemOutput::builder()
            .item("status", AttributeValue::S(status.into()))
            .build()
    })
}
