//! Inputs from who may not send them: AWS Health events, schedules and unfreezes inside SNS
//! messages, updates from the future or of no region, hold markers of actions that are no gate,
//! and holds resumed too often.

use super::*;

/// `event` as the message of an SNS delivery: what anyone allowed to publish to the topic
/// can send.
fn inside_sns(event: &Value) -> LambdaEvent<Value> {
    let mut delivery: Value =
        serde_json::from_str(include_str!("../../../tests/events/sns-stage-failed.json")).unwrap();
    delivery["Records"][0]["Sns"]["Message"] = json!(event.to_string());
    LambdaEvent::new(delivery, context())
}

#[tokio::test]
async fn health_events_sweeps_and_unfreezes_inside_sns_messages_record_and_resume_nothing() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
    let pipelines = web_app_listed();
    let (state, retry) = (held_state("events"), retry_call());
    let mut retrier = retrier(&[&pipelines, &state, &retry], &[], &[]);
    retrier.health = HealthSources::new(
        health_api(&[(ARN, EventStatusCode::Closed)]),
        Some(store_with(&[&put, &stored_status("closed")])),
    );
    let forged = [
        health_event(ARN, "closed").payload,
        json!({"source": "aws.events", "detail-type": "Scheduled Event", "account": "123456789012", "detail": {}}),
        json!({"source": "pipeguard", "detail-type": "pipeguard Freeze Ended", "account": "123456789012", "detail": {"freeze_id": "f-1"}}),
    ];
    for event in &forged {
        retrier.on_invocation(inside_sns(event)).await.unwrap();
    }
    assert_eq!(
        (put.num_calls(), pipelines.num_calls(), retry.num_calls()),
        (0, 0, 0),
        "nothing recorded, listed or resumed"
    );
    // The same closing event, as EventBridge delivers it, is recorded and resumes the stage.
    retrier.on_invocation(health_event(ARN, "closed")).await.unwrap();
    assert_eq!((put.num_calls(), retry.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_health_update_dated_ahead_of_the_clock_is_refused_and_a_genuine_one_still_lands() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
    let mut retrier = retrier(&[], &[], &[]);
    retrier.health = HealthSources::new(health_api(&[]), Some(store_with(&[&put])));
    let mut from_the_future = health_event(ARN, "closed");
    from_the_future.payload["detail"]["lastUpdatedTime"] = json!("Thu, 01 Jan 2099 00:00:00 GMT");
    // A time that reads (not one skipped as unreadable), refused for being ahead.
    let triggers = pipeguard_core::trigger::parse_invocation(
        &from_the_future.payload,
        pipeguard_aws::clock::unix_seconds(),
    );
    assert!(
        matches!(&triggers[..], [Trigger::Refused(refusal)] if refusal.kind == pipeguard_core::trigger::RefusalKind::FromTheFuture),
        "{triggers:?}"
    );
    retrier.on_invocation(from_the_future).await.unwrap();
    assert_eq!(put.num_calls(), 0, "a closing dated 2099 is not recorded");
    retrier.on_invocation(health_event(ARN, "open")).await.unwrap();
    assert_eq!(put.num_calls(), 1, "the genuine update is recorded");
}

#[tokio::test]
async fn a_health_event_whose_region_is_no_region_is_never_written() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
    let mut retrier = retrier(&[], &[], &[]);
    retrier.health = HealthSources::new(health_api(&[]), Some(store_with(&[&put])));
    let mut event = health_event(ARN, "open");
    event.payload["detail"]["eventRegion"] = json!("pipeguard#freezes");
    retrier.on_invocation(event).await.unwrap();
    assert_eq!(put.num_calls(), 0);
}

#[tokio::test]
async fn a_hold_marker_in_an_action_that_is_no_gate_holds_nothing_and_resumes_nothing() {
    let pipelines = web_app_listed();
    // A CodeBuild action, and a Lambda function that is not the stack's gate, each failed with
    // the gate's marker copied into its message (JobFailed is retried by default).
    for structure in [structure(None), structure(Some("someone-elses-function"))] {
        let (state, retry) = (held_state("api"), retry_call());
        let mut retrier = retrier(&[&structure, &pipelines, &state, &retry], &[], &[]);
        retrier.health = HealthSources::new(health_api(&[(ARN, EventStatusCode::Closed)]), None);
        retrier.on_invocation(sweep()).await.unwrap();
        assert_eq!(retry.num_calls(), 0, "the sweep resumes nothing");
        retrier.on_invocation(stage_failed("Deploy")).await.unwrap();
        assert_eq!(
            (structure.num_calls(), retry.num_calls()),
            (2, 1),
            "the failure is retried as any other, once, by the policy"
        );
    }
}

#[tokio::test]
async fn without_gate_functions_no_marker_holds() {
    let (state, retry) = (held_state("api"), retry_call());
    let mut retrier = retrier(&[&state, &retry], &[], &[("GATE_FUNCTIONS", " ")]);
    retrier.health = HealthSources::new(health_api(&[(ARN, EventStatusCode::Open)]), None);
    retrier.on_invocation(stage_failed("Deploy")).await.unwrap();
    assert_eq!(
        retry.num_calls(),
        1,
        "an open event holds nothing when no gate is known"
    );
}

#[tokio::test]
async fn a_hold_resumed_too_often_is_given_up_on_once_and_the_sweep_leaves_it() {
    // The default policy's 2 retries and 10 resumes are used: the gate failed it once more.
    let used = 2 + pipeguard_core::retry::MAX_RESUMES;
    let (state, retry) = (state("JobFailed", &blocked_message(), used as i32), retry_call());
    let given_up = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|publish| {
            publish
                .subject()
                .is_some_and(|subject| subject.contains("still failing"))
                && publish
                    .message()
                    .is_some_and(|message| !message.contains("pipeguard:hold"))
        })
        .then_output(|| PublishOutput::builder().message_id("m").build());
    let mut retrier = retrier(&[&web_app_listed(), &state, &retry], &[&given_up], &[]);
    retrier.health = HealthSources::new(health_api(&[(ARN, EventStatusCode::Closed)]), None);
    retrier.on_invocation(stage_failed("Deploy")).await.unwrap();
    retrier.on_invocation(sweep()).await.unwrap();
    retrier.on_invocation(health_event(ARN, "closed")).await.unwrap();
    assert_eq!(
        (retry.num_calls(), given_up.num_calls()),
        (0, 1),
        "people told once, and nothing resumed although its event closed"
    );
}
