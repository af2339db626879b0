use super::*;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::{QueryError, QueryOutput};
use aws_sdk_dynamodb::types::error::{ConditionalCheckFailedException, ResourceNotFoundException};
use aws_smithy_mocks::{RuleMode, mock, mock_client};

const TABLE: &str = "pipeguard-health-events";
const IC: &str = "arn:aws:iam::111111111111:user/ic";

fn frozen(coverage: Coverage) -> Freeze {
    Freeze {
        id: "frz-1".into(),
        by: IC.into(),
        reason: "INC-4211".into(),
        since: 1_796_000_000,
        until: Some(1_796_007_200),
        coverage,
        unfrozen: None,
    }
}

#[test]
fn every_kind_of_freeze_reads_back_as_it_was_written() {
    for coverage in [
        Coverage::Everything,
        Coverage::Prefix("prod-".into()),
        Coverage::Pipelines(vec!["a".into(), "b".into()]),
    ] {
        let mut freeze = frozen(coverage);
        assert_eq!(freeze_of(&item(&freeze)), Some(freeze.clone()));
        freeze.until = None;
        freeze.unfrozen = Some(Unfrozen {
            at: 1_796_000_600,
            by: IC.into(),
        });
        let written = item(&freeze);
        assert_eq!(freeze_of(&written), Some(freeze));
        assert_eq!(
            written.get("expires_at"),
            Some(&number(1_796_000_600 + 30 * 24 * 3600)),
            "an ended freeze goes after 30 days"
        );
    }
    let forever = Freeze {
        until: None,
        ..frozen(Coverage::Everything)
    };
    assert!(
        !item(&forever).contains_key("expires_at"),
        "an active freeze stays"
    );
}

#[test]
fn items_that_are_not_freezes_are_skipped() {
    let mut no_reason = item(&frozen(Coverage::Everything));
    no_reason.remove("reason");
    assert_eq!(freeze_of(&no_reason), None);
    let mut odd_pipelines = item(&frozen(Coverage::Everything));
    odd_pipelines.insert("pipelines".into(), text("a,b"));
    assert_eq!(freeze_of(&odd_pipelines), None);
}

#[tokio::test]
async fn an_id_taken_or_a_freeze_ended_already_is_said_so_and_a_failed_read_names_the_table() {
    let taken = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(ConditionalCheckFailedException::builder().build())
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&taken]);
    let store = FreezeStore::new(client, TABLE);
    let freeze = frozen(Coverage::Everything);
    assert!(matches!(store.create(&freeze).await, Err(FreezeStoreError::IdTaken(id)) if id == "frz-1"));
    let unfrozen = Unfrozen { at: 1, by: IC.into() };
    assert!(
        matches!(store.unfreeze(&freeze, unfrozen).await, Err(FreezeStoreError::NotActive(id)) if id == "frz-1")
    );

    let missing = mock!(aws_sdk_dynamodb::Client::query)
        .then_error(|| QueryError::ResourceNotFoundException(ResourceNotFoundException::builder().build()));
    let client = mock_client!(aws_sdk_dynamodb, [&missing]);
    let unread = FreezeStore::new(client, TABLE)
        .for_gate(std::time::Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        unread
            .to_string()
            .contains("Query on the freezes (table pipeguard-health-events) failed"),
        "{unread}"
    );
}

#[tokio::test]
async fn every_page_of_freezes_is_read() {
    let first = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|query| query.exclusive_start_key().is_none())
        .then_output(|| {
            QueryOutput::builder()
                .items(item(&frozen(Coverage::Everything)))
                .last_evaluated_key("arn", text("frz-1"))
                .build()
        });
    let second = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|query| query.exclusive_start_key().is_some())
        .then_output(|| {
            QueryOutput::builder()
                .items(item(&Freeze {
                    id: "frz-2".into(),
                    ..frozen(Coverage::Everything)
                }))
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&first, &second]);
    let ids: Vec<String> = FreezeStore::new(client, TABLE)
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|freeze| freeze.id)
        .collect();
    assert_eq!(ids, ["frz-1", "frz-2"]);
}

#[test]
fn ids_are_short_and_distinct() {
    let first = new_freeze_id();
    assert!(first.starts_with("frz-") && first.len() <= 14, "{first}");
    std::thread::sleep(std::time::Duration::from_millis(1));
    assert_ne!(first, new_freeze_id());
}
