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
        local.invocations("stage-retry"),
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
