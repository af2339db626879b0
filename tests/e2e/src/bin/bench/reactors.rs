//! stage-retry's and apply-rollback's figures: cold start to a handled failure, memory, calls,
//! and a burst of failure notifications with duplicates.

use crate::{TIMEOUT, aws_calls, finished_at, peak_rss_mib, ratio, spread, warm_up};
use e2e::Local;
use serde_json::json;

/// stage-retry: cold start to a handled failure, calls per handled failure, and a burst of
/// failure notifications with duplicates mixed in.
pub struct RetryFigures {
    cold: (f64, f64, f64),
    peak_rss_mib: f64,
    calls_per_event: f64,
    burst_events: usize,
    burst_failures: usize,
    burst_seconds: f64,
    burst_retries: usize,
    burst_rss_mib: f64,
}

pub fn scripted_pipeline(local: &Local, name: &str, script: &[&str]) {
    local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": name, "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [{"name": "Apply", "category": "Deploy", "script": script}]}
        ]}),
    );
}

/// A function that reacts to pipeline failures, and the events that reach it.
pub struct Reactor {
    binary: &'static str,
    pub detail_type: &'static str,
    /// The Deploy action's script: the run that fails invokes the function.
    pub script: &'static [&'static str],
}

pub const STAGE_RETRY: Reactor = Reactor {
    binary: "stage-retry",
    detail_type: "CodePipeline Stage Execution State Change",
    script: &["fail:JobFailed:Rate exceeded", "succeed"],
};
pub const APPLY_ROLLBACK: Reactor = Reactor {
    binary: "apply-rollback",
    detail_type: "CodePipeline Stage Execution State Change",
    script: &["succeed", "fail:JobFailed:quota"],
};

/// Cold start to a handled failure (a fresh process per run), peak RSS, and AWS calls per
/// handled failure.
pub async fn measure_reactor(reactor: &Reactor, cold_runs: usize) -> ((f64, f64, f64), f64, f64) {
    let local = Local::start(&[]).await;
    let (mut cold, mut peak) = (Vec::new(), 0.0_f64);
    for run in 0..cold_runs {
        let (function, pipeline) = (format!("{}-{run}", reactor.binary), format!("pipeline-{run}"));
        let command = e2e::function_binary(reactor.binary).display().to_string();
        local.admin(
            "POST",
            "/_admin/functions",
            json!({"name": function, "command": command}),
        );
        scripted_pipeline(&local, &pipeline, reactor.script);
        let rule = json!({"source": "aws.codepipeline", "detail_type": reactor.detail_type, "state": "FAILED",
                          "pipeline": pipeline, "function": function});
        local.admin("POST", "/_admin/rules", rule);
        for _ in 0..reactor
            .script
            .iter()
            .position(|step| step.starts_with("fail"))
            .unwrap_or(0)
        {
            let id = local.start_execution(&pipeline);
            local.finished(&id, TIMEOUT).await;
        }
        local.start_execution(&pipeline);
        let done = local
            .wait_for(TIMEOUT, "the failure to be handled", || {
                finished_at(&local, &function, 0)
            })
            .await;
        let entry = local.function(&function);
        cold.push((done - entry["spawned_at"].as_f64().unwrap_or(done)) * 1000.0);
        peak = peak.max(peak_rss_mib(entry["pid"].as_u64()));
    }
    (spread(cold), peak, aws_calls(&local) as f64 / cold_runs as f64)
}

pub async fn measure_retry(cold_runs: usize, burst_failures: usize, copies: usize) -> RetryFigures {
    let (cold, peak, calls_per_event) = measure_reactor(&STAGE_RETRY, cold_runs).await;

    let burst = Local::start(&[]).await;
    let mut failed = Vec::new();
    for index in 0..burst_failures {
        let pipeline = format!("burst-{index}");
        scripted_pipeline(&burst, &pipeline, STAGE_RETRY.script);
        failed.push((pipeline.clone(), burst.start_execution(&pipeline)));
    }
    for (_, id) in &failed {
        burst.reaches(id, "Failed", TIMEOUT).await;
    }
    warm_up(&burst, "stage-retry").await;
    let started = std::time::Instant::now();
    for _ in 0..copies {
        for (pipeline, id) in &failed {
            let payload = json!({"source": "aws.codepipeline", "detail-type": "CodePipeline Stage Execution State Change",
                                 "detail": {"pipeline": pipeline, "execution-id": id, "stage": "Deploy", "state": "FAILED", "version": 1}});
            burst.admin(
                "POST",
                "/_admin/invoke",
                json!({"function": "stage-retry", "payload": payload}),
            );
        }
    }
    let events = burst_failures * copies;
    burst
        .wait_for(TIMEOUT * 5, "every burst event handled", || {
            finished_at(&burst, "stage-retry", events)
        })
        .await;
    let burst_seconds = started.elapsed().as_secs_f64();
    let pid = burst.function("stage-retry")["pid"].as_u64();
    RetryFigures {
        cold,
        peak_rss_mib: peak,
        calls_per_event,
        burst_events: events,
        burst_failures,
        burst_seconds,
        burst_retries: burst.successful_calls("codepipeline", "RetryStageExecution"),
        burst_rss_mib: peak_rss_mib(pid),
    }
}

impl RetryFigures {
    /// What the burst got wrong: every failure is retried exactly once, however often it is
    /// delivered.
    pub fn problems(&self) -> Vec<String> {
        (self.burst_retries != self.burst_failures)
            .then(|| {
                format!(
                    "stage-retry burst: {} retries started for {} failures",
                    self.burst_retries, self.burst_failures
                )
            })
            .into_iter()
            .collect()
    }
}

pub fn retry_table(figures: &RetryFigures, gate_cold_ms: f64) -> String {
    let mut table =
        String::from("| stage-retry | figure | : health-gate cold start |\n| --- | --- | --- |\n");
    let (median, p10, p90) = figures.cold;
    table.push_str(&format!(
        "| cold start to a handled failure, median (p10 {p10:.1}, p90 {p90:.1}) | {median:.1} ms | {} |\n",
        ratio(median, Some(gate_cold_ms))
    ));
    table.push_str(&format!("| peak RSS | {:.1} MiB | - |\n", figures.peak_rss_mib));
    table.push_str(&format!(
        "| CodePipeline calls per handled failure | {:.1} | - |\n",
        figures.calls_per_event
    ));
    table.push_str(&format!(
        "| burst: {} notifications ({} failures, each delivered {} times) | {:.0} events/s, {} retries, {:.1} MiB peak RSS | - |\n",
        figures.burst_events,
        figures.burst_failures,
        figures.burst_events / figures.burst_failures.max(1),
        figures.burst_events as f64 / figures.burst_seconds,
        figures.burst_retries,
        figures.burst_rss_mib
    ));
    table
}
