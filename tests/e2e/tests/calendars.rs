//! AWS Systems Manager Change Calendars end to end: the real gate, on the real SDK against the
//! emulator's SSM, fails at once a deploy held (`on_block: wait`) by a closed calendar that
//! would not open within `max_wait_minutes`; stage-retry holds the failure, refuses a forged
//! opening, and resumes the stage once on the calendar's own "Calendar State Change" event
//! (routed as the template's `CalendarOpened` rule routes it). A calendar that does not exist is
//! a configuration error.

use e2e::{Local, action, gate_message};
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

fn set_calendar(local: &Local, name: &str, state: &str, next_transition_time: Option<&str>) -> Value {
    let mut calendar = json!({"name": name, "state": state});
    if let Some(next) = next_transition_time {
        calendar["next_transition_time"] = json!(next);
    }
    local.admin("POST", "/_admin/ssm/calendars", calendar)
}

/// year-end turning OPEN, as a forger would write it: inside a message published to the
/// stack's topic, which anyone allowed to publish there can send.
fn forged_opening() -> Value {
    let opening = json!({"version": "0", "id": "forged", "detail-type": "Calendar State Change", "source": "aws.ssm",
                         "account": "123456789012", "time": "2026-12-07T18:00:00Z", "region": "us-east-1",
                         "resources": ["arn:aws:ssm:us-east-1:123456789012:document/year-end"],
                         "detail": {"state": "OPEN", "atTime": "2026-12-07T18:00:00Z"}});
    let mut delivery: Value =
        serde_json::from_str(include_str!("../../events/sns-stage-failed.json")).unwrap_or_default();
    delivery["Records"][0]["Sns"]["Message"] = json!(opening.to_string());
    delivery
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_calendar_holds_the_deploy_and_its_opening_resumes_it_once() {
    let local = Local::start_with_store(&[]).await;
    local.route_stage_failures_to_stage_retry();
    local.route_calendar_openings_to_stage_retry();
    set_calendar(&local, "year-end", "CLOSED", Some("2099-01-01T00:00:00Z"));
    local.gated_pipeline(
        "web-app",
        r#"{"regions": ["us-east-1"], "change_calendars": ["year-end"], "on_block": "wait", "max_wait_minutes": 60}"#,
        &["succeed"],
    );
    let execution = local.start_execution("web-app");
    let failed = local.reaches(&execution, "Failed", TIMEOUT).await;
    let message = gate_message(&failed);
    for part in [
        "a closed Change Calendar would not let it start within max_wait_minutes (60)",
        "Change Calendar year-end (us-east-1, account 123456789012) is CLOSED; it opens at 2099-01-01 00:00 UTC",
        "\"calendars\":[{\"name\":\"year-end\"",
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }
    local
        .invoked("stage-retry", 1, "stage-retry to hold the failure")
        .await;

    local.admin(
        "POST",
        "/_admin/invoke",
        json!({"function": "stage-retry", "payload": forged_opening()}),
    );
    local
        .invoked("stage-retry", 2, "the forged opening handled")
        .await;
    assert_eq!(
        (
            local.calls("codepipeline", "RetryStageExecution", None),
            local.failed_invocations("stage-retry")
        ),
        (0, 0),
        "a forged opening moves nothing, and is not redelivered"
    );
    set_calendar(&local, "black-friday", "CLOSED", None);
    set_calendar(&local, "black-friday", "OPEN", None);
    local
        .invoked("stage-retry", 3, "another calendar's opening")
        .await;
    assert_eq!(
        local.calls("codepipeline", "RetryStageExecution", None),
        0,
        "another calendar's opening ends no part of this hold"
    );

    let changed = set_calendar(&local, "year-end", "OPEN", None);
    assert_eq!(changed["changed"], true, "{changed}");
    let passed = local.reaches(&execution, "Succeeded", TIMEOUT).await;
    assert_eq!(
        action(&passed, "Gate", "HealthGate")["output_variables"]["calendars"],
        "checked"
    );
    local.sweep();
    local
        .invoked("stage-retry", 5, "the sweep after the resume")
        .await;
    assert_eq!(
        local.calls("codepipeline", "RetryStageExecution", None),
        1,
        "resumed once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_that_does_not_exist_or_is_no_change_calendar_is_a_configuration_error() {
    let local = Local::start_with_store(&[]).await;
    set_calendar(&local, "year-end", "OPEN", None);
    local.admin(
        "POST",
        "/_admin/ssm/calendars",
        json!({"name": "run-script", "document_type": "Command"}),
    );
    for (calendar, says) in [
        ("year-ned", "no such SSM document"),
        ("run-script", "is not a Change Calendar"),
    ] {
        let pipeline = format!("web-{calendar}");
        local.gated_pipeline(
            &pipeline,
            &json!({"regions": ["us-east-1"], "change_calendars": ["year-end", calendar]}).to_string(),
            &["succeed"],
        );
        let execution = local.start_execution(&pipeline);
        let failed = local.reaches(&execution, "Failed", TIMEOUT).await;
        let gate = action(&failed, "Gate", "HealthGate");
        assert_eq!(gate["error"]["code"], "ConfigurationError", "{gate}");
        let message = gate_message(&failed);
        assert!(
            message.contains(&format!("`{calendar}` (us-east-1, account 123456789012)"))
                && message.contains(says),
            "{message}"
        );
    }
}
