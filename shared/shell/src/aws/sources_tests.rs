use super::*;
use crate::aws::HealthEndpoint;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_health::error::ErrorMetadata;
use aws_sdk_health::operation::describe_events::{DescribeEventsError, DescribeEventsOutput};
use aws_sdk_health::types::{Event, EventStatusCode};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use pipeguard_core::gate::GateDefaults;
use pipeguard_core::hold::HeldBy;
use std::collections::HashMap;

/// The account the sources are asked from.
const OWN: &str = "123456789012";

const ARN: &str = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/1";

fn policy(user_parameters: &str) -> GatePolicy {
    GateDefaults::from_env(pipeguard_core::testing::env_of(&[
        ("AWS_REGION", "us-east-1"),
        ("HEALTH_EVENTS_TABLE", "events"),
    ]))
    .unwrap()
    .for_action(Some(user_parameters))
    .unwrap()
}

fn no_plan() -> Rule {
    mock!(aws_sdk_health::Client::describe_events).then_error(|| {
        DescribeEventsError::generic(
            ErrorMetadata::builder()
                .code("SubscriptionRequiredException")
                .message("no plan")
                .build(),
        )
    })
}

fn api_says(status: EventStatusCode) -> Rule {
    mock!(aws_sdk_health::Client::describe_events).then_output(move || {
        DescribeEventsOutput::builder()
            .events(Event::builder().arn(ARN).status_code(status.clone()).build())
            .build()
    })
}

fn stored_item(status: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("region".to_owned(), AttributeValue::S("us-east-1".into())),
        ("arn".to_owned(), AttributeValue::S(ARN.into())),
        ("status".to_owned(), AttributeValue::S(status.into())),
        ("category".to_owned(), AttributeValue::S("issue".into())),
        ("service".to_owned(), AttributeValue::S("EC2".into())),
    ])
}

fn store_query(status: &'static str) -> Rule {
    mock!(aws_sdk_dynamodb::Client::query)
        .then_output(move || QueryOutput::builder().items(stored_item(status)).build())
}

fn store_get(status: &'static str) -> Rule {
    mock!(aws_sdk_dynamodb::Client::get_item).then_output(move || {
        GetItemOutput::builder()
            .set_item(Some(stored_item(status)))
            .build()
    })
}

fn sources(api: &[&Rule], store: Option<&[&Rule]>) -> HealthSources {
    HealthSources::new(
        HealthApi::new(vec![HealthEndpoint {
            name: "health".into(),
            client: mock_client!(aws_sdk_health, RuleMode::MatchAny, api),
        }]),
        store.map(|rules| {
            EventStore::new(
                mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules),
                "events",
            )
        }),
    )
}

const BUDGET: Duration = Duration::from_secs(5);

#[tokio::test]
async fn auto_asks_the_store_once_the_api_says_no_plan_and_then_goes_straight_there() {
    let (api, query) = (no_plan(), store_query("open"));
    let sources = sources(&[&api], Some(&[&query]));
    for _ in 0..2 {
        let report = sources.events_within(&policy(""), OWN, BUDGET).await.unwrap();
        assert_eq!(report.source, HealthSource::Events);
        assert_eq!(report.events[0].arn, ARN);
    }
    assert_eq!(
        (api.num_calls(), query.num_calls()),
        (1, 2),
        "the API is asked once"
    );
}

#[tokio::test]
async fn api_only_never_reads_the_store_and_events_only_never_asks_the_api() {
    let (api, query) = (no_plan(), store_query("open"));
    let sources = sources(&[&api], Some(&[&query]));
    let unavailable = sources
        .events_within(&policy(r#"{"health_source": "api"}"#), OWN, BUDGET)
        .await
        .unwrap_err();
    assert!(unavailable.no_support_plan());
    let report = sources
        .events_within(&policy(r#"{"health_source": "events"}"#), OWN, BUDGET)
        .await
        .unwrap();
    assert_eq!(report.source, HealthSource::Events);
    assert_eq!((api.num_calls(), query.num_calls()), (1, 1));
}

#[tokio::test]
async fn without_a_store_auto_reports_the_missing_plan_as_before() {
    let api = no_plan();
    let unavailable = sources(&[&api], None)
        .events_within(&policy(""), OWN, BUDGET)
        .await
        .unwrap_err();
    assert!(
        unavailable.to_string().contains("SubscriptionRequiredException"),
        "{unavailable}"
    );
}

#[tokio::test]
async fn a_store_that_fails_after_the_api_said_no_plan_reports_both() {
    let api = no_plan();
    let failing = mock!(aws_sdk_dynamodb::Client::query).then_error(|| {
        aws_sdk_dynamodb::operation::query::QueryError::generic(
            aws_sdk_dynamodb::error::ErrorMetadata::builder()
                .code("InternalServerError")
                .build(),
        )
    });
    let unavailable = sources(&[&api], Some(&[&failing]))
        .events_within(&policy(""), OWN, BUDGET)
        .await
        .unwrap_err();
    let text = unavailable.to_string();
    assert!(
        text.contains("SubscriptionRequiredException") && text.contains("event store events"),
        "{text}"
    );
}

fn hold(source: Option<HealthSource>) -> Hold {
    Hold::new(
        vec![HeldBy {
            arn: ARN.into(),
            region: "us-east-1".into(),
            account: None,
        }],
        source,
    )
}

#[tokio::test]
async fn a_closing_the_store_recorded_needs_no_api_call() {
    let (api, get) = (api_says(EventStatusCode::Open), store_get("closed"));
    let closed = sources(&[&api], Some(&[&get]))
        .closed(&hold(Some(HealthSource::Api)), OWN)
        .await
        .unwrap();
    assert_eq!((closed, api.num_calls()), (vec![true], 0));
}

#[tokio::test]
async fn the_api_answers_for_holds_it_decided_and_only_for_those() {
    let (api, get) = (api_says(EventStatusCode::Closed), store_get("open"));
    let sources = sources(&[&api], Some(&[&get]));
    assert_eq!(
        sources.closed(&hold(None), OWN).await.unwrap(),
        [true],
        "a legacy hold"
    );
    assert_eq!(
        sources
            .closed(&hold(Some(HealthSource::Events)), OWN)
            .await
            .unwrap(),
        [false],
        "the store decided it: the store says open"
    );
    assert_eq!(api.num_calls(), 1);
}

#[tokio::test]
async fn without_a_plan_the_api_counts_as_not_knowing() {
    let api = no_plan();
    assert_eq!(
        sources(&[&api], None).closed(&hold(None), OWN).await.unwrap(),
        [false]
    );
}
