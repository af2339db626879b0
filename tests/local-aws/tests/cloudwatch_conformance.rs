//! CloudWatch through the real SDK: DescribeAlarms with every parameter pipeguard uses, paging
//! past 100 alarms, its errors as the SDK types them, faults, and the "CloudWatch Alarm State
//! Change" events the admin interface's state changes send (one per change, none without one).

mod common;

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::types::{AlarmType, StateValue};
use common::{admin, pending};
use local_aws::Emulator;
use serde_json::{Value, json};

const OWN: &str = "123456789012";
const WORKLOAD: &str = "222233334444";

fn alarm(emulator: &Emulator, alarm: Value) -> Value {
    admin(emulator, "POST", "/_admin/cloudwatch/alarms", alarm)
}

fn client_in(emulator: &Emulator, region: &str) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::from_conf(
        sdk_config!(aws_sdk_cloudwatch, emulator.url())
            .region(aws_sdk_cloudwatch::config::Region::new(region.to_owned()))
            .build(),
    )
}

/// The names of the metric and of the composite alarms of one answer.
fn names(
    output: &aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput,
) -> (Vec<&str>, Vec<&str>) {
    (
        output
            .metric_alarms()
            .iter()
            .filter_map(|alarm| alarm.alarm_name())
            .collect(),
        output
            .composite_alarms()
            .iter()
            .filter_map(|alarm| alarm.alarm_name())
            .collect(),
    )
}

/// An emulator with alarms of two kinds and three states in us-east-1, one of the same name in
/// eu-west-1 and one of another account.
async fn with_alarms() -> (Emulator, aws_sdk_cloudwatch::Client) {
    let emulator = Emulator::start().await.unwrap();
    alarm(&emulator, json!({"name": "api-errors", "state": "OK"}));
    alarm(
        &emulator,
        json!({"name": "api-latency", "state": "ALARM", "reason": "p99 above 2 s"}),
    );
    alarm(
        &emulator,
        json!({"name": "api-health", "type": "CompositeAlarm", "state": "ALARM"}),
    );
    alarm(&emulator, json!({"name": "db-cpu"}));
    alarm(
        &emulator,
        json!({"name": "api-errors", "region": "eu-west-1", "state": "ALARM"}),
    );
    alarm(
        &emulator,
        json!({"name": "api-other-account", "account": WORKLOAD, "state": "ALARM"}),
    );
    let cloudwatch = client!(aws_sdk_cloudwatch, emulator.url());
    (emulator, cloudwatch)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_alarms_only_unless_composite_ones_are_asked_for() {
    let (_emulator, cloudwatch) = with_alarms().await;
    let default = cloudwatch.describe_alarms().send().await.unwrap();
    assert_eq!(
        names(&default),
        (vec!["api-errors", "api-latency", "db-cpu"], vec![]),
        "AWS's default: metric alarms only, of the caller's account and region, by name"
    );
    let both = cloudwatch
        .describe_alarms()
        .alarm_types(AlarmType::CompositeAlarm)
        .alarm_types(AlarmType::MetricAlarm)
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(&both),
        (vec!["api-errors", "api-latency", "db-cpu"], vec!["api-health"])
    );
    let composite_only = cloudwatch
        .describe_alarms()
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&composite_only), (vec![], vec!["api-health"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarms_are_selected_by_names_prefix_and_state() {
    let (_emulator, cloudwatch) = with_alarms().await;
    let by_name = cloudwatch
        .describe_alarms()
        .alarm_names("api-latency")
        .alarm_names("api-health")
        .alarm_names("no-such-alarm")
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&by_name), (vec!["api-latency"], vec!["api-health"]));
    let by_prefix = cloudwatch
        .describe_alarms()
        .alarm_name_prefix("api-")
        .send()
        .await
        .unwrap();
    assert_eq!(names(&by_prefix), (vec!["api-errors", "api-latency"], vec![]));
    let firing = cloudwatch
        .describe_alarms()
        .state_value(StateValue::Alarm)
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&firing), (vec!["api-latency"], vec!["api-health"]));
    let unchecked = cloudwatch
        .describe_alarms()
        .state_value(StateValue::InsufficientData)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&unchecked), (vec!["db-cpu"], vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_carries_its_arn_state_reason_and_times_in_its_region() {
    let (emulator, cloudwatch) = with_alarms().await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let answer = cloudwatch
        .describe_alarms()
        .alarm_names("api-latency")
        .alarm_names("db-cpu")
        .send()
        .await
        .unwrap();
    let latency = &answer.metric_alarms()[0];
    assert_eq!(
        latency.alarm_arn(),
        Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-latency")
    );
    assert_eq!(latency.state_value(), Some(&StateValue::Alarm));
    assert_eq!(latency.state_reason(), Some("p99 above 2 s"));
    let updated = latency.state_updated_timestamp().unwrap().as_secs_f64();
    assert!(
        (before - 60.0..=before).contains(&updated),
        "{updated} vs {before}"
    );
    assert_eq!(
        latency.state_transitioned_timestamp(),
        latency.state_updated_timestamp()
    );
    assert_eq!(
        answer.metric_alarms()[1].state_reason(),
        Some("Unchecked: Initial alarm creation")
    );

    let europe = client_in(&emulator, "eu-west-1")
        .describe_alarms()
        .send()
        .await
        .unwrap();
    let arns: Vec<_> = europe
        .metric_alarms()
        .iter()
        .filter_map(|alarm| alarm.alarm_arn())
        .collect();
    assert_eq!(
        arns,
        ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-errors"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_a_hundred_alarms_come_in_pages() {
    let emulator = Emulator::start().await.unwrap();
    for index in 0..230 {
        alarm(
            &emulator,
            json!({"name": format!("svc-{index:03}"), "state": "OK"}),
        );
    }
    let cloudwatch = client!(aws_sdk_cloudwatch, emulator.url());
    let mut pages = cloudwatch
        .describe_alarms()
        .max_records(100)
        .into_paginator()
        .send();
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        sizes.push(page.metric_alarms().len());
        seen.extend(
            page.metric_alarms()
                .iter()
                .filter_map(|alarm| alarm.alarm_name().map(str::to_owned)),
        );
    }
    assert_eq!(sizes, [100, 100, 30]);
    let expected: Vec<String> = (0..230).map(|index| format!("svc-{index:03}")).collect();
    assert_eq!(seen, expected, "every alarm once, in name order");

    let first = cloudwatch.describe_alarms().send().await.unwrap();
    assert_eq!(
        first.metric_alarms().len(),
        50,
        "50 a page unless MaxRecords says"
    );
    assert!(first.next_token().is_some());
    let named: Vec<String> = (0..100).map(|index| format!("svc-{index:03}")).collect();
    let hundred = cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(named))
        .max_records(100)
        .send()
        .await
        .unwrap();
    assert_eq!(
        hundred.metric_alarms().len(),
        100,
        "100 names is the limit, not past it"
    );
    assert!(hundred.next_token().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_answer_cloudwatch_s_error_codes() {
    let (_emulator, cloudwatch) = with_alarms().await;
    let bad_token = cloudwatch
        .describe_alarms()
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_service_error!(bad_token, is_invalid_next_token);

    let both = cloudwatch
        .describe_alarms()
        .alarm_names("api-errors")
        .alarm_name_prefix("api-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(both.code(), Some("InvalidParameterCombination"));

    let too_many: Vec<String> = (0..101).map(|index| format!("svc-{index}")).collect();
    let names = cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(too_many))
        .send()
        .await
        .unwrap_err();
    assert_eq!(names.code(), Some("ValidationError"));
    assert!(names.message().unwrap().contains("100"), "{names:?}");

    for records in [0, 101] {
        let error = cloudwatch
            .describe_alarms()
            .max_records(records)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("ValidationError"), "MaxRecords {records}");
    }
    let unsupported = cloudwatch
        .describe_alarms()
        .action_prefix("arn:aws:sns")
        .send()
        .await
        .unwrap_err();
    assert!(
        unsupported
            .message()
            .unwrap()
            .contains("ActionPrefix is not emulated"),
        "{unsupported:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_recorded_and_faulted_as_monitoring() {
    let (emulator, cloudwatch) = with_alarms().await;
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "monitoring", "operation": "DescribeAlarms", "kind": "throttle", "count": 2}),
    );
    cloudwatch.describe_alarms().send().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "monitoring", "kind": "unavailable"}),
    );
    let unavailable = cloudwatch.describe_alarms().send().await.unwrap_err();
    assert_eq!(unavailable.code(), Some("ServiceUnavailable"));

    let calls = admin(&emulator, "GET", "/_admin/calls", json!({}));
    let recorded: Vec<(&Value, &Value, &Value)> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|call| (&call["service"], &call["operation"], &call["fault"]))
        .collect();
    let throttled = (&json!("monitoring"), &json!("DescribeAlarms"), &json!("throttle"));
    let answered = (&json!("monitoring"), &json!("DescribeAlarms"), &Value::Null);
    assert_eq!(
        recorded[..3],
        [throttled, throttled, answered],
        "the SDK retried the throttling"
    );
    assert!(
        recorded[3..].iter().all(|call| call.2 == &json!("unavailable")),
        "{recorded:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_state_change_sends_one_event_and_no_change_sends_none() {
    let emulator = Emulator::start().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/rules",
        json!({"source": "aws.cloudwatch", "function": "watcher"}),
    );
    admin(
        &emulator,
        "POST",
        "/_admin/rules",
        json!({"source": "aws.cloudwatch", "detail_type": "CloudWatch Alarm State Change", "state": "OK", "function": "resumer"}),
    );
    let created = alarm(&emulator, json!({"name": "api-errors", "state": "OK"}));
    assert_eq!(created["changed"], false);
    let fired = alarm(
        &emulator,
        json!({"name": "api-errors", "state": "ALARM", "reason": "5xx above 1%"}),
    );
    assert_eq!(fired["changed"], true);
    let again = alarm(
        &emulator,
        json!({"name": "api-errors", "state": "ALARM", "reason": "5xx above 2%"}),
    );
    assert_eq!(again["changed"], false);
    alarm(&emulator, json!({"name": "api-errors", "state": "OK"}));
    alarm(
        &emulator,
        json!({"name": "queue-depth", "type": "CompositeAlarm", "region": "eu-west-1", "account": WORKLOAD}),
    );
    alarm(
        &emulator,
        json!({"name": "queue-depth", "region": "eu-west-1", "account": WORKLOAD, "state": "ALARM"}),
    );

    let events = pending(&emulator, "watcher");
    let changes: Vec<(&Value, &Value)> = events
        .iter()
        .map(|event| {
            (
                &event["detail"]["previousState"]["value"],
                &event["detail"]["state"]["value"],
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (&json!("OK"), &json!("ALARM")),
            (&json!("ALARM"), &json!("OK")),
            (&json!("INSUFFICIENT_DATA"), &json!("ALARM"))
        ],
        "one event per change of state, none for a creation or a new reason"
    );
    let fired = &events[0];
    assert_eq!(fired["source"], "aws.cloudwatch");
    assert_eq!(fired["detail-type"], "CloudWatch Alarm State Change");
    assert_eq!(
        (&fired["account"], &fired["region"]),
        (&json!(OWN), &json!("us-east-1"))
    );
    assert_eq!(
        fired["resources"],
        json!(["arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-errors"])
    );
    assert_eq!(fired["detail"]["alarmName"], "api-errors");
    assert_eq!(fired["detail"]["state"]["reason"], "5xx above 1%");
    assert_eq!(fired["detail"]["configuration"], json!({"metrics": []}));
    let timestamp = fired["detail"]["state"]["timestamp"].as_str().unwrap();
    assert!(
        timestamp.len() == 28 && timestamp.ends_with("+0000") && timestamp.as_bytes()[19] == b'.',
        "{timestamp}"
    );
    let elsewhere = &events[2];
    assert_eq!(
        (&elsewhere["account"], &elsewhere["region"]),
        (&json!(WORKLOAD), &json!("eu-west-1"))
    );
    assert_eq!(elsewhere["detail"]["configuration"], json!({"alarmRule": ""}));

    let resumed = pending(&emulator, "resumer");
    assert_eq!(resumed.len(), 1, "a rule's state selects the changes to it");
    assert_eq!(resumed[0]["detail"]["state"]["value"], "OK");
}

/// A role in the workload account, assumed through STS: its credentials see that account's
/// alarms and not the caller's; a role nobody declared is AccessDenied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assumed_roles_credentials_see_the_alarms_of_its_account() {
    let (emulator, own) = with_alarms().await;
    admin(
        &emulator,
        "POST",
        "/_admin/iam/roles",
        json!({"account": WORKLOAD, "name": "pipeguard-alarms-reader"}),
    );
    let sts = client!(aws_sdk_sts, emulator.url());
    let assumed = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{WORKLOAD}:role/pipeguard-alarms-reader"))
        .role_session_name("pipeguard-gate")
        .send()
        .await
        .unwrap();
    assert_eq!(
        assumed.assumed_role_user().map(|user| user.arn()),
        Some(format!("arn:aws:sts::{WORKLOAD}:assumed-role/pipeguard-alarms-reader/pipeguard-gate").as_str())
    );
    let credentials = assumed.credentials().unwrap();
    let workload = aws_sdk_cloudwatch::Client::from_conf(
        sdk_config!(aws_sdk_cloudwatch, emulator.url())
            .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                credentials.access_key_id(),
                credentials.secret_access_key(),
                Some(credentials.session_token().to_owned()),
                None,
                "assumed",
            ))
            .build(),
    );
    let theirs = workload.describe_alarms().send().await.unwrap();
    assert_eq!(names(&theirs), (vec!["api-other-account"], vec![]));
    let ours = own.describe_alarms().send().await.unwrap();
    assert!(!names(&ours).0.contains(&"api-other-account"), "{ours:?}");

    let denied = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{WORKLOAD}:role/not-declared"))
        .role_session_name("pipeguard-gate")
        .send()
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some("AccessDenied"), "{denied:?}");
}
