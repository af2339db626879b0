//! Alarms: what a decision costs with 0, 10, 100 (and more) watched CloudWatch alarms, all clear,
//! and how long one alarm's clearing takes to release many pipelines it held.

use crate::gate::decide;
use crate::held::{Released, held, released};
use crate::{aws_calls, now, ratio, spread};
use e2e::Local;
use serde_json::json;

/// How many names DescribeAlarms takes in one call (CloudWatch's `AlarmNames` limit).
const NAMES_PER_CALL: usize = 100;

/// One decision's figures with `alarms` watched alarms: time (median, p10, p90), DescribeAlarms
/// calls and every AWS call per decision.
pub struct WatchedDecision {
    pub alarms: usize,
    pub ms: (f64, f64, f64),
    pub describe_calls: f64,
    pub calls: f64,
}

fn alarm_name(index: usize) -> String {
    format!("bench-alarm-{index:04}")
}

fn set_alarm(local: &Local, name: &str, state: &str) {
    local.admin(
        "POST",
        "/_admin/cloudwatch/alarms",
        json!({"name": name, "state": state, "reason": "bench"}),
    );
}

/// `runs` decisions of a gate watching `count` clear alarms, for each count.
pub async fn measure_decisions(counts: &[usize], runs: usize) -> Vec<WatchedDecision> {
    let local = Local::start_with_store(&[]).await;
    let mut made = 0;
    let mut figures = Vec::new();
    for &count in counts {
        for index in made..count {
            set_alarm(&local, &alarm_name(index), "OK");
        }
        made = made.max(count);
        let watched: Vec<String> = (0..count).map(alarm_name).collect();
        let pipeline = format!("watching-{count}");
        local.gated_pipeline(
            &pipeline,
            &json!({"regions": ["us-east-1"], "health_source": "api", "alarms": watched}).to_string(),
            &["succeed"],
        );
        decide(&local, &pipeline).await;
        let describe_before = local.calls("monitoring", "DescribeAlarms", None);
        let calls_before = aws_calls(&local);
        let mut times = Vec::new();
        for _ in 0..runs {
            times.push(decide(&local, &pipeline).await.warm_ms);
        }
        figures.push(WatchedDecision {
            alarms: count,
            ms: spread(times),
            describe_calls: (local.calls("monitoring", "DescribeAlarms", None) - describe_before) as f64
                / runs as f64,
            calls: (aws_calls(&local) - calls_before) as f64 / runs as f64,
        });
    }
    figures
}

/// `pipelines` gated pipelines held by one firing alarm, then released by its clearing (the
/// "CloudWatch Alarm State Change" event to OK, routed as the template's rule routes it).
pub async fn measure_release(pipelines: usize) -> Released {
    let local = Local::start_with_store(&[]).await;
    local.route_stage_failures_to_stage_retry();
    local.route_alarm_clearings_to_stage_retry();
    set_alarm(&local, "bench-5xx", "ALARM");
    let executions = held(
        &local,
        pipelines,
        r#"{"regions": ["us-east-1"], "health_source": "api", "alarms": ["bench-5xx"]}"#,
    )
    .await;
    let started = now();
    set_alarm(&local, "bench-5xx", "OK");
    released(&local, &executions, started).await
}

/// The figures as the README shows them, and what broke.
pub fn table(decisions: &[WatchedDecision], pipelines: usize, release: &Released) -> (String, Vec<String>) {
    let mut table =
        "\n| health-gate with alarms | figure | : no alarm watched |\n| --- | --- | --- |\n".to_owned();
    let none = decisions.first();
    let mut problems = Vec::new();
    for decision in decisions {
        let (median, p10, p90) = decision.ms;
        table.push_str(&format!(
            "| {} watched alarms, all clear: decision time, median (p10 {p10:.1}, p90 {p90:.1}) | {median:.1} ms | {} |\n",
            decision.alarms,
            ratio(median, none.map(|none| none.ms.0))
        ));
        table.push_str(&format!(
            "| the same: DescribeAlarms calls, AWS calls per decision | {:.1}, {:.1} | {} |\n",
            decision.describe_calls,
            decision.calls,
            ratio(decision.calls, none.map(|none| none.calls))
        ));
        let pages = decision.alarms.div_ceil(NAMES_PER_CALL) as f64;
        if (decision.describe_calls - pages).abs() > f64::EPSILON {
            problems.push(format!(
                "alarms: a decision watching {} alarms made {:.1} DescribeAlarms calls ({pages} expected: one per {NAMES_PER_CALL} names)",
                decision.alarms, decision.describe_calls
            ));
        }
    }
    table.push_str(&format!(
        "| one alarm clearing releases {} held pipelines: to the last stage resumed, to the last deploy done | {:.2} s, {:.2} s | - |\n",
        pipelines, release.last_resumed_s, release.all_deployed_s
    ));
    table.push_str(&format!(
        "| the same: stages resumed (RetryStageExecution calls that took effect) | {} of {} | - |\n",
        release.resumes, pipelines
    ));
    if release.resumes != pipelines {
        problems.push(format!(
            "alarms: one clearing resumed {} stages for {} held pipelines (each exactly once expected)",
            release.resumes, pipelines
        ));
    }
    (table, problems)
}
