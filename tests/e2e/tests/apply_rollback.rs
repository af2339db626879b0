//! apply-rollback end to end: the real binary, invoked by emulated EventBridge rules, rolling
//! stages back through the real CodePipeline API.

use e2e::Local;
use serde_json::json;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";
const STAGE_CHANGE: &str = "CodePipeline Stage Execution State Change";

async fn local_with(env: &[(&str, &str)]) -> Local {
    let mut env = env.to_vec();
    env.push(("NOTIFY_TOPIC_ARN", TOPIC));
    let local = Local::start(&env).await;
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    local
}

/// Stage failures go to apply-rollback, as the SAM template's rule sends them.
fn route_stage_failures(local: &Local) {
    local.admin("POST", "/_admin/rules", json!({"source": "aws.codepipeline", "detail_type": STAGE_CHANGE, "state": "FAILED", "function": "apply-rollback"}));
}

fn pipeline(local: &Local, category: &str, script: &[&str], rollback_script: &[&str]) {
    local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": "web-app", "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [{"name": "Apply", "category": category, "provider": "CloudFormation",
                                            "script": script, "rollback_script": rollback_script}]}
        ]}),
    );
}

async fn run(local: &Local) -> String {
    let id = local.start_execution("web-app");
    local.finished(&id, TIMEOUT).await;
    id
}

async fn subjects(local: &Local, count: usize) -> Vec<String> {
    let messages = local
        .wait_for(TIMEOUT, "the notices", || {
            Some(local.messages()).filter(|messages| messages.len() >= count)
        })
        .await;
    messages
        .iter()
        .filter_map(|message| message["subject"].as_str())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_deploy_rolls_back_to_the_last_good_execution_and_the_stage_succeeds() {
    let local = local_with(&[]).await;
    route_stage_failures(&local);
    pipeline(
        &local,
        "Deploy",
        &["succeed", "fail:JobFailed:TERRAFORM_EXECUTION_ERROR: quota"],
        &[],
    );
    let good = run(&local).await;
    run(&local).await;
    let rollback = local
        .wait_for(TIMEOUT, "the rollback", || local.rollbacks().first().cloned())
        .await;
    let rollback = local
        .reaches(rollback["id"].as_str().unwrap_or_default(), "Succeeded", TIMEOUT)
        .await;
    assert_eq!(rollback["rollback_target"], good.as_str());
    assert_eq!(
        rollback["stages"][0]["name"], "Deploy",
        "only the failed stage ran"
    );
    assert_eq!(
        subjects(&local, 1).await,
        ["pipeguard: web-app Deploy rolled back"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_that_is_not_an_apply_is_left_alone() {
    let local = local_with(&[]).await;
    route_stage_failures(&local);
    pipeline(&local, "Test", &["succeed", "fail:JobFailed:3 tests failed"], &[]);
    run(&local).await;
    run(&local).await;
    local
        .invoked("apply-rollback", 1, "apply-rollback to decide")
        .await;
    assert_eq!(local.calls("codepipeline", "RollbackStage", None), 0);
    assert!(local.messages().is_empty(), "not qualifying is quiet");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_earlier_success_the_rollback_is_skipped_and_said() {
    let local = local_with(&[]).await;
    route_stage_failures(&local);
    pipeline(&local, "Deploy", &["fail:JobFailed:first deploy broke"], &[]);
    run(&local).await;
    let subjects = subjects(&local, 1).await;
    assert_eq!(subjects, ["pipeguard: web-app Deploy not rolled back"]);
    assert!(
        local.messages()[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no earlier successful execution of stage Deploy")
    );
    assert_eq!(local.calls("codepipeline", "RollbackStage", None), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_rollback_is_not_rolled_back() {
    let local = local_with(&[]).await;
    route_stage_failures(&local);
    pipeline(
        &local,
        "Deploy",
        &["succeed", "fail"],
        &["fail:JobFailed:rollback broke too"],
    );
    run(&local).await;
    run(&local).await;
    let subjects = subjects(&local, 2).await;
    assert_eq!(
        subjects,
        [
            "pipeguard: web-app Deploy rolled back",
            "pipeguard: web-app Deploy not rolled back"
        ]
    );
    assert!(
        local.messages()[1]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("never rolled back again")
    );
    // Both failures (the deploy's and the rollback's) handled: nothing else is on its way.
    local.invoked("apply-rollback", 2, "both failures handled").await;
    assert_eq!(local.invocations("apply-rollback"), 2);
    assert_eq!(local.successful_calls("codepipeline", "RollbackStage"), 1);
    assert_eq!(local.rollbacks().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_failure_delivered_three_times_rolls_back_once() {
    let local = local_with(&[]).await;
    local.admin("POST", "/_admin/rules", json!({"source": "aws.codepipeline", "detail_type": STAGE_CHANGE, "state": "FAILED", "function": "mailbox"}));
    pipeline(&local, "Deploy", &["succeed", "fail"], &[]);
    run(&local).await;
    run(&local).await;
    local.redeliver("mailbox", "apply-rollback", 3).await;
    local
        .wait_for(TIMEOUT, "all three deliveries handled", || {
            (local.invocations("apply-rollback") == 3).then_some(())
        })
        .await;
    assert_eq!(local.successful_calls("codepipeline", "RollbackStage"), 1);
    assert_eq!(local.rollbacks().len(), 1);
    assert_eq!(
        subjects(&local, 1).await,
        ["pipeguard: web-app Deploy rolled back"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_acts_on_nothing_and_says_what_it_would_do() {
    let local = local_with(&[("ROLLBACK_DRY_RUN", "true")]).await;
    route_stage_failures(&local);
    pipeline(&local, "Deploy", &["succeed", "fail"], &[]);
    run(&local).await;
    run(&local).await;
    assert_eq!(
        subjects(&local, 1).await,
        ["pipeguard: web-app Deploy would be rolled back (dry run)"]
    );
    assert_eq!(local.calls("codepipeline", "RollbackStage", None), 0);
    assert!(local.rollbacks().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_rollback_a_failed_deploy_returns_to_what_the_rollback_returned_to() {
    let local = local_with(&[]).await;
    pipeline(
        &local,
        "Deploy",
        &[
            "succeed",
            "succeed",
            "fail:JobFailed:TERRAFORM_EXECUTION_ERROR: quota",
        ],
        &["succeed", "succeed"],
    );
    // E1 ✓, E2 ✓, and someone rolls Deploy back to E1 by hand.
    let first = run(&local).await;
    let second = run(&local).await;
    let (code, stdout, stderr) = local
        .cli(&["--json", "rollback", "web-app", "Deploy", "--to", &first], &[])
        .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let by_hand = local
        .wait_for(TIMEOUT, "the rollback by hand", || {
            local.rollbacks().first().cloned()
        })
        .await;
    local
        .reaches(by_hand["id"].as_str().unwrap_or_default(), "Succeeded", TIMEOUT)
        .await;
    let (code, _, stderr) = local
        .cli(&["rollback", "web-app", "Deploy", "--dry-run"], &[])
        .await;
    assert_eq!(code, 2, "the stage shows a rollback's state already: {stderr}");
    assert!(stderr.contains("its last good state already"), "{stderr}");
    // E3 fails: the stage's last good state is E1's, which the rollback returned it to.
    route_stage_failures(&local);
    run(&local).await;
    let rollback = local
        .wait_for(TIMEOUT, "apply-rollback's rollback", || {
            local
                .rollbacks()
                .into_iter()
                .find(|rollback| rollback["id"] != by_hand["id"])
        })
        .await;
    let rollback = local.execution(rollback["id"].as_str().unwrap_or_default());
    assert_eq!(
        rollback["rollback_target"],
        first.as_str(),
        "not {second}, which the rollback by hand rolled away from"
    );
}
