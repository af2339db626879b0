//! Operators can see pipeguard work without extra calls: each function writes CloudWatch
//! Embedded Metric Format lines to its log, one namespace, few and low-cardinality dimensions,
//! and one log line per decision whose fields are values a query can match (Lambda's JSON log
//! format, as the template configures it).

use e2e::Local;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
const STAGE_CHANGE: &str = "CodePipeline Stage Execution State Change";

/// The EMF lines a function wrote.
fn metric_lines(dir: &Path, function: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join(format!("{function}.log")))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect()
}

/// `(metric, dimension values)` of each line, checking on the way that it is well-formed EMF
/// with only the dimensions pipeguard allows.
fn counted(lines: &[Value]) -> Vec<(String, Vec<(String, String)>)> {
    lines
        .iter()
        .map(|line| {
            let directive = &line["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], "pipeguard", "{line}");
            assert!(line["_aws"]["Timestamp"].is_u64(), "{line}");
            let metric = directive["Metrics"][0]["Name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert_eq!(line[&metric], 1, "{line}");
            let mut names: Vec<String> = directive["Dimensions"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|set| set.as_array().cloned().unwrap_or_default())
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect();
            names.sort();
            names.dedup();
            for name in &names {
                assert!(
                    ["Function", "Verdict", "HealthSource", "ErrorType"].contains(&name.as_str()),
                    "dimension {name} in {line}"
                );
            }
            let values = names
                .iter()
                .map(|name| (name.clone(), line[name].as_str().unwrap_or_default().to_owned()))
                .collect();
            (metric, values)
        })
        .collect()
}

fn has(counted: &[(String, Vec<(String, String)>)], metric: &str, dimension: (&str, &str)) -> bool {
    counted.iter().any(|(name, values)| {
        name == metric
            && values
                .iter()
                .any(|(key, value)| key == dimension.0 && value == dimension.1)
    })
}

/// Every function decides at least once (the gate blocks one pipeline and finds another
/// misconfigured, stage-retry retries, apply-rollback rolls back) and stage-retry fails an
/// invocation, with each function's output in
/// `<dir>/<function>.log` and Lambda's JSON log format. The emulator, with its executions.
async fn every_function_decides(dir: &Path) -> Local {
    std::fs::create_dir_all(dir).unwrap();
    let local = Local::start(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")]).await;
    local.admin(
        "POST",
        "/_admin/settings",
        json!({"log_dir": dir.display().to_string()}),
    );
    local.admin("POST", "/_admin/rules", json!({"source": "aws.codepipeline", "detail_type": STAGE_CHANGE, "state": "FAILED", "pipeline": "flaky", "function": "stage-retry"}));
    local.admin("POST", "/_admin/rules", json!({"source": "aws.codepipeline", "detail_type": STAGE_CHANGE, "state": "FAILED", "pipeline": "infra", "function": "apply-rollback"}));
    let scripted = |name: &str, script: &[&str]| {
        local.admin("POST", "/_admin/pipelines", json!({"name": name, "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [{"name": "Apply", "category": "Deploy", "script": script}]}
        ]}));
    };
    scripted("flaky", &["fail:JobFailed:Rate exceeded", "succeed"]);
    scripted("infra", &["succeed", "fail:JobFailed:quota"]);
    let issue = local.open_issue("us-east-1", "EC2");
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let blocked = local.start_execution("web-app");
    local.finished(&blocked, TIMEOUT).await;
    local.gated_pipeline("misconfigured", r#"{"on_block": "sometimes"}"#, &["succeed"]);
    let misconfigured = local.start_execution("misconfigured");
    local.finished(&misconfigured, TIMEOUT).await;
    local.close_issue(&issue);
    local
        .reaches(&local.start_execution("flaky"), "Succeeded", TIMEOUT)
        .await;
    let good = local.start_execution("infra");
    local.reaches(&good, "Succeeded", TIMEOUT).await;
    local.start_execution("infra");
    local.invoked("apply-rollback", 1, "the rollback decision").await;
    // A failure stage-retry cannot handle now: counted, and delivered again.
    local.fault(json!({"service": "codepipeline", "operation": "GetPipelineState", "kind": "server-error"}));
    local.admin(
        "POST",
        "/_admin/invoke",
        json!({"function": "stage-retry", "payload": {
        "source": "aws.codepipeline", "detail-type": STAGE_CHANGE,
        "detail": {"pipeline": "flaky", "execution-id": "e9", "stage": "Deploy", "state": "FAILED"}}}),
    );
    local
        .wait_for(TIMEOUT, "the failed deliveries", || {
            (local.failed_invocations("stage-retry") == 3).then_some(())
        })
        .await;

    local
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_counts_its_decisions_and_failures_in_emf_lines() {
    let dir = std::env::temp_dir().join(format!("pipeguard-emf-{}", std::process::id()));
    let local = every_function_decides(&dir).await;
    let gate = counted(&metric_lines(&dir, "health-gate"));
    assert!(has(&gate, "Decisions", ("Verdict", "BLOCKED")), "{gate:?}");
    assert!(has(&gate, "Decisions", ("HealthSource", "api")), "{gate:?}");
    let retry = counted(&metric_lines(&dir, "stage-retry"));
    assert!(has(&retry, "Decisions", ("Verdict", "RETRY")), "{retry:?}");
    assert!(
        has(&retry, "Errors", ("ErrorType", "CodePipelineCallFailed")),
        "{retry:?}"
    );
    let rollback = counted(&metric_lines(&dir, "apply-rollback"));
    assert!(
        has(&rollback, "Decisions", ("Verdict", "ROLLBACK")),
        "{rollback:?}"
    );
    let executions = local.admin("GET", "/_admin/executions", json!({}));
    let everything = [&gate, &retry, &rollback]
        .iter()
        .flat_map(|lines| lines.iter())
        .map(|line| format!("{line:?}"))
        .collect::<String>();
    for execution in executions.as_array().into_iter().flatten() {
        let id = execution["id"].as_str().unwrap_or_default();
        assert!(!everything.contains(id), "execution id {id} in a metric");
    }
    assert!(
        !everything.contains("web-app") && !everything.contains("flaky"),
        "no pipeline names"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The fields of each decision line a function logged (Lambda's JSON format: `fields`), with
/// the line's level among them.
fn decisions(dir: &Path, function: &str, message: &str) -> Vec<serde_json::Map<String, Value>> {
    std::fs::read_to_string(dir.join(format!("{function}.log")))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|line| {
            let mut fields = line.get("fields").and_then(Value::as_object).cloned()?;
            fields.insert("level".into(), line.get("level").cloned().unwrap_or_default());
            Some(fields)
        })
        .filter(|fields| fields.get("message").and_then(Value::as_str) == Some(message))
        .collect()
}

/// A field's text, or a failure naming the field and the line.
fn text<'a>(fields: &'a serde_json::Map<String, Value>, name: &str) -> &'a str {
    fields
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no text field {name} in {fields:?}"))
}

/// Every field is a value (a string, number or boolean), never Rust's debug text of one, and
/// the verdict is one of the upper-case labels every function uses.
fn check_values(fields: &serde_json::Map<String, Value>) {
    for (name, value) in fields {
        assert!(!value.is_array() && !value.is_object(), "{name} in {fields:?}");
        let text = value.as_str().unwrap_or_default();
        assert!(
            !text.starts_with("Some(") && !text.starts_with("None") && !text.starts_with("[\""),
            "{name} is debug text in {fields:?}"
        );
    }
    let verdict = text(fields, "verdict");
    assert!(
        !verdict.is_empty() && verdict.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
        "{fields:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_logs_its_decision_as_one_line_of_values_a_query_can_match() {
    let dir = std::env::temp_dir().join(format!("pipeguard-decision-logs-{}", std::process::id()));
    every_function_decides(&dir).await;

    let gate = decisions(&dir, "health-gate", "gate decision");
    let blocked = gate
        .iter()
        .find(|fields| fields.get("verdict") == Some(&json!("BLOCKED")))
        .unwrap_or_else(|| panic!("no blocked decision in {gate:?}"));
    check_values(blocked);
    assert_eq!(
        blocked.get("pipeline"),
        None,
        "the gate asks its pipeline's name only for a notice or a lock: unknown, so absent"
    );
    assert_eq!(text(blocked, "regions"), "us-east-1");
    assert_eq!(text(blocked, "health_source"), "api");
    assert!(!text(blocked, "job_id").is_empty());
    assert!(
        text(blocked, "reason").starts_with("Deployment blocked by 1 AWS Health event"),
        "{blocked:?}"
    );
    assert_eq!(
        blocked.get("services"),
        None,
        "every service is watched: no field"
    );
    assert_eq!(text(blocked, "level"), "INFO");
    let misconfigured = gate
        .iter()
        .find(|fields| fields.get("verdict") == Some(&json!("MISCONFIGURED")))
        .unwrap_or_else(|| panic!("no misconfigured decision in {gate:?}"));
    check_values(misconfigured);
    assert_eq!(text(misconfigured, "level"), "WARN", "a person has to look");
    assert!(
        text(misconfigured, "reason").contains("on_block"),
        "{misconfigured:?}"
    );
    assert_eq!(
        misconfigured.get("regions"),
        None,
        "no policy was read: no regions"
    );

    let retry = decisions(&dir, "stage-retry", "retry decision");
    let retried = retry
        .iter()
        .find(|fields| fields.get("verdict") == Some(&json!("RETRY")))
        .unwrap_or_else(|| panic!("no retry decision in {retry:?}"));
    check_values(retried);
    assert_eq!(
        (text(retried, "pipeline"), text(retried, "stage")),
        ("flaky", "Deploy")
    );
    assert_eq!(text(retried, "reason"), "retry 1 started (FAILED_ACTIONS)");

    let rollback = decisions(&dir, "apply-rollback", "rollback decision");
    let rolled_back = rollback
        .iter()
        .find(|fields| fields.get("verdict") == Some(&json!("ROLLBACK")))
        .unwrap_or_else(|| panic!("no rollback decision in {rollback:?}"));
    check_values(rolled_back);
    assert_eq!(
        (text(rolled_back, "pipeline"), text(rolled_back, "stage")),
        ("infra", "Deploy")
    );
    assert!(
        text(rolled_back, "reason").starts_with("rolling back to "),
        "{rolled_back:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
