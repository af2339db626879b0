//! Cleanup as a finally, never beside a deploy (infra/cleanup-after-deploy.yaml): every deploy
//! execution, however it ends, starts the cleanup pipeline, and the gate holds the next deploy
//! while cleanup runs, so the two never overlap.

use e2e::{Local, action};
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// When an action ran: `[started, updated]`, in seconds since the epoch.
fn ran(execution: &Value, stage: &str, name: &str) -> (f64, f64) {
    let action = action(execution, stage, name);
    (
        action["started"].as_f64().unwrap_or_default(),
        action["updated"].as_f64().unwrap_or_default(),
    )
}

fn executions_of(local: &Local, pipeline: &str) -> Vec<Value> {
    local
        .executions()
        .iter()
        .filter(|execution| execution["pipeline"] == pipeline)
        .map(|execution| local.execution(execution["id"].as_str().unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_follows_every_deploy_however_it_ends_and_never_runs_beside_one() {
    let local = Local::start(&[]).await;
    local.admin("POST", "/_admin/settings", json!({"continuation_delay_ms": 100}));
    local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": "cleanup", "stages": [{"name": "Clean", "actions": [{"name": "Sweep", "script": ["succeed"], "run_ms": 800}]}]}),
    );
    local.gated_pipeline(
        "web-app",
        r#"{"on_block": "wait", "block_while_running": ["cleanup"]}"#,
        &["succeed", "fail:JobFailed:broken", "succeed"],
    );
    // The example's rule: any end of a web-app execution starts cleanup.
    local.admin(
        "POST",
        "/_admin/rules",
        json!({
        "source": "aws.codepipeline", "detail_type": "CodePipeline Pipeline Execution State Change",
        "pipeline": "web-app", "state": ["SUCCEEDED", "FAILED", "STOPPED", "SUPERSEDED", "CANCELED"],
        "start_pipeline": "cleanup"}),
    );

    let first = local.start_execution("web-app");
    local.finished(&first, TIMEOUT).await;
    // Started while the first cleanup runs: the gate holds it, then it fails in Deploy.
    let second = local.start_execution("web-app");
    let second = local.finished(&second, TIMEOUT).await;
    assert_eq!(second["status"], "Failed", "{second:#}");
    let third = local.start_execution("web-app");
    assert_eq!(local.finished(&third, TIMEOUT).await["status"], "Succeeded");
    let cleanups = local
        .wait_for(TIMEOUT, "a cleanup after each of the three deploys", || {
            let cleanups = executions_of(&local, "cleanup");
            (cleanups.len() == 3 && cleanups.iter().all(|run| run["status"] != "InProgress"))
                .then_some(cleanups)
        })
        .await;
    assert!(
        cleanups
            .iter()
            .all(|run| run["trigger"] == "EventBridge" && run["status"] == "Succeeded"),
        "{cleanups:#?}"
    );

    let deploys = executions_of(&local, "web-app");
    for deploy in &deploys {
        let (deploy_start, deploy_end) = ran(deploy, "Deploy", "Apply");
        for cleanup in &cleanups {
            let (clean_start, clean_end) = ran(cleanup, "Clean", "Sweep");
            assert!(
                deploy_end <= clean_start || clean_end <= deploy_start,
                "deploy {} [{deploy_start}, {deploy_end}] overlaps cleanup {} [{clean_start}, {clean_end}]",
                deploy["id"],
                cleanup["id"]
            );
        }
    }
    let held = local
        .admin("GET", "/_admin/jobs", json!({}))
        .as_array()
        .into_iter()
        .flatten()
        .filter(|job| job["continuation_token"].is_string())
        .count();
    assert!(held >= 1, "a deploy waited for cleanup at least once");
}
