//! The bake, as the template sets it up: apply-rollback knows the stack's gate (so that only its
//! BAKE_FAILED is a failed bake) and reads which action invokes it with GetPipeline, which the
//! IAM check sees it call when a bake fails (`fails_and_is_rolled_back`).

use super::{functions, granted, template};
use e2e::Local;
use serde_json::json;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn apply_rollback_knows_the_stacks_gate_and_may_read_which_action_invokes_it() {
    let template = template();
    let gate_functions = |function: &str| {
        functions(&template)[function]["Properties"]["Environment"]["Variables"]["GATE_FUNCTIONS"].clone()
    };
    let told = gate_functions("ApplyRollbackFunction");
    assert!(format!("{told:?}").contains("HealthGateFunction.Arn"), "{told:?}");
    assert_eq!(told, gate_functions("StageRetryFunction"));
    assert!(granted(&template)["apply-rollback"].contains("codepipeline:GetPipeline"));
}

/// Bakes a deploy of pipeline `baked` clean (the test clock moved past its bake), then fails the
/// next one's bake with a firing alarm: apply-rollback rolls the stage back, and the rollback's
/// bake asks which execution it runs in.
pub(super) async fn fails_and_is_rolled_back(local: &Local) {
    local.admin(
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED", "pipeline": "baked", "function": "apply-rollback"}),
    );
    let alarm = |state: &str| {
        local.admin(
            "POST",
            "/_admin/cloudwatch/alarms",
            json!({"name": "baked-5xx", "state": state}),
        )
    };
    alarm("OK");
    local.baked_pipeline(
        "baked",
        r#"{"alarms": ["baked-5xx"], "bake_minutes": 1}"#,
        &["succeed"],
    );
    let good = local.start_execution("baked");
    local.baking(&good).await;
    local.clock_forward(120);
    local.reaches(&good, "Succeeded", TIMEOUT).await;
    let bad = local.start_execution("baked");
    local.baking(&bad).await;
    alarm("ALARM");
    local.reaches(&bad, "Failed", TIMEOUT).await;
    let rollback = local
        .wait_for(TIMEOUT, "the bake's rollback", || {
            local
                .rollbacks()
                .into_iter()
                .find(|execution| execution["pipeline"] == "baked")
        })
        .await;
    local
        .reaches(rollback["id"].as_str().unwrap_or_default(), "Succeeded", TIMEOUT)
        .await;
}
