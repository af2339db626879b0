//! The emulator's state: pipelines and their executions, jobs, AWS Health events, SNS topics,
//! DynamoDB tables, functions, faults and the record of every call. One lock guards it all; handlers hold it
//! briefly and never across an await.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, oneshot};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// Seconds since the Unix epoch (to the microsecond, for the benchmark's timings).
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_micros() as f64 / 1_000_000.0)
}

/// A pipeline as the admin interface defines it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PipelineSpec {
    pub name: String,
    pub stages: Vec<StageSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageSpec {
    pub name: String,
    pub actions: Vec<ActionSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionSpec {
    pub name: String,
    #[serde(default = "default_category")]
    pub category: String,
    #[serde(default = "default_provider")]
    pub provider: String,
    /// A Lambda invoke action: the function and its UserParameters.
    #[serde(default)]
    pub lambda: Option<LambdaAction>,
    /// A scripted action: the outcome of each run in turn, the last one repeating.
    /// `succeed`, `fail`, or `fail:<error code>:<message>`.
    #[serde(default)]
    pub script: Vec<String>,
    /// How long a scripted action runs, in milliseconds.
    #[serde(default)]
    pub run_ms: u64,
    /// How the action fares in a rollback execution (`succeed` when absent).
    #[serde(default)]
    pub rollback_script: Vec<String>,
}

fn default_category() -> String {
    "Build".into()
}

fn default_provider() -> String {
    "Script".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LambdaAction {
    pub function: String,
    #[serde(default)]
    pub user_parameters: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptOutcome {
    Succeed,
    Fail { code: String, message: String },
}

impl ScriptOutcome {
    pub fn parse(text: &str) -> Self {
        let mut parts = text.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("fail"), code, message) => Self::Fail {
                code: code.unwrap_or("JobFailed").to_owned(),
                message: message.unwrap_or("the scripted action failed").to_owned(),
            },
            _ => Self::Succeed,
        }
    }
}

/// A pipeline: its definition, version and how often each scripted action has run.
#[derive(Debug)]
pub struct Pipeline {
    pub spec: PipelineSpec,
    pub version: i64,
    pub created: f64,
    pub runs: HashMap<(String, String), usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct ActionRun {
    pub name: String,
    pub status: String,
    pub action_execution_id: String,
    pub summary: Option<String>,
    pub error: Option<ActionError>,
    pub output_variables: BTreeMap<String, String>,
    pub started: f64,
    pub updated: f64,
}

#[derive(Debug, Clone)]
pub struct StageRun {
    pub name: String,
    pub status: String,
    pub actions: Vec<ActionRun>,
    pub manual_retries: u32,
}

#[derive(Debug, Clone)]
pub struct Execution {
    pub id: String,
    pub pipeline: String,
    pub version: i64,
    pub status: String,
    pub execution_type: String,
    pub rollback_target: Option<String>,
    pub trigger: String,
    pub started: f64,
    pub updated: f64,
    /// Stages reached so far, in pipeline order.
    pub stages: Vec<StageRun>,
}

/// What a function reported for a job.
#[derive(Debug, Clone)]
pub enum JobOutcome {
    Succeeded {
        summary: Option<String>,
        continuation_token: Option<String>,
        output_variables: BTreeMap<String, String>,
    },
    Failed {
        kind: String,
        message: String,
    },
}

#[derive(Debug)]
pub struct Job {
    pub id: String,
    pub pipeline: String,
    pub stage: String,
    pub action: String,
    pub execution_id: String,
    pub action_execution_id: String,
    pub function: String,
    pub user_parameters: Option<String>,
    pub continuation_token: Option<String>,
    pub outcome: Option<JobOutcome>,
    pub waiter: Option<oneshot::Sender<JobOutcome>>,
    /// When the job was created and when its result arrived.
    pub created: f64,
    pub answered: Option<f64>,
}

/// An AWS Health event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthEvent {
    #[serde(default)]
    pub arn: String,
    pub service: String,
    pub event_type_code: String,
    #[serde(default = "default_event_category")]
    pub event_type_category: String,
    pub region: String,
    #[serde(default = "default_event_status")]
    pub status_code: String,
    #[serde(default)]
    pub start_time: f64,
    #[serde(default)]
    pub end_time: Option<f64>,
    #[serde(default)]
    pub last_updated_time: f64,
    /// How many updates of the event were announced: each is a new communication.
    #[serde(skip)]
    pub updates: u32,
    /// The accounts an account-specific event affects (sorted, without repeats); empty for a
    /// public event, which every account sees.
    #[serde(default)]
    pub accounts: Vec<String>,
}

impl HealthEvent {
    /// `PUBLIC` or `ACCOUNT_SPECIFIC`, as AWS Health's `eventScopeCode` says.
    pub fn scope(&self) -> &'static str {
        if self.accounts.is_empty() {
            "PUBLIC"
        } else {
            "ACCOUNT_SPECIFIC"
        }
    }

    /// Whether `account` sees the event in its own AWS Health: every account sees a public
    /// event, only the affected accounts an account-specific one.
    pub fn visible_to(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|affected| affected == account)
    }

    /// The event's (only) description, in English.
    pub fn description(&self) -> String {
        format!("{} {} in {}", self.service, self.status_code, self.region)
    }
}

/// Whether `text` is a 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// Whether AWS Health's organizational view is on (`EnableHealthServiceAccessForOrganization`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganizationView {
    Enabled,
    #[default]
    Disabled,
    Pending,
}

impl OrganizationView {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "ENABLED",
            Self::Disabled => "DISABLED",
            Self::Pending => "PENDING",
        }
    }
}

/// What the caller's account (always [`ACCOUNT`]) is in its organization.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrganizationRole {
    #[default]
    Management,
    /// A delegated administrator of AWS Health.
    DelegatedAdmin,
    Member,
}

/// The organization [`ACCOUNT`] belongs to, as AWS Health's organizational view sees it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Organization {
    /// The other member accounts ([`ACCOUNT`] always is one).
    pub members: Vec<String>,
    pub view: OrganizationView,
    pub caller: OrganizationRole,
}

impl Organization {
    pub fn is_member(&self, account: &str) -> bool {
        account == ACCOUNT || self.members.iter().any(|member| member == account)
    }
}

fn default_event_category() -> String {
    "issue".into()
}

fn default_event_status() -> String {
    "open".into()
}

/// One invocation waiting for a function to take it.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub payload: Value,
    /// Lambda retries a failed asynchronous invocation twice.
    pub attempt: u32,
}

/// A Lambda function: how to start it, and its invocation queue.
#[derive(Debug, Default)]
pub struct Function {
    pub command: Option<String>,
    pub args: Vec<String>,
    pub cwd: Option<String>,
    /// The running process, and when it was started.
    pub pid: Option<u32>,
    pub spawned_at: Option<f64>,
    pub env: BTreeMap<String, String>,
    /// The function's timeout (30 s unless registered otherwise). Lambda ends an invocation
    /// still running at its deadline: the process is stopped, the invocation fails and is
    /// retried. 0 enforces nothing, and tells the function its deadline is a second away.
    pub timeout_ms: u64,
    pub queue: VecDeque<Invocation>,
    pub arrived: Arc<Notify>,
    pub started: bool,
    /// Where its Runtime API listens, once opened.
    pub runtime_address: Option<std::net::SocketAddr>,
    /// Invocations handed to the function and not yet answered.
    pub in_flight: HashMap<String, Invocation>,
    /// Failed invocations waiting for their retry's delay.
    pub retrying: usize,
    /// Finished invocations: request id, when, and the response or error body.
    pub results: Vec<(String, f64, Result<Value, Value>)>,
}

/// An event Lambda gave up on after its retries, with the last attempt's error.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub function: String,
    pub request_id: String,
    pub payload: Value,
    pub error: Value,
}

/// A fault the next matching calls suffer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    /// `codepipeline`, `health`, `sns`, `sts`, `dynamodb`, or `*`.
    pub service: String,
    /// An operation name, or `*`.
    #[serde(default = "any")]
    pub operation: String,
    pub kind: FaultKind,
    /// For `latency` and `late-answer`: how long, in milliseconds.
    #[serde(default)]
    pub ms: u64,
    /// Which Health endpoint it applies to (0 active, 1 passive); all when absent.
    #[serde(default)]
    pub endpoint: Option<usize>,
    /// How many calls it affects; every call while absent.
    #[serde(default)]
    pub count: Option<u32>,
    /// Only the calls of this caller (a function's name, or the command line's access key);
    /// every caller's while absent.
    #[serde(default)]
    pub caller: Option<String>,
}

/// What a faulted call suffers; an unknown kind is refused when the fault is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Each service's own throttling error.
    Throttle,
    /// 500 InternalFailure.
    ServerError,
    /// 503 ServiceUnavailable.
    Unavailable,
    /// Waits `ms` before the call is handled.
    Latency,
    /// Handles the call at once (its effect happens) and waits `ms` before answering.
    LateAnswer,
    /// Closes the connection without an answer.
    Drop,
    /// AWS Health's answer to an account without a support plan.
    SubscriptionRequired,
    /// A resource busy for a while: Resource Manager's 409 `LockConflict` (a stack locked by a
    /// job, which Oracle's SDKs ask again), an AWS service's 409 `ConflictException`.
    LockConflict,
}

fn any() -> String {
    "*".into()
}

#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub at: f64,
    pub service: String,
    pub operation: String,
    pub endpoint: usize,
    /// The access key that signed the call (a function's name, for functions Lambda started).
    pub caller: String,
    pub fault: Option<FaultKind>,
    /// The HTTP status answered (0 when the connection was dropped).
    pub status: u16,
}

#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub topic_arn: String,
    pub message_id: String,
    pub subject: Option<String>,
    /// The message, or its default form when it has one per protocol.
    pub message: String,
    /// The form for each protocol (`email`, `https`, ...) when published with
    /// `MessageStructure=json`.
    pub forms: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default)]
pub struct Topic {
    /// Function names subscribed with the `lambda` protocol.
    pub functions: Vec<String>,
}

/// Where pipeline and Health events go: a notification rule publishes the `detailType` shape
/// to an SNS topic; an EventBridge rule invokes a function with the `detail-type` shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    /// `aws.codepipeline` or `aws.health`.
    pub source: String,
    /// Only this detail type (e.g. `CodePipeline Stage Execution State Change`), as an
    /// EventBridge pattern or a notification rule's event types would select.
    #[serde(default)]
    pub detail_type: Option<String>,
    /// Only these states (e.g. `FAILED`, or a list of them).
    #[serde(default, deserialize_with = "one_or_many")]
    pub state: Vec<String>,
    /// Only this pipeline's changes.
    #[serde(default)]
    pub pipeline: Option<String>,
    #[serde(default)]
    pub topic_arn: Option<String>,
    #[serde(default)]
    pub function: Option<String>,
    /// A pipeline to start (EventBridge's CodePipeline target: StartPipelineExecution).
    #[serde(default)]
    pub start_pipeline: Option<String>,
}

/// A string, or a list of strings, as an EventBridge pattern lists the values it matches.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(value) => vec![value],
        OneOrMany::Many(values) => values,
    })
}

/// A line in the timeline the demo prints.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub seq: usize,
    pub at: f64,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct State {
    /// Oracle Cloud Resource Manager: its keys and jobs.
    pub orm: crate::orm::Orm,
    pub pipelines: BTreeMap<String, Pipeline>,
    pub executions: Vec<Execution>,
    pub jobs: HashMap<String, Job>,
    pub health_events: Vec<HealthEvent>,
    pub topics: BTreeMap<String, Topic>,
    pub published: Vec<Published>,
    /// DynamoDB tables by name.
    pub tables: BTreeMap<String, crate::dynamodb_table::Table>,
    pub rules: Vec<Rule>,
    pub functions: BTreeMap<String, Function>,
    pub faults: Vec<Fault>,
    pub calls: Vec<Call>,
    /// Asynchronous invocations that failed on every attempt: the dead-letter queue.
    pub dead_letters: Vec<DeadLetter>,
    pub log: Vec<LogEntry>,
    /// Delay before CodePipeline invokes a function again after a continuation.
    pub continuation_delay_ms: u64,
    /// Delay before Lambda retries a failed asynchronous invocation (about a minute on AWS).
    pub retry_delay_ms: u64,
    /// Latency added to every AWS call, for benchmarks.
    pub latency_ms: u64,
    /// Where function processes write their output; discarded when unset.
    pub log_dir: Option<std::path::PathBuf>,
    /// The organization the emulator's account belongs to (AWS Health's organizational view).
    pub organization: Organization,
    next_id: u64,
}

impl State {
    pub fn new() -> Self {
        Self {
            continuation_delay_ms: 200,
            ..Self::default()
        }
    }

    /// A fresh id in the shape AWS uses (a UUID-like string).
    pub fn id(&mut self) -> String {
        self.next_id += 1;
        format!("{:08x}-0000-4000-8000-{:012x}", self.next_id, self.next_id)
    }

    pub fn record(&mut self, text: impl Into<String>) {
        let seq = self.log.len();
        self.log.push(LogEntry {
            seq,
            at: now(),
            text: text.into(),
        });
    }

    /// Finds (and uses up) the fault for this call, if any.
    pub fn take_fault(
        &mut self,
        service: &str,
        operation: &str,
        endpoint: usize,
        caller: &str,
    ) -> Option<Fault> {
        let index = self.faults.iter().position(|fault| {
            (fault.service == "*" || fault.service == service)
                && (fault.operation == "*" || fault.operation == operation)
                && fault.endpoint.is_none_or(|only| only == endpoint)
                && fault.caller.as_deref().is_none_or(|only| only == caller)
        })?;
        let fault = self.faults[index].clone();
        if let Some(count) = &mut self.faults[index].count {
            *count -= 1;
            if *count == 0 {
                self.faults.remove(index);
            }
        }
        Some(fault)
    }

    pub fn execution_mut(&mut self, id: &str) -> Option<&mut Execution> {
        self.executions.iter_mut().find(|execution| execution.id == id)
    }

    pub fn execution(&self, id: &str) -> Option<&Execution> {
        self.executions.iter().find(|execution| execution.id == id)
    }

    pub fn pipeline_arn(name: &str) -> String {
        format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:{name}")
    }
}

impl Execution {
    /// A new execution, running from now. A rollback names the execution it returns to.
    pub fn start(
        id: String,
        pipeline: &str,
        version: i64,
        trigger: &str,
        rollback_target: Option<String>,
    ) -> Self {
        let started = now();
        Self {
            id,
            pipeline: pipeline.to_owned(),
            version,
            status: "InProgress".into(),
            execution_type: if rollback_target.is_some() {
                "ROLLBACK"
            } else {
                "STANDARD"
            }
            .into(),
            rollback_target,
            trigger: trigger.into(),
            started,
            updated: started,
            stages: Vec::new(),
        }
    }

    pub fn stage_mut(&mut self, name: &str) -> Option<&mut StageRun> {
        self.stages.iter_mut().find(|stage| stage.name == name)
    }

    pub fn stage(&self, name: &str) -> Option<&StageRun> {
        self.stages.iter().find(|stage| stage.name == name)
    }

    pub fn is_running(&self) -> bool {
        matches!(self.status.as_str(), "InProgress" | "Stopping")
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
