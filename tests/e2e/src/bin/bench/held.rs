//! Many pipelines held by one thing and released by its end: the part of the measurement the
//! freezes' and the alarms' releases share.

use crate::{TIMEOUT, now};
use e2e::Local;
use serde_json::json;

/// What one release did.
pub struct Released {
    /// From the release to the last stage resumed (RetryStageExecution).
    pub last_resumed_s: f64,
    /// From the release to the last held deploy succeeded.
    pub all_deployed_s: f64,
    /// RetryStageExecution calls that took effect: one per held stage when nothing resumed twice.
    pub resumes: usize,
}

/// `pipelines` gated pipelines (`app-000`, ...) with these UserParameters, each started once (what
/// holds them already in place) and held: their executions, once stage-retry has seen every
/// failure.
pub async fn held(local: &Local, pipelines: usize, user_parameters: &str) -> Vec<String> {
    let names: Vec<String> = (0..pipelines).map(|index| format!("app-{index:03}")).collect();
    for name in &names {
        local.gated_pipeline(name, user_parameters, &["succeed"]);
    }
    let executions: Vec<String> = names.iter().map(|name| local.start_execution(name)).collect();
    all_reach(local, &executions, "Failed", "every deploy held").await;
    local
        .invoked("stage-retry", pipelines, "stage-retry to hold every failure")
        .await;
    executions
}

/// Waits for every held deploy to succeed after a release at `started`, and counts the resumes.
pub async fn released(local: &Local, executions: &[String], started: f64) -> Released {
    all_reach(local, executions, "Succeeded", "every held deploy to succeed").await;
    let all_deployed_s = now() - started;
    let calls = local.admin("GET", "/_admin/calls", json!({}));
    let resumed: Vec<f64> = calls
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| call["operation"] == "RetryStageExecution" && call["status"] == 200)
        .filter_map(|call| call["at"].as_f64())
        .collect();
    Released {
        last_resumed_s: resumed.iter().copied().fold(started, f64::max) - started,
        all_deployed_s,
        resumes: resumed.len(),
    }
}

async fn all_reach(local: &Local, executions: &[String], status: &str, what: &str) {
    local
        .wait_for(TIMEOUT * 10, what, || {
            executions
                .iter()
                .all(|execution| local.execution(execution)["status"] == status)
                .then_some(())
        })
        .await;
}
