//! AWS Health across accounts, through the real SDK: events public or specific to accounts,
//! the organizational view (its status, its events and their details), its access rules and
//! faults, and `aws.health` events delivered once per account they concern.

mod common;

use aws_sdk_health::error::ProvideErrorMetadata;
use aws_sdk_health::types::{EventAccountFilter, EventScopeCode, OrganizationEventFilter};
use common::admin;
use local_aws::Emulator;
use serde_json::{Value, json};

const OWN: &str = "123456789012";
const WORKLOAD: &str = "222233334444";
const OTHER_WORKLOAD: &str = "333344445555";
const OUTSIDER: &str = "999988887777";

/// Opens a Health event (`accounts` empty: public) and answers its ARN.
fn open(emulator: &Emulator, service: &str, region: &str, accounts: &[&str]) -> String {
    let mut event = json!({"service": service, "eventTypeCode": format!("AWS_{service}_OPERATIONAL_ISSUE"), "region": region});
    if !accounts.is_empty() {
        event["accounts"] = json!(accounts);
    }
    let opened = admin(emulator, "POST", "/_admin/health/events", event);
    opened["arn"].as_str().unwrap().to_owned()
}

fn organization(emulator: &Emulator, organization: Value) {
    admin(
        emulator,
        "POST",
        "/_admin/settings",
        json!({"organization": organization}),
    );
}

/// An emulator whose organization has two workload accounts and the view enabled.
async fn with_organization() -> (Emulator, aws_sdk_health::Client) {
    let emulator = Emulator::start().await.unwrap();
    organization(
        &emulator,
        json!({"members": [WORKLOAD, OTHER_WORKLOAD], "view": "ENABLED"}),
    );
    let health = client!(aws_sdk_health, emulator.url());
    (emulator, health)
}

async fn organization_events(
    health: &aws_sdk_health::Client,
    filter: Option<OrganizationEventFilter>,
) -> Vec<aws_sdk_health::types::OrganizationEvent> {
    let mut pages = health
        .describe_events_for_organization()
        .set_filter(filter)
        .max_results(1)
        .into_paginator()
        .send();
    let mut events = Vec::new();
    while let Some(page) = pages.next().await {
        events.extend(page.unwrap().events().to_vec());
    }
    events
}

/// The error code each of the three organization operations answers (`detail_arn` for the
/// event details asked about).
async fn organization_error_codes(health: &aws_sdk_health::Client, detail_arn: &str) -> [Option<String>; 3] {
    let code = |error: &dyn ProvideErrorMetadata| error.code().map(str::to_owned);
    [
        code(
            &health
                .describe_health_service_status_for_organization()
                .send()
                .await
                .unwrap_err(),
        ),
        code(
            &health
                .describe_events_for_organization()
                .send()
                .await
                .unwrap_err(),
        ),
        code(
            &health
                .describe_event_details_for_organization()
                .organization_event_detail_filters(
                    EventAccountFilter::builder()
                        .event_arn(detail_arn)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap_err(),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_sees_public_events_and_its_own() {
    let emulator = Emulator::start().await.unwrap();
    let health = client!(aws_sdk_health, emulator.url());
    let public = open(&emulator, "EC2", "us-east-1", &[]);
    let own = open(&emulator, "LAMBDA", "us-east-1", &[OWN, WORKLOAD]);
    let others = open(&emulator, "RDS", "us-east-1", &[WORKLOAD]);

    let events = health.describe_events().send().await.unwrap();
    let seen: Vec<(&str, &EventScopeCode)> = events
        .events()
        .iter()
        .map(|event| (event.arn().unwrap(), event.event_scope_code().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            (own.as_str(), &EventScopeCode::AccountSpecific),
            (public.as_str(), &EventScopeCode::Public)
        ],
        "newest first, and not {others}"
    );

    // Updating without accounts and closing keep them; the admin interface shows them.
    let update = json!({"arn": others, "service": "RDS", "eventTypeCode": "AWS_RDS_OPERATIONAL_ISSUE", "region": "us-east-1"});
    admin(&emulator, "POST", "/_admin/health/events", update);
    admin(
        &emulator,
        "POST",
        "/_admin/health/events/close",
        json!({"arn": own}),
    );
    let stored = admin(&emulator, "GET", "/_admin/health/events", json!({}));
    let stored: Vec<(&str, &Value, &str)> = stored
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["arn"].as_str().unwrap(),
                &event["accounts"],
                event["eventScopeCode"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        [
            (public.as_str(), &json!([]), "PUBLIC"),
            (own.as_str(), &json!([OWN, WORKLOAD]), "ACCOUNT_SPECIFIC"),
            (others.as_str(), &json!([WORKLOAD]), "ACCOUNT_SPECIFIC"),
        ]
    );
    let closed = health.describe_events().send().await.unwrap();
    assert_eq!(closed.events().len(), 2, "still not {others}");
    assert!(
        closed
            .events()
            .iter()
            .any(|event| event.arn() == Some(own.as_str()) && event.end_time().is_some())
    );

    let invalid = emulator.admin(
        "POST",
        "/_admin/health/events",
        json!({"service": "EC2", "eventTypeCode": "X", "region": "us-east-1", "accounts": ["12345"]}),
    );
    assert_eq!(invalid.unwrap_err().code, "BadRequest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_management_account_or_a_delegated_admin_gets_an_enabled_organizational_view() {
    let emulator = Emulator::start().await.unwrap();
    let health = client!(aws_sdk_health, emulator.url());
    let status = health
        .describe_health_service_status_for_organization()
        .send()
        .await
        .unwrap();
    assert_eq!(
        status.health_service_access_status_for_organization(),
        Some("DISABLED")
    );
    for view in ["DISABLED", "PENDING"] {
        organization(&emulator, json!({"view": view}));
        let error = health
            .describe_events_for_organization()
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("AccessDeniedException"), "{view}");
        assert!(
            error
                .message()
                .unwrap()
                .contains("organizational view is not enabled"),
            "{error:?}"
        );
    }

    organization(&emulator, json!({"view": "ENABLED", "caller": "delegated-admin"}));
    health.describe_events_for_organization().send().await.unwrap();
    let status_refused = health
        .describe_health_service_status_for_organization()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_refused.code(),
        Some("AccessDeniedException"),
        "the view's status is the management account's alone: {status_refused:?}"
    );

    organization(&emulator, json!({"caller": "member"}));
    let denied = organization_error_codes(&health, "arn:aws:health:us-east-1::event/EC2/X/X_1").await;
    assert!(
        denied
            .iter()
            .all(|code| code.as_deref() == Some("AccessDeniedException")),
        "{denied:?}"
    );

    for refused in [
        json!({"view": "ON"}),
        json!({"caller": "owner"}),
        json!({"members": ["2222"]}),
        json!({"member": [WORKLOAD]}),
    ] {
        let error = emulator
            .admin("POST", "/_admin/settings", json!({"organization": refused}))
            .unwrap_err();
        assert_eq!(error.code, "BadRequest", "{refused}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organization_sees_public_events_and_its_members_events() {
    let (emulator, health) = with_organization().await;
    let public = open(&emulator, "EC2", "us-east-1", &[]);
    let workload = open(&emulator, "LAMBDA", "eu-west-1", &[WORKLOAD]);
    let outsider = open(&emulator, "RDS", "us-east-1", &[OUTSIDER]);
    let shared = open(&emulator, "S3", "us-east-1", &[OTHER_WORKLOAD, OUTSIDER]);

    let events = organization_events(&health, None).await;
    let arns: Vec<&str> = events.iter().filter_map(|event| event.arn()).collect();
    assert_eq!(
        arns,
        [shared.as_str(), workload.as_str(), public.as_str()],
        "newest first, one a page, and not {outsider}"
    );
    let first = &events[0];
    assert_eq!(first.event_scope_code(), Some(&EventScopeCode::AccountSpecific));
    assert_eq!(
        (first.service(), first.region(), first.event_type_code()),
        (Some("S3"), Some("us-east-1"), Some("AWS_S3_OPERATIONAL_ISSUE"))
    );
    assert!(first.start_time().is_some() && first.last_updated_time().is_some());
    assert_eq!(events[2].event_scope_code(), Some(&EventScopeCode::Public));

    let of_accounts = |accounts: &[&str]| {
        OrganizationEventFilter::builder()
            .set_aws_account_ids(Some(accounts.iter().map(|account| account.to_string()).collect()))
            .build()
    };
    let for_workload = organization_events(&health, Some(of_accounts(&[WORKLOAD]))).await;
    let arns: Vec<&str> = for_workload.iter().filter_map(|event| event.arn()).collect();
    assert_eq!(
        arns,
        [workload.as_str()],
        "no public events when accounts are named"
    );
    let for_outsider = organization_events(&health, Some(of_accounts(&[OUTSIDER]))).await;
    assert!(for_outsider.is_empty(), "an account outside the organization");

    let in_eu = OrganizationEventFilter::builder()
        .regions("eu-west-1")
        .event_status_codes(aws_sdk_health::types::EventStatusCode::Open)
        .build();
    let arns: Vec<String> = organization_events(&health, Some(in_eu))
        .await
        .iter()
        .filter_map(|event| event.arn().map(str::to_owned))
        .collect();
    assert_eq!(arns, std::slice::from_ref(&workload));

    let fifty: Vec<String> = (0..50)
        .map(|n| format!("{:012}", 100_000_000_000_u64 + n))
        .collect();
    let many = fifty.iter().map(String::as_str).collect::<Vec<_>>();
    organization_events(&health, Some(of_accounts(&many))).await;
    let fifty_one: Vec<&str> = many.iter().copied().chain([WORKLOAD]).collect();
    let error = health
        .describe_events_for_organization()
        .filter(of_accounts(&fifty_one))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ValidationException"));
    assert!(
        error.message().unwrap().contains("filter.awsAccountIds"),
        "{error:?}"
    );

    let eleven = OrganizationEventFilter::builder()
        .set_regions(Some((1..=11).map(|n| format!("xx-test-{n}")).collect()))
        .build();
    let error = health
        .describe_events_for_organization()
        .filter(eleven)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ValidationException"));

    let unsupported = OrganizationEventFilter::builder()
        .entity_values("i-0abc")
        .actionabilities(aws_sdk_health::types::EventActionability::ActionRequired)
        .build();
    let error = health
        .describe_events_for_organization()
        .filter(unsupported)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ValidationException"));
    let message = error.message().unwrap();
    assert!(
        message.contains("filter.entityValues") && message.contains("filter.actionabilities"),
        "{message}"
    );

    let too_many = health
        .describe_events_for_organization()
        .max_results(101)
        .send()
        .await
        .unwrap_err();
    assert_eq!(too_many.code(), Some("ValidationException"));
    let bad_token = health
        .describe_events_for_organization()
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert!(
        bad_token
            .as_service_error()
            .is_some_and(|error| error.is_invalid_pagination_token())
    );
    let french = health
        .describe_events_for_organization()
        .locale("fr")
        .send()
        .await
        .unwrap_err();
    assert!(
        french
            .as_service_error()
            .is_some_and(|error| error.is_unsupported_locale())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_details_need_an_account_exactly_for_account_specific_events() {
    let (emulator, health) = with_organization().await;
    let public = open(&emulator, "EC2", "us-east-1", &[]);
    let specific = open(&emulator, "LAMBDA", "us-east-1", &[WORKLOAD, OUTSIDER]);
    let asked = |arn: &str, account: Option<&str>| {
        EventAccountFilter::builder()
            .event_arn(arn)
            .set_aws_account_id(account.map(str::to_owned))
            .build()
            .unwrap()
    };
    let details = health
        .describe_event_details_for_organization()
        .set_organization_event_detail_filters(Some(vec![
            asked(&public, None),
            asked(&specific, Some(WORKLOAD)),
            asked(&public, Some(WORKLOAD)),
            asked(&specific, None),
            asked(&specific, Some(OTHER_WORKLOAD)),
            asked(&specific, Some(OUTSIDER)),
            asked("arn:aws:health:us-east-1::event/EC2/X/X_missing", None),
        ]))
        .send()
        .await
        .unwrap();
    let found: Vec<(Option<&str>, Option<&str>, Option<&EventScopeCode>)> = details
        .successful_set()
        .iter()
        .map(|details| {
            let event = details.event().unwrap();
            (details.aws_account_id(), event.arn(), event.event_scope_code())
        })
        .collect();
    assert_eq!(
        found,
        [
            (None, Some(public.as_str()), Some(&EventScopeCode::Public)),
            (
                Some(WORKLOAD),
                Some(specific.as_str()),
                Some(&EventScopeCode::AccountSpecific)
            ),
        ]
    );
    let description = details.successful_set()[0]
        .event_description()
        .and_then(|description| description.latest_description());
    assert_eq!(description, Some("EC2 open in us-east-1"));
    let failed: Vec<(Option<&str>, Option<&str>, bool)> = details
        .failed_set()
        .iter()
        .map(|item| {
            let message = item.error_message().unwrap();
            let wants_account = message.starts_with("We couldn't find a public event");
            assert!(
                wants_account || message.starts_with("We couldn't find an account specific event"),
                "{message}"
            );
            assert_eq!(item.error_name(), Some("NotFoundException"));
            (item.aws_account_id(), item.event_arn(), wants_account)
        })
        .collect();
    assert_eq!(
        failed,
        [
            (Some(WORKLOAD), Some(public.as_str()), false),
            (None, Some(specific.as_str()), true),
            (Some(OTHER_WORKLOAD), Some(specific.as_str()), false),
            (Some(OUTSIDER), Some(specific.as_str()), false),
            (
                None,
                Some("arn:aws:health:us-east-1::event/EC2/X/X_missing"),
                true
            ),
        ]
    );

    let eleven = (0..11).map(|_| asked(&public, None)).collect();
    let error = health
        .describe_event_details_for_organization()
        .set_organization_event_detail_filters(Some(eleven))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ValidationException"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_faults_reach_the_organization_operations() {
    let (emulator, health) = with_organization().await;
    let arn = open(&emulator, "EC2", "us-east-1", &[]);
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "health", "kind": "subscription-required"}),
    );
    let codes = organization_error_codes(&health, &arn).await;
    assert!(
        codes
            .iter()
            .all(|code| code.as_deref() == Some("SubscriptionRequiredException")),
        "{codes:?}"
    );
    admin(&emulator, "DELETE", "/_admin/faults", json!({}));

    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "health", "operation": "DescribeEventsForOrganization", "kind": "throttle", "count": 1}),
    );
    let events = health.describe_events_for_organization().send().await.unwrap();
    assert_eq!(events.events().len(), 1, "the SDK retried the throttled call");
    let calls = admin(&emulator, "GET", "/_admin/calls", json!({}));
    let recorded: Vec<(&str, &str, &Value)> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|call| {
            (
                call["service"].as_str().unwrap(),
                call["operation"].as_str().unwrap(),
                &call["fault"],
            )
        })
        .collect();
    assert_eq!(
        recorded,
        [
            (
                "health",
                "DescribeHealthServiceStatusForOrganization",
                &json!("subscription-required")
            ),
            (
                "health",
                "DescribeEventsForOrganization",
                &json!("subscription-required")
            ),
            (
                "health",
                "DescribeEventDetailsForOrganization",
                &json!("subscription-required")
            ),
            ("health", "DescribeEventsForOrganization", &json!("throttle")),
            ("health", "DescribeEventsForOrganization", &Value::Null),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_events_reach_rules_once_for_each_account_they_concern() {
    let emulator = Emulator::start().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/rules",
        json!({"source": "aws.health", "function": "target"}),
    );
    let public = open(&emulator, "EC2", "us-east-1", &[]);
    let specific = open(&emulator, "LAMBDA", "us-east-1", &[WORKLOAD, OTHER_WORKLOAD]);
    admin(
        &emulator,
        "POST",
        "/_admin/health/events/close",
        json!({"arn": specific}),
    );
    let pending = admin(&emulator, "GET", "/_admin/pending/target", json!({}));
    let delivered: Vec<(&str, &str, &str, &str)> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            assert_eq!(event["source"], "aws.health");
            (
                event["detail"]["eventArn"].as_str().unwrap(),
                event["account"].as_str().unwrap(),
                event["detail"]["eventScopeCode"].as_str().unwrap(),
                event["detail"]["statusCode"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        delivered,
        [
            (public.as_str(), OWN, "PUBLIC", "open"),
            (specific.as_str(), WORKLOAD, "ACCOUNT_SPECIFIC", "open"),
            (specific.as_str(), OTHER_WORKLOAD, "ACCOUNT_SPECIFIC", "open"),
            (specific.as_str(), WORKLOAD, "ACCOUNT_SPECIFIC", "closed"),
            (specific.as_str(), OTHER_WORKLOAD, "ACCOUNT_SPECIFIC", "closed"),
        ]
    );
}
