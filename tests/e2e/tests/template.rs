//! template.yaml against the code: every function is a binary the workspace builds, deployed
//! as it must be, and each function's IAM actions are exactly the AWS operations it calls (the
//! event store's too) —
//! observed by running the real binaries against the emulator, which knows every caller by its
//! access key (Lambda's functions get their own name as their key there).

use e2e::{FUNCTIONS, Local};
use serde_json::json;
use serde_norway::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";

fn template() -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

/// The SAM functions: resource name → resource.
fn functions(template: &Yaml) -> BTreeMap<String, Yaml> {
    template["Resources"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .map(|(name, resource)| (name.as_str().unwrap_or_default().to_owned(), resource.clone()))
        .collect()
}

/// A function's property, or the Globals' when it does not set its own.
fn property<'a>(template: &'a Yaml, function: &'a Yaml, name: &str) -> &'a Yaml {
    let own = &function["Properties"][name];
    if own.is_null() {
        &template["Globals"]["Function"][name]
    } else {
        own
    }
}

fn binary(function: &Yaml) -> String {
    function["Metadata"]["BuildProperties"]["Binary"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn every_function_is_a_workspace_binary_built_for_lambda_on_arm64() {
    let template = template();
    let functions = functions(&template);
    let binaries: BTreeSet<String> = functions.values().map(binary).collect();
    assert_eq!(
        binaries,
        FUNCTIONS.iter().map(|name| name.to_string()).collect(),
        "one resource per function"
    );
    for (name, function) in &functions {
        assert_eq!(function["Metadata"]["BuildMethod"], "rust-cargolambda", "{name}");
        assert_eq!(
            property(&template, function, "Runtime"),
            "provided.al2023",
            "{name}"
        );
        assert_eq!(property(&template, function, "Handler"), "bootstrap", "{name}");
        let architectures: Vec<&str> = property(&template, function, "Architectures")
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(Yaml::as_str)
            .collect();
        assert_eq!(architectures, ["arm64"], "{name}");
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../functions/{}/Cargo.toml", binary(function)));
        let manifest = std::fs::read_to_string(&manifest).unwrap_or_default();
        assert!(
            manifest.contains(&format!("name = \"{}\"", binary(function))),
            "{name}: no workspace package {}",
            binary(function)
        );
        assert_eq!(
            property(&template, function, "LoggingConfig")["LogFormat"],
            "JSON",
            "{name}"
        );
    }
}

/// Each function's IAM actions, by binary.
fn granted(template: &Yaml) -> BTreeMap<String, BTreeSet<String>> {
    functions(template)
        .values()
        .map(|function| {
            let actions = function["Properties"]["Policies"]
                .as_sequence()
                .into_iter()
                .flatten()
                .flat_map(|policy| policy["Statement"].as_sequence().cloned().unwrap_or_default())
                .flat_map(|statement| match &statement["Action"] {
                    Yaml::String(action) => vec![action.clone()],
                    Yaml::Sequence(actions) => actions
                        .iter()
                        .filter_map(Yaml::as_str)
                        .map(str::to_owned)
                        .collect(),
                    _ => Vec::new(),
                })
                .collect();
            (binary(function), actions)
        })
        .collect()
}

/// Runs every path that reaches AWS in each function and returns what each one called.
async fn observed() -> BTreeMap<String, BTreeSet<String>> {
    let local = Local::start_with_store(&[("NOTIFY_TOPIC_ARN", TOPIC)]).await;
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    let route = |detail_type: &str, pipeline: &str, function: &str| {
        let rule = json!({"source": "aws.codepipeline", "detail_type": detail_type, "state": "FAILED", "pipeline": pipeline, "function": function});
        local.admin("POST", "/_admin/rules", rule);
    };
    route(
        "CodePipeline Stage Execution State Change",
        "gated",
        "stage-retry",
    );
    route(
        "CodePipeline Stage Execution State Change",
        "flaky",
        "stage-retry",
    );
    route(
        "CodePipeline Stage Execution State Change",
        "infra",
        "apply-rollback",
    );
    local.admin(
        "POST",
        "/_admin/rules",
        json!({"source": "aws.health", "function": "stage-retry"}),
    );
    let scripted = |name: &str, script: &[&str]| {
        local.admin(
            "POST",
            "/_admin/pipelines",
            json!({"name": name, "stages": [
                {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
                {"name": "Deploy", "actions": [{"name": "Apply", "category": "Deploy", "script": script}]}
            ]}),
        );
    };
    scripted("cleanup", &["succeed"]);
    scripted("flaky", &["fail:JobFailed:Rate exceeded"]);
    scripted("infra", &["succeed", "fail:JobFailed:quota"]);
    local.gated_pipeline("gated", r#"{"block_while_running": ["cleanup"]}"#, &["succeed"]);
    local.gated_pipeline("gated-by-events", r#"{"health_source": "events"}"#, &["succeed"]);

    // The gate passes (success), then blocks (failure and a notice); stage-retry holds the gate's
    // failure until the Health event closes, then lists pipelines to resume it.
    let passed = local.start_execution("gated");
    local.reaches(&passed, "Succeeded", TIMEOUT).await;
    // The gate decides from the event store (which stage-retry writes, asking it whether held
    // stages may resume).
    let from_events = local.start_execution("gated-by-events");
    local.reaches(&from_events, "Succeeded", TIMEOUT).await;
    let issue = local.open_issue("us-east-1", "EC2");
    let blocked = local.start_execution("gated");
    local.reaches(&blocked, "Failed", TIMEOUT).await;
    local
        .invoked("stage-retry", 2, "stage-retry to see the gate's failure")
        .await;
    local.close_issue(&issue);
    local.reaches(&blocked, "Succeeded", TIMEOUT).await;
    // stage-retry retries a permanent failure until attempts run out, then tells people.
    local.start_execution("flaky");
    let notices = || {
        local
            .messages()
            .iter()
            .filter(|message| {
                message["subject"]
                    .as_str()
                    .is_some_and(|s| s.contains("still failing"))
            })
            .count()
    };
    local
        .wait_for(TIMEOUT, "the exhausted notice", || (notices() == 1).then_some(()))
        .await;
    // apply-rollback rolls a failed apply back and says so.
    let good = local.start_execution("infra");
    local.reaches(&good, "Succeeded", TIMEOUT).await;
    local.start_execution("infra");
    let rolled_back = || {
        local.messages().iter().any(|message| {
            message["subject"]
                .as_str()
                .is_some_and(|s| s.ends_with("rolled back"))
        })
    };
    local
        .wait_for(TIMEOUT, "the rollback notice", || rolled_back().then_some(()))
        .await;

    let calls = local.admin("GET", "/_admin/calls", json!({}));
    let mut observed: BTreeMap<String, BTreeSet<String>> = FUNCTIONS
        .iter()
        .map(|name| (name.to_string(), BTreeSet::new()))
        .collect();
    for call in calls.as_array().into_iter().flatten() {
        if let Some(actions) = observed.get_mut(call["caller"].as_str().unwrap_or_default()) {
            actions.insert(format!(
                "{}:{}",
                call["service"].as_str().unwrap_or_default(),
                call["operation"].as_str().unwrap_or_default()
            ));
        }
    }
    observed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_functions_iam_actions_are_exactly_what_its_code_calls() {
    let granted = granted(&template());
    let observed = observed().await;
    for function in FUNCTIONS {
        let (granted, called) = (&granted[function], &observed[function]);
        let missing: Vec<_> = called.difference(granted).collect();
        let unused: Vec<_> = granted.difference(called).collect();
        assert!(
            missing.is_empty(),
            "{function} calls {missing:?} without permission"
        );
        assert!(
            unused.is_empty(),
            "{function} is granted {unused:?} and never calls it"
        );
    }
}

#[test]
fn every_alarm_tells_the_topic_and_the_dashboard_shows_every_functions_metrics() {
    let template = template();
    let resources = template["Resources"].as_mapping().cloned().unwrap_or_default();
    let alarms: Vec<(&Yaml, &Yaml)> = resources
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::CloudWatch::Alarm")
        .collect();
    let names: Vec<&str> = alarms.iter().filter_map(|(name, _)| name.as_str()).collect();
    for expected in [
        "DeadLetterQueueAlarm",
        "HealthGateErrorsAlarm",
        "StageRetryErrorsAlarm",
        "ApplyRollbackErrorsAlarm",
        "GateFailsClosedAlarm",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    for (name, alarm) in &alarms {
        let actions = format!("{:?}", alarm["Properties"]["AlarmActions"]);
        assert!(actions.contains("NotificationTopic"), "{name:?}: {actions}");
    }
    let fails_closed = &resources[&Yaml::from("GateFailsClosedAlarm")]["Properties"];
    assert_eq!(fails_closed["Namespace"], pipeguard::metrics::NAMESPACE);
    let verdict = format!("{:?}", fails_closed["Dimensions"]);
    assert!(verdict.contains("HEALTH_UNAVAILABLE"), "{verdict}");

    let body = resources[&Yaml::from("Dashboard")]["Properties"]["DashboardBody"]
        .as_str()
        .or_else(|| resources[&Yaml::from("Dashboard")]["Properties"]["DashboardBody"]["Fn::Sub"].as_str())
        .unwrap_or_default()
        .replace("${AWS::Region}", "us-east-1")
        .replace("${DeadLetterQueue.QueueName}", "dlq");
    let dashboard: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("dashboard JSON: {error}\n{body}"));
    let widgets = dashboard["widgets"].as_array().cloned().unwrap_or_default();
    for function in FUNCTIONS {
        assert!(
            widgets.iter().any(|widget| widget
                .to_string()
                .contains(&format!("Function=\\\"{function}\\\""))),
            "no widget for {function}"
        );
    }
}
