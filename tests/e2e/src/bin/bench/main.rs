//! `make bench`: the health gate against a Python baseline that behaves like AWS's published
//! sample, both run as Lambda runs them (fresh processes under the Runtime API) against the same
//! emulator in the same run. Every figure is reported beside the baseline's, as a ratio.
//!
//! `bench --smoke` runs each measurement once with the Rust gate only, and the load bursts at a
//! tiny size, so `make test` keeps the harness from rotting without depending on Python packages.
//!
//! Every burst checks what it did (every job answered, every failure handled, nothing done twice,
//! the event store's final state): a broken check fails the bench, with the reason, and writes
//! no results.

mod accounts;
mod alarms;
mod cold;
mod freezes;
mod gate;
mod held;
mod load;
mod reactors;
mod scale;
mod store;

use e2e::{Local, bin_dir};
use gate::{Contender, Source};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
/// Latency the emulator adds to every AWS call in the warm measurement, so the warm figure shows
/// how many round trips a decision costs.
const CALL_LATENCY_MS: u64 = 10;

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

/// Seconds since the Unix epoch, as the emulator stamps its calls.
fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
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

fn finished_at(local: &Local, function: &str, nth: usize) -> Option<f64> {
    let invocations = local.admin("GET", &format!("/_admin/invocations/{function}"), json!({}));
    invocations
        .as_array()
        .and_then(|all| all.get(nth))
        .and_then(|invocation| invocation["at"].as_f64())
}

/// Warms the function up with an event it ignores, so a burst does not time a cold start.
async fn warm_up(local: &Local, function: &str) {
    let event = json!({"source": "aws.codepipeline", "detail-type": "warm-up", "detail": {}});
    local.admin(
        "POST",
        "/_admin/invoke",
        json!({"function": function, "payload": event}),
    );
    local
        .wait_for(TIMEOUT, &format!("{function} to start"), || {
            (local.invocations(function) >= 1).then_some(())
        })
        .await;
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

/// The gate deciding from the event store (an account without a support plan), against the
/// gate asking the API in the same run.
fn store_table(store: &gate::Figures, api: &gate::Figures) -> String {
    let (cold, warm) = (store.cold, store.warm);
    let mut table = String::from(
        "\n| health-gate from the event store (no support plan) | figure | : the gate asking the API |\n| --- | --- | --- |\n",
    );
    table.push_str(&format!(
        "| cold start to result, median (p10 {:.1}, p90 {:.1}) | {:.1} ms | {} |\n",
        cold.1,
        cold.2,
        cold.0,
        ratio(cold.0, Some(api.cold.0))
    ));
    table.push_str(&format!(
        "| warm decision at {CALL_LATENCY_MS} ms/call, median (p10 {:.1}, p90 {:.1}) | {:.1} ms | {} |\n",
        warm.1,
        warm.2,
        warm.0,
        ratio(warm.0, Some(api.warm.0))
    ));
    table.push_str(&format!(
        "| peak RSS | {:.1} MiB | {} |\n",
        store.peak_rss_mib,
        ratio(store.peak_rss_mib, Some(api.peak_rss_mib))
    ));
    table.push_str(&format!(
        "| AWS calls per decision (no open event) | {} | {} |\n",
        store.calls_per_decision,
        ratio(
            store.calls_per_decision as f64,
            Some(api.calls_per_decision as f64)
        )
    ));
    for (events, ms, queries, _) in &store.scale {
        table.push_str(&format!(
            "| {events} recorded open events: decision time, Query calls | {ms:.1} ms, {queries} | - |\n"
        ));
    }
    table
}

fn ratio(rust: f64, baseline: Option<f64>) -> String {
    match baseline {
        Some(baseline) if baseline > 0.0 => format!("{:.3}", rust / baseline),
        _ => "-".into(),
    }
}

/// Stops the bench when a function it would measure was built with the e2e crate's test clock
/// (cargo unifies features within one build): those are not the binaries that are deployed.
fn built_as_deployed() {
    for function in e2e::FUNCTIONS {
        let path = e2e::function_binary(function);
        let binary = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let has_test_clock = binary
            .windows(TEST_CLOCK_VARIABLE.len())
            .any(|window| window == TEST_CLOCK_VARIABLE);
        assert!(
            !has_test_clock,
            "{function} was built with the test clock: build the functions on their own, as `make bench` does"
        );
    }
}

/// What only a build with the test clock reads.
const TEST_CLOCK_VARIABLE: &[u8] = b"PIPEGUARD_TEST_CLOCK_FILE";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let smoke = std::env::args().any(|arg| arg == "--smoke");
    let (cold_runs, warm_runs, scale): (usize, usize, &[usize]) = if smoke {
        (1, 1, &[1, 100])
    } else {
        (15, 20, &[1, 100, 1000])
    };
    if !smoke {
        built_as_deployed();
    }
    println!(
        "health-gate benchmark: {cold_runs} cold starts, {warm_runs} warm decisions at {CALL_LATENCY_MS} ms per AWS call, {scale:?} open events"
    );
    let rust = gate::measure(&Contender::rust(), Source::Api, cold_runs, warm_runs, scale).await;
    let python = if smoke {
        None
    } else {
        Some(gate::measure(&Contender::python(), Source::Api, cold_runs, warm_runs, scale).await)
    };
    let platform_roots = gate::measure(
        &Contender::rust_with_platform_roots(),
        Source::Api,
        cold_runs,
        1,
        &[],
    )
    .await;

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
    let before = platform_roots.cold;
    row(
        format!(
            "before: cold start with the platform's trust store, median (p10 {:.1}, p90 {:.1})",
            before.1, before.2
        ),
        before.0,
        python.as_ref().map(|p| p.cold.0),
        "ms",
    );
    row(
        "before: peak RSS with the platform's trust store".into(),
        platform_roots.peak_rss_mib,
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
    let (cold_table, cold_problems) = match &python {
        Some(python) => {
            let release = cold::previous_release(python, cold_runs).await;
            cold::table(&rust, python, &release)
        }
        None => (String::new(), Vec::new()),
    };

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
    table.push_str(&cold_table);
    let (cold_runs_retry, failures, copies) = if smoke { (1, 5, 2) } else { (cold_runs, 100, 5) };
    let retry = reactors::measure_retry(cold_runs_retry, failures, copies).await;
    table.push('\n');
    table.push_str(&reactors::retry_table(&retry, rust.cold.0));
    let ((median, p10, p90), rss, calls) =
        reactors::measure_reactor(&reactors::APPLY_ROLLBACK, cold_runs_retry).await;
    table.push_str(&format!(
        "\n| apply-rollback | figure | : health-gate cold start |\n| --- | --- | --- |\n\
         | cold start to a handled failure, median (p10 {p10:.1}, p90 {p90:.1}) | {median:.1} ms | {} |\n\
         | peak RSS | {rss:.1} MiB | - |\n| CodePipeline calls per rolled-back failure | {calls:.1} | - |\n",
        ratio(median, Some(rust.cold.0))
    ));
    let store_scale: &[usize] = if smoke { &[1] } else { &[100] };
    let from_store = gate::measure(
        &Contender::rust_from_store(),
        Source::Store,
        cold_runs_retry,
        warm_runs,
        store_scale,
    )
    .await;
    table.push_str(&store_table(&from_store, &rust));
    let (events, copies) = if smoke { (5, 2) } else { (250, 2) };
    let recording = store::measure_recording(events, copies).await;
    table.push_str(&format!(
        "| recording: {} deliveries ({} events opened and closed, each update delivered {} times, half out of order) | {:.0} deliveries/s, final state {}, {:.1} MiB peak RSS | - |\n",
        recording.deliveries,
        recording.events,
        copies,
        recording.deliveries as f64 / recording.seconds,
        if recording.final_state_correct { "correct" } else { "WRONG" },
        recording.peak_rss_mib
    ));
    let (events, accounts, runs, pages_of) = if smoke {
        (20, 10, 2, 120)
    } else {
        (1000, 50, 10, 250)
    };
    let across_store = accounts::measure_store(events, accounts, runs).await;
    let across_organization = accounts::measure_organization(pages_of).await;
    let (across_table, across_problems) = accounts::table(&across_store, &across_organization);
    table.push_str(&across_table);
    let (freeze_counts, freeze_runs, held): (&[usize], usize, usize) = if smoke {
        (&[0, 1, 2], 2, 5)
    } else {
        (&[0, 1, 100], 10, 200)
    };
    let frozen = freezes::measure_decisions(freeze_counts, freeze_runs).await;
    let release = freezes::measure_release(held).await;
    let (freeze_table, freeze_problems) = freezes::table(&frozen, &release);
    table.push_str(&freeze_table);
    let (alarm_counts, alarm_runs, alarm_held): (&[usize], usize, usize) = if smoke {
        (&[0, 10, 101], 2, 5)
    } else {
        (&[0, 10, 100, 250], 10, 200)
    };
    let watched = alarms::measure_decisions(alarm_counts, alarm_runs).await;
    let cleared = alarms::measure_release(alarm_held).await;
    let (alarm_table, alarm_problems) = alarms::table(&watched, alarm_held, &cleared);
    table.push_str(&alarm_table);
    let (scale_sizes, scale_runs, scale_held): (&[usize], usize, usize) = if smoke {
        // Past the 200 items a sweep audits, so that each size's sweep reads as much.
        (&[300, 600], 2, 3)
    } else {
        (&[1_000, 20_000, 200_000], 10, 200)
    };
    let scaled = scale::measure(scale_sizes, scale_runs, scale_held).await;
    let (scale_table, scale_problems) = scale::table(&scaled, !smoke);
    table.push_str(&scale_table);
    let loads = load::measure(if smoke {
        load::Sizes::SMOKE
    } else {
        load::Sizes::FULL
    })
    .await;
    table.push_str(&load::table(&loads));
    let mut problems = cold_problems;
    problems.extend(retry.problems());
    if !recording.final_state_correct {
        problems.push(format!(
            "recording: the event store does not end with the {} events recorded and closed, or an invocation failed",
            recording.events
        ));
    }
    problems.extend(across_problems);
    problems.extend(freeze_problems);
    problems.extend(alarm_problems);
    problems.extend(scale_problems);
    problems.extend(loads.into_iter().flat_map(|burst| burst.problems));
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
    if !problems.is_empty() {
        eprintln!("\nbench: {} check(s) failed, no results written:", problems.len());
        for problem in &problems {
            eprintln!("  - {problem}");
        }
        std::process::exit(1);
    }
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
