use super::*;
use crate::table::keyed;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use pipeguard_core::overrides::{OverrideKind, read_override};

const TABLE: &str = "pipeguard-health-events";
const ANN: &str = "arn:aws:sts::111122223333:assumed-role/oncall/ann";
/// The conditions DynamoDB must be sent: an override is created only under a new id, and ended
/// only while nobody has ended it.
const NEW_ID_ONLY: &str = "attribute_not_exists(#arn)";
const ONLY_WHILE_IN_FORCE: &str = "attribute_exists(#arn) AND attribute_not_exists(ended_at)";

fn granted(id: &str) -> Override {
    Override {
        id: id.into(),
        pipeline: "web-app".into(),
        by: ANN.into(),
        reason: "INC-9: hotfix for checkout".into(),
        since: 1_796_036_400,
        until: 1_796_040_000,
        kinds: vec![OverrideKind::Health, OverrideKind::Freezes],
        ended: None,
    }
}

fn store(client: aws_sdk_dynamodb::Client) -> OverrideStore {
    OverrideStore::in_table(Table::new(client, TABLE))
}

#[test]
fn an_override_reads_back_as_it_was_written_and_goes_30_days_after_it_ends() {
    let mut written = granted("ovr-1");
    let (key, attributes) = keyed(&item(&written));
    assert_eq!(read_override(&key, &attributes), Ok(written.clone()));
    assert_eq!(
        item(&written).get("expires_at"),
        Some(&number(1_796_040_000 + 30 * 24 * 3600))
    );
    written.ended = Some(Ended {
        at: 1_796_037_000,
        by: ANN.into(),
    });
    let (key, attributes) = keyed(&item(&written));
    assert_eq!(read_override(&key, &attributes), Ok(written.clone()));
    assert_eq!(
        item(&written).get("expires_at"),
        Some(&number(1_796_037_000 + 30 * 24 * 3600)),
        "ended early, it goes 30 days after it was ended"
    );
    assert_eq!(item(&written).get("region"), Some(&text(OVERRIDES_PARTITION)));
}

/// A PutItem of override `id` under exactly `condition` (its one name `#arn`, no values),
/// answered `holds` or ConditionalCheckFailed.
fn put_under(condition: &'static str, id: &'static str, holds: bool) -> aws_smithy_mocks::Rule {
    let rule = mock!(aws_sdk_dynamodb::Client::put_item).match_requests(move |put| {
        put.table_name() == Some(TABLE)
            && put.condition_expression() == Some(condition)
            && put.expression_attribute_names()
                == Some(&HashMap::from([("#arn".to_owned(), "arn".to_owned())]))
            && put.expression_attribute_values().is_none()
            && put.item().and_then(|item| item.get("arn")) == Some(&text(id))
    });
    if holds {
        rule.then_output(|| PutItemOutput::builder().build())
    } else {
        rule.then_error(|| {
            PutItemError::ConditionalCheckFailedException(ConditionalCheckFailedException::builder().build())
        })
    }
}

#[tokio::test]
async fn an_override_is_created_only_under_a_new_id_and_ended_only_once() {
    let created = put_under(NEW_ID_ONLY, "ovr-1", true);
    let taken = put_under(NEW_ID_ONLY, "ovr-2", false);
    let ended = put_under(ONLY_WHILE_IN_FORCE, "ovr-1", true);
    let again = put_under(ONLY_WHILE_IN_FORCE, "ovr-2", false);
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&created, &taken, &ended, &again]
    );
    let overrides = store(client);
    overrides.create(&granted("ovr-1")).await.unwrap();
    assert!(matches!(
        overrides.create(&granted("ovr-2")).await,
        Err(OverrideStoreError::IdTaken(id)) if id == "ovr-2"
    ));
    let by_hand = Ended {
        at: 1_796_037_000,
        by: ANN.into(),
    };
    let now = overrides.end(&granted("ovr-1"), by_hand.clone()).await.unwrap();
    assert_eq!(now.ended, Some(by_hand.clone()));
    assert!(matches!(
        overrides.end(&granted("ovr-2"), by_hand).await,
        Err(OverrideStoreError::NotActive(id)) if id == "ovr-2"
    ));
    assert_eq!(
        created.num_calls() + taken.num_calls() + ended.num_calls() + again.num_calls(),
        4
    );
}

#[tokio::test]
async fn every_page_is_read_and_an_item_that_does_not_read_passes_nothing() {
    let first = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|query| {
            query.exclusive_start_key().is_none()
                && query
                    .expression_attribute_values()
                    .and_then(|values| values.get(":partition"))
                    == Some(&text(OVERRIDES_PARTITION))
                && query.consistent_read() == Some(true)
        })
        .then_output(|| {
            QueryOutput::builder()
                .items(item(&granted("ovr-1")))
                .last_evaluated_key("arn", text("ovr-1"))
                .build()
        });
    let second = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|query| query.exclusive_start_key().is_some())
        .then_output(|| {
            let mut broken = item(&granted("ovr-2"));
            broken.remove("kinds");
            QueryOutput::builder().items(broken).build()
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&first, &second]);
    let recorded = store(client).for_gate(Duration::from_secs(5)).await.unwrap();
    assert_eq!(recorded.overrides, [granted("ovr-1")]);
    assert_eq!(recorded.unreadable.len(), 1);
    assert_eq!(recorded.unreadable[0].key, "ovr-2");
}

#[test]
fn ids_are_distinct_from_freezes() {
    let id = new_override_id();
    assert!(id.starts_with("ovr-") && id.len() <= 14, "{id}");
}
