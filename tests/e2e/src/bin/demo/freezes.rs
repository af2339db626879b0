//! Chapter 10 of the demo: an incident commander stops every deploy and lets them go again; a
//! deploy outside its window waits for it.

use crate::story::{STEP_TIMEOUT, Story};
use e2e::action;
use serde_json::json;

/// Chapter 10: an incident commander stops every deploy and lets them go again; a deploy outside
/// its window waits for it.
pub async fn freezes_and_windows(story: &mut Story) {
    story.say("10. Freezes and deployment windows: \"stop all deploys\", then \"let them go, and tell me what was held\"");
    story.local.route_stage_failures_to_stage_retry();
    story.local.route_pipeguard_events_to_stage_retry();
    for pipeline in ["pay-web", "pay-api"] {
        story
            .local
            .gated_pipeline(pipeline, r#"{"regions": ["us-east-1"]}"#, &["succeed"]);
    }
    let (code, frozen, errors) = story
        .local
        .cli(
            &[
                "freeze",
                "--reason",
                "INC-4211: checkout errors",
                "--events-table",
                e2e::EVENT_STORE,
            ],
            &[("NO_COLOR", "1")],
        )
        .await;
    for line in frozen.lines() {
        println!("  $ pipeguard freeze ... | {line}");
    }
    let id = frozen
        .split_whitespace()
        .find(|word| word.starts_with("frz-"))
        .unwrap_or_default()
        .to_owned();
    story.check(
        "pipeguard freeze recorded a freeze, who froze and why",
        code == 0 && !id.is_empty() && errors.is_empty(),
    );
    let executions: Vec<String> = ["pay-web", "pay-api"]
        .iter()
        .map(|pipeline| story.local.start_execution(pipeline))
        .collect();
    let mut held_messages = Vec::new();
    for execution in &executions {
        let failed = story
            .local
            .wait_for(STEP_TIMEOUT, "the gate's failure", || {
                Some(story.local.execution(execution)).filter(|execution| execution["status"] == "Failed")
            })
            .await;
        held_messages.push(
            action(&failed, "Gate", "HealthGate")["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    story.check(
        "the freeze holds both pipelines, and the gate says which freeze, who and why",
        held_messages.iter().all(|message| {
            message.contains(&format!("freeze {id} by arn:aws:sts::"))
                && message.contains("INC-4211: checkout errors")
        }),
    );
    let (code, unfrozen, _) = story
        .local
        .cli(
            &["unfreeze", &id, "--events-table", e2e::EVENT_STORE],
            &[("NO_COLOR", "1")],
        )
        .await;
    for line in unfrozen.lines() {
        println!("  $ pipeguard unfreeze {id} | {line}");
    }
    // Failed until stage-retry resumes them: wait for the deploys themselves.
    story
        .local
        .wait_for(STEP_TIMEOUT, "both held deploys to go ahead", || {
            executions
                .iter()
                .all(|execution| story.local.execution(execution)["status"] == "Succeeded")
                .then_some(())
        })
        .await;
    story.flush();
    let released = story
        .local
        .wait_for(STEP_TIMEOUT, "the release notice", || {
            story
                .local
                .messages()
                .into_iter()
                .find(|message| message["subject"] == "pipeguard: 2 deployments released")
        })
        .await;
    let body = released["message"].as_str().unwrap_or_default();
    println!(
        "  [pipeguard: 2 deployments released]\n    {}",
        body.replace('\n', "\n    ")
    );
    story.check(
        "one unfreeze released both at once, and the notice says who froze, why and how long each was held",
        code == 0
            && executions
                .iter()
                .all(|execution| story.local.execution(execution)["status"] == "Succeeded")
            && ["pay-web", "pay-api"].iter().all(|pipeline| {
                body.contains(&format!("- {pipeline}, stage Gate: held for "))
                    && body.contains("INC-4211: checkout errors")
            }),
    );

    // A window that opens two hours from now, for an hour, and a hold of up to three hours.
    let minute_of_day = |ahead: u64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let minute = (now / 60 + ahead) % (24 * 60);
        format!("{:02}:{:02}", minute / 60, minute % 60)
    };
    let window = format!("daily {}-{} UTC", minute_of_day(120), minute_of_day(180));
    story.local.gated_pipeline(
        "reports",
        &json!({"regions": ["us-east-1"], "windows": [window], "on_block": "wait", "max_wait_minutes": 180})
            .to_string(),
        &["succeed"],
    );
    let reports = story.local.start_execution("reports");
    story
        .local
        .wait_for(STEP_TIMEOUT, "the hold's notice", || {
            story
                .local
                .messages()
                .into_iter()
                .find(|message| message["subject"] == "pipeguard: reports held")
        })
        .await;
    story.check(
        &format!("outside its window ({window}) the deploy is held, not failed"),
        story.local.execution(&reports)["status"] == "InProgress",
    );
    println!("  (the emulator moves the clock the functions see two hours ahead: the window opens)");
    story.local.clock_ahead(2 * 3600 + 60);
    let reports = story.run_to_end(&reports).await;
    let gate = action(&reports, "Gate", "HealthGate");
    story.check(
        "when the window opens the held deploy goes ahead by itself, after about two hours",
        reports["status"] == "Succeeded"
            && gate["output_variables"]["held_minutes"]
                .as_str()
                .and_then(|minutes| minutes.parse::<i64>().ok())
                .is_some_and(|minutes| (119..=125).contains(&minutes)),
    );
}
