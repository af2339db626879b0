//! stage-retry end to end: the real binary, invoked by emulated EventBridge rules and SNS
//! notification-rule messages, retrying through the real CodePipeline API.

use e2e::Local;
use serde_json::json;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";
const STAGE_CHANGE: &str = "CodePipeline Stage Execution State Change";

fn deploy_pipeline(local: &Local, script: &[&str]) {
    local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": "web-app", "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [
                {"name": "Migrate", "category": "Deploy", "script": ["succeed"]},
                {"name": "Apply", "category": "Deploy", "provider": "CloudFormation", "script": script}
            ]}
        ]}),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_action_fails_once_and_succeeds_on_retry() {
    let local = Local::start(&[]).await;
    local.route_stage_failures_to_stage_retry();
    deploy_pipeline(&local, &["fail:JobFailed:Rate exceeded", "succeed"]);
    let execution = local
        .reaches(&local.start_execution("web-app"), "Succeeded", TIMEOUT)
        .await;
    let deploy = &execution["stages"][1];
    assert_eq!(deploy["manual_retries"], 1, "{execution:#}");
    assert_eq!(local.successful_calls("codepipeline", "RetryStageExecution"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_failure_stops_after_max_attempts_with_one_notification() {
    let local = Local::start(&[("NOTIFY_TOPIC_ARN", TOPIC)]).await;
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    local.route_stage_failures_to_stage_retry();
    deploy_pipeline(&local, &["fail:JobFailed:Resource limit exceeded"]);
    let id = local.start_execution("web-app");
    let messages = local
        .wait_for(TIMEOUT, "the exhausted notice", || {
            Some(local.messages()).filter(|messages| !messages.is_empty())
        })
        .await;
    // The three failures (the first run and both retries) handled: nothing else is on its way.
    local.invoked("stage-retry", 3, "every failure handled").await;
    assert_eq!(local.invocations("stage-retry"), 3);
    let execution = local.execution(&id);
    assert_eq!(execution["status"], "Failed");
    assert_eq!(execution["stages"][1]["manual_retries"], 2);
    assert_eq!(local.successful_calls("codepipeline", "RetryStageExecution"), 2);
    let messages_now = local.messages();
    assert_eq!(messages_now.len(), 1, "{messages_now:#?}");
    assert_eq!(
        messages[0]["subject"],
        "pipeguard: web-app Deploy still failing after 2 retries"
    );
    assert!(
        messages[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Apply: JobFailed Resource limit exceeded")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_sns_message_delivered_three_times_retries_once() {
    let local = Local::start(&[]).await;
    // Notification-rule messages land on a topic whose subscriber does not run, so the test
    // holds the real message and can deliver it as often as SNS might.
    local.admin(
        "POST",
        "/_admin/topics",
        json!({"name": "pipeline-events", "subscribe": ["mailbox"]}),
    );
    let topic = "arn:aws:sns:us-east-1:123456789012:pipeline-events";
    local.admin("POST", "/_admin/rules", json!({"source": "aws.codepipeline", "detail_type": STAGE_CHANGE, "state": "FAILED", "topic_arn": topic}));
    deploy_pipeline(&local, &["fail:JobFailed:Rate exceeded", "succeed"]);
    let id = local.start_execution("web-app");
    local.reaches(&id, "Failed", TIMEOUT).await;
    local.redeliver("mailbox", "stage-retry", 3).await;
    local.reaches(&id, "Succeeded", TIMEOUT).await;
    local
        .wait_for(TIMEOUT, "all three deliveries handled", || {
            (local.invocations("stage-retry") == 3).then_some(())
        })
        .await;
    assert_eq!(local.successful_calls("codepipeline", "RetryStageExecution"), 1);
    assert_eq!(local.execution(&id)["stages"][1]["manual_retries"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_error_is_never_retried() {
    let local = Local::start(&[]).await;
    local.route_stage_failures_to_stage_retry();
    deploy_pipeline(
        &local,
        &["fail:ConfigurationError:template is invalid", "succeed"],
    );
    let id = local.start_execution("web-app");
    local.reaches(&id, "Failed", TIMEOUT).await;
    local.invoked("stage-retry", 1, "stage-retry to decide").await;
    assert_eq!(
        local.calls("codepipeline", "GetPipelineState", None),
        1,
        "it looked"
    );
    assert_eq!(
        local.calls("codepipeline", "RetryStageExecution", None),
        0,
        "and left it alone"
    );
    assert_eq!(local.execution(&id)["status"], "Failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_held_by_the_gate_resumes_when_its_health_event_closes() {
    let local = Local::start(&[]).await;
    local.route_stage_failures_to_stage_retry();
    local.route_health_events_to_stage_retry();
    let arn = local.open_issue("us-east-1", "EC2");
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let id = local.start_execution("web-app");
    local.reaches(&id, "Failed", TIMEOUT).await;
    // stage-retry saw the gate's failure (and the open event) and held off.
    local
        .invoked("stage-retry", 2, "stage-retry to see the gate's failure")
        .await;
    assert_eq!(local.calls("codepipeline", "RetryStageExecution", None), 0);
    local.close_issue(&arn);
    let execution = local.reaches(&id, "Succeeded", TIMEOUT).await;
    assert_eq!(
        execution["stages"][2]["actions"][0]["status"], "Succeeded",
        "Deploy ran after the resume"
    );
    assert_eq!(local.successful_calls("codepipeline", "RetryStageExecution"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_marker_copied_into_a_deploys_output_resumes_nothing() {
    let local = Local::start(&[]).await;
    local.route_stage_failures_to_stage_retry();
    // A deploy whose error output ends with the gate's marker line, copied, for an event AWS
    // Health says has closed: its ConfigurationError is never retried, held or resumed.
    let arn = local.open_issue("us-east-1", "EC2");
    local.close_issue(&arn);
    let copied = format!(
        r#"fail:ConfigurationError:template invalid
pipeguard:hold:v1 {{"events":[{{"arn":"{arn}","region":"us-east-1"}}],"source":"api"}}"#
    );
    deploy_pipeline(&local, &[&copied]);
    let id = local.start_execution("web-app");
    local.invoked("stage-retry", 1, "the failure handled").await;
    local.sweep();
    local.invoked("stage-retry", 2, "the sweep").await;
    assert_eq!(local.failed_invocations("stage-retry"), 0);
    assert_eq!(local.successful_calls("codepipeline", "RetryStageExecution"), 0);
    assert_eq!(local.execution(&id)["status"], "Failed");
}
