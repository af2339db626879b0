//! The cells of stage-retry and apply-rollback: the scenario brought to the moment the fault
//! matters, the trigger under the fault, Lambda's redeliveries and a redrive once it clears.

use super::observed::{attempts, dead_letters, faulted, idle, no_notice_twice};
use super::{Cell, PHASE_TIMEOUT, Scenario, WORKLOAD, ensure, grant_override};
use e2e::Local;
use serde_json::{Value, json};

/// web-app: Source, then a Deploy stage whose one apply runs `script`.
fn deploy_pipeline(local: &Local, script: &[&str]) {
    local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": "web-app", "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [{"name": "Apply", "category": "Deploy", "provider": "CloudFormation", "script": script}]}
        ]}),
    );
}

pub async fn reactor_cell(local: &Local, cell: Cell) -> Result<(), String> {
    let function = cell.scenario.function();
    let (trigger, earlier_invocations) = prepare(local, cell.scenario).await;
    local.fault(cell.fault_spec());
    let execution = match trigger {
        Trigger::Close { arn, held } => {
            local.close_issue(&arn);
            held
        }
        Trigger::Unfreeze { id, held } => {
            let (code, _, stderr) = local
                .cli(&["unfreeze", &id, "--events-table", e2e::EVENT_STORE], &[])
                .await;
            assert_eq!(code, 0, "pipeguard unfreeze failed: {stderr}");
            held
        }
        Trigger::Override { held } => {
            grant_override(local).await;
            held
        }
        Trigger::Run => local.start_execution("web-app"),
    };
    // The first delivery and Lambda's two retries, all under the fault.
    local
        .invoked(function, earlier_invocations + 1, "the delivery under the fault")
        .await;
    idle(local, function).await;
    let failed_under_fault = attempts(local, function)
        .iter()
        .skip(earlier_invocations)
        .filter(|attempt| !attempt["error"].is_null())
        .count();
    local.admin("DELETE", "/_admin/faults", json!({}));
    let dead_letters = dead_letters(local, function);
    // Each failed delivery was delivered again, and after Lambda's two retries it was kept.
    ensure(
        failed_under_fault <= 3 && dead_letters.len() == usize::from(failed_under_fault == 3),
        || {
            format!(
                "{failed_under_fault} failed attempts and {} dead letters",
                dead_letters.len()
            )
        },
    )?;
    for payload in &dead_letters {
        local.admin(
            "POST",
            "/_admin/invoke",
            json!({"function": function, "payload": payload}),
        );
    }
    let done = work_done(local, cell.scenario, &execution).await;
    idle(local, function).await;

    faulted(&local.admin("GET", "/_admin/calls", json!({})), cell)?;
    if cell.operation == "Publish" {
        ensure(failed_under_fault == 0, || {
            format!("{failed_under_fault} invocations failed because a notice could not be sent")
        })?;
    } else {
        ensure(failed_under_fault >= 1, || {
            "the invocation succeeded though its work could not be done".to_owned()
        })?;
    }
    let actions = actions(local, cell.scenario, &done);
    ensure(actions == 1, || {
        format!("{actions} retries or rollbacks, expected exactly 1")
    })?;
    no_notice_twice(local)
}

/// What sets the function to work once the fault is in place.
enum Trigger {
    /// A run of web-app that fails.
    Run,
    /// The AWS Health event that holds web-app's execution `held` closes.
    Close { arn: String, held: String },
    /// Someone ends the freeze `id` that holds web-app's execution `held`.
    Unfreeze { id: String, held: String },
    /// Someone breaks the glass for web-app, whose execution `held` a freeze holds.
    Override { held: String },
}

/// Brings the scenario to the moment the fault matters: returns its trigger and how many
/// invocations the function has had so far.
async fn prepare(local: &Local, scenario: Scenario) -> (Trigger, usize) {
    match scenario {
        Scenario::RetryFlaky => deploy_pipeline(local, &["fail:JobFailed:Rate exceeded", "succeed"]),
        Scenario::RetryExhausted => deploy_pipeline(local, &["fail:JobFailed:Resource limit exceeded"]),
        Scenario::Rollback => {
            deploy_pipeline(
                local,
                &["succeed", "fail:JobFailed:TERRAFORM_EXECUTION_ERROR: quota"],
            );
            let good = local.start_execution("web-app");
            local.finished(&good, PHASE_TIMEOUT).await;
        }
        Scenario::ResumeFromUnfreeze | Scenario::ResumeFromOverride => {
            local.gated_pipeline(
                "web-app",
                r#"{"regions": ["us-east-1"], "health_source": "api"}"#,
                &["succeed"],
            );
            let id = local.freeze(&["--reason", "INC-1", "--prefix", "web-"]).await;
            let held = local.start_execution("web-app");
            local.reaches(&held, "Failed", PHASE_TIMEOUT).await;
            // stage-retry has seen the gate's failure, and holds it for the freeze.
            local
                .invoked("stage-retry", 1, "stage-retry to hold the stage")
                .await;
            idle(local, "stage-retry").await;
            let trigger = if scenario == Scenario::ResumeFromOverride {
                Trigger::Override { held }
            } else {
                Trigger::Unfreeze { id, held }
            };
            return (trigger, local.invocations("stage-retry"));
        }
        _ => {
            let (arn, parameters) = if scenario == Scenario::ResumeAcrossAccounts {
                (
                    local.open_issue_in("us-east-1", "EC2", &[WORKLOAD]),
                    r#"{"regions": ["us-east-1"], "accounts": ["222233334444"]}"#,
                )
            } else {
                (
                    local.open_issue("us-east-1", "EC2"),
                    r#"{"regions": ["us-east-1"]}"#,
                )
            };
            if scenario == Scenario::ResumeFromStore {
                local.stored(&arn, "open").await;
            }
            local.gated_pipeline("web-app", parameters, &["succeed"]);
            let id = local.start_execution("web-app");
            local.reaches(&id, "Failed", PHASE_TIMEOUT).await;
            // stage-retry has seen the open event and the gate's failure, and holds.
            local
                .invoked("stage-retry", 2, "stage-retry to hold the stage")
                .await;
            idle(local, "stage-retry").await;
            return (Trigger::Close { arn, held: id }, local.invocations("stage-retry"));
        }
    }
    (Trigger::Run, local.invocations(scenario.function()))
}

/// Waits until the scenario's work on the failed `execution` is done, and returns the execution
/// that shows it (for a rollback, the rollback's).
async fn work_done(local: &Local, scenario: Scenario, execution: &str) -> Value {
    match scenario {
        Scenario::RetryExhausted => {
            local
                .wait_for(PHASE_TIMEOUT, "one retry, then the stage left failed", || {
                    let execution = local.execution(execution);
                    (execution["status"] == "Failed"
                        && execution["stages"][1]["manual_retries"] == 1
                        && local.invocations("stage-retry") >= 2)
                        .then_some(execution)
                })
                .await
        }
        Scenario::Rollback => {
            local
                .wait_for(PHASE_TIMEOUT, "the rollback to succeed", || {
                    local
                        .rollbacks()
                        .into_iter()
                        .find(|rollback| rollback["status"] == "Succeeded")
                })
                .await
        }
        _ => local.reaches(execution, "Succeeded", PHASE_TIMEOUT).await,
    }
}

/// The retries or rollbacks that happened for the one failure: rollback executions, or the
/// retries of the failed stage (Deploy, or the gate's stage for a resume; both second).
fn actions(local: &Local, scenario: Scenario, done: &Value) -> usize {
    match scenario {
        Scenario::Rollback => local.rollbacks().len(),
        _ => done["stages"][1]["manual_retries"].as_u64().unwrap_or_default() as usize,
    }
}
