use super::*;
use crate::health::HealthEndpoint;
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

fn store_fails() -> Rule {
    mock!(aws_sdk_dynamodb::Client::query).then_error(|| {
        aws_sdk_dynamodb::operation::query::QueryError::generic(
            aws_sdk_dynamodb::error::ErrorMetadata::builder()
                .code("InternalServerError")
                .build(),
        )
    })
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
            // The index's marker is not written: the store is read region by region.
            let no_marker = mock!(aws_sdk_dynamodb::Client::get_item)
                .match_requests(|request| {
                    request
                        .key()
                        .and_then(|key| key.get("region"))
                        .is_some_and(|region| region.as_s().is_ok_and(|region| region == "pipeguard#store"))
                })
                .then_output(|| GetItemOutput::builder().build());
            let rules: Vec<&Rule> = std::iter::once(&no_marker).chain(rules.iter().copied()).collect();
            EventStore::new(
                mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &rules),
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
    let failing = store_fails();
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

mod across_accounts {
    use super::*;
    use aws_sdk_health::operation::describe_events_for_organization::{
        DescribeEventsForOrganizationError, DescribeEventsForOrganizationOutput,
    };

    const WORKLOAD: &str = "222233334444";

    fn watching_the_workload(source: &str) -> GatePolicy {
        policy(&format!(
            r#"{{"accounts": ["{WORKLOAD}"], "health_source": "{source}"}}"#
        ))
    }

    fn view_answers_nothing() -> Rule {
        mock!(aws_sdk_health::Client::describe_events_for_organization)
            .then_output(|| DescribeEventsForOrganizationOutput::builder().build())
    }

    fn view_throttled() -> Rule {
        mock!(aws_sdk_health::Client::describe_events_for_organization).then_error(|| {
            DescribeEventsForOrganizationError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        })
    }

    fn denied() -> Rule {
        mock!(aws_sdk_health::Client::describe_events_for_organization).then_error(|| {
            DescribeEventsForOrganizationError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not a delegated administrator")
                    .build(),
            )
        })
    }

    fn no_events() -> Rule {
        mock!(aws_sdk_health::Client::describe_events).then_output(|| DescribeEventsOutput::builder().build())
    }

    #[tokio::test]
    async fn the_gates_own_account_alone_never_asks_the_organizational_view() {
        let (own, view) = (no_events(), view_answers_nothing());
        let report = sources(&[&own, &view], Some(&[]))
            .events_within(&policy(""), OWN, BUDGET)
            .await
            .unwrap();
        assert_eq!((report.source, report.caveat), (HealthSource::Api, None));
        assert_eq!(view.num_calls(), 0);
    }

    #[tokio::test]
    async fn other_accounts_are_asked_of_the_organizational_view_beside_the_own_view() {
        let own = no_events();
        let organization = mock!(aws_sdk_health::Client::describe_events_for_organization)
            .match_requests(|request| {
                request
                    .filter()
                    .is_some_and(|filter| filter.aws_account_ids() == [WORKLOAD])
            })
            .then_output(|| DescribeEventsForOrganizationOutput::builder().build());
        let report = sources(&[&own, &organization], None)
            .events_within(&watching_the_workload("api"), OWN, BUDGET)
            .await
            .unwrap();
        assert_eq!(report.source, HealthSource::Api);
        assert_eq!((own.num_calls(), organization.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn auto_decides_from_the_store_when_the_view_cannot_be_asked_and_says_why() {
        let (own, denied, query) = (no_events(), denied(), store_query("open"));
        let report = sources(&[&own, &denied], Some(&[&query]))
            .events_within(&watching_the_workload("auto"), OWN, BUDGET)
            .await
            .unwrap();
        assert_eq!(report.source, HealthSource::Events);
        let caveat = report.caveat.unwrap_or_default();
        assert!(
            caveat.contains("organizational view could not be asked")
                && caveat.contains("not a delegated administrator"),
            "{caveat}"
        );
        assert_eq!(query.num_calls(), 1);
    }

    #[tokio::test]
    async fn api_never_turns_to_the_store_and_names_why_the_view_cannot_be_asked() {
        let (own, denied, query) = (no_events(), denied(), store_query("open"));
        let unavailable = sources(&[&own, &denied], Some(&[&query]))
            .events_within(&watching_the_workload("api"), OWN, BUDGET)
            .await
            .unwrap_err();
        assert!(
            unavailable.to_string().contains("not a delegated administrator"),
            "{unavailable}"
        );
        assert_eq!(query.num_calls(), 0, "api never turns to the store");
    }

    #[tokio::test]
    async fn an_outage_of_the_view_keeps_what_the_own_view_answered_for_the_decision() {
        let (own, throttled, query) = (
            api_says(EventStatusCode::Open),
            view_throttled(),
            store_query("open"),
        );
        let unavailable = sources(&[&own, &throttled], Some(&[&query]))
            .events_within(&watching_the_workload("auto"), OWN, BUDGET)
            .await
            .unwrap_err();
        assert_eq!(
            unavailable.organization_view_refused(),
            None,
            "an outage, not a refusal"
        );
        assert!(unavailable.to_string().contains("Rate exceeded"), "{unavailable}");
        let known: Vec<&str> = unavailable.known.iter().map(|event| event.arn.as_str()).collect();
        assert_eq!(known, [ARN]);
        assert_eq!(
            query.num_calls(),
            0,
            "an outage is on_health_error's to decide, not the store's"
        );
    }

    #[tokio::test]
    async fn a_view_that_does_not_answer_in_its_time_is_its_outage_and_the_own_views_answer_stands() {
        let own_answer = || HealthEvent {
            arn: ARN.into(),
            service: "EC2".into(),
            event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
            category: pipeguard_core::health::EventCategory::Issue,
            region: "us-east-1".into(),
            status: EventStatus::Open,
            account: None,
            start_time: None,
        };
        let never = std::future::pending::<Result<Vec<HealthEvent>, HealthUnavailable>>();
        let asked = both_views(
            async { Ok(vec![own_answer()]) },
            Some(never),
            Duration::from_millis(20),
        );
        let (own, organization) = tokio::time::timeout(Duration::from_secs(5), asked)
            .await
            .expect("the organizational view's budget ends the wait");
        assert_eq!(own.unwrap(), [own_answer()]);
        let organization = organization.unwrap_err();
        assert_eq!(
            organization.attempts[0].1,
            HealthCallError::Timeout,
            "{organization}"
        );
    }

    #[tokio::test]
    async fn an_outage_of_the_own_view_keeps_what_the_organizational_view_answered() {
        let own_throttled = mock!(aws_sdk_health::Client::describe_events).then_error(|| {
            DescribeEventsError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("own view: slow down")
                    .build(),
            )
        });
        let organization =
            mock!(aws_sdk_health::Client::describe_events_for_organization).then_output(|| {
                DescribeEventsForOrganizationOutput::builder()
                    .events(
                        aws_sdk_health::types::OrganizationEvent::builder()
                            .arn(ARN)
                            .event_scope_code(aws_sdk_health::types::EventScopeCode::Public)
                            .build(),
                    )
                    .build()
            });
        let unavailable = sources(&[&own_throttled, &organization], None)
            .events_within(&watching_the_workload("api"), OWN, BUDGET)
            .await
            .unwrap_err();
        let known: Vec<&str> = unavailable.known.iter().map(|event| event.arn.as_str()).collect();
        assert_eq!(known, [ARN]);

        let view_throttled = view_throttled();
        let both = sources(&[&own_throttled, &view_throttled], None)
            .events_within(&watching_the_workload("api"), OWN, BUDGET)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            both.contains("own view: slow down") && both.contains("Rate exceeded"),
            "each failure is told: {both}"
        );
    }

    #[tokio::test]
    async fn a_store_that_fails_after_the_view_was_refused_keeps_what_the_own_view_answered() {
        let (own, denied) = (api_says(EventStatusCode::Open), denied());
        let failing = store_fails();
        let unavailable = sources(&[&own, &denied], Some(&[&failing]))
            .events_within(&watching_the_workload("auto"), OWN, BUDGET)
            .await
            .unwrap_err();
        let known: Vec<&str> = unavailable.known.iter().map(|event| event.arn.as_str()).collect();
        assert_eq!(known, [ARN]);
        assert!(
            unavailable.to_string().contains("not a delegated administrator"),
            "{unavailable}"
        );
    }

    #[tokio::test]
    async fn a_hold_in_another_account_is_closed_by_that_accounts_record() {
        let get = mock!(aws_sdk_dynamodb::Client::get_item)
            .match_requests(|request| {
                request.key().and_then(|key| key.get("arn"))
                    == Some(&AttributeValue::S(format!("{ARN}#{WORKLOAD}")))
            })
            .then_output(|| {
                GetItemOutput::builder()
                    .set_item(Some(stored_item("closed")))
                    .build()
            });
        let hold = Hold::new(
            vec![HeldBy {
                arn: ARN.into(),
                region: "us-east-1".into(),
                account: Some(WORKLOAD.into()),
            }],
            Some(HealthSource::Events),
        );
        assert_eq!(
            sources(&[], Some(&[&get])).closed(&hold, OWN).await.unwrap(),
            [true]
        );
    }
}
