//! Load: a burst for each function against the emulator with a fixed latency on every AWS call,
//! checked (every job answered, every failure handled, nothing done twice) and timed.
//!
//! The emulated Lambda runs one process per function and hands it one invocation at a time, as
//! one Lambda instance would: the figures are one instance's throughput, with no concurrency.

use crate::{CALL_LATENCY_MS, TIMEOUT, aws_calls, peak_rss_mib, warm_up};
use e2e::Local;
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How big each burst is.
#[derive(Clone, Copy)]
pub struct Sizes {
    /// health-gate: this many gated pipelines, each started this many times at once.
    pub gate_pipelines: usize,
    pub gate_starts: usize,
    /// stage-retry: this many failed stages, each notified this many times.
    pub retry_failures: usize,
    pub retry_copies: usize,
    /// apply-rollback: this many pipelines, each failing this many times in turn.
    pub rollback_pipelines: usize,
    pub rollback_rounds: usize,
}

impl Sizes {
    pub const FULL: Self = Self {
        gate_pipelines: 20,
        gate_starts: 10,
        retry_failures: 250,
        retry_copies: 4,
        rollback_pipelines: 50,
        rollback_rounds: 4,
    };
    /// `bench --smoke`: 4 jobs, 10 notifications, 4 failures.
    pub const SMOKE: Self = Self {
        gate_pipelines: 2,
        gate_starts: 2,
        retry_failures: 5,
        retry_copies: 2,
        rollback_pipelines: 2,
        rollback_rounds: 2,
    };
}

/// One function's burst: what was sent, what came of it, and what went wrong.
pub struct Burst {
    function: &'static str,
    burst: String,
    handled: String,
    done_twice: usize,
    /// Jobs, notifications or failures, per `unit`.
    count: usize,
    unit: &'static str,
    seconds: f64,
    peak_rss_mib: f64,
    pub problems: Vec<String>,
}

pub async fn measure(sizes: Sizes) -> Vec<Burst> {
    vec![
        gate(sizes.gate_pipelines, sizes.gate_starts).await,
        retry(sizes.retry_failures, sizes.retry_copies).await,
        rollback(sizes.rollback_pipelines, sizes.rollback_rounds).await,
    ]
}

pub fn table(bursts: &[Burst]) -> String {
    let mut table = format!(
        "\nLoad: Lambda here runs one process per function and hands it one invocation at a time (one Lambda instance, no concurrency); {CALL_LATENCY_MS} ms added to every AWS call; wall time from the first job or delivery (apply-rollback: the first failing release) to the last one handled.\n\n\
         | function | burst | latency per AWS call | handled | done twice | throughput | peak RSS | wall time |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    );
    for burst in bursts {
        table.push_str(&format!(
            "| {} | {} | {CALL_LATENCY_MS} ms | {} | {} | {:.0} {}/s | {:.1} MiB | {:.2} s |\n",
            burst.function,
            burst.burst,
            burst.handled,
            burst.done_twice,
            burst.count as f64 / burst.seconds,
            burst.unit,
            burst.peak_rss_mib,
            burst.seconds
        ));
    }
    table
}

fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// Polls `done` until it holds; false after `timeout`.
async fn until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn check(problems: &mut Vec<String>, function: &str, holds: bool, what: impl FnOnce() -> String) {
    if !holds {
        problems.push(format!("{function}: {}", what()));
    }
}

fn list(local: &Local, path: &str) -> Vec<Value> {
    local
        .admin("GET", path, json!({}))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn executions_of(local: &Local, prefix: &str) -> Vec<Value> {
    local
        .executions()
        .into_iter()
        .filter(|execution| {
            execution["pipeline"]
                .as_str()
                .is_some_and(|pipeline| pipeline.starts_with(prefix))
        })
        .collect()
}

/// The function's calls of `operations` after the first `skip` calls: (made, answered 200).
fn calls_by(local: &Local, skip: usize, function: &str, operations: &[&str]) -> (usize, usize) {
    let calls: Vec<Value> = list(local, "/_admin/calls")
        .into_iter()
        .skip(skip)
        .filter(|call| {
            call["caller"] == function
                && call["operation"]
                    .as_str()
                    .is_some_and(|operation| operations.contains(&operation))
        })
        .collect();
    let answered = calls.iter().filter(|call| call["status"] == 200).count();
    (calls.len(), answered)
}

/// The time the function finished its last invocation.
fn last_finished(local: &Local, function: &str) -> f64 {
    list(local, &format!("/_admin/invocations/{function}"))
        .iter()
        .filter_map(|invocation| invocation["at"].as_f64())
        .fold(f64::NAN, f64::max)
}

/// Waits until the function has handled the `events` burst deliveries after its warm-up and has
/// nothing queued; a problem when it does not in time.
async fn drained(local: &Local, problems: &mut Vec<String>, function: &str, events: usize, what: &str) {
    let handled_all = until(TIMEOUT * 5, || {
        local.invocations(function) > events && list(local, &format!("/_admin/pending/{function}")).is_empty()
    })
    .await;
    check(problems, function, handled_all, || {
        format!(
            "{} of {events} {what} handled within {:?}",
            local.invocations(function).saturating_sub(1),
            TIMEOUT * 5
        )
    });
}

fn set_latency(local: &Local, ms: u64) {
    local.admin("POST", "/_admin/settings", json!({"latency_ms": ms}));
}

/// `pipelines` gated pipelines each started `starts` times at once: every job answered, once.
async fn gate(pipelines: usize, starts: usize) -> Burst {
    const FUNCTION: &str = "health-gate";
    let local = Local::start(&[]).await;
    let mut problems = Vec::new();
    local.gated_pipeline("warm-up", "us-east-1", &["succeed"]);
    let warm = local.start_execution("warm-up");
    local.finished(&warm, TIMEOUT).await;
    let names: Vec<String> = (0..pipelines).map(|index| format!("load-gate-{index}")).collect();
    for name in &names {
        local.gated_pipeline(name, "us-east-1", &["succeed"]);
    }
    set_latency(&local, CALL_LATENCY_MS);
    let calls_before = aws_calls(&local);
    let jobs = pipelines * starts;
    for _ in 0..starts {
        for name in &names {
            local.start_execution(name);
        }
    }
    let finished = until(TIMEOUT * 5, || {
        let executions = executions_of(&local, "load-gate-");
        executions.len() == jobs
            && executions
                .iter()
                .all(|execution| execution["status"] != "InProgress")
    })
    .await;
    check(&mut problems, FUNCTION, finished, || {
        format!("the {jobs} executions did not finish within {:?}", TIMEOUT * 5)
    });
    let burst_jobs: Vec<Value> = list(&local, "/_admin/jobs")
        .into_iter()
        .filter(|job| {
            job["pipeline"]
                .as_str()
                .is_some_and(|pipeline| pipeline.starts_with("load-gate-"))
        })
        .collect();
    let answered = burst_jobs.iter().filter(|job| job["answered"] == true).count();
    let (attempts, accepted) = calls_by(
        &local,
        calls_before,
        FUNCTION,
        &["PutJobSuccessResult", "PutJobFailureResult"],
    );
    let succeeded = executions_of(&local, "load-gate-")
        .iter()
        .filter(|execution| execution["status"] == "Succeeded")
        .count();
    check(&mut problems, FUNCTION, burst_jobs.len() == jobs, || {
        format!(
            "{} jobs for {jobs} executions (one each expected)",
            burst_jobs.len()
        )
    });
    check(&mut problems, FUNCTION, answered == jobs, || {
        format!("{answered} of {jobs} jobs answered")
    });
    check(
        &mut problems,
        FUNCTION,
        attempts == answered && accepted == answered,
        || format!("{attempts} job results sent ({accepted} accepted) for {answered} answered jobs"),
    );
    check(&mut problems, FUNCTION, succeeded == jobs, || {
        format!("{succeeded} of {jobs} executions succeeded (no AWS Health event is open)")
    });
    let failed = local.failed_invocations(FUNCTION);
    check(&mut problems, FUNCTION, failed == 0, || {
        format!("{failed} invocations failed")
    });
    let times =
        |field: &str| -> Vec<f64> { burst_jobs.iter().filter_map(|job| job[field].as_f64()).collect() };
    let first = times("created").into_iter().fold(f64::NAN, f64::min);
    let last = times("answered_at").into_iter().fold(f64::NAN, f64::max);
    Burst {
        function: FUNCTION,
        burst: format!("{jobs} jobs at once from {pipelines} pipelines (each started {starts} times)"),
        handled: format!("{answered} of {jobs} jobs answered"),
        done_twice: attempts.saturating_sub(answered),
        count: jobs,
        unit: "jobs",
        seconds: last - first,
        peak_rss_mib: peak_rss_mib(local.function(FUNCTION)["pid"].as_u64()),
        problems,
    }
}

/// `failures` failed stages, each notified `copies` times (the first half of the copies back to
/// back, the rest later in reverse order): exactly one retry per failure.
async fn retry(failures: usize, copies: usize) -> Burst {
    const FUNCTION: &str = "stage-retry";
    let local = Local::start(&[]).await;
    let mut problems = Vec::new();
    let mut failed = Vec::new();
    for index in 0..failures {
        let pipeline = format!("load-retry-{index}");
        crate::reactors::scripted_pipeline(&local, &pipeline, crate::reactors::STAGE_RETRY.script);
        failed.push((pipeline.clone(), local.start_execution(&pipeline)));
    }
    let all_failed = until(TIMEOUT, || {
        let executions = executions_of(&local, "load-retry-");
        executions.iter().all(|execution| execution["status"] == "Failed")
    })
    .await;
    check(&mut problems, FUNCTION, all_failed, || {
        format!("the {failures} pipelines did not all fail first")
    });
    warm_up(&local, FUNCTION).await;
    set_latency(&local, CALL_LATENCY_MS);
    let calls_before = aws_calls(&local);
    let early = copies.div_ceil(2);
    let mut order: Vec<&(String, String)> = failed
        .iter()
        .flat_map(|failure| std::iter::repeat_n(failure, early))
        .collect();
    order.extend(
        failed
            .iter()
            .rev()
            .flat_map(|failure| std::iter::repeat_n(failure, copies - early)),
    );
    let started = epoch_now();
    for (pipeline, id) in &order {
        let payload = json!({"source": "aws.codepipeline", "detail-type": "CodePipeline Stage Execution State Change",
                             "detail": {"pipeline": pipeline, "execution-id": id, "stage": "Deploy", "state": "FAILED", "version": 1}});
        local.admin(
            "POST",
            "/_admin/invoke",
            json!({"function": FUNCTION, "payload": payload}),
        );
    }
    let notifications = order.len();
    drained(&local, &mut problems, FUNCTION, notifications, "notifications").await;
    let seconds = last_finished(&local, FUNCTION) - started;
    until(TIMEOUT, || {
        executions_of(&local, "load-retry-")
            .iter()
            .all(|execution| execution["status"] != "InProgress")
    })
    .await;
    let mut retried_once = 0;
    let mut done_twice = 0;
    for (pipeline, id) in &failed {
        let execution = local.execution(id);
        let stage = execution["stages"]
            .as_array()
            .and_then(|stages| stages.iter().find(|stage| stage["name"] == "Deploy"))
            .cloned()
            .unwrap_or_default();
        let retries = stage["manual_retries"].as_u64().unwrap_or_default() as usize;
        match retries {
            1 => retried_once += 1,
            0 => problems.push(format!("{FUNCTION}: {pipeline}'s failure was never retried")),
            more => {
                done_twice += more - 1;
                problems.push(format!(
                    "{FUNCTION}: {pipeline}'s failure was retried {more} times"
                ));
            }
        }
        check(
            &mut problems,
            FUNCTION,
            execution["status"] == "Succeeded",
            || format!("{pipeline} ended {} after its retry", execution["status"]),
        );
    }
    let (_, started_retries) = calls_by(&local, calls_before, FUNCTION, &["RetryStageExecution"]);
    check(&mut problems, FUNCTION, started_retries == failures, || {
        format!("{started_retries} retries started for {failures} failures")
    });
    let failed_invocations = local.failed_invocations(FUNCTION);
    check(&mut problems, FUNCTION, failed_invocations == 0, || {
        format!("{failed_invocations} invocations failed")
    });
    Burst {
        function: FUNCTION,
        burst: format!("{notifications} notifications: {failures} failures, each delivered {copies} times"),
        handled: format!("{retried_once} of {failures} failures retried once"),
        done_twice: done_twice.max(started_retries.saturating_sub(failures)),
        count: notifications,
        unit: "events",
        seconds,
        peak_rss_mib: peak_rss_mib(local.function(FUNCTION)["pid"].as_u64()),
        problems,
    }
}

/// `pipelines` pipelines with a good execution, each failing `rounds` times in turn (released
/// again once its rollback has finished), every failure delivered twice: exactly one rollback
/// and one notice per failure.
async fn rollback(pipelines: usize, rounds: usize) -> Burst {
    const FUNCTION: &str = "apply-rollback";
    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";
    let local = Local::start(&[("NOTIFY_TOPIC_ARN", TOPIC)]).await;
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    let mut problems = Vec::new();
    let names: Vec<String> = (0..pipelines)
        .map(|index| format!("load-rollback-{index}"))
        .collect();
    for name in &names {
        crate::reactors::scripted_pipeline(&local, name, crate::reactors::APPLY_ROLLBACK.script);
        local.start_execution(name);
    }
    let good = until(TIMEOUT, || {
        let executions = executions_of(&local, "load-rollback-");
        executions
            .iter()
            .all(|execution| execution["status"] == "Succeeded")
    })
    .await;
    check(&mut problems, FUNCTION, good, || {
        format!("the {pipelines} pipelines' first executions did not all succeed")
    });
    // Two rules deliver every stage failure: EventBridge delivers at least once.
    for _ in 0..2 {
        local.admin(
            "POST",
            "/_admin/rules",
            json!({"source": "aws.codepipeline", "detail_type": crate::reactors::APPLY_ROLLBACK.detail_type,
                                                     "state": "FAILED", "function": FUNCTION}),
        );
    }
    warm_up(&local, FUNCTION).await;
    set_latency(&local, CALL_LATENCY_MS);
    let calls_before = aws_calls(&local);
    let failures = pipelines * rounds;
    let started = epoch_now();
    let mut released = vec![0_usize; pipelines];
    // Each pipeline is released again as soon as its last failure has been rolled back and the
    // rollback has finished; a failure that is not rolled back stalls its pipeline.
    let (mut progress, mut last_progress) = (0, Instant::now());
    loop {
        let executions = executions_of(&local, "load-rollback-");
        let mut rolled_back_all = 0;
        for (index, name) in names.iter().enumerate() {
            let mine: Vec<&Value> = executions
                .iter()
                .filter(|execution| execution["pipeline"] == *name)
                .collect();
            let running = mine.iter().any(|execution| execution["status"] == "InProgress");
            let rolled_back = mine
                .iter()
                .filter(|execution| execution["type"] == "ROLLBACK" && execution["status"] == "Succeeded")
                .count();
            rolled_back_all += rolled_back;
            if !running && rolled_back == released[index] && released[index] < rounds {
                local.start_execution(name);
                released[index] += 1;
            }
        }
        if rolled_back_all >= failures {
            break;
        }
        if rolled_back_all > progress {
            (progress, last_progress) = (rolled_back_all, Instant::now());
        } else if last_progress.elapsed() > TIMEOUT {
            problems.push(format!(
                "{FUNCTION}: stalled at {rolled_back_all} of {failures} failures rolled back: no rollback for {TIMEOUT:?}"
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deliveries = 2 * failures;
    drained(&local, &mut problems, FUNCTION, deliveries, "deliveries").await;
    let seconds = last_finished(&local, FUNCTION) - started;
    let executions = executions_of(&local, "load-rollback-");
    let mut handled = 0;
    let mut extra_rollbacks = 0;
    for name in &names {
        let mine: Vec<&Value> = executions
            .iter()
            .filter(|execution| execution["pipeline"] == *name)
            .collect();
        let count = |kind: &str, status: &str| {
            mine.iter()
                .filter(|execution| execution["type"] == kind && execution["status"] == status)
                .count()
        };
        let (failed, rollbacks) = (count("STANDARD", "Failed"), count("ROLLBACK", "Succeeded"));
        let other = mine.len() - failed - rollbacks - count("STANDARD", "Succeeded");
        handled += failed.min(rollbacks);
        extra_rollbacks += rollbacks.saturating_sub(failed);
        check(
            &mut problems,
            FUNCTION,
            failed == rounds && rollbacks == rounds && other == 0,
            || {
                format!(
                    "{name}: {failed} failures, {rollbacks} rollbacks finished, {other} other executions ({rounds} and {rounds} expected)"
                )
            },
        );
    }
    let (calls, started_rollbacks) = calls_by(&local, calls_before, FUNCTION, &["RollbackStage"]);
    check(&mut problems, FUNCTION, started_rollbacks == failures, || {
        format!("{started_rollbacks} rollbacks started for {failures} failures ({calls} RollbackStage calls)")
    });
    let subjects: Vec<String> = local
        .messages()
        .iter()
        .filter_map(|message| message["subject"].as_str().map(str::to_owned))
        .collect();
    let notices = subjects
        .iter()
        .filter(|subject| subject.ends_with(" Deploy rolled back"))
        .count();
    check(
        &mut problems,
        FUNCTION,
        notices == failures && subjects.len() == failures,
        || {
            let others: Vec<&String> = subjects
                .iter()
                .filter(|subject| !subject.ends_with(" Deploy rolled back"))
                .take(3)
                .collect();
            format!(
                "{notices} rolled-back notices for {failures} failures, and {} others (e.g. {others:?})",
                subjects.len() - notices
            )
        },
    );
    let failed_invocations = local.failed_invocations(FUNCTION);
    check(&mut problems, FUNCTION, failed_invocations == 0, || {
        format!("{failed_invocations} invocations failed")
    });
    Burst {
        function: FUNCTION,
        burst: format!(
            "{failures} failures across {pipelines} pipelines ({rounds} each, released again once rolled back), each delivered twice"
        ),
        handled: format!("{handled} of {failures} failures rolled back once"),
        done_twice: extra_rollbacks.max(started_rollbacks.saturating_sub(failures))
            + notices.saturating_sub(failures),
        count: failures,
        unit: "failures",
        seconds,
        peak_rss_mib: peak_rss_mib(local.function(FUNCTION)["pid"].as_u64()),
        problems,
    }
}
