use super::*;
use serde_json::json;

fn only(triggers: Vec<Trigger>) -> Trigger {
    assert_eq!(triggers.len(), 1, "{triggers:?}");
    triggers.into_iter().next().unwrap()
}

fn fixture(name: &str) -> Value {
    let text = match name {
        "eventbridge" => include_str!("../../tests/events/eventbridge-action-failed.json"),
        "sns" => include_str!("../../tests/events/sns-stage-failed.json"),
        "health" => include_str!("../../tests/events/health-event-closed.json"),
        _ => unreachable!("no fixture {name}"),
    };
    serde_json::from_str(text).unwrap()
}

#[test]
fn reads_an_eventbridge_action_failure() {
    let Trigger::Pipeline(change) = only(parse_invocation(&fixture("eventbridge"))) else {
        panic!("wrong trigger")
    };
    assert_eq!(change.level, ChangeLevel::Action);
    assert_eq!(change.pipeline, "web-app");
    assert_eq!(change.execution_id, "c5d3a0c2-1111-2222-3333-444455556666");
    assert_eq!(change.state, ChangeState::Failed);
    assert_eq!(change.stage.as_deref(), Some("Deploy"));
    assert_eq!(change.action.as_deref(), Some("ApplyStack"));
}

#[test]
fn reads_a_notification_rule_message_through_sns_with_float_versions() {
    let Trigger::Pipeline(change) = only(parse_invocation(&fixture("sns"))) else {
        panic!("wrong trigger")
    };
    assert_eq!(change.level, ChangeLevel::Stage);
    assert_eq!(change.stage.as_deref(), Some("Deploy"));
    assert_eq!(change.failed_stage.as_deref(), Some("Deploy"));
    assert_eq!(change.state, ChangeState::Failed);
}

#[test]
fn reads_an_aws_health_status_change() {
    let Trigger::Health(change) = only(parse_invocation(&fixture("health"))) else {
        panic!("wrong trigger")
    };
    assert_eq!(change.status, EventStatus::Closed);
    assert!(change.event_arn.ends_with("_7f35c8ae"));
}

#[test]
fn every_sns_record_is_a_trigger() {
    let mut event = fixture("sns");
    let record = event["Records"][0].clone();
    event["Records"].as_array_mut().unwrap().push(record);
    assert_eq!(parse_invocation(&event).len(), 2);
}

#[test]
fn garbage_is_ignored_with_a_reason_never_an_error() {
    let cases = [
        json!({}),
        json!("text"),
        json!({"source": "aws.s3", "detail-type": "Object Created", "detail": {}}),
        json!({"source": "aws.codepipeline", "detail-type": "CodePipeline Stage Execution State Change", "detail": {"pipeline": 3}}),
        json!({"source": "aws.health", "detail-type": "AWS Health Event", "detail": {}}),
        json!({"Records": [{"Sns": {"Message": "not json"}}]}),
        json!({"Records": [{"Sns": {}}]}),
    ];
    for case in cases {
        let triggers = parse_invocation(&case);
        assert!(!triggers.is_empty(), "{case}");
        for trigger in triggers {
            match trigger {
                Trigger::Ignored { reason } => assert!(!reason.is_empty()),
                other => panic!("{case}: expected Ignored, got {other:?}"),
            }
        }
    }
}

#[test]
fn a_pipeline_failure_through_sns_names_its_failed_stage() {
    let mut event = fixture("sns");
    let message = event["Records"][0]["Sns"]["Message"].as_str().unwrap().replace(
        "CodePipeline Stage Execution State Change",
        "CodePipeline Pipeline Execution State Change",
    );
    let mut message: Value = serde_json::from_str(&message).unwrap();
    message["detail"].as_object_mut().unwrap().remove("stage");
    event["Records"][0]["Sns"]["Message"] = json!(message.to_string());
    let Trigger::Pipeline(change) = only(parse_invocation(&event)) else {
        panic!("wrong trigger")
    };
    assert_eq!(change.level, ChangeLevel::Pipeline);
    assert_eq!(change.stage, None);
    assert_eq!(change.named_stage(), Some("Deploy"));
}

#[test]
fn an_eventbridge_event_delivered_through_sns_is_read_too() {
    let mut event = fixture("sns");
    event["Records"][0]["Sns"]["Message"] = json!(fixture("eventbridge").to_string());
    let Trigger::Pipeline(change) = only(parse_invocation(&event)) else {
        panic!("wrong trigger")
    };
    assert_eq!(
        (change.level, change.pipeline.as_str()),
        (ChangeLevel::Action, "web-app")
    );
}
