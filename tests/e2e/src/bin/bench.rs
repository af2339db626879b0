//! `make bench`: the health gate against a Python baseline that behaves like AWS's published
//! sample, both run as Lambda runs them (fresh processes under the Runtime API) against the same
//! emulator in the same run. Every figure is reported beside the baseline's, as a ratio.
//!
//! `bench --smoke` runs each measurement once with the Rust gate only, so `make test` keeps the
//! harness from rotting without depending on Python packages.

use e2e::{Local, bin_dir};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
/// Latency the emulator adds to every AWS call in the warm measurement, so the warm figure shows
/// how many round trips a decision costs.
const CALL_LATENCY_MS: u64 = 10;

/// A health gate under test: how Lambda starts it.
struct Contender {
    command: String,
    args: Vec<String>,
    cwd: Option<String>,
}

impl Contender {
    fn rust() -> Self {
        Self {
            command: e2e::function_binary("health-gate").display().to_string(),
            args: vec![],
            cwd: None,
        }
    }

    fn python() -> Self {
        let baseline = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("baseline");
        Self {
            command: "python3".into(),
            args: ["-m", "awslambdaric", "health_gate_sample.handler"]
                .map(String::from)
                .to_vec(),
            cwd: Some(baseline.display().to_string()),
        }
    }

    /// Registers a new function (so its first invocation is a cold start) and a pipeline that
    /// runs only it.
    fn deploy(&self, local: &Local, name: &str) {
        local.admin(
            "POST",
            "/_admin/functions",
            json!({"name": name, "command": self.command, "args": self.args, "cwd": self.cwd}),
        );
        local.admin(
            "POST",
            "/_admin/pipelines",
            json!({"name": name, "stages": [{"name": "Gate", "actions": [
                {"name": "HealthGate", "category": "Invoke", "lambda": {"function": name, "user_parameters": "us-east-1"}}
            ]}]}),
        );
    }
}

/// One decision: from process start (cold) or job creation (warm) to the job's result.
struct Decision {
    cold_ms: f64,
    warm_ms: f64,
    pid: Option<u64>,
}

async fn decide(local: &Local, pipeline: &str) -> Decision {
    let answered_before = answered_jobs(local, pipeline).len();
    local.start_execution(pipeline);
    let job = local
        .wait_for(TIMEOUT, &format!("{pipeline}'s job result"), || {
            answered_jobs(local, pipeline).into_iter().nth(answered_before)
        })
        .await;
    let functions = local.admin("GET", "/_admin/functions", json!({}));
    let function = functions
        .as_array()
        .and_then(|all| all.iter().find(|f| f["name"] == pipeline))
        .cloned()
        .unwrap_or_default();
    let answered = job["answered_at"].as_f64().unwrap_or_default();
    Decision {
        cold_ms: (answered - function["spawned_at"].as_f64().unwrap_or(answered)) * 1000.0,
        warm_ms: (answered - job["created"].as_f64().unwrap_or(answered)) * 1000.0,
        pid: function["pid"].as_u64(),
    }
}

/// The pipeline's answered jobs, oldest first.
fn answered_jobs(local: &Local, pipeline: &str) -> Vec<Value> {
    let jobs = local.admin("GET", "/_admin/jobs", json!({}));
    let mut answered: Vec<Value> = jobs
        .as_array()
        .into_iter()
        .flatten()
        .filter(|job| job["pipeline"] == pipeline && job["answered"] == true)
        .cloned()
        .collect();
    answered.sort_by(|a, b| {
        a["created"]
            .as_f64()
            .unwrap_or_default()
            .total_cmp(&b["created"].as_f64().unwrap_or_default())
    });
    answered
}

/// Peak resident memory of a process (VmHWM), in MiB.
fn peak_rss_mib(pid: Option<u64>) -> f64 {
    let status = pid
        .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kib.unwrap_or(f64::NAN) / 1024.0
}

fn aws_calls(local: &Local) -> usize {
    local
        .admin("GET", "/_admin/calls", json!({}))
        .as_array()
        .map_or(0, Vec::len)
}

/// Median and the 10th and 90th percentiles.
fn spread(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        samples
            .get(((samples.len() - 1) as f64 * fraction).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    (at(0.5), at(0.1), at(0.9))
}

/// Everything measured for one contender.
struct Figures {
    cold: (f64, f64, f64),
    warm: (f64, f64, f64),
    peak_rss_mib: f64,
    calls_per_decision: usize,
    /// Open events → (decision ms, DescribeEvents calls, peak RSS after).
    scale: Vec<(usize, f64, usize, f64)>,
}

async fn measure(contender: &Contender, cold_runs: usize, warm_runs: usize, scale: &[usize]) -> Figures {
    let local = Local::start(&[]).await;
    let mut cold = Vec::new();
    let mut peak: f64 = 0.0;
    for run in 0..cold_runs {
        let name = format!("gate-{run}");
        contender.deploy(&local, &name);
        let decision = decide(&local, &name).await;
        cold.push(decision.cold_ms);
        peak = peak.max(peak_rss_mib(decision.pid));
    }
    let before = aws_calls(&local);
    decide(&local, "gate-0").await;
    let calls_per_decision = aws_calls(&local) - before;
    local.admin("POST", "/_admin/settings", json!({"latency_ms": CALL_LATENCY_MS}));
    let mut warm = Vec::new();
    for _ in 0..warm_runs {
        warm.push(decide(&local, "gate-0").await.warm_ms);
    }
    local.admin("POST", "/_admin/settings", json!({"latency_ms": 0}));
    let mut scaled = Vec::new();
    let mut opened = 0;
    for &events in scale {
        while opened < events {
            local.admin("POST", "/_admin/health/events", json!({"service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE", "region": "us-east-1"}));
            opened += 1;
        }
        let pages_before = local.calls("health", "DescribeEvents", None);
        let decision = decide(&local, "gate-0").await;
        let pages = local.calls("health", "DescribeEvents", None) - pages_before;
        scaled.push((events, decision.warm_ms, pages, peak_rss_mib(decision.pid)));
    }
    Figures {
        cold: spread(cold),
        warm: spread(warm),
        peak_rss_mib: peak,
        calls_per_decision,
        scale: scaled,
    }
}

/// stage-retry: cold start to a handled failure, calls per handled failure, and a burst of
/// failure notifications with duplicates mixed in.
struct RetryFigures {
    cold: (f64, f64, f64),
    peak_rss_mib: f64,
    calls_per_event: f64,
    burst_events: usize,
    burst_failures: usize,
    burst_seconds: f64,
    burst_retries: usize,
    burst_rss_mib: f64,
}

fn scripted_pipeline(local: &Local, name: &str, script: &[&str]) {
    local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": name, "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [{"name": "Apply", "category": "Deploy", "script": script}]}
        ]}),
    );
}

fn finished_at(local: &Local, function: &str, nth: usize) -> Option<f64> {
    let invocations = local.admin("GET", &format!("/_admin/invocations/{function}"), json!({}));
    invocations
        .as_array()
        .and_then(|all| all.get(nth))
        .and_then(|invocation| invocation["at"].as_f64())
}

/// A function that reacts to pipeline failures, and the events that reach it.
struct Reactor {
    binary: &'static str,
    detail_type: &'static str,
    /// The Deploy action's script: the run that fails invokes the function.
    script: &'static [&'static str],
}

const STAGE_RETRY: Reactor = Reactor {
    binary: "stage-retry",
    detail_type: "CodePipeline Stage Execution State Change",
    script: &["fail:JobFailed:Rate exceeded", "succeed"],
};
const APPLY_ROLLBACK: Reactor = Reactor {
    binary: "apply-rollback",
    detail_type: "CodePipeline Stage Execution State Change",
    script: &["succeed", "fail:JobFailed:quota"],
};

/// Cold start to a handled failure (a fresh process per run), peak RSS, and AWS calls per
/// handled failure.
async fn measure_reactor(reactor: &Reactor, cold_runs: usize) -> ((f64, f64, f64), f64, f64) {
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
        let functions = local.admin("GET", "/_admin/functions", json!({}));
        let entry = functions
            .as_array()
            .and_then(|all| all.iter().find(|f| f["name"] == function))
            .cloned()
            .unwrap_or_default();
        cold.push((done - entry["spawned_at"].as_f64().unwrap_or(done)) * 1000.0);
        peak = peak.max(peak_rss_mib(entry["pid"].as_u64()));
    }
    (spread(cold), peak, aws_calls(&local) as f64 / cold_runs as f64)
}

async fn measure_retry(cold_runs: usize, burst_failures: usize, copies: usize) -> RetryFigures {
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
    let warm_up = json!({"source": "aws.codepipeline", "detail-type": "warm-up", "detail": {}});
    burst.admin(
        "POST",
        "/_admin/invoke",
        json!({"function": "stage-retry", "payload": warm_up}),
    );
    burst
        .wait_for(TIMEOUT, "stage-retry to start", || {
            finished_at(&burst, "stage-retry", 0)
        })
        .await;
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
    let functions = burst.admin("GET", "/_admin/functions", json!({}));
    let pid = functions
        .as_array()
        .and_then(|all| all.iter().find(|f| f["name"] == "stage-retry"))
        .and_then(|f| f["pid"].as_u64());
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

fn retry_table(figures: &RetryFigures, gate_cold_ms: f64) -> String {
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

fn zip_size_mib(function: &str) -> Option<f64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| bin_dir().parent().map(PathBuf::from))?;
    let zip = target.join(format!("lambda/{function}/bootstrap.zip"));
    std::fs::metadata(zip)
        .ok()
        .map(|meta| meta.len() as f64 / (1024.0 * 1024.0))
}

fn ratio(rust: f64, baseline: Option<f64>) -> String {
    match baseline {
        Some(baseline) if baseline > 0.0 => format!("{:.3}", rust / baseline),
        _ => "-".into(),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let smoke = std::env::args().any(|arg| arg == "--smoke");
    let (cold_runs, warm_runs, scale): (usize, usize, &[usize]) = if smoke {
        (1, 1, &[1, 100])
    } else {
        (15, 20, &[1, 100, 1000])
    };
    println!(
        "health-gate benchmark: {cold_runs} cold starts, {warm_runs} warm decisions at {CALL_LATENCY_MS} ms per AWS call, {scale:?} open events"
    );
    let rust = measure(&Contender::rust(), cold_runs, warm_runs, scale).await;
    let python = if smoke {
        None
    } else {
        Some(measure(&Contender::python(), cold_runs, warm_runs, scale).await)
    };

    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    let mut row = |name: String, rust_value: f64, baseline: Option<f64>, unit: &str| {
        let shown = |value: f64| format!("{value:.1} {unit}");
        rows.push((
            name,
            shown(rust_value),
            baseline.map_or("-".into(), shown),
            ratio(rust_value, baseline),
        ));
    };
    let (cold, warm) = (rust.cold, rust.warm);
    row(
        format!(
            "cold start to result, median (p10 {:.1}, p90 {:.1})",
            cold.1, cold.2
        ),
        cold.0,
        python.as_ref().map(|p| p.cold.0),
        "ms",
    );
    row(
        format!(
            "warm decision at {CALL_LATENCY_MS} ms/call, median (p10 {:.1}, p90 {:.1})",
            warm.1, warm.2
        ),
        warm.0,
        python.as_ref().map(|p| p.warm.0),
        "ms",
    );
    row(
        "peak RSS of the function process".into(),
        rust.peak_rss_mib,
        python.as_ref().map(|p| p.peak_rss_mib),
        "MiB",
    );
    row(
        "AWS calls per decision (no open event)".into(),
        rust.calls_per_decision as f64,
        python.as_ref().map(|p| p.calls_per_decision as f64),
        "calls",
    );
    for (index, (events, ms, pages, rss)) in rust.scale.iter().enumerate() {
        let baseline = python.as_ref().and_then(|p| p.scale.get(index));
        row(
            format!("{events} open events: decision time"),
            *ms,
            baseline.map(|b| b.1),
            "ms",
        );
        row(
            format!("{events} open events: DescribeEvents calls"),
            *pages as f64,
            baseline.map(|b| b.2 as f64),
            "calls",
        );
        row(
            format!("{events} open events: peak RSS"),
            *rss,
            baseline.map(|b| b.3),
            "MiB",
        );
    }
    let zip = zip_size_mib("health-gate");

    let mut table = String::from(
        "| measure | pipeguard (Rust) | Python sample | Rust : Python |\n| --- | --- | --- | --- |\n",
    );
    for (name, rust_value, baseline, ratio) in &rows {
        table.push_str(&format!("| {name} | {rust_value} | {baseline} | {ratio} |\n"));
    }
    table.push_str(&format!(
        "| deployment package | {} | the .py file; boto3 comes with the runtime | - |\n",
        zip.map_or("not built (make package)".into(), |mib| format!(
            "{mib:.2} MiB arm64 zip"
        ))
    ));
    let (cold_runs_retry, failures, copies) = if smoke { (1, 5, 2) } else { (cold_runs, 100, 5) };
    let retry = measure_retry(cold_runs_retry, failures, copies).await;
    table.push('\n');
    table.push_str(&retry_table(&retry, rust.cold.0));
    let ((median, p10, p90), rss, calls) = measure_reactor(&APPLY_ROLLBACK, cold_runs_retry).await;
    table.push_str(&format!(
        "\n| apply-rollback | figure | : health-gate cold start |\n| --- | --- | --- |\n\
         | cold start to a handled failure, median (p10 {p10:.1}, p90 {p90:.1}) | {median:.1} ms | {} |\n\
         | peak RSS | {rss:.1} MiB | - |\n| CodePipeline calls per rolled-back failure | {calls:.1} | - |\n",
        ratio(median, Some(rust.cold.0))
    ));
    let zips: Vec<String> = e2e::FUNCTIONS
        .iter()
        .map(|function| {
            format!(
                "{function} {}",
                zip_size_mib(function)
                    .map_or("not built (make package)".into(), |mib| format!("{mib:.2} MiB"))
            )
        })
        .collect();
    table.push_str(&format!(
        "\narm64 deployment packages (cargo lambda): {}\n",
        zips.join(", ")
    ));
    println!("\n{table}");
    println!("The Python sample reads one page and has no error handling; pipeguard reads every page.");
    if !smoke {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let results = root.canonicalize().unwrap_or(root).join("results");
        let json_rows: Vec<Value> = rows.iter().map(|(name, rust, python, ratio)| json!({"measure": name, "rust": rust, "python": python, "ratio": ratio})).collect();
        let written = std::fs::create_dir_all(&results)
            .and_then(|()| std::fs::write(results.join("bench.md"), &table))
            .and_then(|()| {
                std::fs::write(
                    results.join("bench.json"),
                    serde_json::to_string_pretty(&json_rows).unwrap_or_default(),
                )
            });
        match written {
            Ok(()) => println!("written to {}", results.display()),
            Err(error) => println!("could not write results: {error}"),
        }
    }
}
