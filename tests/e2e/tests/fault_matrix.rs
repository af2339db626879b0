//! The fault matrix: every AWS call each function makes, under every fault the emulator can
//! produce, checked against pipeguard's promises:
//! - health-gate: the job gets exactly one result, of the kind documented for that failure,
//!   within one invocation's timeout of the job starting;
//! - stage-retry and apply-rollback: at most one retry or rollback per failure across Lambda's
//!   redeliveries; an invocation that could not do its work fails (so Lambda delivers it again,
//!   and at last to the dead-letter queue), never succeeds silently; once the fault clears, a
//!   redrive from the dead-letter queue finishes the work; a notice that cannot be sent never
//!   fails the decision it reports;
//! - no notice is sent twice.
//!
//! Each cell runs on its own emulator. The matrix is printed and written to
//! `results/fault-matrix.md`; README.md shows the latest.

#[path = "fault_matrix/fail_closed.rs"]
mod fail_closed;
#[path = "fault_matrix/faults.rs"]
mod faults;
#[path = "fault_matrix/observed.rs"]
mod observed;
#[path = "fault_matrix/reactor.rs"]
mod reactor;
#[path = "fault_matrix/report.rs"]
mod report;

use aws_sdk_dynamodb::types::AttributeValue;
use e2e::{Local, action};
use fail_closed::fail_closed;
use faults::Fault;
use observed::{attempts, faulted, idle, no_notice_twice, timed_out};
use pipeguard_aws::{FREEZES_PARTITION, OVERRIDES_PARTITION};
use reactor::reactor_cell;
use report::{matrix, panic_text};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The functions' timeouts here: the gate keeps 10 s for reporting (as with the template's
/// 30 s), so it has 5 s to decide; stage-retry and apply-rollback get one SDK call's attempt
/// budget and a little more.
const GATE_TIMEOUT_MS: u64 = 15_000;
const REACTOR_TIMEOUT_MS: u64 = 8_000;
/// Longer than one SDK attempt may take (5 s, shared/aws/src/http.rs) and the gate's budget.
const LATENCY_MS: u64 = 6_000;
/// Lambda waits before retrying a failed invocation (about a minute on AWS). Long enough here
/// for a gate cell to clear its fault between the invocation it broke and the retry.
const RETRY_DELAY_MS: u64 = 1_500;
const CONCURRENT_CELLS: usize = 12;
const PHASE_TIMEOUT: Duration = Duration::from_secs(150);
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";
const STAGE_CHANGE: &str = "CodePipeline Stage Execution State Change";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    /// health-gate, no open event, a lock on another pipeline that is idle, notices on: passes.
    GateClear,
    /// health-gate with an open event in its region: blocks, and says so.
    GateBlocked,
    /// health-gate deciding from the event store, read whole (its index not yet marked complete:
    /// the marker's GetItem, then the region's Query).
    GateFromStore,
    /// health-gate deciding from the event store through its index, which a sweep marked
    /// complete before the fault.
    GateFromIndex,
    /// health-gate watching two workload accounts, one with an open issue, through the
    /// organizational view: blocks.
    GateAcrossAccounts,
    /// stage-retry: a deploy that fails once and succeeds when retried.
    RetryFlaky,
    /// stage-retry: a deploy that keeps failing; one retry, then a notice.
    RetryExhausted,
    /// stage-retry: the stage the gate held resumes when its event closes (recorded in the store).
    ResumeFromStore,
    /// The same without a store: AWS Health says the event closed.
    ResumeFromApi,
    /// The same for an event of a workload account: the organizational view says it closed.
    ResumeAcrossAccounts,
    /// apply-rollback: a deploy that worked, then failed, is rolled back.
    Rollback,
    /// health-gate with a freeze covering its pipeline (AWS Health asked through the API, so the
    /// one Query is the freezes'): blocks, naming the freeze.
    GateFrozen,
    /// stage-retry: the stage a freeze held resumes when someone unfreezes it.
    ResumeFromUnfreeze,
    /// health-gate with a freeze written by hand that does not read (its reason too long),
    /// covering its pipeline by prefix: blocks, naming it, whether or not it learns its
    /// pipeline's name.
    GateFrozenByHand,
    /// health-gate with a freeze covering its pipeline and an override of it in force (AWS
    /// Health asked through the API): passes on the override, or, when the overrides cannot be
    /// read, blocks naming the freeze.
    GateOverridden,
    /// stage-retry: the stage a freeze held resumes when someone overrides the freeze.
    ResumeFromOverride,
    /// health-gate watching one of the service's CloudWatch alarms, which is OK: passes.
    GateAlarms,
    /// health-gate watching a Change Calendar, which is OPEN: passes.
    GateCalendars,
}

impl Scenario {
    fn function(self) -> &'static str {
        match self {
            Scenario::GateClear
            | Scenario::GateBlocked
            | Scenario::GateFromStore
            | Scenario::GateFromIndex
            | Scenario::GateAcrossAccounts
            | Scenario::GateFrozen
            | Scenario::GateFrozenByHand
            | Scenario::GateOverridden
            | Scenario::GateAlarms
            | Scenario::GateCalendars => "health-gate",
            Scenario::Rollback => "apply-rollback",
            _ => "stage-retry",
        }
    }

    fn timeout_ms(self) -> u64 {
        timeout_ms(self.function())
    }

    fn uses_store(self) -> bool {
        matches!(
            self,
            Scenario::GateFromStore
                | Scenario::GateFromIndex
                | Scenario::ResumeFromStore
                | Scenario::GateFrozen
                | Scenario::ResumeFromUnfreeze
                | Scenario::GateFrozenByHand
                | Scenario::GateOverridden
                | Scenario::ResumeFromOverride
        )
    }
}

/// The workload account the across-accounts scenarios deploy into, and another one: watching two,
/// the gate asks the organizational view again, account by account, whose an account-specific
/// event is.
const WORKLOAD: &str = "222233334444";
const OTHER_WORKLOAD: &str = "333344445555";
/// The partition of the gate's events read in the store scenario: its one region.
const EVENTS_READ: &str = "us-east-1";
/// The partition of the index's marker, which the gate reads until it says complete.
const INDEX_MARKER: &str = "pipeguard#store";
/// The index key of the region's public events, which the gate asks the index for.
const INDEX_READ: &str = "us-east-1#public";

/// Every call each function makes, in the scenario that makes it, and the partition of the
/// table its fault names when the function reads more than one (the gate's events and freezes
/// share a table: a fault on both would let either read's failure pass for the other's).
const CALLS: [(Scenario, &str, &str, Option<&str>); 33] = [
    (Scenario::GateClear, "health", "DescribeEvents", None),
    (Scenario::GateClear, "codepipeline", "GetJobDetails", None),
    (
        Scenario::GateClear,
        "codepipeline",
        "ListPipelineExecutions",
        None,
    ),
    (Scenario::GateClear, "codepipeline", "PutJobSuccessResult", None),
    (Scenario::GateBlocked, "codepipeline", "PutJobFailureResult", None),
    (Scenario::GateBlocked, "sns", "Publish", None),
    (Scenario::GateFromStore, "dynamodb", "GetItem", Some(INDEX_MARKER)),
    (Scenario::GateFromStore, "dynamodb", "Query", Some(EVENTS_READ)),
    (Scenario::GateFromIndex, "dynamodb", "Query", Some(INDEX_READ)),
    (
        Scenario::GateFromStore,
        "dynamodb",
        "Query",
        Some(FREEZES_PARTITION),
    ),
    (
        Scenario::GateAcrossAccounts,
        "health",
        "DescribeEventsForOrganization",
        None,
    ),
    (Scenario::RetryFlaky, "codepipeline", "GetPipelineState", None),
    (Scenario::RetryFlaky, "codepipeline", "RetryStageExecution", None),
    (Scenario::RetryExhausted, "sns", "Publish", None),
    (Scenario::ResumeFromStore, "dynamodb", "PutItem", None),
    (Scenario::ResumeFromStore, "codepipeline", "ListPipelines", None),
    (Scenario::ResumeFromStore, "dynamodb", "GetItem", None),
    (Scenario::ResumeFromStore, "codepipeline", "GetPipeline", None),
    (Scenario::ResumeFromApi, "health", "DescribeEvents", None),
    (
        Scenario::ResumeAcrossAccounts,
        "health",
        "DescribeEventDetailsForOrganization",
        None,
    ),
    (Scenario::Rollback, "codepipeline", "GetPipelineState", None),
    (Scenario::Rollback, "codepipeline", "ListActionExecutions", None),
    (Scenario::Rollback, "codepipeline", "ListPipelineExecutions", None),
    (Scenario::Rollback, "codepipeline", "RollbackStage", None),
    (Scenario::Rollback, "sns", "Publish", None),
    (Scenario::GateFrozen, "dynamodb", "Query", None),
    (Scenario::ResumeFromUnfreeze, "dynamodb", "Query", None),
    (Scenario::GateFrozenByHand, "dynamodb", "Query", None),
    (Scenario::GateFrozenByHand, "codepipeline", "GetJobDetails", None),
    (
        Scenario::GateOverridden,
        "dynamodb",
        "Query",
        Some(OVERRIDES_PARTITION),
    ),
    (
        Scenario::ResumeFromOverride,
        "dynamodb",
        "Query",
        Some(OVERRIDES_PARTITION),
    ),
    // CloudWatch is faulted by its SigV4 name, `monitoring`.
    (Scenario::GateAlarms, "monitoring", "DescribeAlarms", None),
    (Scenario::GateCalendars, "ssm", "GetCalendarState", None),
];

#[derive(Clone, Copy, Debug)]
struct Cell {
    scenario: Scenario,
    service: &'static str,
    operation: &'static str,
    /// The only partition of the event store's table the fault hits, when it names one.
    partition: Option<&'static str>,
    fault: Fault,
}

impl Cell {
    /// The fault, for the function under test only: the command line that freezes and unfreezes
    /// around it reads the same table.
    fn fault_spec(&self) -> Value {
        let mut spec = self
            .fault
            .spec(self.service, self.operation, self.scenario.timeout_ms());
        spec["caller"] = json!(self.scenario.function());
        if let Some(partition) = self.partition {
            spec["table"] = json!(e2e::EVENT_STORE);
            spec["partition"] = json!(partition);
        }
        spec
    }

    /// The call, and which read it is when the fault names a partition.
    fn call(&self) -> String {
        match self.partition {
            Some(FREEZES_PARTITION) => format!("{} freezes", self.operation),
            Some(OVERRIDES_PARTITION) => format!("{} overrides", self.operation),
            Some(_) => format!("{} events", self.operation),
            None => self.operation.to_owned(),
        }
    }
}

fn timeout_ms(function: &str) -> u64 {
    if function == "health-gate" {
        GATE_TIMEOUT_MS
    } else {
        REACTOR_TIMEOUT_MS
    }
}

fn ensure(held: bool, broken: impl FnOnce() -> String) -> Result<(), String> {
    if held { Ok(()) } else { Err(broken()) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_of_every_function_under_every_fault_keeps_the_promises() {
    let cells: Vec<Cell> = CALLS
        .iter()
        .flat_map(|&(scenario, service, operation, partition)| {
            Fault::ALL.map(|fault| Cell {
                scenario,
                service,
                operation,
                partition,
                fault,
            })
        })
        .collect();
    let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CELLS));
    let mut running = tokio::task::JoinSet::new();
    for (index, cell) in cells.iter().copied().enumerate() {
        let slots = Arc::clone(&slots);
        running.spawn(async move {
            let _slot = slots.acquire_owned().await;
            // A cell that panics (a wait that timed out) is a broken cell, not a lost matrix.
            let outcome = tokio::spawn(run(cell))
                .await
                .unwrap_or_else(|panicked| Err(panic_text(panicked)));
            (index, outcome)
        });
    }
    let mut outcomes = vec![Err("did not run".to_owned()); cells.len()];
    while let Some(joined) = running.join_next().await {
        match joined {
            Ok((index, outcome)) => outcomes[index] = outcome,
            Err(error) => panic!("a cell panicked: {error}"),
        }
    }
    let table = matrix(&cells, &outcomes);
    println!("{table}");
    let results = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../results");
    if std::fs::create_dir_all(&results).is_ok() {
        let _ = std::fs::write(results.join("fault-matrix.md"), &table);
    }
    let broken: Vec<String> = cells
        .iter()
        .zip(&outcomes)
        .filter_map(|(cell, outcome)| {
            outcome.as_ref().err().map(|why| {
                format!(
                    "{} {}.{} {}: {why}",
                    cell.scenario.function(),
                    cell.service,
                    cell.call(),
                    cell.fault.label()
                )
            })
        })
        .collect();
    assert!(broken.is_empty(), "{table}\nbroken:\n{}", broken.join("\n"));
}

async fn run(cell: Cell) -> Result<(), String> {
    let local = set_up(cell.scenario).await;
    if cell.scenario.function() == "health-gate" {
        gate_cell(&local, cell).await
    } else {
        reactor_cell(&local, cell).await
    }
}

/// An emulator with the scenario's pipelines and rules, the function under test on its
/// timeout, and Lambda's retries delayed.
async fn set_up(scenario: Scenario) -> Local {
    let mut env = vec![("NOTIFY_TOPIC_ARN", TOPIC)];
    if scenario == Scenario::RetryExhausted {
        env.push(("RETRY_MAX_ATTEMPTS", "1"));
    }
    let local = if scenario.uses_store() {
        Local::start_with_store(&env).await
    } else {
        Local::start(&env).await
    };
    if scenario.uses_store() {
        env.push(("HEALTH_EVENTS_TABLE", e2e::EVENT_STORE));
    }
    // Every function on its timeout, as Lambda runs them: the gate also runs (unfaulted) in the
    // resume scenarios.
    for function in ["health-gate", scenario.function()] {
        local.register_with_timeout(function, &env, timeout_ms(function));
    }
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    local.admin(
        "POST",
        "/_admin/settings",
        json!({"retry_delay_ms": RETRY_DELAY_MS}),
    );
    let function = scenario.function();
    if function != "health-gate" {
        local.admin("POST", "/_admin/rules", json!({"source": "aws.codepipeline", "detail_type": STAGE_CHANGE, "state": "FAILED", "function": function}));
    }
    if matches!(
        scenario,
        Scenario::GateAcrossAccounts | Scenario::ResumeAcrossAccounts
    ) {
        local.organization(&[WORKLOAD, OTHER_WORKLOAD]);
    }
    if matches!(
        scenario,
        Scenario::ResumeFromStore | Scenario::ResumeFromApi | Scenario::ResumeAcrossAccounts
    ) {
        local.route_health_events_to_stage_retry();
    }
    if matches!(
        scenario,
        Scenario::ResumeFromUnfreeze | Scenario::ResumeFromOverride
    ) {
        local.route_pipeguard_events_to_stage_retry();
    }
    local
}

async fn gate_cell(local: &Local, cell: Cell) -> Result<(), String> {
    let parameters = match cell.scenario {
        Scenario::GateClear => {
            local.admin(
                "POST",
                "/_admin/pipelines",
                json!({"name": "cleanup", "stages": [{"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]}]}),
            );
            r#"{"regions": ["us-east-1"], "block_while_running": ["cleanup"]}"#
        }
        Scenario::GateFromStore => r#"{"regions": ["us-east-1"], "health_source": "events"}"#,
        Scenario::GateFromIndex => {
            local.sweep();
            local
                .invoked("stage-retry", 1, "the sweep that marks the index complete")
                .await;
            r#"{"regions": ["us-east-1"], "health_source": "events"}"#
        }
        Scenario::GateFrozen | Scenario::GateFrozenByHand | Scenario::GateOverridden => {
            r#"{"regions": ["us-east-1"], "health_source": "api"}"#
        }
        Scenario::GateAcrossAccounts => {
            r#"{"regions": ["us-east-1"], "accounts": ["222233334444", "333344445555"]}"#
        }
        Scenario::GateAlarms => {
            local.admin(
                "POST",
                "/_admin/cloudwatch/alarms",
                json!({"name": "web-5xx", "state": "OK"}),
            );
            r#"{"regions": ["us-east-1"], "alarms": ["web-5xx"]}"#
        }
        Scenario::GateCalendars => {
            local.admin(
                "POST",
                "/_admin/ssm/calendars",
                json!({"name": "year-end", "state": "OPEN"}),
            );
            r#"{"regions": ["us-east-1"], "change_calendars": ["year-end"]}"#
        }
        _ => r#"{"regions": ["us-east-1"]}"#,
    };
    let open_event = match cell.scenario {
        Scenario::GateBlocked => Some(local.open_issue("us-east-1", "EC2")),
        Scenario::GateAcrossAccounts => Some(local.open_issue_in("us-east-1", "EC2", &[WORKLOAD])),
        _ => None,
    };
    // Before the freezes: an override is granted only for a pipeline that exists.
    local.gated_pipeline("web-app", parameters, &["succeed"]);
    let freeze = match cell.scenario {
        Scenario::GateFrozen => Some(local.freeze(&["--reason", "INC-1"]).await),
        Scenario::GateOverridden => {
            let freeze = local.freeze(&["--reason", "INC-1"]).await;
            grant_override(local).await;
            Some(freeze)
        }
        Scenario::GateFrozenByHand => {
            local
                .freeze_by_hand(
                    "INC-1",
                    &[
                        ("frozen_by", AttributeValue::S("alice".into())),
                        ("reason", AttributeValue::S("x".repeat(501))),
                        ("since", AttributeValue::N("1796000000".into())),
                        ("prefix", AttributeValue::S("web-".into())),
                    ],
                )
                .await;
            Some("unreadable freeze INC-1: the reason is 501 characters".to_owned())
        }
        _ => None,
    };
    local.fault(cell.fault_spec());
    let id = local.start_execution("web-app");
    // The fault lasts for the gate's first invocation; Lambda's retry (if it needs one) runs
    // without it.
    local
        .invoked("health-gate", 1, "the gate's first invocation")
        .await;
    local.admin("DELETE", "/_admin/faults", json!({}));
    let execution = local.finished(&id, PHASE_TIMEOUT).await;
    idle(local, "health-gate").await;
    let calls = local.admin("GET", "/_admin/calls", json!({}));
    faulted(&calls, cell)?;

    let jobs: Vec<Value> = local
        .admin("GET", "/_admin/jobs", json!({}))
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure(jobs.len() == 1, || format!("{} jobs, expected 1", jobs.len()))?;
    let job = &jobs[0];
    ensure(job["answered"] == true, || "the job has no result".to_owned())?;
    let results = calls
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| {
            call["operation"]
                .as_str()
                .is_some_and(|operation| operation.starts_with("PutJob"))
                && call["status"] == 200
        })
        .count();
    ensure(results == 1, || format!("{results} results recorded"))?;
    let attempts = attempts(local, "health-gate");
    ensure(!attempts.iter().any(timed_out), || {
        "Lambda stopped the gate at its deadline".to_owned()
    })?;
    // Answered by the first invocation, unless the answer itself could not get through: then
    // that invocation fails, saying so, before its deadline, and Lambda's retry answers.
    let failed = attempts
        .iter()
        .filter(|attempt| !attempt["error"].is_null())
        .count();
    let reporting_faulted = cell.operation.starts_with("PutJob");
    ensure(failed == usize::from(reporting_faulted), || {
        format!("{failed} invocations failed; the gate fails one only when its answer cannot get through")
    })?;
    let took_ms = (job["answered_at"].as_f64().unwrap_or(f64::MAX)
        - job["created"].as_f64().unwrap_or_default())
        * 1000.0;
    ensure(reporting_faulted || took_ms <= GATE_TIMEOUT_MS as f64, || {
        format!("answered {took_ms:.0} ms after the job started, beyond the {GATE_TIMEOUT_MS} ms timeout")
    })?;

    let gate = action(&execution, "Gate", "HealthGate");
    let passed = gate["status"] == "Succeeded";
    let code = gate["error"]["code"].as_str().unwrap_or_default();
    let message = gate["error"]["message"].as_str().unwrap_or_default();
    match (cell.scenario, cell.operation) {
        // Fail closed: the gate could not ask what it must, so the deployment waits for a person.
        (Scenario::GateClear, "DescribeEvents" | "ListPipelineExecutions")
        | (
            Scenario::GateFromStore
            | Scenario::GateFromIndex
            | Scenario::GateAcrossAccounts
            | Scenario::GateFrozen
            | Scenario::GateAlarms
            | Scenario::GateCalendars,
            _,
        )
        | (Scenario::GateFrozenByHand, "Query") => {
            let (kind, words) = fail_closed(cell);
            ensure(
                !passed && code == kind && words.iter().all(|word| message.contains(word)),
                || format!("expected the gate to fail closed ({kind}, saying {words:?}), got {gate}"),
            )?;
        }
        // The pipeline's name and the report are not part of the decision.
        (Scenario::GateClear, _) => ensure(passed && gate["output_variables"]["verdict"] == "PASS", || {
            format!("expected PASS, got {gate}")
        })?,
        _ => {
            let arn = open_event.or(freeze).unwrap_or_default();
            ensure(!passed && code == "JobFailed" && message.contains(&arn), || {
                format!("expected BLOCKED naming {arn}, got {gate}")
            })?;
        }
    }
    no_notice_twice(local)
}

/// Break glass on web-app, for whatever blocks it, with the real command line.
async fn grant_override(local: &Local) {
    let (code, _, stderr) = local
        .cli(
            &[
                "override",
                "--pipeline",
                "web-app",
                "--reason",
                "INC-2: the fix",
                "--events-table",
                e2e::EVENT_STORE,
            ],
            &[],
        )
        .await;
    assert_eq!(code, 0, "override: {stderr}");
}
