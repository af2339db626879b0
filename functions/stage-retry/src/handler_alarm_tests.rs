//! Stages a watched alarm held: the sweep asks CloudWatch, and resumes them once it says OK.

use super::*;
use aws_sdk_cloudwatch::operation::describe_alarms::{DescribeAlarmsError, DescribeAlarmsOutput};
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};

/// web-app's gate failed, held by the stack's alarm web-5xx, and another account's db-cpu too
/// when `theirs`.
fn held_by_alarms(theirs: bool) -> Rule {
    let ours = r#"{"name":"web-5xx","region":"us-east-1","account":"123456789012"}"#;
    let alarms = if theirs {
        format!(r#"{ours},{{"name":"db-cpu","region":"us-east-1","account":"222233334444"}}"#)
    } else {
        ours.to_owned()
    };
    let marker = format!(r#"pipeguard:hold:v1 {{"alarms":[{alarms}],"source":"api"}}"#);
    state(
        "JobFailed",
        &format!("Deployment blocked by CloudWatch alarm web-5xx\n{marker}"),
        0,
    )
}

fn cloudwatch_says(state: StateValue) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(|request| request.alarm_names() == ["web-5xx"])
        .then_output(move || {
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("web-5xx")
                        .alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx")
                        .state_value(state.clone())
                        .build(),
                )
                .build()
        })
}

fn with_cloudwatch(retrier: &mut Retrier, describe: &Rule) {
    let describe = describe.clone();
    retrier.alarms = CloudWatchAlarms::new(Some("us-east-1".into()), move |_: &str| {
        mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&describe])
    });
}

#[tokio::test]
async fn the_sweep_resumes_a_stage_its_alarm_held_once_cloudwatch_says_ok() {
    let pipelines = web_app_listed();
    for (alarm_state, resumed) in [
        (StateValue::Alarm, 0),
        (StateValue::InsufficientData, 0),
        (StateValue::Ok, 1),
    ] {
        let (state, retry, describe) = (
            held_by_alarms(false),
            retry_call(),
            cloudwatch_says(alarm_state.clone()),
        );
        let mut retrier = retrier(&[&pipelines, &state, &retry], &[], &[]);
        with_cloudwatch(&mut retrier, &describe);
        retrier.on_invocation(sweep()).await.unwrap();
        assert_eq!(retry.num_calls(), resumed, "{alarm_state:?}");
        assert_eq!(describe.num_calls(), 1);
    }
}

#[tokio::test]
async fn another_accounts_alarm_is_not_asked_and_keeps_holding_until_its_clearing_comes() {
    let pipelines = web_app_listed();
    let (state, retry, describe) = (
        held_by_alarms(true),
        retry_call(),
        cloudwatch_says(StateValue::Ok),
    );
    let mut retrier = retrier(&[&pipelines, &state, &retry], &[], &[]);
    with_cloudwatch(&mut retrier, &describe);
    retrier.on_invocation(sweep()).await.unwrap();
    assert_eq!(
        describe.num_calls(),
        1,
        "web-5xx asked; db-cpu, of another account, not"
    );
    assert_eq!(retry.num_calls(), 0, "db-cpu may still fire");
}

#[tokio::test]
async fn an_alarm_cloudwatch_cannot_say_about_keeps_its_stage_held_and_the_sweep_goes_on() {
    let pipelines = web_app_listed();
    let (state, retry) = (held_by_alarms(false), retry_call());
    let refused = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_error(|| {
        DescribeAlarmsError::generic(
            aws_sdk_cloudwatch::error::ErrorMetadata::builder()
                .code("AccessDenied")
                .message("no")
                .build(),
        )
    });
    let mut retrier = retrier(&[&pipelines, &state, &retry], &[], &[]);
    with_cloudwatch(&mut retrier, &refused);
    retrier.on_invocation(sweep()).await.unwrap();
    assert_eq!(retry.num_calls(), 0, "held while CloudWatch cannot say");
}
