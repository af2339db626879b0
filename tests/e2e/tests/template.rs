//! template.yaml against the code: every function is a binary the workspace builds, deployed
//! as it must be, and each function's IAM actions are exactly the AWS operations it calls (the
//! event store's too) —
//! observed by running the real binaries against the emulator, which knows every caller by its
//! access key (Lambda's functions get their own name as their key there). Also what the
//! templates promise across accounts: the Health forwarder (infra/health-forwarder.yaml) keeps
//! what deployed stacks have, the organization's StackSet deploys that one file, and the stack's
//! event bus lets in only the organization it names.

use e2e::{FUNCTIONS, Local};
use serde_json::json;
use serde_norway::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

#[path = "template/alarms.rs"]
mod alarms;
#[path = "template/bake.rs"]
mod bake;
#[path = "template/calendars.rs"]
mod calendars;
#[path = "template/event_index.rs"]
mod event_index;
#[path = "template/forwarder.rs"]
mod forwarder;
#[path = "template/pattern.rs"]
mod pattern;
#[path = "template/trust.rs"]
mod trust;

const TIMEOUT: Duration = Duration::from_secs(60);
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";

/// A template of the repository, by its path there.
fn yaml(path: &str) -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn template() -> Yaml {
    yaml("template.yaml")
}

/// The resources of one type: logical id → resource.
fn resources_of(template: &Yaml, kind: &str) -> BTreeMap<String, Yaml> {
    template["Resources"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter(|(_, resource)| resource["Type"] == kind)
        .map(|(name, resource)| (name.as_str().unwrap_or_default().to_owned(), resource.clone()))
        .collect()
}

/// The name a `!Ref` (or `{"Ref": ...}`) refers to; None for anything else, a plain string
/// included (serde_norway compares a tagged value with a string as if it had no tag).
fn reference(value: &Yaml) -> Option<&str> {
    match value {
        Yaml::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Yaml::Mapping(map) if map.len() == 1 => map.get("Ref").and_then(Yaml::as_str),
        _ => None,
    }
}

/// A plain string, not an intrinsic function.
fn plain(value: &Yaml) -> Option<&str> {
    match value {
        Yaml::String(text) => Some(text),
        _ => None,
    }
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

/// Each function's IAM actions, by binary: what its statements allow (a Deny grants nothing).
fn granted(template: &Yaml) -> BTreeMap<String, BTreeSet<String>> {
    functions(template)
        .values()
        .map(|function| {
            let actions = statements(function)
                .into_iter()
                .filter(|statement| statement["Effect"] == "Allow")
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
    local.route_health_events_to_stage_retry();
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
    // The sweep marks the empty store's index complete (Scan, DescribeTable, the marker's
    // PutItem), so the gate below reads the store through it.
    local.sweep();
    local.invoked("stage-retry", 1, "the sweep").await;

    // The gate passes (success), then blocks (failure and a notice); stage-retry holds the gate's
    // failure until the Health event closes, then lists pipelines to resume it.
    let passed = local.start_execution("gated");
    local.reaches(&passed, "Succeeded", TIMEOUT).await;
    // The gate decides from the event store (which stage-retry writes, asking it whether held
    // stages may resume).
    let from_events = local.start_execution("gated-by-events");
    local.reaches(&from_events, "Succeeded", TIMEOUT).await;
    // The gate asks CloudWatch about the alarms a pipeline watches (DescribeAlarms).
    local.admin(
        "POST",
        "/_admin/cloudwatch/alarms",
        json!({"name": "web-5xx", "state": "OK"}),
    );
    local.gated_pipeline("gated-by-alarms", r#"{"alarms": ["web-5xx"]}"#, &["succeed"]);
    let watching = local.start_execution("gated-by-alarms");
    local.reaches(&watching, "Succeeded", TIMEOUT).await;
    // A firing alarm holds the stage; stage-retry asks CloudWatch whether it is OK again.
    route(
        "CodePipeline Stage Execution State Change",
        "gated-by-alarms",
        "stage-retry",
    );
    local.admin(
        "POST",
        "/_admin/cloudwatch/alarms",
        json!({"name": "web-5xx", "state": "ALARM"}),
    );
    let held_by_alarm = local.start_execution("gated-by-alarms");
    local.reaches(&held_by_alarm, "Failed", TIMEOUT).await;
    local
        .wait_for(
            TIMEOUT,
            "stage-retry to ask CloudWatch about the held alarm",
            || {
                local
                    .admin("GET", "/_admin/calls", json!({}))
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|call| call["caller"] == "stage-retry" && call["operation"] == "DescribeAlarms")
                    .then_some(())
            },
        )
        .await;
    // ... and about another account's, as the read-only role there (AssumeRole): CloudWatch's
    // answer there is the role's permission, not the gate's.
    local.admin(
        "POST",
        "/_admin/iam/roles",
        json!({"account": "222233334444", "name": "alarms-reader"}),
    );
    local.admin(
        "POST",
        "/_admin/cloudwatch/alarms",
        json!({"name": "db-cpu", "account": "222233334444", "state": "OK"}),
    );
    local.gated_pipeline(
        "gated-by-their-alarms",
        r#"{"alarms": ["arn:aws:cloudwatch:us-east-1:222233334444:alarm:db-cpu"], "alarms_role": "alarms-reader"}"#,
        &["succeed"],
    );
    let watching = local.start_execution("gated-by-their-alarms");
    local.reaches(&watching, "Succeeded", TIMEOUT).await;
    calendars::a_gated_deploy_asks_for_its_calendar(&local, TIMEOUT).await;
    let issue = local.open_issue("us-east-1", "EC2");
    let blocked = local.start_execution("gated");
    local.reaches(&blocked, "Failed", TIMEOUT).await;
    local
        .invoked("stage-retry", 3, "stage-retry to see the gate's failure")
        .await;
    local.close_issue(&issue);
    local.reaches(&blocked, "Succeeded", TIMEOUT).await;
    // A freeze of one pipeline by name: the gate asks for its pipeline's name and blocks;
    // stage-retry reads the freezes and resumes the stage when it is unfrozen.
    local.route_pipeguard_events_to_stage_retry();
    let id = local.freeze(&["--reason", "INC-1", "gated"]).await;
    let frozen = local.start_execution("gated");
    local.reaches(&frozen, "Failed", TIMEOUT).await;
    let (code, _, stderr) = local
        .cli(&["unfreeze", &id, "--events-table", e2e::EVENT_STORE], &[])
        .await;
    assert_eq!(code, 0, "{stderr}");
    local.reaches(&frozen, "Succeeded", TIMEOUT).await;
    // Across accounts: the gate asks AWS Health's organizational view about the workload account
    // a pipeline deploys into, and stage-retry asks it whether that account's event has closed.
    local.organization(&["222233334444"]);
    local.gated_pipeline("to-workload", r#"{"accounts": ["222233334444"]}"#, &["succeed"]);
    route(
        "CodePipeline Stage Execution State Change",
        "to-workload",
        "stage-retry",
    );
    let workload_issue = local.open_issue_in("us-east-1", "EC2", &["222233334444"]);
    let held = local.start_execution("to-workload");
    local.reaches(&held, "Failed", TIMEOUT).await;
    local.close_issue(&workload_issue);
    local.reaches(&held, "Succeeded", TIMEOUT).await;
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
    bake::fails_and_is_rolled_back(&local).await;

    let calls = local.admin("GET", "/_admin/calls", json!({}));
    let mut observed: BTreeMap<String, BTreeSet<String>> = FUNCTIONS
        .iter()
        .map(|name| (name.to_string(), BTreeSet::new()))
        .collect();
    for call in calls.as_array().into_iter().flatten() {
        if let Some(actions) = observed.get_mut(call["caller"].as_str().unwrap_or_default()) {
            actions.insert(format!(
                "{}:{}",
                iam_prefix(call["service"].as_str().unwrap_or_default()),
                call["operation"].as_str().unwrap_or_default()
            ));
        }
    }
    observed
}

/// The IAM prefix of the service a call was signed for: CloudWatch signs as `monitoring` and is
/// granted as `cloudwatch`; the others are granted by the name they sign with.
fn iam_prefix(signing_name: &str) -> &str {
    match signing_name {
        "monitoring" => "cloudwatch",
        other => other,
    }
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

/// The statements of an IAM role's inline policies.
fn role_statements(role: &Yaml) -> Vec<Yaml> {
    role["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|policy| {
            policy["PolicyDocument"]["Statement"]
                .as_sequence()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// The IAM statements of a function.
/// A statement under a condition (`!If [Condition, statement, !Ref AWS::NoValue]`) is read as
/// the grant it is when its condition holds.
fn statements(function: &Yaml) -> Vec<Yaml> {
    function["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|policy| policy["Statement"].as_sequence().cloned().unwrap_or_default())
        .map(|statement| match statement {
            Yaml::Tagged(conditional) if conditional.tag == "If" => conditional.value[1].clone(),
            statement => statement,
        })
        .collect()
}

#[test]
fn the_organization_view_is_granted_on_every_resource_as_iam_requires_and_with_nothing_else() {
    // AWS Health's organization operations have no resource-level permissions: "*" is the only
    // resource IAM accepts, so the statement that grants them must grant nothing that has.
    for (name, function) in functions(&template()) {
        for statement in statements(&function) {
            let actions = format!("{:?}", statement["Action"]);
            if actions.contains("ForOrganization") {
                assert_eq!(plain(&statement["Resource"]), Some("*"), "{name}: {statement:?}");
                for action in statement["Action"].as_sequence().into_iter().flatten() {
                    let action = action.as_str().unwrap_or_default();
                    assert!(
                        action.starts_with("health:") && action.ends_with("ForOrganization"),
                        "{name}: {action} shares a statement on \"*\" with the organizational view"
                    );
                }
            }
        }
    }
}

#[test]
fn the_event_bus_lets_in_only_the_organization_named_and_only_when_named() {
    let template = template();
    let parameter = &template["Parameters"]["OrganizationId"];
    assert_eq!(parameter["Type"], "String");
    // Empty by default: a stack that does not set it gets no bus policy at all.
    assert_eq!(parameter["Default"], "");
    assert_eq!(parameter["AllowedPattern"], "^(o-[a-z0-9]{10,32})?$");

    let policies = resources_of(&template, "AWS::Events::EventBusPolicy");
    assert_eq!(policies.len(), 1, "one event bus policy: {policies:?}");
    for (name, policy) in &policies {
        let condition = policy["Condition"].as_str().unwrap_or_default();
        let test = format!("{:?}", template["Conditions"][condition]);
        assert!(
            test.contains("Not") && test.contains("Equals") && test.contains("OrganizationId"),
            "{name} exists only when OrganizationId is set: {condition} is {test}"
        );
        let properties = &policy["Properties"];
        // The deprecated Principal/Action/Condition properties could grant more; the statement
        // says all of it.
        for deprecated in ["Principal", "Action", "Condition"] {
            assert!(properties[deprecated].is_null(), "{name}: {deprecated}");
        }
        assert!(properties["EventBusName"].is_null(), "{name}: the default bus");
        let statement = &properties["Statement"];
        assert_eq!(statement["Effect"], "Allow", "{name}");
        assert_eq!(plain(&statement["Action"]), Some("events:PutEvents"), "{name}");
        assert!(
            format!("{:?}", statement["Resource"]).contains(":event-bus/default"),
            "{name}: {:?}",
            statement["Resource"]
        );
        // The principals of the organization, and (trust::the_organization_may_put_only_...) only
        // AWS Health's events.
        let conditions = statement["Condition"].as_mapping().cloned().unwrap_or_default();
        assert_eq!(conditions.len(), 2, "{name}: {conditions:?}");
        let equals = statement["Condition"]["StringEquals"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        assert_eq!(equals.len(), 1, "{name}: {equals:?}");
        assert_eq!(
            reference(&statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"]),
            Some("OrganizationId"),
            "{name}: the principals of that organization, nobody wider"
        );
    }
}

#[test]
fn the_event_store_keeps_its_key_so_an_upgrade_keeps_its_table() {
    // A change of key schema makes CloudFormation replace the table, and lose every event in it.
    let table = &template()["Resources"]["HealthEventsTable"];
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    let keys: Vec<(String, String)> = table["Properties"]["KeySchema"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|key| {
            (
                key["AttributeName"].as_str().unwrap_or_default().to_owned(),
                key["KeyType"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("region".to_owned(), "HASH".to_owned()),
            ("arn".to_owned(), "RANGE".to_owned())
        ]
    );
    assert!(
        table["Properties"]["TableName"].is_null(),
        "a fixed name would also replace it"
    );
}

#[test]
fn freeze_items_that_do_not_read_are_alarmed_on_as_the_gate_counts_them() {
    let template = template();
    let alarm = &template["Resources"]["GateUnreadableFreezesAlarm"]["Properties"];
    assert_eq!(alarm["Namespace"], pipeguard_aws::metrics::NAMESPACE);
    assert_eq!(alarm["MetricName"], pipeguard_aws::metrics::UNREADABLE_FREEZES);
    assert_eq!(alarm["Dimensions"][0]["Name"], "Function");
    assert_eq!(alarm["Dimensions"][0]["Value"], "health-gate");
    assert_eq!(
        alarm["Dimensions"].as_sequence().map(Vec::len),
        Some(1),
        "the gate counts it under Function only"
    );
    assert_eq!(
        (alarm["Threshold"].as_i64(), alarm["ComparisonOperator"].as_str()),
        (Some(0), Some("GreaterThanThreshold"))
    );
    let line = pipeguard_aws::metrics::counted_line(
        "health-gate",
        pipeguard_aws::metrics::UNREADABLE_FREEZES,
        &[&[]],
        &[],
        1,
        0,
    );
    assert!(line.contains(r#""Dimensions":[["Function"]]"#), "{line}");
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
        "GateFreezesUnreadableAlarm",
        "GateAlarmsUnreadableAlarm",
        "GateCalendarsUnreadableAlarm",
        "GateUnreadableFreezesAlarm",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    for (name, alarm) in &alarms {
        let actions = format!("{:?}", alarm["Properties"]["AlarmActions"]);
        assert!(actions.contains("NotificationTopic"), "{name:?}: {actions}");
    }
    let fails_closed = &resources[&Yaml::from("GateFailsClosedAlarm")]["Properties"];
    assert_eq!(fails_closed["Namespace"], pipeguard_aws::metrics::NAMESPACE);
    let verdict = format!("{:?}", fails_closed["Dimensions"]);
    assert!(verdict.contains("HEALTH_UNAVAILABLE"), "{verdict}");
    let freezes_unreadable = format!(
        "{:?}",
        resources[&Yaml::from("GateFreezesUnreadableAlarm")]["Properties"]["Dimensions"]
    );
    assert!(
        freezes_unreadable.contains("FREEZES_UNAVAILABLE"),
        "{freezes_unreadable}"
    );

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

/// The OCI DevOps build spec runs `pipeguard oci apply` as a resource principal, with flags the
/// command line has.
#[test]
fn the_oci_build_spec_applies_the_stack_with_flags_the_command_line_has() {
    let spec = yaml("infra/oci/build_spec.yaml");
    assert_eq!(spec["version"].as_f64(), Some(0.1));
    assert_eq!(spec["component"], "build");
    let commands: Vec<String> = spec["steps"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter(|step| step["type"] == "Command")
        .filter_map(|step| step["command"].as_str().map(str::to_owned))
        .collect();
    let apply = commands
        .iter()
        .flat_map(|command| command.lines())
        .find(|line| line.contains("pipeguard oci apply"))
        .expect("a step runs pipeguard oci apply");
    assert!(apply.contains("--auth resource_principal"), "{apply}");
    let help = std::process::Command::new(e2e::function_binary("pipeguard"))
        .args(["oci", "apply", "--help"])
        .output()
        .expect("the pipeguard binary runs");
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in apply.split_whitespace().filter(|word| word.starts_with("--")) {
        assert!(
            help.contains(flag),
            "{flag} is not a flag of pipeguard oci apply:\n{help}"
        );
    }
    let step_timeout = spec["steps"][0]["timeoutInSeconds"].as_u64().unwrap_or_default();
    assert!(
        22 * 60 < step_timeout,
        "--timeout ends before the step's {step_timeout} s"
    );
}
