//! Chapter 14 of the demo: the bake. The gate, placed after the deploy in the same stage, watches
//! the deployed change for `bake_minutes`; when the service's alarm fires during the bake, the
//! bake fails and apply-rollback rolls the stage back to the last good execution, telling the
//! topic why. (The test clock makes the bake's minutes pass at once.)

use crate::story::{STEP_TIMEOUT, Story};
use e2e::action;
use serde_json::json;

/// Chapter 14: a deploy whose alarm fires during its bake is rolled back.
pub async fn bake_and_roll_back(story: &mut Story) {
    story.say("14. The bake: after each deploy of checkout, the gate watches its alarm for 30 minutes");
    story.local.admin(
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED",
               "pipeline": "checkout", "function": "apply-rollback"}),
    );
    let alarm = |story: &Story, state: &str| {
        story.local.admin(
            "POST",
            "/_admin/cloudwatch/alarms",
            json!({"name": "checkout-5xx", "state": state, "reason": "Threshold Crossed: 40 errors in 1 minute"}),
        );
    };
    alarm(story, "OK");
    story.local.baked_pipeline(
        "checkout",
        r#"{"regions": ["us-east-1"], "alarms": ["checkout-5xx"], "bake_minutes": 30}"#,
        &["succeed"],
    );
    let good = story.local.start_execution("checkout");
    story.local.baking(&good).await;
    story.say("   ... 31 minutes pass, the alarm stays OK");
    story.local.clock_forward(31 * 60);
    let good_run = story.run_to_end(&good).await;
    let bake = action(&good_run, "Deploy", "Bake");
    story.check(
        "a clean bake passes after its 30 minutes, with baked_minutes",
        good_run["status"] == "Succeeded"
            && bake["output_variables"]["baked_minutes"]
                .as_str()
                .and_then(|minutes| minutes.parse::<i64>().ok())
                .is_some_and(|minutes| minutes >= 30),
    );

    story.say("   The next deploy breaks checkout: its alarm fires 2 minutes into the bake");
    let bad = story.local.start_execution("checkout");
    story.local.baking(&bad).await;
    story.local.clock_forward(2 * 60);
    alarm(story, "ALARM");
    let bad_run = story.run_to_end(&bad).await;
    let message = action(&bad_run, "Deploy", "Bake")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    story.check(
        "the bake fails at once, BAKE_FAILED naming the alarm",
        bad_run["status"] == "Failed"
            && message.starts_with("BAKE_FAILED: CloudWatch alarm checkout-5xx (us-east-1) fired"),
    );
    let rollback = story
        .local
        .wait_for(STEP_TIMEOUT, "the rollback", || {
            story
                .local
                .rollbacks()
                .into_iter()
                .find(|execution| execution["pipeline"] == "checkout")
        })
        .await;
    let rollback_id = rollback["id"].as_str().unwrap_or_default().to_owned();
    let rolled_back = story.run_to_end(&rollback_id).await;
    story.check(
        "apply-rollback rolled Deploy back to the last good execution, and the rollback is not baked",
        rolled_back["status"] == "Succeeded"
            && rolled_back["rollback_target"] == good.as_str()
            && action(&rolled_back, "Deploy", "Bake")["output_variables"]["verdict"]
                == "PASS_ROLLBACK_NOT_BAKED",
    );
    let told =
        story
            .local
            .wait_for(STEP_TIMEOUT, "the rollback notice", || {
                story.local.messages().into_iter().find(|message| {
                    message["subject"] == "pipeguard: checkout Deploy rolled back (bake failed)"
                })
            })
            .await;
    let body = told["message"].as_str().unwrap_or_default();
    for line in body.lines().take(2) {
        println!("  topic | {line}");
    }
    story.check(
        "the topic says why: the bake failed because checkout-5xx fired",
        body.contains("The bake of stage Deploy in pipeline checkout")
            && body.contains("CloudWatch alarm checkout-5xx (us-east-1) fired during the bake, seen at"),
    );
    story.check(
        "rolled back once",
        story
            .local
            .rollbacks()
            .iter()
            .filter(|execution| execution["pipeline"] == "checkout")
            .count()
            == 1,
    );
    alarm(story, "OK");
}
