//! Chapter 11 of the demo: break glass. Every deploy is frozen for an incident, and the fix for
//! that incident still has to ship: one audited override lets its pipeline through, the topic
//! says who broke the glass and why, and every other pipeline stays frozen.

use crate::story::{STEP_TIMEOUT, Story};
use e2e::action;

/// Chapter 11: an incident fix goes through the freeze on `pipeguard override`.
pub async fn break_glass(story: &mut Story) {
    story.say("11. Break glass: everything is frozen for an incident, and the fix for it must still ship");
    let table = e2e::EVENT_STORE;
    for pipeline in ["pay-fix", "pay-batch"] {
        story
            .local
            .gated_pipeline(pipeline, r#"{"regions": ["us-east-1"]}"#, &["succeed"]);
    }
    let (code, _, _) = story
        .local
        .cli(
            &[
                "freeze",
                "--reason",
                "INC-5000: payments outage",
                "--events-table",
                table,
            ],
            &[("NO_COLOR", "1")],
        )
        .await;
    let fix = story.local.start_execution("pay-fix");
    let batch = story.local.start_execution("pay-batch");
    let held = story.run_to_end(&fix).await;
    story.check(
        "the freeze stops the fix as it stops everything",
        code == 0 && held["status"] == "Failed",
    );

    let (code, granted, errors) = story
        .local
        .cli(
            &[
                "override",
                "--pipeline",
                "pay-fix",
                "--reason",
                "INC-5000: this deploy is the fix",
                "--for",
                "30m",
                "--only",
                "freezes",
                "--events-table",
                table,
            ],
            &[("NO_COLOR", "1")],
        )
        .await;
    for line in granted.lines().chain(errors.lines()) {
        println!("  $ pipeguard override --pipeline pay-fix ... | {line}");
    }
    let fixed = story
        .local
        .wait_for(STEP_TIMEOUT, "the fix to go through", || {
            Some(story.local.execution(&fix)).filter(|execution| execution["status"] == "Succeeded")
        })
        .await;
    let verdict = action(&fixed, "Gate", "HealthGate")["output_variables"]["verdict"].clone();
    story.check(
        "stage-retry resumed the fix at once, and the gate let it through the freeze on the override",
        code == 0 && verdict == "PASS_OVERRIDDEN",
    );
    let told = story
        .local
        .wait_for(STEP_TIMEOUT, "the break-glass notice", || {
            story
                .local
                .messages()
                .into_iter()
                .find(|message| message["subject"] == "pipeguard: break glass used on pay-fix")
        })
        .await;
    let body = told["message"].as_str().unwrap_or_default();
    println!(
        "  [pipeguard: break glass used on pay-fix]\n    {}",
        body.replace('\n', "\n    ")
    );
    story.check(
        "the topic says who broke the glass, why, until when, and what it passed over",
        body.contains("arn:aws:sts::")
            && body.contains("INC-5000: this deploy is the fix")
            && body.contains("INC-5000: payments outage"),
    );
    let batch = story.run_to_end(&batch).await;
    story.check("every other pipeline stays frozen", batch["status"] == "Failed");
    let (code, _, _) = story
        .local
        .cli(
            &["unfreeze", "--all", "--events-table", table],
            &[("NO_COLOR", "1")],
        )
        .await;
    story.check("the incident over, one unfreeze ends it", code == 0);
}
