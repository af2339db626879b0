//! The bake end to end: the real gate, placed after the deploy in the same stage, is invoked
//! again and again by the emulated CodePipeline with its continuation token while it bakes (the
//! test clock makes the minutes pass at once); a clean bake passes with `baked_minutes`, and an
//! alarm that fires during one fails it as `BAKE_FAILED`, which the real apply-rollback rolls
//! back to the last good execution, once, telling the topic why.

use e2e::{Local, action};
use serde_json::json;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";
const BAKE: &str = r#"{"regions": ["us-east-1"], "alarms": ["web-5xx"], "bake_minutes": 30}"#;

fn set_alarm(local: &Local, state: &str) {
    local.admin(
        "POST",
        "/_admin/cloudwatch/alarms",
        json!({"name": "web-5xx", "state": state, "reason": "Threshold Crossed: 12 errors in 1 minute"}),
    );
}

/// The emulator, the topic, stage failures routed to apply-rollback (as the template's rule
/// routes them), the watched alarm OK, and web-app's Deploy stage baked by the gate.
async fn baked_web_app() -> Local {
    let local = Local::start(&[("NOTIFY_TOPIC_ARN", TOPIC)]).await;
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    local.admin("POST", "/_admin/settings", json!({"continuation_delay_ms": 100}));
    local.admin(
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED", "function": "apply-rollback"}),
    );
    // And to a function that never runs, to deliver one again by hand.
    local.admin(
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED", "function": "mailbox"}),
    );
    set_alarm(&local, "OK");
    local.baked_pipeline("web-app", BAKE, &["succeed"]);
    local
}

/// Starts web-app, lets its bake begin and `minutes` pass on the test clock; the execution.
async fn bake_for(local: &Local, minutes: i64) -> String {
    let execution = local.start_execution("web-app");
    local.baking(&execution).await;
    local.clock_forward(minutes * 60);
    execution
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_bake_is_polled_with_its_token_and_passes_after_bake_minutes() {
    let local = baked_web_app().await;
    let execution = bake_for(&local, 31).await;
    let passed = local.reaches(&execution, "Succeeded", TIMEOUT).await;
    let bake = action(&passed, "Deploy", "Bake");
    let baked: i64 = bake["output_variables"]["baked_minutes"]
        .as_str()
        .and_then(|minutes| minutes.parse().ok())
        .unwrap_or_default();
    assert!((30..=32).contains(&baked), "{bake}");
    assert_eq!(bake["output_variables"]["verdict"], "PASS");
    assert!(
        bake["summary"]
            .as_str()
            .is_some_and(|summary| summary.starts_with(&format!("Baked {baked} of 30 minutes"))),
        "{bake}"
    );
    assert!(
        local.invocations("health-gate") >= 2,
        "CodePipeline invoked the gate again with its continuation token"
    );
    assert!(local.rollbacks().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_that_fires_during_the_bake_rolls_the_stage_back_to_the_last_good_execution_once() {
    let local = baked_web_app().await;
    let good = bake_for(&local, 31).await;
    local.reaches(&good, "Succeeded", TIMEOUT).await;

    let bad = local.start_execution("web-app");
    local.baking(&bad).await;
    set_alarm(&local, "ALARM");
    let failed = local.reaches(&bad, "Failed", TIMEOUT).await;
    let message = action(&failed, "Deploy", "Bake")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("BAKE_FAILED: CloudWatch alarm web-5xx (us-east-1) fired during the bake")
            && message.contains("Threshold Crossed"),
        "{message}"
    );
    let rollback = local
        .wait_for(TIMEOUT, "the rollback", || local.rollbacks().first().cloned())
        .await;
    let rollback_id = rollback["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(local.execution(&rollback_id)["rollback_target"], good.as_str());
    // The rollback runs the stage again, its bake too, which passes at once although the alarm
    // still fires: a rollback is not baked.
    let rolled_back = local.reaches(&rollback_id, "Succeeded", TIMEOUT).await;
    let bake = action(&rolled_back, "Deploy", "Bake");
    assert_eq!(
        bake["output_variables"]["verdict"], "PASS_ROLLBACK_NOT_BAKED",
        "{bake}"
    );

    let told: Vec<String> = local
        .messages()
        .iter()
        .filter(|message| message["subject"] == "pipeguard: web-app Deploy rolled back (bake failed)")
        .filter_map(|message| message["message"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(told.len(), 1, "{:?}", local.messages());
    assert!(
        told[0].contains("The bake of stage Deploy in pipeline web-app (action Bake) failed")
            && told[0].contains("CloudWatch alarm web-5xx (us-east-1) fired during the bake, seen at"),
        "{}",
        told[0]
    );
    assert!(
        local
            .messages()
            .iter()
            .any(|message| message["subject"] == "pipeguard: web-app bake failed"),
        "the gate told the topic too"
    );
    // Once: the failure delivered twice more finds it handled.
    let handled = local.invocations("apply-rollback");
    local.redeliver("mailbox", "apply-rollback", 2).await;
    local
        .wait_for(TIMEOUT, "both deliveries handled", || {
            (local.invocations("apply-rollback") == handled + 2).then_some(())
        })
        .await;
    assert_eq!(local.successful_calls("codepipeline", "RollbackStage"), 1);
    assert_eq!(local.rollbacks().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bake_failed_in_a_message_the_gate_did_not_write_rolls_nothing_back() {
    let local = baked_web_app().await;
    local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": "forged", "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [{"name": "Apply", "category": "Invoke", "provider": "Lambda",
                "script": ["succeed", "fail:JobFailed:BAKE_FAILED: CloudWatch alarm web-5xx (us-east-1) fired during the bake"]}]}
        ]}),
    );
    let good = local.start_execution("forged");
    local.reaches(&good, "Succeeded", TIMEOUT).await;
    let forged = local.start_execution("forged");
    local.reaches(&forged, "Failed", TIMEOUT).await;
    local
        .invoked("apply-rollback", 1, "apply-rollback to judge the failure")
        .await;
    assert!(local.rollbacks().is_empty());
    assert!(local.messages().is_empty(), "{:?}", local.messages());
}
