use super::*;
use crate::table::keyed;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemInput, PutItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryError, QueryOutput};
use aws_sdk_dynamodb::types::error::{ConditionalCheckFailedException, ResourceNotFoundException};
use aws_smithy_mocks::{MockResponse, Rule, RuleMode, mock, mock_client};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

const TABLE: &str = "pipeguard-health-events";
const IC: &str = "arn:aws:iam::111111111111:user/ic";
/// Someone else who may end a freeze at the same time.
const OTHER: &str = "arn:aws:iam::111111111111:user/oncall";
/// The conditions DynamoDB must be sent: a freeze is created only under a new id, and ended by
/// hand only while nobody has ended it by hand.
const NEW_ID_ONLY: &str = "attribute_not_exists(#arn)";
const ONLY_WHILE_ACTIVE: &str = "attribute_exists(#arn) AND attribute_not_exists(unfrozen_at)";

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

    let taken = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|put| {
            put.condition_expression()
                == Some("attribute_exists(#arn) AND attribute_not_exists(unfrozen_at) AND attribute_not_exists(unfrozen_by)")
        })
        .then_error(|| {
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
    let id_taken = conditional_check_failed(NEW_ID_ONLY);
    let ended_already = conditional_check_failed(ONLY_WHILE_ACTIVE);
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&id_taken, &ended_already]);
    let store = FreezeStore::new(client, TABLE);
    let freeze = frozen(PipelineSelection::Everything);
    assert!(matches!(store.create(&freeze).await, Err(FreezeStoreError::IdTaken(id)) if id == "frz-1"));
    let unfrozen = Unfrozen { at: 1, by: IC.into() };
    assert!(
        matches!(store.unfreeze(&freeze, unfrozen).await, Err(FreezeStoreError::NotActive(id)) if id == "frz-1")
    );
    assert_eq!((id_taken.num_calls(), ended_already.num_calls()), (1, 1));

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

/// A PutItem of a freeze's item under exactly `condition` (its one name `#arn`, no values),
/// which DynamoDB finds does not hold.
fn conditional_check_failed(condition: &'static str) -> Rule {
    mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(move |put| {
            put.table_name() == Some(TABLE)
                && put.condition_expression() == Some(condition)
                && put.expression_attribute_names()
                    == Some(&HashMap::from([("#arn".to_owned(), "arn".to_owned())]))
                && put.expression_attribute_values().is_none()
                && put.item().map(key_of) == Some((FREEZES_PARTITION.to_owned(), "frz-1".to_owned()))
        })
        .then_error(|| {
            PutItemError::ConditionalCheckFailedException(ConditionalCheckFailedException::builder().build())
        })
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

/// The items of the table, by (region, arn), as DynamoDB keeps them for the store's PutItem: an
/// item is written only when the request's condition holds of the item it replaces, evaluated
/// here as DynamoDB evaluates it, so a test sees what a missing or wrong condition lets through.
#[derive(Clone, Default)]
struct Items(Arc<Mutex<HashMap<(String, String), StoredItem>>>);

type StoredItem = HashMap<String, AttributeValue>;

impl Items {
    fn holding(freezes: &[&Freeze]) -> Self {
        let items = Self::default();
        for freeze in freezes {
            let written = item(freeze);
            items.0.lock().unwrap().insert(key_of(&written), written);
        }
        items
    }

    /// The freeze `id`'s item, if there is one.
    fn freeze(&self, id: &str) -> Option<StoredItem> {
        let key = (FREEZES_PARTITION.to_owned(), id.to_owned());
        self.0.lock().unwrap().get(&key).cloned()
    }

    /// PutItem on the table: ConditionalCheckFailed when the condition does not hold, and
    /// DynamoDB's ValidationException when the request names a placeholder its condition does
    /// not use (or uses one it does not name).
    fn put_item(&self) -> Rule {
        let items = self.0.clone();
        mock!(aws_sdk_dynamodb::Client::put_item).then_compute_response(move |put| {
            assert_eq!(put.table_name(), Some(TABLE));
            let written = put.item().cloned().unwrap_or_default();
            let mut items = items.lock().unwrap();
            let key = key_of(&written);
            match condition_holds(put, items.get(&key)) {
                Err(invalid) => MockResponse::Error(PutItemError::generic(
                    aws_sdk_dynamodb::error::ErrorMetadata::builder()
                        .code("ValidationException")
                        .message(invalid)
                        .build(),
                )),
                Ok(false) => MockResponse::Error(PutItemError::ConditionalCheckFailedException(
                    ConditionalCheckFailedException::builder().build(),
                )),
                Ok(true) => {
                    items.insert(key, written);
                    MockResponse::Output(PutItemOutput::builder().build())
                }
            }
        })
    }
}

fn key_of(item: &StoredItem) -> (String, String) {
    let text_of = |name: &str| {
        item.get(name)
            .and_then(|value| value.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    (text_of("region"), text_of("arn"))
}

/// Whether `put`'s condition holds of `current`: conditions of the forms the store writes
/// (`attribute_exists(a)`, `attribute_not_exists(a)` and `a = :v`, joined by AND); no other form is
/// understood here.
fn condition_holds(
    put: &PutItemInput,
    current: Option<&HashMap<String, AttributeValue>>,
) -> Result<bool, String> {
    let names = put.expression_attribute_names().cloned().unwrap_or_default();
    let values = put.expression_attribute_values().cloned().unwrap_or_default();
    let Some(condition) = put.condition_expression() else {
        return if names.is_empty() && values.is_empty() {
            Ok(true)
        } else {
            Err("ExpressionAttributeNames and ExpressionAttributeValues need an expression".into())
        };
    };
    let used = |sigil: char| -> BTreeSet<String> {
        condition
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == sigil))
            .filter(|word| word.starts_with(sigil))
            .map(str::to_owned)
            .collect()
    };
    if used('#') != names.keys().cloned().collect() || used(':') != values.keys().cloned().collect() {
        return Err(format!(
            "the placeholders of {condition} are not those the request names"
        ));
    }
    let attribute = |operand: &str| names.get(operand).cloned().unwrap_or_else(|| operand.to_owned());
    let has = |operand: &str| current.is_some_and(|item| item.contains_key(&attribute(operand)));
    let mut holds = true;
    for term in condition.split(" AND ") {
        holds &= if let Some(operand) = term
            .strip_prefix("attribute_exists(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            has(operand)
        } else if let Some(operand) = term
            .strip_prefix("attribute_not_exists(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            !has(operand)
        } else if let Some((operand, value)) = term.split_once(" = ") {
            current.and_then(|item| item.get(&attribute(operand))) == values.get(value)
        } else {
            panic!("a condition of a form this test does not know: {term}")
        };
    }
    Ok(holds)
}

#[tokio::test]
async fn a_freeze_is_created_only_under_an_id_no_freeze_has() {
    let items = Items::default();
    let put = items.put_item();
    let store = FreezeStore::new(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put]), TABLE);
    let first = frozen(PipelineSelection::Everything);
    store.create(&first).await.unwrap();
    assert_eq!(items.freeze("frz-1"), Some(item(&first)));

    let same_id = Freeze {
        by: OTHER.into(),
        reason: "INC-4212".into(),
        coverage: PipelineSelection::Prefix("prod-".into()),
        ..first.clone()
    };
    let second = store.create(&same_id).await;
    assert!(
        matches!(&second, Err(FreezeStoreError::IdTaken(id)) if id == "frz-1"),
        "{second:?}"
    );
    assert_eq!(
        items.freeze("frz-1"),
        Some(item(&first)),
        "the first freeze is kept as it was made"
    );
    assert_eq!(put.num_calls(), 2);
}

#[tokio::test]
async fn of_two_people_unfreezing_at_once_the_first_ends_the_freeze_and_the_other_is_told_it_ended() {
    let active = frozen(PipelineSelection::Everything);
    let items = Items::holding(&[&active]);
    let put = items.put_item();
    let store = FreezeStore::new(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put]), TABLE);
    // Both read it active; the first write lands first.
    let first = Unfrozen {
        at: 1_796_000_600,
        by: IC.into(),
    };
    let ended = store.unfreeze(&active, first.clone()).await.unwrap();
    assert_eq!(ended.unfrozen, Some(first));
    assert_eq!(items.freeze("frz-1"), Some(item(&ended)));

    let second = Unfrozen {
        at: 1_796_000_601,
        by: OTHER.into(),
    };
    let late = store.unfreeze(&active, second).await;
    assert!(
        matches!(&late, Err(FreezeStoreError::NotActive(id)) if id == "frz-1"),
        "{late:?}"
    );
    assert_eq!(
        items.freeze("frz-1"),
        Some(item(&ended)),
        "who ended it, and when, stays as the first wrote it"
    );
}

#[tokio::test]
async fn a_freeze_nobody_recorded_is_not_written_by_ending_it() {
    let items = Items::default();
    let put = items.put_item();
    let store = FreezeStore::new(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put]), TABLE);
    let unfrozen = Unfrozen {
        at: 1_796_000_600,
        by: IC.into(),
    };
    let ended = store
        .unfreeze(&frozen(PipelineSelection::Everything), unfrozen)
        .await;
    assert!(
        matches!(&ended, Err(FreezeStoreError::NotActive(id)) if id == "frz-1"),
        "{ended:?}"
    );
    assert_eq!(items.freeze("frz-1"), None);
}
