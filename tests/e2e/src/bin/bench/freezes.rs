//! Freezes: what a decision costs with 0, 1 and 100 active freezes in the table (none covering
//! the pipeline decided), and how long one unfreeze takes to release many held pipelines.

use crate::gate::decide;
use crate::held::{Released, held, released};
use crate::{now, ratio, spread};
use e2e::{EVENT_STORE, Local};
use serde_json::json;

/// One decision's figures with `freezes` active freezes: time (median, p10, p90), DynamoDB
/// Query calls and every AWS call per decision.
pub struct FrozenDecision {
    pub freezes: usize,
    pub ms: (f64, f64, f64),
    pub queries: f64,
    pub calls: f64,
}

/// Freezes people make with the command line, covering the pipelines starting with `other-`.
async fn freeze_others(local: &Local, count: usize) {
    for index in 0..count {
        local
            .freeze(&["--reason", &format!("freeze {index}"), "--prefix", "other-"])
            .await;
    }
}

fn all_calls(local: &Local) -> usize {
    local
        .admin("GET", "/_admin/calls", json!({}))
        .as_array()
        .map_or(0, Vec::len)
}

/// `runs` decisions of a gate whose pipeline no freeze covers, with 0, then 1, then 100 active
/// freezes of other pipelines in the table.
pub async fn measure_decisions(counts: &[usize], runs: usize) -> Vec<FrozenDecision> {
    let local = Local::start_with_store(&[]).await;
    local.gated_pipeline(
        "gated",
        r#"{"regions": ["us-east-1"], "health_source": "api"}"#,
        &["succeed"],
    );
    local.gated_pipeline("other-app", r#"{"regions": ["us-east-1"]}"#, &["succeed"]);
    let mut made = 0;
    let mut figures = Vec::new();
    for &count in counts {
        freeze_others(&local, count - made).await;
        made = count;
        decide(&local, "gated").await;
        let (queries_before, calls_before) = (local.calls("dynamodb", "Query", None), all_calls(&local));
        let mut times = Vec::new();
        for _ in 0..runs {
            times.push(decide(&local, "gated").await.warm_ms);
        }
        figures.push(FrozenDecision {
            freezes: count,
            ms: spread(times),
            queries: (local.calls("dynamodb", "Query", None) - queries_before) as f64 / runs as f64,
            calls: (all_calls(&local) - calls_before) as f64 / runs as f64,
        });
    }
    figures
}

pub struct Release {
    pub pipelines: usize,
    /// From the unfreeze command's start.
    pub released: Released,
    pub release_notices: usize,
}

/// `pipelines` gated pipelines held by one freeze of everything, then released by one unfreeze.
pub async fn measure_release(pipelines: usize) -> Release {
    let local =
        Local::start_with_store(&[("NOTIFY_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:pipeguard")])
            .await;
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    local.route_stage_failures_to_stage_retry();
    local.route_pipeguard_events_to_stage_retry();
    let id = local.freeze(&["--reason", "bench: stop everything"]).await;
    let executions = held(
        &local,
        pipelines,
        r#"{"regions": ["us-east-1"], "health_source": "api"}"#,
    )
    .await;
    let started = now();
    let (code, _, stderr) = local
        .cli(&["unfreeze", &id, "--events-table", EVENT_STORE], &[])
        .await;
    assert_eq!(code, 0, "unfreeze: {stderr}");
    let released = released(&local, &executions, started).await;
    let release_notices = local
        .messages()
        .iter()
        .filter(|message| {
            message["subject"]
                .as_str()
                .is_some_and(|subject| subject.contains("released"))
        })
        .count();
    Release {
        pipelines,
        released,
        release_notices,
    }
}

/// The figures as the README shows them, and what broke.
pub fn table(decisions: &[FrozenDecision], release: &Release) -> (String, Vec<String>) {
    let mut table = "\n| health-gate with freezes | figure | : no freeze |\n| --- | --- | --- |\n".to_owned();
    let none = decisions.first();
    for decision in decisions {
        let (median, p10, p90) = decision.ms;
        let time_ratio = ratio(median, none.map(|none| none.ms.0));
        table.push_str(&format!(
            "| {} active freezes of other pipelines: decision time, median (p10 {p10:.1}, p90 {p90:.1}) | {median:.1} ms | {time_ratio} |\n",
            decision.freezes
        ));
        table.push_str(&format!(
            "| the same: freeze reads (DynamoDB Query), AWS calls per decision | {:.1}, {:.1} | {} |\n",
            decision.queries,
            decision.calls,
            ratio(decision.calls, none.map(|none| none.calls))
        ));
    }
    table.push_str(&format!(
        "| one unfreeze releasing {} held pipelines: to the last stage resumed, to the last deploy done | {:.2} s, {:.2} s | - |\n",
        release.pipelines, release.released.last_resumed_s, release.released.all_deployed_s
    ));
    table.push_str(&format!(
        "| the same: stages resumed (RetryStageExecution calls that took effect), release notices | {} of {}, {} | - |\n",
        release.released.resumes, release.pipelines, release.release_notices
    ));
    let mut problems = Vec::new();
    if decisions
        .iter()
        .any(|decision| (decision.queries - 1.0).abs() > f64::EPSILON)
    {
        problems.push("freezes: a decision did not read the freezes with exactly one Query".to_owned());
    }
    if release.release_notices != 1 {
        problems.push(format!(
            "freezes: one unfreeze sent {} release notices (one expected)",
            release.release_notices
        ));
    }
    if release.released.resumes != release.pipelines {
        problems.push(format!(
            "freezes: one unfreeze resumed {} stages for {} held pipelines (each exactly once expected)",
            release.released.resumes, release.pipelines
        ));
    }
    (table, problems)
}
