//! `pipeguard`, the command line, end to end: the real binary against the emulator, as someone
//! at a terminal or a CI job would run it.

use aws_sdk_dynamodb::types::AttributeValue;
use e2e::{CLI_SECRET, Local};
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
const STAGE_CHANGE: &str = "CodePipeline Stage Execution State Change";

fn parse(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|error| panic!("not JSON ({error}): {stdout}"))
}

/// Nothing the CLI prints carries the secret it signs with.
fn assert_no_secret(outputs: &[&str]) {
    for output in outputs {
        assert!(!output.contains(CLI_SECRET), "a credential was printed: {output}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_gives_the_gates_decision_with_its_exit_code() {
    let local = Local::start(&[]).await;
    let (code, stdout, stderr) = local.cli(&["health", "--regions", "us-east-1"], &[]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("DEPLOY: No blocking AWS Health event in us-east-1"),
        "{stdout}"
    );

    let arn = local.open_issue("us-east-1", "EC2");
    let (code, stdout, _) = local
        .cli(&["--json", "health", "--regions", "us-east-1,eu-west-1"], &[])
        .await;
    assert_eq!(code, 1, "{stdout}");
    let answer = parse(&stdout);
    assert_eq!(
        (answer["deploy"].as_bool(), answer["verdict"].as_str()),
        (Some(false), Some("BLOCKED"))
    );
    assert_eq!(answer["health_source"], "api");
    assert_eq!(answer["blocking"][0]["arn"], arn.as_str());
    assert_eq!(answer["blocking"][0]["service"], "EC2");
    assert!(
        !answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("pipeguard:hold"),
        "{answer:#}"
    );
    let (code, stdout, _) = local
        .cli(&["health", "--regions", "us-east-1", "--services", "LAMBDA"], &[])
        .await;
    assert_eq!(code, 0, "another service's issue does not block: {stdout}");

    local.fault(json!({"service": "health", "kind": "subscription-required"}));
    let (code, stdout, _) = local.cli(&["health", "--source", "api"], &[]).await;
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.contains("SubscriptionRequiredException"), "{stdout}");
    let (code, stdout, _) = local
        .cli(
            &[
                "--json",
                "health",
                "--params",
                r#"{"on_health_error": "fail-open"}"#,
            ],
            &[],
        )
        .await;
    assert_eq!(
        (code, parse(&stdout)["verdict"].as_str()),
        (0, Some("PASS_HEALTH_UNCHECKED"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_asks_cloudwatch_for_the_alarms_it_watches() {
    let local = Local::start(&[]).await;
    let set = |state: &str| {
        local.admin(
            "POST",
            "/_admin/cloudwatch/alarms",
            json!({"name": "web-5xx", "state": state, "reason": "Threshold Crossed: 12 errors"}),
        );
    };
    let health = |alarms: &'static str| {
        let local = &local;
        async move {
            local
                .cli(
                    &["--json", "health", "--regions", "us-east-1", "--params", alarms],
                    &[],
                )
                .await
        }
    };
    set("ALARM");
    let (code, stdout, stderr) = health(r#"{"alarms": ["web-*"]}"#).await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    let answer = parse(&stdout);
    assert_eq!(answer["verdict"], "ALARM");
    assert_eq!(answer["blocking"][0]["kind"], "cloudwatch_alarm");
    assert_eq!(answer["blocking"][0]["name"], "web-5xx");
    set("OK");
    let (code, stdout, _) = health(r#"{"alarms": ["web-5xx"]}"#).await;
    assert_eq!((code, parse(&stdout)["verdict"].as_str()), (0, Some("PASS")));
    let (code, stdout, _) = health(r#"{"alarms": ["web-5xxx"]}"#).await;
    assert_eq!(
        code, 2,
        "a name that matches no alarm is a configuration error: {stdout}"
    );
    assert!(stdout.contains("web-5xxx"), "{stdout}");
    assert!(
        local.calls("monitoring", "DescribeAlarms", None) >= 3,
        "CloudWatch asked for each decision"
    );

    // Another account's alarm: through the role there, as the gate reads it, and refused with
    // why before anything is asked when no role is named.
    local.admin(
        "POST",
        "/_admin/iam/roles",
        json!({"account": "222233334444", "name": "reader"}),
    );
    local.admin(
        "POST",
        "/_admin/cloudwatch/alarms",
        json!({"name": "db-cpu", "account": "222233334444", "state": "ALARM"}),
    );
    let (code, stdout, _) = health(
        r#"{"alarms": ["arn:aws:cloudwatch:us-east-1:222233334444:alarm:db-cpu"], "alarms_role": "reader"}"#,
    )
    .await;
    assert_eq!(
        (code, parse(&stdout)["verdict"].as_str()),
        (1, Some("ALARM")),
        "{stdout}"
    );
    let (code, _, stderr) =
        health(r#"{"alarms": ["arn:aws:cloudwatch:us-east-1:222233334444:alarm:db-cpu"]}"#).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("alarms_role"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_decides_from_the_event_store_without_a_support_plan() {
    let local = Local::without_support_plan(&[]).await;
    let arn = local.open_issue("us-east-1", "EC2");
    local.stored(&arn, "open").await;
    let (code, stdout, stderr) = local
        .cli(&["--json", "health", "--events-table", e2e::EVENT_STORE], &[])
        .await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    let answer = parse(&stdout);
    assert_eq!(answer["health_source"], "events");
    assert_eq!(answer["blocking"][0]["arn"], arn.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_blocked_by_a_freeze_item_that_does_not_read_and_prints_no_escape_from_it() {
    let local = Local::start_with_store(&[]).await;
    local
        .freeze_by_hand(
            "frz-\u{1b}[2J",
            &[
                (
                    "frozen_by",
                    AttributeValue::S("mallory\u{1b}]0;pwned\u{7}".into()),
                ),
                ("reason", AttributeValue::S("INC-1".into())),
                ("since", AttributeValue::S("yesterday".into())),
            ],
        )
        .await;
    let table = ["--events-table", e2e::EVENT_STORE, "--regions", "us-east-1"];
    let (code, stdout, stderr) = local.cli(&[&["health"][..], &table].concat(), &[]).await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("unreadable freeze frz-\\u{1b}[2J: its id is not 1 to 64 letters, digits, `-`, `_` or `.`; frozen_by has control characters; since is not a number; it holds every pipeline"),
        "{stdout}"
    );
    let (code, stdout, _) = local
        .cli(&[&["--json", "health"][..], &table].concat(), &[])
        .await;
    assert_eq!(code, 1);
    assert!(!stdout.trim_end().chars().any(char::is_control), "{stdout:?}");
    let answer = parse(&stdout);
    assert_eq!(answer["verdict"], "FROZEN");
    assert_eq!(answer["blocking"][0]["kind"], "unreadable_freeze");
    assert_eq!(
        answer["blocking"][0]["id"], "frz-\u{1b}[2J",
        "JSON keeps the key as written, escaped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_clear_message_and_exit_code_2() {
    let local = Local::start(&[]).await;
    let cases: [(&[&str], &str); 5] = [
        (
            &["health", "--params", "{not json"],
            "--params is not a JSON object",
        ),
        (
            &["health", "--regions", "us east"],
            "UserParameters field `regions[0]`",
        ),
        (&["health", "--source", "store"], "invalid value 'store'"),
        (&["retry", "--status", "succeeded"], "--status"),
        (&["rollback", "web-app"], "<STAGE>"),
    ];
    for (args, expected) in cases {
        let (code, stdout, stderr) = local.cli(args, &[]).await;
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = local
        .cli(
            &["status", "--json"],
            &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
        )
        .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no AWS credentials"), "{stderr}");
    for command in ["health", "status", "retry", "rollback"] {
        let (code, stdout, _) = local.cli(&[command, "--help"], &[]).await;
        assert_eq!(code, 0, "{command} --help");
        assert!(stdout.contains("Usage: pipeguard"), "{command}: {stdout}");
    }
}

/// Pipelines in three states: `flaky` failed for a retryable reason, `broken` for a
/// configuration error, `spent` has used its one allowed retry.
async fn three_failures(local: &Local) {
    let scripted = |name: &str, script: &[&str]| {
        local.admin("POST", "/_admin/pipelines", json!({"name": name, "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [{"name": "Apply", "category": "Deploy", "script": script}]}
        ]}));
    };
    scripted("flaky", &["fail:JobFailed:Rate exceeded", "succeed"]);
    scripted("broken", &["fail:ConfigurationError:template invalid"]);
    scripted(
        "spent",
        &["fail:JobFailed:quota", "fail:JobFailed:quota", "succeed"],
    );
    for pipeline in ["flaky", "broken", "spent"] {
        let id = local.start_execution(pipeline);
        local.reaches(&id, "Failed", TIMEOUT).await;
    }
    // spent's one retry, made by hand before.
    local.admin("POST", "/_admin/rules", json!({"source": "aws.codepipeline", "detail_type": STAGE_CHANGE, "state": "FAILED", "pipeline": "spent", "function": "stage-retry"}));
    let spent = local.admin("GET", "/_admin/executions", json!({}));
    let spent_id = spent
        .as_array()
        .into_iter()
        .flatten()
        .find(|execution| execution["pipeline"] == "spent")
        .and_then(|execution| execution["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    local
        .admin("POST", "/_admin/invoke", json!({"function": "stage-retry", "payload": {
            "source": "aws.codepipeline", "detail-type": STAGE_CHANGE,
            "detail": {"pipeline": "spent", "execution-id": spent_id, "stage": "Deploy", "state": "FAILED"}}}));
    local
        .wait_for(TIMEOUT, "spent's retry to fail again", || {
            let execution = local.execution(&spent_id);
            (execution["stages"][1]["manual_retries"] == 1 && execution["status"] == "Failed").then_some(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_failed_retries_what_stage_retry_would_and_a_second_run_retries_nothing() {
    let local = Local::start(&[("RETRY_MAX_ATTEMPTS", "1")]).await;
    three_failures(&local).await;
    let env = [("RETRY_MAX_ATTEMPTS", "1")];
    let retries_before = local.successful_calls("codepipeline", "RetryStageExecution");

    let (code, stdout, _) = local
        .cli(&["--json", "retry", "--status", "failed", "--dry-run"], &env)
        .await;
    assert_eq!(code, 0, "{stdout}");
    let dry = parse(&stdout);
    assert_eq!(
        dry["would_retry"],
        json!([{"pipeline": "flaky", "stage": "Deploy", "verdict": "DRY_RUN", "how": "FAILED_ACTIONS, retry 1"}])
    );
    assert_eq!(
        local.successful_calls("codepipeline", "RetryStageExecution"),
        retries_before,
        "a dry run retries nothing"
    );

    let (code, stdout, stderr) = local.cli(&["--json", "retry", "--status", "failed"], &env).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let first = parse(&stdout);
    assert_eq!(
        first["retried"],
        json!([{"pipeline": "flaky", "stage": "Deploy", "verdict": "RETRY"}])
    );
    let skipped: Vec<(String, String)> = first["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            (
                entry["pipeline"].as_str().unwrap_or_default().to_owned(),
                entry["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let verdicts: Vec<(&str, &str)> = first["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            (
                entry["pipeline"].as_str().unwrap_or_default(),
                entry["verdict"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(verdicts.contains(&("broken", "SKIP")), "{verdicts:?}");
    assert!(verdicts.contains(&("spent", "EXHAUSTED")), "{verdicts:?}");
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped
            .iter()
            .any(|(pipeline, reason)| pipeline == "broken" && reason.contains("ConfigurationError")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|(pipeline, reason)| pipeline == "spent" && reason.contains("retries used up (1 of 1)")),
        "{skipped:?}"
    );
    assert_eq!(first["errors"], json!([]));
    local
        .wait_for(TIMEOUT, "flaky to succeed on its retry", || {
            let all = local.admin("GET", "/_admin/executions", json!({}));
            all.as_array()
                .into_iter()
                .flatten()
                .any(|execution| execution["pipeline"] == "flaky" && execution["status"] == "Succeeded")
                .then_some(())
        })
        .await;

    // Failed stages are the default, and the only ones CodePipeline retries.
    let (code, stdout, _) = local.cli(&["retry"], &env).await;
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.ends_with("0 retried, 2 skipped, 0 errors\n"), "{stdout}");
    assert_eq!(
        local.successful_calls("codepipeline", "RetryStageExecution"),
        retries_before + 1,
        "the second run retried nothing"
    );
    let (code, _, stderr) = local
        .cli(&["retry", "--status", "failed", "nonexistent"], &env)
        .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("unknown pipeline: nonexistent"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_each_pipeline_as_a_table_or_as_json() {
    let local = Local::start(&[]).await;
    local.admin("POST", "/_admin/rules", json!({"source": "aws.codepipeline", "detail_type": STAGE_CHANGE, "state": "FAILED", "pipeline": "infra", "function": "apply-rollback"}));
    local.admin("POST", "/_admin/pipelines", json!({"name": "infra", "stages": [
        {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
        {"name": "Apply", "actions": [{"name": "Terraform", "category": "Deploy", "script": ["succeed", "fail:JobFailed:TERRAFORM_EXECUTION_ERROR"]}]}
    ]}));
    let good = local.start_execution("infra");
    local.reaches(&good, "Succeeded", TIMEOUT).await;
    local.start_execution("infra");
    local
        .wait_for(TIMEOUT, "the rollback", || {
            let all = local.admin("GET", "/_admin/executions", json!({}));
            all.as_array()
                .into_iter()
                .flatten()
                .any(|execution| execution["type"] == "ROLLBACK" && execution["status"] == "Succeeded")
                .then_some(())
        })
        .await;
    let arn = local.open_issue("us-east-1", "EC2");
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    local
        .reaches(&local.start_execution("web-app"), "Failed", TIMEOUT)
        .await;

    let (code, stdout, stderr) = local.cli(&["status"], &[]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rows = parse(&stdout);
    let row = |name: &str| {
        rows.as_array()
            .into_iter()
            .flatten()
            .find(|row| row["pipeline"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no row for {name}: {rows:#}"))
    };
    let web = row("web-app");
    assert_eq!(web["latest_execution"]["status"], "Failed");
    assert_eq!(web["failed_stage"]["stage"], "Gate");
    assert_eq!(web["retries"], json!({"used": 0, "allowed": 2}));
    assert_eq!(web["held_by"], json!([{"event_arn": arn, "open": true}]));
    assert_eq!(
        web["holders"],
        json!([{"kind": "health_event", "id": arn, "holds": true, "until": null, "description": arn}])
    );
    let infra = row("infra");
    assert_eq!(infra["last_rollback"]["target"], good.as_str());
    assert_eq!(infra["failed_stage"], Value::Null, "the rollback put it right");

    let (code, table, _) = local
        .cli(&["status", "--table", "web-app", "infra"], &[("NO_COLOR", "1")])
        .await;
    assert_eq!(code, 0, "{table}");
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("PIPELINE")
            && lines[0].contains("HELD BY")
            && lines[0].contains("LAST ROLLBACK"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("web-app")
            && lines[1].contains("Gate (HealthGate: JobFailed Deployment blocked")
            && lines[1].contains(&arn),
        "{table}"
    );
    assert!(
        lines[2].starts_with("infra") && lines[2].contains(" -> "),
        "{table}"
    );
    assert!(!table.contains('\u{1b}'), "no colour off a terminal");
    let (code, _, stderr) = local.cli(&["status", "nope"], &[]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("unknown pipeline: nope"), "{stderr}");
    assert_no_secret(&[&stdout, &table, &stderr]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_picks_the_newest_good_execution_or_the_one_named() {
    let local = Local::start(&[]).await;
    local.admin("POST", "/_admin/pipelines", json!({"name": "infra", "stages": [
        {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
        {"name": "Apply", "actions": [{"name": "Terraform", "category": "Deploy", "script": ["succeed", "succeed", "fail:JobFailed:broken"]}]}
    ]}));
    let older = local.start_execution("infra");
    local.reaches(&older, "Succeeded", TIMEOUT).await;
    let newer = local.start_execution("infra");
    local.reaches(&newer, "Succeeded", TIMEOUT).await;
    let broken = local.start_execution("infra");
    local.reaches(&broken, "Failed", TIMEOUT).await;

    let (code, stdout, stderr) = local.cli(&["rollback", "infra", "Apply", "--dry-run"], &[]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        format!("would roll back stage Apply of infra from execution {broken} to {newer}\n")
    );
    assert_eq!(
        local.calls("codepipeline", "RollbackStage", None),
        0,
        "a dry run changes nothing"
    );

    let (code, stdout, _) = local
        .cli(&["--json", "rollback", "infra", "Apply", "--to", &older], &[])
        .await;
    assert_eq!(code, 0, "{stdout}");
    let done = parse(&stdout);
    assert_eq!(
        (done["to"].as_str(), done["from"].as_str()),
        (Some(older.as_str()), Some(broken.as_str()))
    );
    assert_eq!(done["verdict"], "ROLLBACK");
    let rollback = done["rollback_execution"].as_str().unwrap_or_default().to_owned();
    let rolled = local.reaches(&rollback, "Succeeded", TIMEOUT).await;
    assert_eq!(rolled["rollback_target"], older.as_str());

    let cases: [(&[&str], &str); 4] = [
        (
            &["rollback", "infra", "Deploy"],
            "pipeline infra has no stage Deploy (its stages: Source, Apply)",
        ),
        (&["rollback", "infra", "Source"], "source stage"),
        (&["rollback", "nope", "Apply"], "unknown pipeline: nope"),
        (
            &["rollback", "infra", "Apply", "--to", &broken],
            "did not succeed in stage Apply",
        ),
    ];
    for (args, expected) in cases {
        let (code, stdout, stderr) = local.cli(args, &[]).await;
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
