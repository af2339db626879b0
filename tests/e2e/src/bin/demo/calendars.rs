//! Chapter 13 of the demo: a team keeps its change windows in AWS Systems Manager Change
//! Calendar. A closed calendar holds a deploy, and the deploy resumes by itself when the
//! calendar opens.

use crate::story::{STEP_TIMEOUT, Story};
use e2e::action;
use serde_json::json;

/// Chapter 13: a closed Change Calendar holds a deploy, which resumes when the calendar opens.
pub async fn change_calendar(story: &mut Story) {
    story.say("13. AWS Systems Manager Change Calendar: a closed calendar holds a deploy until it opens");
    story.local.admin(
        "POST",
        "/_admin/ssm/calendars",
        json!({"name": "year-end-freeze", "state": "CLOSED", "next_transition_time": "2099-01-05T08:00:00Z"}),
    );
    story.local.admin(
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED",
               "pipeline": "storefront", "function": "stage-retry"}),
    );
    story.local.route_calendar_openings_to_stage_retry();
    story.local.gated_pipeline(
        "storefront",
        r#"{"regions": ["us-east-1"], "change_calendars": ["year-end-freeze"], "on_block": "wait", "max_wait_minutes": 30}"#,
        &["succeed"],
    );

    let (code, answer, _) = story
        .local
        .cli(
            &[
                "--json",
                "health",
                "--params",
                r#"{"change_calendars": ["year-end-freeze"]}"#,
                "--events-table",
                e2e::EVENT_STORE,
            ],
            &[("NO_COLOR", "1")],
        )
        .await;
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    story.check(
        "pipeguard health asks Systems Manager too: CALENDAR_CLOSED, naming the calendar",
        code == 1
            && answer["verdict"] == "CALENDAR_CLOSED"
            && answer["blocking"][0]["kind"] == "change_calendar"
            && answer["blocking"][0]["name"] == "year-end-freeze",
    );

    let retries_before = story
        .local
        .successful_calls("codepipeline", "RetryStageExecution");
    let execution = story.local.start_execution("storefront");
    let held = story.run_to_end(&execution).await;
    let message = action(&held, "Gate", "HealthGate")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    println!("  {}", message.lines().take(2).collect::<Vec<_>>().join("\n  "));
    story.check(
        "the calendar would not open within max_wait_minutes, so the gate fails at once, naming it and when it opens",
        held["status"] == "Failed"
            && message.contains("Change Calendar year-end-freeze")
            && message.contains("it opens at 2099-01-05 08:00 UTC"),
    );
    story
        .local
        .wait_for(STEP_TIMEOUT, "stage-retry to hold the stage", || {
            (story.local.invocations("stage-retry") > 0).then_some(())
        })
        .await;

    story.say("   The calendar opens early (someone ends the event in Change Calendar)");
    story.local.admin(
        "POST",
        "/_admin/ssm/calendars",
        json!({"name": "year-end-freeze", "state": "OPEN"}),
    );
    let resumed = story
        .local
        .wait_for(STEP_TIMEOUT, "the resumed deployment", || {
            Some(story.local.execution(&execution)).filter(|execution| execution["status"] == "Succeeded")
        })
        .await;
    story.check(
        "the calendar's State Change event reached stage-retry, and the deploy resumed by itself, once",
        action(&resumed, "Gate", "HealthGate")["output_variables"]["calendars"] == "checked"
            && action(&resumed, "Deploy", "Apply")["status"] == "Succeeded"
            && story
                .local
                .successful_calls("codepipeline", "RetryStageExecution")
                == retries_before + 1,
    );
}
