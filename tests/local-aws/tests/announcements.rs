//! State changes leave the emulator in the shapes AWS uses, and pipeguard's own parser reads
//! them: EventBridge events to functions, notification-rule messages through SNS, and AWS
//! Health events when an issue closes.

mod common;

use common::admin;
use local_aws::Emulator;
use pipeguard_core::health::EventStatus;
use pipeguard_core::trigger::{ChangeLevel, ChangeState, PipelineChange, Trigger, parse_invocation};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The events as delivered: EventBridge events as they are, SNS messages unwrapped.
fn announced(payloads: &Value) -> Vec<Value> {
    payloads
        .as_array()
        .unwrap()
        .iter()
        .map(|payload| match payload["Records"][0]["Sns"]["Message"].as_str() {
            Some(message) => serde_json::from_str(message).unwrap(),
            None => payload.clone(),
        })
        .collect()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The triggers a function receiving `payload` now reads from it.
fn read(payload: &Value) -> Vec<Trigger> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    parse_invocation(payload, i64::try_from(now).unwrap())
}

fn pipeline_triggers(payloads: &Value) -> Vec<PipelineChange> {
    payloads
        .as_array()
        .unwrap()
        .iter()
        .flat_map(read)
        .filter_map(|trigger| match trigger {
            Trigger::Pipeline(change) => Some(change),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_stage_reaches_eventbridge_targets_and_notification_topics() {
    let emulator = Emulator::start().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/topics",
        json!({"name": "pipeline-events", "subscribe": ["subscriber"]}),
    );
    let topic = "arn:aws:sns:us-east-1:123456789012:pipeline-events";
    admin(
        &emulator,
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "function": "target"}),
    );
    admin(
        &emulator,
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "topic_arn": topic}),
    );
    admin(
        &emulator,
        "POST",
        "/_admin/pipelines",
        json!({"name": "web-app", "stages": [
            {"name": "Source", "actions": [{"name": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [{"name": "Apply", "category": "Deploy", "provider": "CloudFormation", "script": ["fail:JobFailed:Rate exceeded"]}]}
        ]}),
    );
    admin(&emulator, "POST", "/_admin/pipelines/web-app/start", json!({}));
    let failed_execution = |changes: &[PipelineChange]| {
        changes
            .iter()
            .any(|change| change.level == ChangeLevel::Pipeline && change.state == ChangeState::Failed)
    };
    wait_until("the execution failure to reach both", || {
        failed_execution(&pipeline_triggers(&admin(
            &emulator,
            "GET",
            "/_admin/pending/target",
            json!({}),
        ))) && failed_execution(&pipeline_triggers(&admin(
            &emulator,
            "GET",
            "/_admin/pending/subscriber",
            json!({}),
        )))
    })
    .await;

    for function in ["target", "subscriber"] {
        let pending = admin(
            &emulator,
            "GET",
            &format!("/_admin/pending/{function}"),
            json!({}),
        );
        let changes = pipeline_triggers(&pending);
        let action = changes
            .iter()
            .find(|change| change.level == ChangeLevel::Action && change.state == ChangeState::Failed)
            .unwrap();
        assert_eq!(
            (action.stage.as_deref(), action.action.as_deref()),
            (Some("Deploy"), Some("Apply")),
            "{function}"
        );
        let stage = changes
            .iter()
            .find(|change| change.level == ChangeLevel::Stage && change.state == ChangeState::Failed)
            .unwrap();
        if function == "subscriber" {
            assert_eq!(stage.failed_stage.as_deref(), Some("Deploy"));
        }
        // What pipeguard does not read, but AWS sends: the action's type and result.
        let events = announced(&pending);
        let failed_action = events
            .iter()
            .find(|event| event["detail"]["action"] == "Apply" && event["detail"]["state"] == "FAILED")
            .unwrap();
        assert_eq!(failed_action["detail"]["type"]["category"], "Deploy");
        assert_eq!(failed_action["detail"]["type"]["provider"], "CloudFormation");
        assert_eq!(
            failed_action["detail"]["execution-result"]["error-code"],
            "JobFailed"
        );
        if function == "subscriber" {
            let failed_stage = events
                .iter()
                .find(|event| {
                    event["detail"]["stage"] == "Deploy"
                        && event["detail"]["state"] == "FAILED"
                        && event["detail"].get("action").is_none()
                })
                .unwrap();
            assert_eq!(
                failed_stage["additionalAttributes"]["failedActions"][0]["action"],
                "Apply"
            );
        }
    }
    let messages = admin(&emulator, "GET", "/_admin/messages", json!({}));
    let first: Value = serde_json::from_str(messages[0]["message"].as_str().unwrap()).unwrap();
    assert!(
        first.get("detailType").is_some() && first.get("detail-type").is_none(),
        "notification-rule shape: {first}"
    );
    assert!(
        first["detail"]["version"].is_f64(),
        "notification rules send a float version: {first}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_health_event_announces_it() {
    let emulator = Emulator::start().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/rules",
        json!({"source": "aws.health", "function": "target"}),
    );
    let opened = admin(
        &emulator,
        "POST",
        "/_admin/health/events",
        json!({"service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE", "region": "us-east-1"}),
    );
    let arn = opened["arn"].as_str().unwrap().to_owned();
    admin(
        &emulator,
        "POST",
        "/_admin/health/events/close",
        json!({"arn": arn}),
    );
    let pending = admin(&emulator, "GET", "/_admin/pending/target", json!({}));
    let statuses: Vec<EventStatus> = pending
        .as_array()
        .unwrap()
        .iter()
        .flat_map(read)
        .filter_map(|trigger| match trigger {
            Trigger::Health(record) if record.event.arn == arn => Some(record.event.status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [EventStatus::Open, EventStatus::Closed]);
}
