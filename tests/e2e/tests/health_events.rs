//! AWS Health for accounts without a support plan: events reach the store through EventBridge,
//! the gate decides from it, and holds end by themselves, even when a closing event is lost.

use e2e::{Local, action, gate_message};
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// An account without a support plan, with the template's rules: AWS Health events and stage
/// failures to stage-retry.
async fn account_without_support_plan() -> Local {
    let local = Local::without_support_plan(&[]).await;
    local.route_stage_failures_to_stage_retry();
    local
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_support_plan_the_gate_decides_from_recorded_events_and_resumes_when_they_close() {
    let local = account_without_support_plan().await;
    let arn = local.open_issue("us-east-1", "EC2");
    local.stored(&arn, "open").await;
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let id = local.start_execution("web-app");
    let failed = local.reaches(&id, "Failed", TIMEOUT).await;
    let message = gate_message(&failed);
    assert!(
        message.contains(&arn) && message.contains("AWS Health events recorded from EventBridge"),
        "{message}"
    );
    assert!(
        message.contains(r#""source":"events""#),
        "the hold marker says so: {message}"
    );
    local.close_issue(&arn);
    let execution = local.reaches(&id, "Succeeded", TIMEOUT).await;
    let gate = action(&execution, "Gate", "HealthGate");
    assert_eq!(gate["output_variables"]["verdict"], "PASS", "{execution:#}");
    assert_eq!(gate["output_variables"]["health_source"], "events");
    assert_eq!(local.successful_calls("codepipeline", "RetryStageExecution"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_mode_holds_on_a_recorded_event_until_it_closes() {
    let local = account_without_support_plan().await;
    let arn = local.open_issue("us-east-1", "EC2");
    local.stored(&arn, "open").await;
    local.gated_pipeline("web-app", r#"{"on_block": "wait"}"#, &["succeed"]);
    let id = local.start_execution("web-app");
    local
        .wait_for(TIMEOUT, "the gate to re-check the store", || {
            (local.calls("dynamodb", "Query", None) >= 2).then_some(())
        })
        .await;
    assert_eq!(local.execution(&id)["status"], "InProgress", "held, not failed");
    local.close_issue(&arn);
    let execution = local.finished(&id, TIMEOUT).await;
    assert_eq!(execution["status"], "Succeeded", "{execution:#}");
    assert_eq!(
        action(&execution, "Gate", "HealthGate")["output_variables"]["health_source"],
        "events"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closing_event_that_never_arrives_is_caught_by_the_sweep() {
    // A support plan, but no rule for aws.health here: the closing event went to another region.
    let local = Local::start_with_store(&[]).await;
    local.route_stage_failures_to_stage_retry();
    let arn = local.open_issue("us-east-1", "EC2");
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let id = local.start_execution("web-app");
    local.reaches(&id, "Failed", TIMEOUT).await;
    local
        .invoked("stage-retry", 1, "stage-retry to hold the gate's failure")
        .await;
    local.close_issue(&arn);
    local.sweep();
    let execution = local.reaches(&id, "Succeeded", TIMEOUT).await;
    assert_eq!(action(&execution, "Deploy", "Apply")["status"], "Succeeded");
    assert_eq!(local.successful_calls("codepipeline", "RetryStageExecution"), 1);
    local.sweep();
    local.invoked("stage-retry", 3, "the second sweep").await;
    assert_eq!(
        local.successful_calls("codepipeline", "RetryStageExecution"),
        1,
        "once per failure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_that_failed_after_the_closing_was_recorded_is_done_by_the_sweep() {
    let local = account_without_support_plan().await;
    let arn = local.open_issue("us-east-1", "EC2");
    local.stored(&arn, "open").await;
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let id = local.start_execution("web-app");
    local.reaches(&id, "Failed", TIMEOUT).await;
    local
        .invoked("stage-retry", 2, "stage-retry to hold the gate's failure")
        .await;
    local.fault(json!({"service": "codepipeline", "operation": "ListPipelines", "kind": "server-error"}));
    local.close_issue(&arn);
    local
        .wait_for(TIMEOUT, "the closing event's deliveries to fail", || {
            (local.failed_invocations("stage-retry") == 3).then_some(())
        })
        .await;
    local.stored(&arn, "closed").await;
    assert_eq!(local.execution(&id)["status"], "Failed", "not resumed yet");
    local.admin("DELETE", "/_admin/faults", json!({}));
    local.fault(json!({"service": "health", "kind": "subscription-required"}));
    local.sweep();
    local.reaches(&id, "Succeeded", TIMEOUT).await;
}

/// The fixture's event for `arn` in us-east-1 with this status, update time and communication.
fn health_event(arn: &str, status: &str, updated: &str, communication: &str, backup: bool) -> Value {
    let mut event: Value =
        serde_json::from_str(include_str!("../../events/health-event-closed.json")).unwrap_or_default();
    event["detail"]["eventArn"] = json!(arn);
    event["detail"]["statusCode"] = json!(status);
    event["detail"]["lastUpdatedTime"] = json!(updated);
    event["detail"]["communicationId"] = json!(communication);
    if backup {
        event["detail"]["backupEvent"] = json!(true);
    }
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_duplicate_and_backup_deliveries_end_in_the_newest_state() {
    let local = account_without_support_plan().await;
    let arn = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_late";
    let closed = health_event(arn, "closed", "Fri, 20 Nov 2026 12:00:00 GMT", "abc-2", false);
    let open = health_event(arn, "open", "Fri, 20 Nov 2026 10:00:00 GMT", "abc-1", false);
    let open_backup = health_event(arn, "open", "Fri, 20 Nov 2026 10:00:00 GMT", "abc-1", true);
    for payload in [&closed, &open, &closed, &open_backup] {
        local.admin(
            "POST",
            "/_admin/invoke",
            json!({"function": "stage-retry", "payload": payload}),
        );
    }
    local
        .wait_for(TIMEOUT, "four deliveries handled", || {
            (local.invocations("stage-retry") == 4).then_some(())
        })
        .await;
    assert_eq!(local.failed_invocations("stage-retry"), 0);
    assert_eq!(local.stored_events(), [(arn.to_owned(), "closed".to_owned())]);
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let execution = local.finished(&local.start_execution("web-app"), TIMEOUT).await;
    assert_eq!(execution["status"], "Succeeded", "{execution:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_in_a_region_nobody_watches_changes_nothing() {
    let local = account_without_support_plan().await;
    let arn = local.open_issue("eu-west-1", "EC2");
    local.stored(&arn, "open").await;
    local.gated_pipeline("web-app", r#"{"regions": ["us-east-1", "global"]}"#, &["succeed"]);
    let execution = local.finished(&local.start_execution("web-app"), TIMEOUT).await;
    assert_eq!(execution["status"], "Succeeded", "{execution:#}");
    assert_eq!(
        action(&execution, "Gate", "HealthGate")["output_variables"]["health_source"],
        "events"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_event_is_skipped_and_a_store_failure_is_delivered_again_never_lost() {
    let local = account_without_support_plan().await;
    let mut malformed = health_event("", "open", "Fri, 20 Nov 2026 10:00:00 GMT", "x-1", false);
    malformed["detail"]["eventArn"] = json!("");
    local.admin(
        "POST",
        "/_admin/invoke",
        json!({"function": "stage-retry", "payload": malformed}),
    );
    local
        .wait_for(TIMEOUT, "the malformed event handled", || {
            (local.invocations("stage-retry") == 1).then_some(())
        })
        .await;
    assert_eq!(
        local.failed_invocations("stage-retry"),
        0,
        "skipped, not retried forever"
    );
    assert!(local.stored_events().is_empty());
    // Three failed attempts: one invocation's worth of the SDK's retries.
    local.fault(json!({"service": "dynamodb", "operation": "PutItem", "kind": "server-error", "count": 3}));
    let arn = local.open_issue("us-east-1", "EC2");
    local.stored(&arn, "open").await;
    assert_eq!(
        local.failed_invocations("stage-retry"),
        1,
        "failed once, then delivered again"
    );
}

/// `event` as the message of an SNS delivery: what anyone allowed to publish to the topic sends.
fn inside_sns(event: &Value) -> Value {
    let mut delivery: Value =
        serde_json::from_str(include_str!("../../events/sns-stage-failed.json")).unwrap_or_default();
    delivery["Records"][0]["Sns"]["Message"] = json!(event.to_string());
    delivery
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_closings_move_no_deploy_and_the_genuine_one_still_does() {
    let local = account_without_support_plan().await;
    let logs = std::env::temp_dir().join(format!("pipeguard-forged-closings-{}", std::process::id()));
    std::fs::create_dir_all(&logs).unwrap_or_default();
    local.admin(
        "POST",
        "/_admin/settings",
        json!({"log_dir": logs.display().to_string()}),
    );
    let arn = local.open_issue("us-east-1", "EC2");
    local.stored(&arn, "open").await;
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let id = local.start_execution("web-app");
    local.reaches(&id, "Failed", TIMEOUT).await;
    let far_ahead = "Thu, 01 Jan 2099 00:00:00 GMT";
    // A closing published to the topic, one dated 2099 as EventBridge would deliver it, and one
    // that names the freezes' partition as its region.
    let mut not_a_region = health_event(&arn, "closed", far_ahead, "forged-3", false);
    not_a_region["detail"]["eventRegion"] = json!("pipeguard#freezes");
    not_a_region["detail"]["lastUpdatedTime"] = json!("Fri, 20 Nov 2026 12:00:00 GMT");
    let forged = [
        inside_sns(&health_event(&arn, "closed", far_ahead, "forged-1", false)),
        health_event(&arn, "closed", far_ahead, "forged-2", false),
        not_a_region,
    ];
    let before = local.invocations("stage-retry");
    for payload in &forged {
        local.admin(
            "POST",
            "/_admin/invoke",
            json!({"function": "stage-retry", "payload": payload}),
        );
    }
    local
        .wait_for(TIMEOUT, "the forged deliveries handled", || {
            (local.invocations("stage-retry") >= before + forged.len()).then_some(())
        })
        .await;
    assert_eq!(
        local.failed_invocations("stage-retry"),
        0,
        "refused, not redelivered"
    );
    assert_eq!(
        local.stored_events(),
        [(arn.clone(), "open".to_owned())],
        "nothing recorded"
    );
    assert_eq!(local.successful_calls("codepipeline", "RetryStageExecution"), 0);
    assert_eq!(local.execution(&id)["status"], "Failed", "still held");
    // Each counted for who sent it (the log is written as the function runs: read until all are).
    let refused_inputs = || -> Vec<String> {
        let log = std::fs::read_to_string(logs.join("stage-retry.log")).unwrap_or_default();
        let mut inputs: Vec<String> = log
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["Refused"] == 1 && line["Function"] == "stage-retry")
            .map(|line| line["Input"].as_str().unwrap_or_default().to_owned())
            .collect();
        inputs.sort();
        inputs
    };
    let refused = local
        .wait_for(TIMEOUT, "three refusals counted", || {
            Some(refused_inputs()).filter(|inputs| inputs.len() >= forged.len())
        })
        .await;
    assert_eq!(refused, ["FromTheFuture", "NotARegion", "NotFromEventBridge"]);
    // AWS Health's own closing, after the refused ones, is recorded and resumes the deploy.
    local.close_issue(&arn);
    let execution = local.reaches(&id, "Succeeded", TIMEOUT).await;
    assert_eq!(
        action(&execution, "Gate", "HealthGate")["output_variables"]["verdict"],
        "PASS"
    );
}
