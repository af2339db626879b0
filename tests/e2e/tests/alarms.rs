//! The service's own CloudWatch alarms end to end: the real gate fails a deploy while a watched
//! alarm fires, stage-retry holds the failure, and the alarm's clearing (CloudWatch's event,
//! routed as the template's `AlarmCleared` rule routes it) resumes the stage once.

use e2e::{Local, action, gate_message};
use serde_json::json;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

fn set_alarm(local: &Local, state: &str) {
    local.admin(
        "POST",
        "/_admin/cloudwatch/alarms",
        json!({"name": "web-5xx", "state": state, "reason": "Threshold Crossed: 12 errors in 1 minute"}),
    );
}

/// Every invocation `function` was handed: finished, queued or running. The emulator routes an
/// alarm's change to its rules before the admin call that made it returns, so this counts a
/// delivery at once, with no wait to race.
fn delivered(local: &Local, function: &str) -> u64 {
    let entry = local.function(function);
    local.invocations(function) as u64
        + entry["queued"].as_u64().unwrap_or_default()
        + entry["in_flight"].as_u64().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firing_alarm_holds_the_deploy_and_its_clearing_resumes_it_once() {
    let local = Local::start_with_store(&[]).await;
    local.route_stage_failures_to_stage_retry();
    local.route_alarm_clearings_to_stage_retry();
    set_alarm(&local, "ALARM");
    local.gated_pipeline(
        "web-app",
        r#"{"regions": ["us-east-1"], "alarms": ["web-5xx"]}"#,
        &["succeed"],
    );
    let execution = local.start_execution("web-app");
    let failed = local.reaches(&execution, "Failed", TIMEOUT).await;
    let message = gate_message(&failed);
    assert!(
        message.contains("web-5xx") && message.contains("Threshold Crossed"),
        "{message}"
    );
    assert!(
        message.contains("\"alarms\":[{\"name\":\"web-5xx\""),
        "the marker names it: {message}"
    );
    local
        .invoked("stage-retry", 1, "stage-retry to hold the failure")
        .await;
    assert_eq!(
        local.calls("codepipeline", "RetryStageExecution", None),
        0,
        "held, not retried into a firing alarm"
    );

    set_alarm(&local, "INSUFFICIENT_DATA");
    assert_eq!(
        delivered(&local, "stage-retry"),
        1,
        "only a clearing reaches stage-retry"
    );
    set_alarm(&local, "OK");
    let passed = local.reaches(&execution, "Succeeded", TIMEOUT).await;
    assert_eq!(
        action(&passed, "Gate", "HealthGate")["output_variables"]["alarms"],
        "checked"
    );
    assert_eq!(
        local.calls("codepipeline", "RetryStageExecution", None),
        1,
        "resumed once"
    );
}

/// Without the clearing rule (`ResumeOnAlarmPrefix` empty, the default), the sweep asks
/// CloudWatch and resumes the stage once the alarm is OK, and not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_clearing_rule_the_sweep_resumes_the_stage_once_the_alarm_is_ok() {
    let local = Local::start_with_store(&[]).await;
    local.route_stage_failures_to_stage_retry();
    set_alarm(&local, "ALARM");
    local.gated_pipeline(
        "web-app",
        r#"{"regions": ["us-east-1"], "alarms": ["web-5xx"]}"#,
        &["succeed"],
    );
    let execution = local.start_execution("web-app");
    local.reaches(&execution, "Failed", TIMEOUT).await;
    local
        .invoked("stage-retry", 1, "stage-retry to hold the failure")
        .await;
    local.sweep();
    local
        .invoked("stage-retry", 2, "the sweep while the alarm fires")
        .await;
    set_alarm(&local, "OK");
    assert_eq!(delivered(&local, "stage-retry"), 2, "no rule routes the clearing");
    assert_eq!(
        local.calls("codepipeline", "RetryStageExecution", None),
        0,
        "held while the alarm fired"
    );
    local.sweep();
    local.reaches(&execution, "Succeeded", TIMEOUT).await;
    local.sweep();
    local.invoked("stage-retry", 4, "a sweep after the resume").await;
    assert_eq!(
        local.successful_calls("codepipeline", "RetryStageExecution"),
        1,
        "resumed once"
    );
}

/// Another account's alarm, named by its ARN, is read as the read-only role there: it blocks,
/// named with its account. A role the gate may not assume there is not taken for "no alarm":
/// the alarms are unavailable, and the deploy does not start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_alarm_is_read_through_the_role_there() {
    const WORKLOAD: &str = "222233334444";
    let local = Local::start_with_store(&[]).await;
    local.admin(
        "POST",
        "/_admin/iam/roles",
        json!({"account": WORKLOAD, "name": "pipeguard-alarms-reader"}),
    );
    local.admin(
        "POST",
        "/_admin/cloudwatch/alarms",
        json!({"name": "db-cpu", "account": WORKLOAD, "state": "ALARM", "reason": "CPU above 90%"}),
    );
    let watching = |role: &str| {
        json!({
            "regions": ["us-east-1"],
            "alarms": [format!("arn:aws:cloudwatch:us-east-1:{WORKLOAD}:alarm:db-cpu")],
            "alarms_role": role,
        })
        .to_string()
    };
    local.gated_pipeline("orders", &watching("pipeguard-alarms-reader"), &["succeed"]);
    local.gated_pipeline("billing", &watching("not-there"), &["succeed"]);

    let blocked = local
        .reaches(&local.start_execution("orders"), "Failed", TIMEOUT)
        .await;
    let message = gate_message(&blocked);
    assert!(
        message.contains("db-cpu") && message.contains(WORKLOAD) && message.contains("CPU above 90%"),
        "{message}"
    );
    let unreadable = local
        .reaches(&local.start_execution("billing"), "Failed", TIMEOUT)
        .await;
    let gate = action(&unreadable, "Gate", "HealthGate");
    let message = gate_message(&unreadable);
    assert!(
        message.contains("the role there could not be assumed (AccessDenied: ")
            && message.contains("role/not-there")
            && !message.contains("no CloudWatch alarm matches"),
        "{gate:#}"
    );
    assert_eq!(
        local.successful_calls("sts", "AssumeRole"),
        1,
        "one role, assumed once"
    );
}
