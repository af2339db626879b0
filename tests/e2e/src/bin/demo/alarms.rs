//! Chapter 12 of the demo: the service's own CloudWatch alarm holds a deploy while it fires, and
//! its clearing resumes the deploy, with no one clicking Retry.

use crate::story::{STEP_TIMEOUT, Story};
use e2e::{action, gate_message};
use serde_json::json;

const ALARM: &str = "storefront-5xx";

fn set_alarm(story: &Story, state: &str, reason: &str) {
    story.local.admin(
        "POST",
        "/_admin/cloudwatch/alarms",
        json!({"name": ALARM, "state": state, "reason": reason}),
    );
}

/// Chapter 12: a firing alarm holds a deploy; CloudWatch's "back to OK" resumes it. Stage
/// failures reach stage-retry since chapter 10.
pub async fn alarms(story: &mut Story) {
    story.say(
        "12. The service's own alarm: a deploy waits while storefront-5xx fires, and goes when it clears",
    );
    story.local.route_alarm_clearings_to_stage_retry();
    set_alarm(story, "ALARM", "Threshold Crossed: 42 5xx responses in 1 minute");
    story.local.gated_pipeline(
        "storefront",
        &json!({"regions": ["us-east-1"], "alarms": [ALARM]}).to_string(),
        &["succeed"],
    );
    let held_by = story.local.invocations("stage-retry");
    let execution = story.local.start_execution("storefront");
    let held = story.run_to_end(&execution).await;
    let message = gate_message(&held);
    story.check(
        "the gate holds the deploy, naming the alarm and why it fires",
        held["status"] == "Failed" && message.contains(ALARM) && message.contains("42 5xx"),
    );
    story
        .local
        .wait_for(STEP_TIMEOUT, "stage-retry to hold the stage", || {
            (story.local.invocations("stage-retry") > held_by).then_some(())
        })
        .await;

    set_alarm(story, "OK", "Threshold Crossed: 0 5xx responses in 1 minute");
    let resumed = story
        .local
        .wait_for(STEP_TIMEOUT, "the resumed deploy", || {
            Some(story.local.execution(&execution)).filter(|execution| execution["status"] == "Succeeded")
        })
        .await;
    story.check(
        "CloudWatch's \"back to OK\" resumed it once, and the gate found the alarm clear",
        action(&resumed, "Gate", "HealthGate")["output_variables"]["alarms"] == "checked"
            && resumed["stages"][1]["manual_retries"] == 1,
    );
}
