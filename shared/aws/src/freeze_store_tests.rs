use super::*;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::{QueryError, QueryOutput};
use aws_sdk_dynamodb::types::error::{ConditionalCheckFailedException, ResourceNotFoundException};
use aws_smithy_mocks::{RuleMode, mock, mock_client};

const TABLE: &str = "pipeguard-health-events";
const IC: &str = "arn:aws:iam::111111111111:user/ic";

fn frozen(coverage: PipelineSelection) -> Freeze {
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
fn an_empty_prefix_an_earlier_release_wrote_reads_as_every_pipeline_not_as_unreadable() {
    let mut written = item(&frozen(PipelineSelection::Everything));
    written.insert("prefix".into(), text(""));
    assert_eq!(read(&written), Ok(frozen(PipelineSelection::Everything)));
}

#[test]
fn every_kind_of_freeze_reads_back_as_it_was_written() {
    for coverage in [
        PipelineSelection::Everything,
        PipelineSelection::Prefix("prod-".into()),
        PipelineSelection::Names(vec!["a".into(), "b".into()]),
    ] {
        let mut freeze = frozen(coverage);
        assert_eq!(read(&item(&freeze)), Ok(freeze.clone()));
        freeze.until = None;
        freeze.unfrozen = Some(Unfrozen {
            at: 1_796_000_600,
            by: IC.into(),
        });
        let written = item(&freeze);
        assert_eq!(read(&written), Ok(freeze));
        assert_eq!(
            written.get("expires_at"),
            Some(&number(1_796_000_600 + 30 * 24 * 3600)),
            "an ended freeze goes after 30 days"
        );
    }
    let forever = Freeze {
        until: None,
        ..frozen(PipelineSelection::Everything)
    };
    assert!(
        !item(&forever).contains_key("expires_at"),
        "an active freeze stays"
    );
}

fn read(item: &HashMap<String, AttributeValue>) -> Result<Freeze, UnreadableFreeze> {
    let (key, attributes) = keyed(item);
    pipeguard_core::freeze::read_freeze(&key, &attributes)
}

#[test]
fn items_that_are_not_freezes_are_unreadable_freezes_never_skipped() {
    let mut no_reason = item(&frozen(PipelineSelection::Prefix("prod-".into())));
    no_reason.remove("reason");
    let unreadable = read(&no_reason).unwrap_err();
    assert_eq!(
        (
            unreadable.key.as_str(),
            unreadable.why.as_str(),
            &unreadable.coverage
        ),
        (
            "frz-1",
            "reason is missing",
            &PipelineSelection::Prefix("prod-".into())
        )
    );
    let mut odd_pipelines = item(&frozen(PipelineSelection::Everything));
    odd_pipelines.insert("pipelines".into(), text("a,b"));
    odd_pipelines.insert("since".into(), AttributeValue::Bool(true));
    let unreadable = read(&odd_pipelines).unwrap_err();
    assert_eq!(unreadable.why, "since is not a number; pipelines is not a list");
    assert_eq!(unreadable.coverage, PipelineSelection::Everything);
}

#[tokio::test]
async fn a_malformed_item_among_the_freezes_is_read_as_unreadable_beside_the_others() {
    let mut long_reason = item(&Freeze {
        id: "frz-2".into(),
        ..frozen(PipelineSelection::Everything)
    });
    long_reason.insert("reason".into(), text(&"x".repeat(501)));
    let page = mock!(aws_sdk_dynamodb::Client::query).then_output(move || {
        QueryOutput::builder()
            .items(item(&frozen(PipelineSelection::Everything)))
            .items(long_reason.clone())
            .build()
    });
    let client = mock_client!(aws_sdk_dynamodb, [&page]);
    let recorded = FreezeStore::new(client, TABLE)
        .for_gate(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(recorded.freezes, [frozen(PipelineSelection::Everything)]);
    assert_eq!(recorded.unreadable.len(), 1);
    assert_eq!(recorded.unreadable[0].key, "frz-2");
    assert!(recorded.unreadable[0].holds(Some("any")));
}

#[tokio::test]
async fn an_unreadable_item_is_ended_by_hand_keeping_what_it_says_and_only_once() {
    let mut written = item(&frozen(PipelineSelection::Everything));
    written.remove("frozen_by");
    let unreadable = read(&written).unwrap_err();
    let found = written.clone();
    let query = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|query| {
            query.key_condition_expression() == Some("#region = :partition AND #arn = :key")
                && query
                    .expression_attribute_values()
                    .and_then(|values| values.get(":key"))
                    == Some(&text("frz-1"))
        })
        .then_output(move || QueryOutput::builder().items(found.clone()).build());
    let put = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|put| {
            let item = put.item().cloned().unwrap_or_default();
            put.condition_expression()
                == Some("attribute_exists(#arn) AND attribute_not_exists(unfrozen_at) AND attribute_not_exists(unfrozen_by)")
                && item.get("reason") == Some(&text("INC-4211"))
                && !item.contains_key("frozen_by")
                && item.get("unfrozen_at") == Some(&number(1_796_000_600))
                && item.get("unfrozen_by") == Some(&text(IC))
                && item.get("expires_at") == Some(&number(1_796_000_600 + 30 * 24 * 3600))
        })
        .then_output(|| aws_sdk_dynamodb::operation::put_item::PutItemOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&query, &put]);
    let store = FreezeStore::new(client, TABLE);
    let unfrozen = Unfrozen {
        at: 1_796_000_600,
        by: IC.into(),
    };
    store
        .unfreeze_unreadable(&unreadable, unfrozen.clone())
        .await
        .unwrap();
    assert_eq!(put.num_calls(), 1);

    let taken = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(ConditionalCheckFailedException::builder().build())
    });
    let gone = mock!(aws_sdk_dynamodb::Client::query).then_output(|| QueryOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&query, &taken]);
    assert!(matches!(
        FreezeStore::new(client, TABLE).unfreeze_unreadable(&unreadable, unfrozen.clone()).await,
        Err(FreezeStoreError::NotActive(key)) if key == "frz-1"
    ));
    let client = mock_client!(aws_sdk_dynamodb, [&gone]);
    assert!(matches!(
        FreezeStore::new(client, TABLE)
            .unfreeze_unreadable(&unreadable, unfrozen)
            .await,
        Err(FreezeStoreError::NotActive(_))
    ));
}

#[tokio::test]
async fn an_id_taken_or_a_freeze_ended_already_is_said_so_and_a_failed_read_names_the_table() {
    let taken = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(ConditionalCheckFailedException::builder().build())
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&taken]);
    let store = FreezeStore::new(client, TABLE);
    let freeze = frozen(PipelineSelection::Everything);
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
                .items(item(&frozen(PipelineSelection::Everything)))
                .last_evaluated_key("arn", text("frz-1"))
                .build()
        });
    let second = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|query| query.exclusive_start_key().is_some())
        .then_output(|| {
            QueryOutput::builder()
                .items(item(&Freeze {
                    id: "frz-2".into(),
                    ..frozen(PipelineSelection::Everything)
                }))
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&first, &second]);
    let ids: Vec<String> = FreezeStore::new(client, TABLE)
        .all()
        .await
        .unwrap()
        .freezes
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
