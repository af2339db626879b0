use super::*;
use aws_sdk_cloudwatch::operation::describe_alarms::{DescribeAlarmsError, DescribeAlarmsOutput};
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};

pub(super) fn alarm(name: &str, state: StateValue) -> MetricAlarm {
    MetricAlarm::builder()
        .alarm_name(name)
        .alarm_arn(format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"))
        .state_value(state)
        .state_reason("Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).")
        .state_transitioned_timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(1_763_800_000))
        .build()
}

pub(super) fn alarms_answer(alarms: Vec<MetricAlarm>) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(move || {
        DescribeAlarmsOutput::builder()
            .set_metric_alarms(Some(alarms.clone()))
            .build()
    })
}

fn refused(code: &'static str) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_error(move || {
        DescribeAlarmsError::generic(
            aws_sdk_cloudwatch::error::ErrorMetadata::builder()
                .code(code)
                .message("User is not authorized to perform: cloudwatch:DescribeAlarms")
                .build(),
        )
    })
}

fn with_cloudwatch(cloudwatch: Vec<Rule>, codepipeline: Vec<Rule>) -> Aws {
    let mut aws = Aws::new(vec![no_events()], codepipeline);
    aws.cloudwatch = cloudwatch;
    aws
}

const WATCHING: &str = r#"{"alarms": ["web-5xx"]}"#;

#[tokio::test]
async fn a_firing_alarm_fails_the_job_naming_it_where_and_why() {
    let describe = alarms_answer(vec![alarm("web-5xx", StateValue::Alarm)]);
    let failure = failure_where(|request| {
        request.failure_details().is_some_and(|details| {
            let message = details.message();
            details.r#type().as_str() == "JobFailed"
                && message.contains("Deployment blocked by 1 CloudWatch alarm")
                && message.contains("CloudWatch metric alarm web-5xx in us-east-1, account 123456789012 is ALARM since 2025-11-22")
                && message.contains("greater than the threshold")
        })
    });
    let aws = with_cloudwatch(vec![describe.clone()], vec![failure.clone()]);
    aws.gate().handle(job("job-a1", WATCHING, None)).await.unwrap();
    assert_eq!((describe.num_calls(), failure.num_calls()), (1, 1));
}

#[tokio::test]
async fn clear_alarms_pass_with_the_alarms_checked() {
    let success = success_where(|request| {
        variable(request, "verdict") == Some("PASS") && variable(request, "alarms") == Some("checked")
    });
    let aws = with_cloudwatch(
        vec![alarms_answer(vec![alarm("web-5xx", StateValue::Ok)])],
        vec![success.clone()],
    );
    aws.gate().handle(job("job-a2", WATCHING, None)).await.unwrap();
    assert_eq!(success.num_calls(), 1);
}

#[tokio::test]
async fn a_gate_that_watches_no_alarm_never_asks_cloudwatch() {
    let describe = alarms_answer(vec![]);
    let success = success_where(|request| variable(request, "alarms") == Some("not-watched"));
    let aws = with_cloudwatch(vec![describe.clone()], vec![success.clone()]);
    aws.gate().handle(job("job-a3", "", None)).await.unwrap();
    assert_eq!((describe.num_calls(), success.num_calls()), (0, 1));
}

#[tokio::test]
async fn cloudwatch_refusing_fails_closed_as_alarms_unavailable() {
    let failure = failure_where(|request| {
        request.failure_details().is_some_and(|details| {
            details.r#type().as_str() == "SystemUnavailable"
                && details.message().contains("CloudWatch alarms could not be read")
                && details.message().contains("access denied")
                && details.message().contains("cloudwatch:DescribeAlarms")
        })
    });
    let aws = with_cloudwatch(vec![refused("AccessDenied")], vec![failure.clone()]);
    aws.gate().handle(job("job-a4", WATCHING, None)).await.unwrap();
    assert_eq!(failure.num_calls(), 1);
}

#[tokio::test]
async fn cloudwatch_refusing_fail_open_passes_unchecked() {
    let success = success_where(|request| {
        variable(request, "verdict") == Some("PASS_ALARMS_UNCHECKED")
            && variable(request, "alarms") == Some("unavailable")
    });
    let aws = with_cloudwatch(vec![refused("AccessDenied")], vec![success.clone()]);
    aws.gate()
        .handle(job(
            "job-a5",
            r#"{"alarms": ["web-5xx"], "on_health_error": "fail-open"}"#,
            None,
        ))
        .await
        .unwrap();
    assert_eq!(success.num_calls(), 1);
}

#[tokio::test]
async fn a_watched_name_no_alarm_has_is_a_configuration_error_naming_it() {
    let failure = failure_of(
        "ConfigurationError",
        "no CloudWatch alarm matches alarm name `web-5xxx` (us-east-1, account 123456789012)",
    );
    let aws = with_cloudwatch(
        vec![alarms_answer(vec![alarm("web-5xx", StateValue::Ok)])],
        vec![failure.clone()],
    );
    aws.gate()
        .handle(job("job-a6", r#"{"alarms": ["web-5xx", "web-5xxx"]}"#, None))
        .await
        .unwrap();
    assert_eq!(failure.num_calls(), 1);
}

#[tokio::test]
async fn an_alarm_of_another_account_is_a_configuration_error_and_nothing_is_asked() {
    let describe = alarms_answer(vec![]);
    let failure = failure_of("ConfigurationError", "is in account 222233334444");
    let aws = with_cloudwatch(vec![describe.clone()], vec![failure.clone()]);
    aws.gate()
        .handle(job(
            "job-a7",
            r#"{"alarms": ["arn:aws:cloudwatch:us-east-1:222233334444:alarm:db-cpu"]}"#,
            None,
        ))
        .await
        .unwrap();
    assert_eq!((describe.num_calls(), failure.num_calls()), (0, 1));
}

#[tokio::test]
async fn a_hold_goes_on_while_the_alarm_fires_and_ends_when_it_clears() {
    let parameters = r#"{"alarms": ["web-5xx"], "on_block": "wait"}"#;
    let since = pipeguard_aws::clock::unix_seconds() - 20 * 60;
    let token = WaitState::new(since, vec!["alarm us-east-1 123456789012 web-5xx".into()]).encode();
    let still_held = success_where(|request| {
        request.continuation_token().is_some()
            && request.output_variables().is_none()
            && request
                .execution_details()
                .and_then(|details| details.summary())
                .is_some_and(|summary| summary.contains("web-5xx") && summary.contains("is ALARM"))
    });
    let aws = with_cloudwatch(
        vec![alarms_answer(vec![alarm("web-5xx", StateValue::Alarm)])],
        vec![still_held.clone()],
    );
    aws.gate()
        .handle(job("job-a8", parameters, Some(&token)))
        .await
        .unwrap();
    assert_eq!(still_held.num_calls(), 1);

    let released = success_where(|request| {
        request.continuation_token().is_none()
            && variable(request, "verdict") == Some("PASS")
            && variable(request, "held_minutes") == Some("20")
    });
    let aws = with_cloudwatch(
        vec![alarms_answer(vec![alarm("web-5xx", StateValue::Ok)])],
        vec![released.clone()],
    );
    aws.gate()
        .handle(job("job-a9", parameters, Some(&token)))
        .await
        .unwrap();
    assert_eq!(released.num_calls(), 1);
}

#[tokio::test]
async fn a_hold_goes_on_while_cloudwatch_cannot_be_read() {
    let token = WaitState::new(
        pipeguard_aws::clock::unix_seconds() - 5 * 60,
        vec!["alarm us-east-1 123456789012 web-5xx".into()],
    )
    .encode();
    let still_held = success_where(|request| {
        request.continuation_token().is_some()
            && request
                .execution_details()
                .and_then(|details| details.summary())
                .is_some_and(|summary| summary.contains("CloudWatch alarms could not be read"))
    });
    let aws = with_cloudwatch(vec![refused("Throttling")], vec![still_held.clone()]);
    aws.gate()
        .handle(job(
            "job-a10",
            r#"{"alarms": ["web-5xx"], "on_block": "wait"}"#,
            Some(&token),
        ))
        .await
        .unwrap();
    assert_eq!(still_held.num_calls(), 1);
}
