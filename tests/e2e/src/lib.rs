//! The harness the end-to-end scenarios and the demo share: an emulator with the real function
//! binaries registered as Lambda functions, and helpers to drive pipelines and wait on them.

pub mod oci;

use aws_sdk_dynamodb::types::AttributeValue;
use local_aws::Emulator;
use pipeguard_core::hold::GATE_FUNCTIONS_VAR;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// pipeguard's functions, as the template and the emulator name them.
pub const FUNCTIONS: [&str; 3] = ["health-gate", "stage-retry", "apply-rollback"];

/// The secret key the command line signs with in the tests: it must never be printed.
pub const CLI_SECRET: &str = "cli-secret-never-printed";

/// The topic `Local::start_for_people` has the functions tell.
pub const PEOPLES_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";

/// Who the command line signs in as against the emulator.
pub const CLI_CALLER: &str = "arn:aws:sts::123456789012:assumed-role/pipeguard-cli/pipeguard-cli";

/// The AWS Health event store's table, as the template names it in the functions' environment.
pub const EVENT_STORE: &str = "pipeguard-health-events";

/// CreateTable's input for the event store's table as template.yaml defines it (its keys and its
/// index of what can block; the template tests check that the two agree).
pub fn event_store_table() -> Value {
    json!({"TableName": EVENT_STORE, "BillingMode": "PAY_PER_REQUEST",
           "AttributeDefinitions": [{"AttributeName": "region", "AttributeType": "S"},
                                    {"AttributeName": "arn", "AttributeType": "S"},
                                    {"AttributeName": "open_key", "AttributeType": "S"}],
           "KeySchema": [{"AttributeName": "region", "KeyType": "HASH"}, {"AttributeName": "arn", "KeyType": "RANGE"}],
           "GlobalSecondaryIndexes": [{"IndexName": "open",
               "KeySchema": [{"AttributeName": "open_key", "KeyType": "HASH"}, {"AttributeName": "arn", "KeyType": "RANGE"}],
               "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["service", "event_type_code", "category"]}}]})
}

/// Where the function binaries are: `PIPEGUARD_BIN_DIR`, else the Cargo profile directory this
/// executable was built into (`target/debug` for tests, whatever `cargo run` used for the demo).
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PIPEGUARD_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .skip(1)
        .find(|dir| dir.join(FUNCTIONS[0]).is_file())
        .map(PathBuf::from)
        .unwrap_or_else(|| exe.parent().map(PathBuf::from).unwrap_or_default())
}

/// The built binary `name` (a function, or the `pipeguard` command line).
pub fn function_binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the functions first (cargo build --bins, or make test)",
        path.display()
    );
    path
}

/// An emulator with pipeguard's functions registered.
pub struct Local {
    /// The emulator itself.
    pub emulator: Emulator,
    printed: usize,
}

impl Local {
    /// Starts the emulator and registers every function with its binary and `env`.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let emulator = Emulator::start()
            .await
            .expect("the emulator binds loopback ports");
        let local = Self { emulator, printed: 0 };
        // Function output goes to files here when asked for, to debug a scenario.
        if let Some(dir) = std::env::var_os("PIPEGUARD_E2E_LOG_DIR") {
            local.admin(
                "POST",
                "/_admin/settings",
                json!({"log_dir": dir.to_string_lossy()}),
            );
        }
        for function in FUNCTIONS {
            local.register(function, env);
        }
        local
    }

    /// An account without an AWS support plan, as the template sets it up: the event store, an
    /// AWS Health API that answers SubscriptionRequiredException, and every AWS Health event
    /// routed to stage-retry, which records it.
    pub async fn without_support_plan(env: &[(&str, &str)]) -> Self {
        let local = Self::start_with_store(env).await;
        local.fault(json!({"service": "health", "kind": "subscription-required"}));
        local.route_health_events_to_stage_retry();
        local
    }

    /// As the template routes them: every AWS Health event to stage-retry, which records it.
    pub fn route_health_events_to_stage_retry(&self) {
        self.admin(
            "POST",
            "/_admin/rules",
            json!({"source": "aws.health", "function": "stage-retry"}),
        );
    }

    /// As the template routes them: the events `pipeguard unfreeze` and `pipeguard override` put,
    /// to stage-retry.
    pub fn route_pipeguard_events_to_stage_retry(&self) {
        for detail_type in ["pipeguard Freeze Ended", "pipeguard Override Granted"] {
            self.admin(
                "POST",
                "/_admin/rules",
                json!({"source": "pipeguard", "detail_type": detail_type, "function": "stage-retry"}),
            );
        }
    }

    /// As the template routes them with `ResumeOnAlarmPrefix` set: an alarm back to `OK`, to
    /// stage-retry.
    pub fn route_alarm_clearings_to_stage_retry(&self) {
        self.admin(
            "POST",
            "/_admin/rules",
            json!({"source": "aws.cloudwatch", "detail_type": "CloudWatch Alarm State Change", "state": "OK", "function": "stage-retry"}),
        );
    }

    /// As the template routes them with `ResumeOnCalendarPrefix` set: a Change Calendar turning
    /// `OPEN`, to stage-retry.
    pub fn route_calendar_openings_to_stage_retry(&self) {
        self.admin(
            "POST",
            "/_admin/rules",
            json!({"source": "aws.ssm", "detail_type": "Calendar State Change", "state": "OPEN", "function": "stage-retry"}),
        );
    }

    /// Moves the clock the functions and the command line see `seconds` ahead of the machine's.
    pub fn clock_ahead(&self, seconds: i64) {
        self.admin("POST", "/_admin/clock", json!({"offset_seconds": seconds}));
    }

    /// Moves the clock the functions and the command line see `seconds` further ahead than it
    /// is now (a bake's minutes passing at once).
    pub fn clock_forward(&self, seconds: i64) {
        let now: i64 = std::fs::read_to_string(self.emulator.clock_file())
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0);
        self.clock_ahead(now + seconds);
    }

    /// Freezes with the command line (`args` after `freeze`), in the event store's table, and
    /// returns the freeze's id.
    pub async fn freeze(&self, args: &[&str]) -> String {
        let mut all = vec!["--json", "freeze", "--events-table", EVENT_STORE];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = self.cli(&all, &[]).await;
        assert_eq!(code, 0, "pipeguard freeze failed: {stderr}");
        let answer: Value = serde_json::from_str(&stdout).expect("freeze --json prints JSON");
        answer["frozen"]["id"]
            .as_str()
            .expect("the freeze has an id")
            .to_owned()
    }

    /// A DynamoDB client of this emulator's tables, as any caller of the real API would make one.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version_latest()
                .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    "test", "test", None, None, "test",
                ))
                .endpoint_url(self.emulator.url())
                .build(),
        )
    }

    /// Writes `attributes` into the freezes' partition under `key`, as a person with the table's
    /// console would: nothing checks them.
    pub async fn freeze_by_hand(&self, key: &str, attributes: &[(&str, AttributeValue)]) {
        let client = self.dynamodb();
        let item: HashMap<String, AttributeValue> = [
            ("region", AttributeValue::S("pipeguard#freezes".into())),
            ("arn", AttributeValue::S(key.into())),
        ]
        .into_iter()
        .chain(attributes.iter().cloned())
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        client
            .put_item()
            .table_name(EVENT_STORE)
            .set_item(Some(item))
            .send()
            .await
            .expect("the emulator takes the item");
    }

    /// As the template routes them: every stage failure to stage-retry.
    pub fn route_stage_failures_to_stage_retry(&self) {
        self.admin(
            "POST",
            "/_admin/rules",
            json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED", "function": "stage-retry"}),
        );
    }

    /// The stack as people use it with freezes and overrides: the table, a topic the functions
    /// tell (`PEOPLES_TOPIC`), and stage failures and pipeguard's own events routed to
    /// stage-retry, as the template routes them.
    pub async fn start_for_people() -> Self {
        let local = Self::start_with_store(&[("NOTIFY_TOPIC_ARN", PEOPLES_TOPIC)]).await;
        local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
        local.route_stage_failures_to_stage_retry();
        local.route_pipeguard_events_to_stage_retry();
        local
    }

    /// Starts the emulator with the AWS Health event store's table, as the template creates it,
    /// named in every function's environment.
    pub async fn start_with_store(env: &[(&str, &str)]) -> Self {
        let mut env = env.to_vec();
        env.push(("HEALTH_EVENTS_TABLE", EVENT_STORE));
        let local = Self::start(&env).await;
        local.admin("POST", "/_admin/tables", event_store_table());
        local
    }

    /// The events the store holds, as `(arn, status)` (not pipeguard's own items: freezes,
    /// overrides, the index's marker).
    pub fn stored_events(&self) -> Vec<(String, String)> {
        let items = self.admin("GET", &format!("/_admin/tables/{EVENT_STORE}/items"), json!({}));
        items
            .as_array()
            .into_iter()
            .flatten()
            .filter(|item| {
                !item["region"]["S"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("pipeguard#")
            })
            .map(|item| {
                let text = |name: &str| item[name]["S"].as_str().unwrap_or_default().to_owned();
                (text("arn"), text("status"))
            })
            .collect()
    }

    /// Waits until the store records `arn` with `status`.
    pub async fn stored(&self, arn: &str, status: &str) {
        self.wait_for(
            Duration::from_secs(60),
            &format!("{arn} recorded {status}"),
            || {
                self.stored_events()
                    .iter()
                    .any(|(stored, stored_status)| stored == arn && stored_status == status)
                    .then_some(())
            },
        )
        .await;
    }

    /// Registers the function with the emulator's default timeout (the template's 30 s).
    pub fn register(&self, function: &str, env: &[(&str, &str)]) {
        self.register_function(function, env, None);
    }

    /// Registers the function with its own timeout. Lambda enforces it: an invocation still
    /// running at its deadline is stopped, fails and is retried.
    pub fn register_with_timeout(&self, function: &str, env: &[(&str, &str)], timeout_ms: u64) {
        self.register_function(function, env, Some(timeout_ms));
    }

    /// Registers the function with `env`, and the stack's gate (`GATE_FUNCTIONS`) as the
    /// template sets it unless `env` says otherwise.
    fn register_function(&self, function: &str, env: &[(&str, &str)], timeout_ms: Option<u64>) {
        let mut env: serde_json::Map<String, Value> = env
            .iter()
            .map(|(key, value)| (key.to_string(), json!(value)))
            .collect();
        env.entry(GATE_FUNCTIONS_VAR).or_insert(json!(FUNCTIONS[0]));
        let mut spec = json!({"name": function, "command": function_binary(function), "env": env});
        if let Some(timeout_ms) = timeout_ms {
            spec["timeout_ms"] = json!(timeout_ms);
        }
        self.admin("POST", "/_admin/functions", spec);
    }

    /// Calls the emulator's admin API; a call it refuses fails the test.
    pub fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        match self.emulator.admin(method, path, body) {
            Ok(value) => value,
            Err(error) => panic!("admin {method} {path} failed: {error}"),
        }
    }

    /// A pipeline Source → Gate (health-gate with `user_parameters`) → Deploy (scripted).
    pub fn gated_pipeline(&self, name: &str, user_parameters: &str, deploy_script: &[&str]) {
        self.admin(
            "POST",
            "/_admin/pipelines",
            json!({"name": name, "stages": [
                {"name": "Source", "actions": [{"name": "Source", "category": "Source", "provider": "CodeStarSourceConnection", "script": ["succeed"]}]},
                {"name": "Gate", "actions": [{"name": "HealthGate", "category": "Invoke", "lambda": {"function": "health-gate", "user_parameters": user_parameters}}]},
                {"name": "Deploy", "actions": [{"name": "Apply", "category": "Deploy", "provider": "CloudFormation", "script": deploy_script}]}
            ]}),
        );
    }

    /// A pipeline Source → Deploy, whose Apply (scripted; a rollback redeploys) is followed in
    /// the same stage by Bake: health-gate with `user_parameters` (naming `bake_minutes`).
    pub fn baked_pipeline(&self, name: &str, user_parameters: &str, deploy_script: &[&str]) {
        self.admin(
            "POST",
            "/_admin/pipelines",
            json!({"name": name, "stages": [
                {"name": "Source", "actions": [{"name": "Source", "category": "Source", "provider": "CodeStarSourceConnection", "script": ["succeed"]}]},
                {"name": "Deploy", "actions": [
                    {"name": "Apply", "category": "Deploy", "provider": "CloudFormation", "script": deploy_script},
                    {"name": "Bake", "category": "Invoke", "lambda": {"function": "health-gate", "user_parameters": user_parameters}}
                ]}
            ]}),
        );
    }

    /// Waits until the execution's bake has answered "in progress" at least once: its start is
    /// recorded in the continuation token.
    pub async fn baking(&self, execution_id: &str) {
        self.wait_for(Duration::from_secs(60), "the bake to be under way", || {
            let execution = self.execution(execution_id);
            (action(&execution, "Deploy", "Bake")["summary"] == "in progress").then_some(())
        })
        .await;
    }

    /// Starts an execution of `pipeline`; its id.
    pub fn start_execution(&self, pipeline: &str) -> String {
        let started = self.admin("POST", &format!("/_admin/pipelines/{pipeline}/start"), json!({}));
        started["pipelineExecutionId"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The execution `id` as the emulator holds it (stages, actions, status).
    pub fn execution(&self, id: &str) -> Value {
        self.admin("GET", &format!("/_admin/executions/{id}"), json!({}))
    }

    /// Waits until the execution is no longer running, and returns it.
    pub async fn finished(&self, id: &str, timeout: Duration) -> Value {
        self.wait_for(timeout, &format!("execution {id} to finish"), || {
            let execution = self.execution(id);
            (execution["status"] != "InProgress").then_some(execution)
        })
        .await
    }

    /// Waits until the execution reaches `status` (it may fail and be retried on the way).
    pub async fn reaches(&self, id: &str, status: &str, timeout: Duration) -> Value {
        self.wait_for(timeout, &format!("execution {id} to reach {status}"), || {
            let execution = self.execution(id);
            (execution["status"] == status).then_some(execution)
        })
        .await
    }

    /// Polls `check` until it returns something, or fails the scenario after `timeout`.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut check: impl FnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = check() {
                return found;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; timeline:\n{}",
                    self.timeline_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens an AWS Health issue of `service` in `region`; its ARN.
    pub fn open_issue(&self, region: &str, service: &str) -> String {
        let code = format!("AWS_{service}_OPERATIONAL_ISSUE");
        let opened = self.admin(
            "POST",
            "/_admin/health/events",
            json!({"service": service, "eventTypeCode": code, "region": region}),
        );
        opened["arn"].as_str().unwrap_or_default().to_owned()
    }

    /// Opens an issue AWS Health reports only to `accounts` (account-specific), as their
    /// forwarders would bring it to the tooling account.
    pub fn open_issue_in(&self, region: &str, service: &str, accounts: &[&str]) -> String {
        let code = format!("AWS_{service}_OPERATIONAL_ISSUE");
        let opened = self.admin(
            "POST",
            "/_admin/health/events",
            json!({"service": service, "eventTypeCode": code, "region": region, "accounts": accounts}),
        );
        opened["arn"].as_str().unwrap_or_default().to_owned()
    }

    /// An organization of the emulator's account and `members`, whose AWS Health organizational
    /// view is enabled and asked, as the README sets it up, from a Health delegated administrator
    /// (which may not ask the view's status, the management account's alone).
    pub fn organization(&self, members: &[&str]) {
        self.admin(
            "POST",
            "/_admin/settings",
            json!({"organization": {"members": members, "view": "ENABLED", "caller": "delegated-admin"}}),
        );
    }

    /// Closes the AWS Health event `arn`.
    pub fn close_issue(&self, arn: &str) {
        self.admin("POST", "/_admin/health/events/close", json!({"arn": arn}));
    }

    /// Injects a fault (throttling, errors, latency) into the emulator's answers.
    pub fn fault(&self, fault: Value) {
        self.admin("POST", "/_admin/faults", fault);
    }

    /// How many calls of `service`/`operation` the emulator answered (optionally on one endpoint).
    pub fn calls(&self, service: &str, operation: &str, endpoint: Option<u64>) -> usize {
        let calls = self.admin("GET", "/_admin/calls", json!({}));
        calls
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .filter(|call| call["service"] == service && call["operation"] == operation)
                    .filter(|call| endpoint.is_none_or(|endpoint| call["endpoint"] == endpoint))
                    .count()
            })
            .unwrap_or_default()
    }

    /// How many calls of `service`/`operation` the emulator answered with a 200.
    pub fn successful_calls(&self, service: &str, operation: &str) -> usize {
        let calls = self.admin("GET", "/_admin/calls", json!({}));
        calls
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .filter(|call| {
                        call["service"] == service && call["operation"] == operation && call["status"] == 200
                    })
                    .count()
            })
            .unwrap_or_default()
    }

    /// Delivers the first event that reached `mailbox` (a function that never runs, so events to
    /// it wait) to `function`, `times` times, as an at-least-once delivery might.
    pub async fn redeliver(&self, mailbox: &str, function: &str, times: usize) {
        let delivery = self
            .wait_for(
                Duration::from_secs(60),
                &format!("an event for {mailbox}"),
                || {
                    self.admin("GET", &format!("/_admin/pending/{mailbox}"), json!({}))
                        .as_array()
                        .and_then(|pending| pending.first().cloned())
                },
            )
            .await;
        for _ in 0..times {
            self.admin(
                "POST",
                "/_admin/invoke",
                json!({"function": function, "payload": delivery}),
            );
        }
    }

    /// Runs the `pipeguard` command line against this emulator, as someone with these
    /// credentials would, and returns its exit code, standard output and standard error.
    pub async fn cli(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut command = tokio::process::Command::new(function_binary("pipeguard"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_ENDPOINT_URL", self.emulator.url())
            .env(
                "PIPEGUARD_HEALTH_ENDPOINTS",
                format!("{},{}", self.emulator.url(), self.emulator.passive_url()),
            )
            .env("AWS_REGION", "us-east-1")
            .env("PIPEGUARD_TEST_CLOCK_FILE", self.emulator.clock_file())
            .env("AWS_ACCESS_KEY_ID", "pipeguard-cli")
            .env("AWS_SECRET_ACCESS_KEY", CLI_SECRET)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/pipeguard/config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/pipeguard/credentials",
            )
            .envs(env.iter().copied());
        let output = command.output().await.expect("the pipeguard binary starts");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Invocations of the function that ended in an error (each is delivered again, up to
    /// Lambda's two retries).
    pub fn failed_invocations(&self, function: &str) -> usize {
        self.admin("GET", &format!("/_admin/invocations/{function}"), json!({}))
            .as_array()
            .map_or(0, |results| {
                results
                    .iter()
                    .filter(|result| result.get("error").is_some())
                    .count()
            })
    }

    /// The sweep's schedule fires once (EventBridge's `Scheduled Event` to stage-retry).
    pub fn sweep(&self) {
        let scheduled = json!({"version": "0", "id": "sweep", "detail-type": "Scheduled Event", "source": "aws.events",
                               "account": "123456789012", "time": "2026-11-22T10:00:00Z", "region": "us-east-1",
                               "resources": ["arn:aws:events:us-east-1:123456789012:rule/pipeguard-sweep"], "detail": {}});
        self.admin(
            "POST",
            "/_admin/invoke",
            json!({"function": "stage-retry", "payload": scheduled}),
        );
    }

    /// Waits until the function has finished at least `count` invocations (answered or errored).
    pub async fn invoked(&self, function: &str, count: usize, what: &str) {
        self.wait_for(Duration::from_secs(150), what, || {
            (self.invocations(function) >= count).then_some(())
        })
        .await;
    }

    /// Invocations the function has finished (answered or errored).
    pub fn invocations(&self, function: &str) -> usize {
        self.admin("GET", &format!("/_admin/invocations/{function}"), json!({}))
            .as_array()
            .map_or(0, Vec::len)
    }

    /// Every execution of every pipeline, in the order they started (id, pipeline, status, type).
    pub fn executions(&self) -> Vec<Value> {
        self.admin("GET", "/_admin/executions", json!({}))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every rollback execution (RollbackStage's), of any pipeline.
    pub fn rollbacks(&self) -> Vec<Value> {
        self.executions()
            .into_iter()
            .filter(|execution| execution["type"] == "ROLLBACK")
            .collect()
    }

    /// The Lambda service's view of a function: its process (`pid`, `spawned_at`) and its
    /// invocations queued, in flight and waiting for a retry; null before it is registered.
    pub fn function(&self, name: &str) -> Value {
        self.admin("GET", "/_admin/functions", json!({}))
            .as_array()
            .and_then(|functions| functions.iter().find(|function| function["name"] == name))
            .cloned()
            .unwrap_or_default()
    }

    /// Every message published to SNS so far.
    pub fn messages(&self) -> Vec<Value> {
        self.admin("GET", "/_admin/messages", json!({}))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn timeline_text(&self) -> String {
        let log = self.admin("GET", "/_admin/log", json!({}));
        log.as_array()
            .into_iter()
            .flatten()
            .map(|entry| format!("  {}", entry["text"].as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Timeline entries not returned before, for the demo's running commentary.
    pub fn new_timeline(&mut self) -> Vec<(f64, String)> {
        let log = self.admin("GET", "/_admin/log", json!({}));
        let entries: Vec<(f64, String)> = log
            .as_array()
            .into_iter()
            .flatten()
            .skip(self.printed)
            .map(|entry| {
                (
                    entry["at"].as_f64().unwrap_or_default(),
                    entry["text"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        self.printed += entries.len();
        entries
    }
}

/// The named action of a finished execution, as the admin interface shows it.
/// The failure message of the execution's health gate (empty when it did not fail).
pub fn gate_message(execution: &Value) -> String {
    action(execution, "Gate", "HealthGate")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The action `action` of `stage` in an execution as `Local::execution` gives it.
pub fn action<'a>(execution: &'a Value, stage: &str, action: &str) -> &'a Value {
    execution["stages"]
        .as_array()
        .and_then(|stages| stages.iter().find(|candidate| candidate["name"] == stage))
        .and_then(|stage| stage["actions"].as_array())
        .and_then(|actions| actions.iter().find(|candidate| candidate["name"] == action))
        .unwrap_or(&Value::Null)
}
