use super::endpoint::{endpoint_order, region_from_cname};
use super::filters::organization_filters_for;
use super::*;
use aws_sdk_health::error::ErrorMetadata;
use aws_sdk_health::operation::describe_events::{DescribeEventsError, DescribeEventsOutput};
use aws_sdk_health::types::Event;
use aws_sdk_health::types::{EventScopeCode, EventStatusCode, EventTypeCategory, OrganizationEventFilter};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use pipeguard_core::gate::GateDefaults;
use pipeguard_core::health::EventStatus;

/// The account the API is asked from.
const OWN: &str = "123456789012";

fn policy(user_parameters: &str) -> GatePolicy {
    GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()))
        .unwrap()
        .for_action(Some(user_parameters))
        .unwrap()
}

fn event(arn: &str) -> Event {
    Event::builder()
        .arn(arn)
        .service("EC2")
        .event_type_code("AWS_EC2_OPERATIONAL_ISSUE")
        .event_type_category(EventTypeCategory::Issue)
        .region("us-east-1")
        .status_code(EventStatusCode::Open)
        .start_time(aws_sdk_health::primitives::DateTime::from_secs(1_763_800_000))
        .build()
}

fn endpoint(name: &str, client: aws_sdk_health::Client) -> HealthEndpoint {
    HealthEndpoint {
        name: name.into(),
        client,
    }
}

#[test]
fn one_filter_for_a_small_policy_with_every_field_set() {
    let filters = filters_for(&policy(
        r#"{"regions": ["us-east-1", "eu-west-1"], "services": ["EC2"], "statuses": ["open", "upcoming"]}"#,
    ));
    assert_eq!(filters.len(), 1);
    assert_eq!(filters[0].regions(), ["us-east-1", "eu-west-1"]);
    assert_eq!(filters[0].services(), ["EC2"]);
    assert_eq!(filters[0].event_type_categories(), [EventTypeCategory::Issue]);
    assert_eq!(
        filters[0].event_status_codes(),
        [EventStatusCode::Open, EventStatusCode::Upcoming]
    );
}

#[test]
fn all_services_means_no_service_filter() {
    assert!(filters_for(&policy("us-east-1"))[0].services().is_empty());
}

#[test]
fn long_region_and_service_lists_are_split_into_queries_of_ten() {
    let regions: Vec<String> = (1..=23).map(|n| format!("xx-test-{n}")).collect();
    let services: Vec<String> = (1..=11).map(|n| format!("SVC{n}")).collect();
    let policy = policy(&serde_json::json!({"regions": regions, "services": services}).to_string());
    let filters = filters_for(&policy);
    assert_eq!(filters.len(), 3 * 2);
    assert!(
        filters
            .iter()
            .all(|filter| filter.regions().len() <= 10 && filter.services().len() <= 10)
    );
    let mut covered: Vec<(String, String)> = filters
        .iter()
        .flat_map(|filter| {
            filter.regions().iter().flat_map(|region| {
                filter
                    .services()
                    .iter()
                    .map(|service| (region.clone(), service.clone()))
            })
        })
        .collect();
    covered.sort();
    covered.dedup();
    assert_eq!(
        covered.len(),
        23 * 11,
        "every region and service pair is asked once"
    );
}

#[test]
fn the_active_region_comes_from_the_cname() {
    assert_eq!(
        region_from_cname("health.us-east-2.amazonaws.com.").as_deref(),
        Some("us-east-2")
    );
    assert_eq!(
        region_from_cname("health.us-east-1.amazonaws.com").as_deref(),
        Some("us-east-1")
    );
    assert_eq!(region_from_cname("health.eu-west-1.amazonaws.com"), None);
    assert_eq!(region_from_cname("elb.us-east-1.amazonaws.com"), None);
    assert_eq!(endpoint_order(Some("us-east-2")), ["us-east-2", "us-east-1"]);
    assert_eq!(endpoint_order(Some("us-east-1")), ["us-east-1", "us-east-2"]);
    assert_eq!(endpoint_order(None), ["us-east-1", "us-east-2"]);
}

#[tokio::test]
async fn follows_every_page() {
    let first = mock!(aws_sdk_health::Client::describe_events)
        .match_requests(|request| request.next_token().is_none() && request.max_results() == Some(100))
        .then_output(|| {
            DescribeEventsOutput::builder()
                .events(event("arn:1"))
                .next_token("page-2")
                .build()
        });
    let second = mock!(aws_sdk_health::Client::describe_events)
        .match_requests(|request| request.next_token() == Some("page-2"))
        .then_output(|| DescribeEventsOutput::builder().events(event("arn:2")).build());
    let api = HealthApi::new(vec![endpoint(
        "primary",
        mock_client!(aws_sdk_health, RuleMode::MatchAny, [&first, &second]),
    )]);
    let events = api.events(&filters_for(&policy("us-east-1")), OWN).await.unwrap();
    assert_eq!(
        events.iter().map(|event| event.arn.as_str()).collect::<Vec<_>>(),
        ["arn:1", "arn:2"]
    );
    assert_eq!(events[0].start_time, Some(1_763_800_000));
    assert_eq!(
        (events[0].category.as_str(), events[0].status.as_str()),
        ("issue", "open")
    );
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

#[tokio::test]
async fn fails_over_to_the_other_endpoint() {
    let broken = mock!(aws_sdk_health::Client::describe_events).then_error(|| {
        DescribeEventsError::generic(
            ErrorMetadata::builder()
                .code("InternalFailure")
                .message("down")
                .build(),
        )
    });
    let healthy = mock!(aws_sdk_health::Client::describe_events)
        .then_output(|| DescribeEventsOutput::builder().events(event("arn:ok")).build());
    let api = HealthApi::new(vec![
        endpoint("active", mock_client!(aws_sdk_health, [&broken])),
        endpoint("passive", mock_client!(aws_sdk_health, [&healthy])),
    ]);
    let events = api.events(&filters_for(&policy("us-east-1")), OWN).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((broken.num_calls(), healthy.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_missing_support_plan_is_reported_without_failover() {
    let subscription = mock!(aws_sdk_health::Client::describe_events).then_error(|| {
        DescribeEventsError::generic(
            ErrorMetadata::builder()
                .code("SubscriptionRequiredException")
                .message("no plan")
                .build(),
        )
    });
    let other = mock!(aws_sdk_health::Client::describe_events)
        .then_output(|| DescribeEventsOutput::builder().build());
    let api = HealthApi::new(vec![
        endpoint("active", mock_client!(aws_sdk_health, [&subscription])),
        endpoint("passive", mock_client!(aws_sdk_health, [&other])),
    ]);
    let error = api
        .events(&filters_for(&policy("us-east-1")), OWN)
        .await
        .unwrap_err();
    assert_eq!(
        error.attempts,
        [("active".to_owned(), HealthCallError::SubscriptionRequired)]
    );
    assert!(error.to_string().contains("support plan"));
    assert_eq!(other.num_calls(), 0);
}

#[tokio::test]
async fn when_every_endpoint_fails_each_cause_is_named() {
    let throttled = || {
        mock!(aws_sdk_health::Client::describe_events).then_error(|| {
            DescribeEventsError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("slow down")
                    .build(),
            )
        })
    };
    let (first, second) = (throttled(), throttled());
    let api = HealthApi::new(vec![
        endpoint("active", mock_client!(aws_sdk_health, [&first])),
        endpoint("passive", mock_client!(aws_sdk_health, [&second])),
    ]);
    let error = api
        .events(&filters_for(&policy("us-east-1")), OWN)
        .await
        .unwrap_err();
    assert_eq!(error.attempts.len(), 2);
    assert!(matches!(&error.attempts[1].1, HealthCallError::Throttled(message) if message == "slow down"));
    assert_eq!(
        error.to_string(),
        "active: throttled after retries (slow down); passive: throttled after retries (slow down)"
    );
}

#[tokio::test]
async fn access_denied_to_the_own_view_is_an_error_to_act_on_never_the_organizational_views_refusal() {
    let denied = mock!(aws_sdk_health::Client::describe_events).then_error(|| {
        DescribeEventsError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform: health:DescribeEvents")
                .build(),
        )
    });
    let error = HealthApi::new(vec![endpoint("active", mock_client!(aws_sdk_health, [&denied]))])
        .events(&filters_for(&policy("us-east-1")), OWN)
        .await
        .unwrap_err();
    assert_eq!(error.organization_view_refused(), None);
    assert!(!error.no_support_plan());
    assert!(
        matches!(&error.attempts[0].1, HealthCallError::Service { code, message } if code == "AccessDeniedException" && message.contains("health:DescribeEvents")),
        "{error:?}"
    );
}

mod organization {
    use super::*;
    use aws_sdk_health::operation::describe_event_details_for_organization::DescribeEventDetailsForOrganizationOutput;
    use aws_sdk_health::operation::describe_events_for_organization::{
        DescribeEventsForOrganizationError, DescribeEventsForOrganizationOutput,
    };
    use aws_sdk_health::types::{OrganizationEvent, OrganizationEventDetails};
    use aws_smithy_mocks::Rule;

    const WORKLOAD: &str = "222233334444";
    const OTHER: &str = "333344445555";

    fn organization_event(arn: &str, scope: EventScopeCode) -> OrganizationEvent {
        OrganizationEvent::builder()
            .arn(arn)
            .service("EC2")
            .event_type_code("AWS_EC2_OPERATIONAL_ISSUE")
            .event_type_category(EventTypeCategory::Issue)
            .event_scope_code(scope)
            .region("us-east-1")
            .status_code(EventStatusCode::Open)
            .build()
    }

    fn api(rules: &[&Rule]) -> HealthApi {
        HealthApi::new(vec![
            endpoint("primary", mock_client!(aws_sdk_health, RuleMode::MatchAny, rules)),
            endpoint(
                "secondary",
                mock_client!(aws_sdk_health, RuleMode::MatchAny, rules),
            ),
        ])
    }

    fn asked(accounts: &[&str]) -> Vec<OrganizationEventFilter> {
        organization_filters_for(&policy("us-east-1"), accounts)
    }

    #[test]
    fn organization_filters_are_the_policys_queries_for_the_accounts_asked_about() {
        let filters = asked(&[WORKLOAD, OTHER]);
        assert_eq!(filters.len(), 1);
        assert_eq!(filters[0].aws_account_ids(), [WORKLOAD, OTHER]);
        assert_eq!(filters[0].regions(), ["us-east-1"]);
        assert_eq!(filters[0].event_status_codes(), [EventStatusCode::Open]);
    }

    /// Each event the organizational view answers about `accounts`, as (ARN, whose), sorted.
    async fn whose(api: HealthApi, accounts: &[&str]) -> Vec<(String, Option<String>)> {
        let mut found: Vec<(String, Option<String>)> = api
            .organization_events(&policy("us-east-1"), accounts)
            .await
            .unwrap()
            .into_iter()
            .map(|event| (event.arn, event.account))
            .collect();
        found.sort();
        found
    }

    /// DescribeEventsForOrganization failing with `code`.
    fn organization_fails(code: &'static str, message: &'static str) -> Rule {
        mock!(aws_sdk_health::Client::describe_events_for_organization).then_error(move || {
            DescribeEventsForOrganizationError::generic(
                ErrorMetadata::builder().code(code).message(message).build(),
            )
        })
    }

    /// DescribeEventsForOrganization asked about exactly `accounts`, answering `events`.
    fn organization_answer(accounts: &'static [&'static str], events: Vec<OrganizationEvent>) -> Rule {
        mock!(aws_sdk_health::Client::describe_events_for_organization)
            .match_requests(move |request| {
                request
                    .filter()
                    .is_some_and(|filter| filter.aws_account_ids() == accounts)
            })
            .then_output(move || {
                DescribeEventsForOrganizationOutput::builder()
                    .set_events(Some(events.clone()))
                    .build()
            })
    }

    #[tokio::test]
    async fn an_account_specific_event_is_one_event_per_account_asked_about_that_it_concerns() {
        let specific = organization_event("arn:specific", EventScopeCode::AccountSpecific);
        let everyone = organization_answer(
            &[WORKLOAD, OTHER],
            vec![
                specific.clone(),
                organization_event("arn:public", EventScopeCode::Public),
            ],
        );
        let workload = organization_answer(&[WORKLOAD], vec![specific]);
        let other = organization_answer(&[OTHER], vec![]);
        let found = whose(api(&[&everyone, &workload, &other]), &[WORKLOAD, OTHER]).await;
        assert_eq!(
            found,
            [
                ("arn:public".to_owned(), None),
                ("arn:specific".to_owned(), Some(WORKLOAD.to_owned())),
            ]
        );
        assert_eq!(
            (everyone.num_calls(), workload.num_calls(), other.num_calls()),
            (1, 1, 1),
            "asked of all at once, then each account for whose the account-specific event is"
        );
    }

    #[tokio::test]
    async fn an_event_of_no_said_or_unknown_scope_is_attributed_like_an_account_specific_one() {
        let unsaid = OrganizationEvent::builder()
            .arn("arn:unsaid")
            .service("EC2")
            .region("us-east-1")
            .status_code(EventStatusCode::Open)
            .build();
        let unknown = organization_event("arn:unknown", EventScopeCode::from("ORGANIZATION_WIDE"));
        let everyone = organization_answer(&[WORKLOAD, OTHER], vec![unsaid.clone(), unknown.clone()]);
        let workload = organization_answer(&[WORKLOAD], vec![unsaid]);
        let other = organization_answer(&[OTHER], vec![unknown]);
        let found = whose(api(&[&everyone, &workload, &other]), &[WORKLOAD, OTHER]).await;
        assert_eq!(
            found,
            [
                ("arn:unknown".to_owned(), Some(OTHER.to_owned())),
                ("arn:unsaid".to_owned(), Some(WORKLOAD.to_owned())),
            ],
            "never every account's"
        );
    }

    #[tokio::test]
    async fn with_no_account_specific_event_one_query_answers_for_every_account() {
        let everyone = organization_answer(
            &[WORKLOAD, OTHER],
            vec![organization_event("arn:public", EventScopeCode::Public)],
        );
        let found = api(&[&everyone])
            .organization_events(&policy("us-east-1"), &[WORKLOAD, OTHER])
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(everyone.num_calls(), 1);
    }

    #[tokio::test]
    async fn asked_about_one_account_an_account_specific_event_is_that_accounts_without_asking() {
        // Asked of that account alone: the organization's other accounts' events are not its own.
        let events = organization_answer(
            &[WORKLOAD],
            vec![organization_event(
                "arn:specific",
                EventScopeCode::AccountSpecific,
            )],
        );
        let found = api(&[&events])
            .organization_events(&policy("us-east-1"), &[WORKLOAD])
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].account.as_deref(), Some(WORKLOAD));
        assert_eq!(events.num_calls(), 1, "one query: no second one to learn whose");
    }

    #[tokio::test]
    async fn access_denied_means_the_view_cannot_be_asked_from_here_said_once() {
        let denied = organization_fails("AccessDeniedException", "not a management account");
        let refused = api(&[&denied])
            .organization_events(&policy("us-east-1"), &[WORKLOAD])
            .await
            .unwrap_err();
        let cause = refused.organization_view_refused().unwrap();
        assert!(
            cause.contains("not a management account")
                && cause.contains("enabled")
                && cause.contains("delegated administrator"),
            "{cause}"
        );
        assert_eq!(
            denied.num_calls(),
            1,
            "the same on every endpoint: not asked of the other"
        );
        assert_eq!(refused.attempts.len(), 1);
    }

    #[tokio::test]
    async fn a_throttled_view_is_an_outage_asked_of_the_other_endpoint_too() {
        let throttled = organization_fails("ThrottlingException", "Rate exceeded");
        let unavailable = api(&[&throttled])
            .organization_events(&policy("us-east-1"), &[WORKLOAD])
            .await
            .unwrap_err();
        assert_eq!(unavailable.organization_view_refused(), None);
        assert_eq!(unavailable.attempts.len(), 2);
        assert!(matches!(unavailable.attempts[0].1, HealthCallError::Throttled(_)));
    }

    #[tokio::test]
    async fn access_denied_to_event_details_is_the_views_refusal_too() {
        let denied = mock!(aws_sdk_health::Client::describe_event_details_for_organization).then_error(|| {
            aws_sdk_health::operation::describe_event_details_for_organization::DescribeEventDetailsForOrganizationError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not a delegated administrator")
                    .build(),
            )
        });
        let refused = api(&[&denied])
            .organization_events_by_arn(&[("arn:specific".into(), Some(WORKLOAD.into()))])
            .await
            .unwrap_err();
        assert!(refused.organization_view_refused().is_some(), "{refused:?}");
        assert_eq!(denied.num_calls(), 1);
    }

    #[tokio::test]
    async fn event_details_are_asked_with_the_account_for_account_specific_events_only() {
        let details = mock!(aws_sdk_health::Client::describe_event_details_for_organization)
            .match_requests(|request| {
                let filters = request.organization_event_detail_filters();
                filters.len() == 2
                    && filters[0].event_arn() == "arn:specific"
                    && filters[0].aws_account_id() == Some(WORKLOAD)
                    && filters[1].event_arn() == "arn:public"
                    && filters[1].aws_account_id().is_none()
            })
            .then_output(|| {
                let closed = aws_sdk_health::types::Event::builder()
                    .arn("arn:specific")
                    .region("us-east-1")
                    .status_code(EventStatusCode::Closed)
                    .build();
                DescribeEventDetailsForOrganizationOutput::builder()
                    .successful_set(
                        OrganizationEventDetails::builder()
                            .aws_account_id(WORKLOAD)
                            .event(closed)
                            .build(),
                    )
                    .build()
            });
        let events = api(&[&details])
            .organization_events_by_arn(&[
                ("arn:specific".into(), Some(WORKLOAD.into())),
                ("arn:public".into(), None),
            ])
            .await
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].account.as_deref(), &events[0].status),
            (Some(WORKLOAD), &EventStatus::Closed)
        );
    }
}
