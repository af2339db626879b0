//! Across accounts: a tooling account's pipelines deploy into workload accounts, and the gate
//! watches the AWS Health of the accounts each deploys into, through the organizational view
//! (with a support plan) or the event store fed by every account's forwarders (without one).

use e2e::{Local, action};
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
const WORKLOAD: &str = "222233334444";
const OTHER_WORKLOAD: &str = "333344445555";

/// The template's rules: AWS Health events and stage failures to stage-retry.
fn route_to_stage_retry(local: &Local) {
    local.route_health_events_to_stage_retry();
    local.route_stage_failures_to_stage_retry();
}

/// Two pipelines of the tooling account: one deploys into `WORKLOAD`, one into `OTHER_WORKLOAD`.
fn two_pipelines(local: &Local, source: &str) {
    for (name, account) in [("to-workload", WORKLOAD), ("to-other", OTHER_WORKLOAD)] {
        local.gated_pipeline(
            name,
            &format!(
                r#"{{"regions": ["us-east-1"], "accounts": ["{account}"], "health_source": "{source}"}}"#
            ),
            &["succeed"],
        );
    }
}

fn gate(execution: &Value) -> &Value {
    action(execution, "Gate", "HealthGate")
}

fn message(execution: &Value) -> String {
    gate(execution)["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_accounts_issue_blocks_only_the_pipeline_deploying_there_and_the_hold_ends_when_it_closes()
{
    let local = Local::start(&[]).await;
    local.organization(&[WORKLOAD, OTHER_WORKLOAD]);
    route_to_stage_retry(&local);
    two_pipelines(&local, "api");
    let arn = local.open_issue_in("us-east-1", "EC2", &[WORKLOAD]);

    let held = local.start_execution("to-workload");
    let passed = local.start_execution("to-other");
    let failed = local.reaches(&held, "Failed", TIMEOUT).await;
    let blocked = message(&failed);
    assert!(
        blocked.contains(&arn) && blocked.contains(&format!("for account {WORKLOAD}")),
        "{blocked}"
    );
    assert!(
        blocked.contains(&format!(r#""account":"{WORKLOAD}""#)),
        "the hold marker names the account: {blocked}"
    );
    let other = local.reaches(&passed, "Succeeded", TIMEOUT).await;
    assert_eq!(
        gate(&other)["output_variables"]["accounts_checked"],
        OTHER_WORKLOAD
    );
    assert_eq!(gate(&other)["output_variables"]["health_source"], "api");

    local.close_issue(&arn);
    let resumed = local.reaches(&held, "Succeeded", TIMEOUT).await;
    assert_eq!(gate(&resumed)["output_variables"]["verdict"], "PASS");
    assert_eq!(
        local.successful_calls("codepipeline", "RetryStageExecution"),
        1,
        "resumed once, by the closing event of its account"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_support_plan_the_store_holds_each_accounts_events_and_ends_their_holds() {
    let local = Local::without_support_plan(&[]).await;
    local.route_stage_failures_to_stage_retry();
    two_pipelines(&local, "auto");
    let arn = local.open_issue_in("us-east-1", "EC2", &[WORKLOAD]);
    let key = format!("{arn}#{WORKLOAD}");
    local
        .wait_for(TIMEOUT, "the workload's event in the store", || {
            local
                .stored_events()
                .contains(&(key.clone(), "open".to_owned()))
                .then_some(())
        })
        .await;

    let held = local.start_execution("to-workload");
    let passed = local.start_execution("to-other");
    let failed = local.reaches(&held, "Failed", TIMEOUT).await;
    let blocked = message(&failed);
    assert!(
        blocked.contains(&format!("for account {WORKLOAD}"))
            && blocked.contains("AWS Health events recorded from EventBridge"),
        "{blocked}"
    );
    let other = local.reaches(&passed, "Succeeded", TIMEOUT).await;
    assert_eq!(gate(&other)["output_variables"]["health_source"], "events");

    local.close_issue(&arn);
    local.reaches(&held, "Succeeded", TIMEOUT).await;
    assert!(
        local.stored_events().contains(&(key, "closed".to_owned())),
        "one item for the workload account's event: {:?}",
        local.stored_events()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_organizational_view_cannot_be_asked_auto_decides_from_the_store_and_api_fails_closed() {
    let local = Local::start_with_store(&[]).await;
    local.admin(
        "POST",
        "/_admin/settings",
        json!({"organization": {"members": [WORKLOAD], "view": "DISABLED"}}),
    );
    route_to_stage_retry(&local);
    let arn = local.open_issue_in("us-east-1", "EC2", &[WORKLOAD]);
    local
        .wait_for(TIMEOUT, "the workload's event in the store", || {
            local
                .stored_events()
                .contains(&(format!("{arn}#{WORKLOAD}"), "open".to_owned()))
                .then_some(())
        })
        .await;
    for (name, source) in [("auto", "auto"), ("api", "api")] {
        local.gated_pipeline(
            name,
            &format!(
                r#"{{"regions": ["us-east-1"], "accounts": ["{WORKLOAD}"], "health_source": "{source}"}}"#
            ),
            &["succeed"],
        );
    }
    let auto = local.start_execution("auto");
    let auto = local.reaches(&auto, "Failed", TIMEOUT).await;
    let decided = message(&auto);
    assert!(
        decided.contains(&arn)
            && decided.contains("the organizational view could not be asked")
            && decided.contains("not enabled for this organization"),
        "{decided}"
    );
    let api = local.start_execution("api");
    let api = local.reaches(&api, "Failed", TIMEOUT).await;
    assert_eq!(gate(&api)["error"]["code"], "SystemUnavailable", "{api:#}");
    assert!(message(&api).contains("organizational view"), "{api:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_names_the_account_of_each_event_blocking_or_holding() {
    let local = Local::start(&[]).await;
    local.organization(&[WORKLOAD]);
    route_to_stage_retry(&local);
    let arn = local.open_issue_in("us-east-1", "EC2", &[WORKLOAD]);

    let (code, stdout, stderr) = local
        .cli(
            &[
                "--json",
                "health",
                "--regions",
                "us-east-1",
                "--accounts",
                WORKLOAD,
            ],
            &[],
        )
        .await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    let answer: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(answer["blocking"][0]["arn"], arn.as_str());
    assert_eq!(answer["blocking"][0]["account"], WORKLOAD);
    let (code, stdout, _) = local
        .cli(&["--json", "health", "--regions", "us-east-1"], &[])
        .await;
    assert_eq!(code, 0, "the credentials' own account is not affected: {stdout}");

    local.gated_pipeline(
        "web-app",
        &format!(r#"{{"regions": ["us-east-1"], "accounts": ["{WORKLOAD}"]}}"#),
        &["succeed"],
    );
    let id = local.start_execution("web-app");
    local.reaches(&id, "Failed", TIMEOUT).await;
    let (code, stdout, stderr) = local.cli(&["--json", "status", "web-app"], &[]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        rows[0]["held_by"],
        json!([{"event_arn": arn, "account": WORKLOAD, "open": true}])
    );
}
