//! The emulator's state: pipelines and their executions, jobs, AWS Health events, SNS topics,
//! DynamoDB tables, functions, faults and the record of every call. One lock guards it all; handlers hold it
//! briefly and never across an await.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, oneshot};

mod fault;
mod health;
mod signals;

pub use fault::{Fault, FaultKind, Target};
pub use health::{HealthEvent, Organization, OrganizationRole, OrganizationView, is_account_id};
pub use signals::{Alarm, AlarmState, AlarmType, CHANGE_CALENDAR, Calendar, CalendarState, listed};

/// Where an alarm or an SSM document lives, and its name: (account, region, name).
pub type ResourceKey = (String, String, String);

/// The one AWS account the emulator plays: every ARN's account, and GetCallerIdentity's `Account`.
pub const ACCOUNT: &str = "123456789012";
/// The AWS region of every ARN, event and function environment (`AWS_REGION`) the emulator makes.
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
    /// The pipeline's name: its key in [`State::pipelines`] and the last part of its ARN.
    pub name: String,
    /// Its stages, in the order an execution runs them.
    pub stages: Vec<StageSpec>,
}

/// A stage of a [`PipelineSpec`]: its actions, run in turn until one fails.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageSpec {
    /// The stage's name (`stageName` in CodePipeline's API).
    pub name: String,
    /// The stage's actions, in the order they run.
    pub actions: Vec<ActionSpec>,
}

/// An action of a stage: a Lambda invoke action, or a scripted stand-in for any other provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionSpec {
    /// The action's name (`actionName` in CodePipeline's API).
    pub name: String,
    /// Its `actionTypeId.category` (`Build` unless given), as GetPipeline and ListActionExecutions report it.
    #[serde(default = "default_category")]
    pub category: String,
    /// Its `actionTypeId.provider` when scripted (`Script` unless given); a Lambda action reports `Lambda`.
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

/// A Lambda invoke action's configuration: the function CodePipeline invokes with a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LambdaAction {
    /// The function's name (the action's `FunctionName`).
    pub function: String,
    /// The action's `UserParameters`, handed to the function in the job's data.
    #[serde(default)]
    pub user_parameters: Option<String>,
}

/// One step of a scripted action, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptOutcome {
    /// The run succeeds (`succeed`, or any step that is not a `fail` one).
    Succeed,
    /// The run fails with this error (`fail:<error code>:<message>`).
    Fail {
        /// The error code (`JobFailed` when the step leaves it out).
        code: String,
        /// The error message (a generic one when the step leaves it out).
        message: String,
    },
}

impl ScriptOutcome {
    /// Parses a script step: `fail`, `fail:<code>` or `fail:<code>:<message>` fails; anything else succeeds.
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
    /// Its definition, as the admin interface last set it.
    pub spec: PipelineSpec,
    /// Its version (`pipelineVersion`): 1, plus one each time it is redefined.
    pub version: i64,
    /// When its current version was defined (epoch seconds); reported as both `created` and `updated`.
    pub created: f64,
    /// How many times each scripted action has run, by (stage, action): picks its script's next step.
    pub runs: HashMap<(String, String), usize>,
}

/// Why an action run failed: CodePipeline's `errorDetails`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionError {
    /// The error code (a job's failure type such as `JobFailed`, or the script's code).
    pub code: String,
    /// The error message.
    pub message: String,
}

/// An action's latest run within a stage run, as GetPipelineState and ListActionExecutions show it.
#[derive(Debug, Clone)]
pub struct ActionRun {
    /// The action's name.
    pub name: String,
    /// `Pending`, `InProgress`, `Succeeded` or `Failed`.
    pub status: String,
    /// The run's id (`actionExecutionId`); empty until the action starts.
    pub action_execution_id: String,
    /// The run's summary (`externalExecutionSummary`): the function's, or `in progress` while it continues.
    pub summary: Option<String>,
    /// Why the run failed (`errorDetails`), if it did.
    pub error: Option<ActionError>,
    /// The output variables the function's PutJobSuccessResult reported.
    pub output_variables: BTreeMap<String, String>,
    /// When the run started (epoch seconds; `startTime`).
    pub started: f64,
    /// When its status last changed (epoch seconds; `lastUpdateTime`, `lastStatusChange`).
    pub updated: f64,
}

/// A stage's run within an execution.
#[derive(Debug, Clone)]
pub struct StageRun {
    /// The stage's name.
    pub name: String,
    /// `InProgress`, `Succeeded` or `Failed`.
    pub status: String,
    /// Every action of the stage, in pipeline order, with its latest run.
    pub actions: Vec<ActionRun>,
    /// How many times RetryStageExecution retried its failed actions (`manualStageRetryAttempt`).
    pub manual_retries: u32,
}

/// A pipeline execution (CodePipeline's `PipelineExecutionSummary`): standard, or a rollback.
#[derive(Debug, Clone)]
pub struct Execution {
    /// The execution's id (`pipelineExecutionId`).
    pub id: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// The pipeline version it runs (`pipelineVersion`); retries and rollbacks need the current one.
    pub version: i64,
    /// CodePipeline's execution status: `InProgress`, `Succeeded`, `Failed`, ...
    pub status: String,
    /// `STANDARD`, or `ROLLBACK` for an execution RollbackStage started (`executionType`).
    pub execution_type: String,
    /// For a rollback, the execution it returns to (`rollbackTargetPipelineExecutionId`).
    pub rollback_target: Option<String>,
    /// What started it (`trigger.triggerType`): `StartPipelineExecution`, `RollbackStage` or `EventBridge`.
    pub trigger: String,
    /// When it started (epoch seconds; `startTime`).
    pub started: f64,
    /// When its status last changed (epoch seconds; `lastUpdateTime`).
    pub updated: f64,
    /// Stages reached so far, in pipeline order.
    pub stages: Vec<StageRun>,
}

/// What a function reported for a job.
#[derive(Debug, Clone)]
pub enum JobOutcome {
    /// PutJobSuccessResult.
    Succeeded {
        /// The run's summary (`executionDetails.summary`).
        summary: Option<String>,
        /// Set while the action is still in progress: CodePipeline invokes the function again with it.
        continuation_token: Option<String>,
        /// The action's `outputVariables` (only without a continuation token).
        output_variables: BTreeMap<String, String>,
    },
    /// PutJobFailureResult.
    Failed {
        /// `failureDetails.type`, e.g. `JobFailed` or `ConfigurationError`.
        kind: String,
        /// `failureDetails.message`.
        message: String,
    },
}

/// A CodePipeline job: one invocation of a Lambda invoke action's function, waiting for its result.
#[derive(Debug)]
pub struct Job {
    /// The job's id (`CodePipeline.job.id`), which GetJobDetails and PutJob*Result name.
    pub id: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// The stage's name.
    pub stage: String,
    /// The action's name.
    pub action: String,
    /// The execution it belongs to (`pipelineExecutionId`).
    pub execution_id: String,
    /// The action run it belongs to (`actionExecutionId`); its continuations share it.
    pub action_execution_id: String,
    /// The function invoked (`FunctionName`).
    pub function: String,
    /// The action's `UserParameters`.
    pub user_parameters: Option<String>,
    /// The previous job's continuation token, handed back to the function (`continuationToken`).
    pub continuation_token: Option<String>,
    /// The function's result, once reported (a job takes one).
    pub outcome: Option<JobOutcome>,
    /// Wakes the action waiting for the result; taken when the result arrives.
    pub waiter: Option<oneshot::Sender<JobOutcome>>,
    /// When the job was created and when its result arrived.
    pub created: f64,
    /// When its result arrived (epoch seconds), if it has.
    pub answered: Option<f64>,
}

/// One invocation waiting for a function to take it.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The invocation's request id (`Lambda-Runtime-Aws-Request-Id`).
    pub request_id: String,
    /// The event the function receives.
    pub payload: Value,
    /// Lambda retries a failed asynchronous invocation twice.
    pub attempt: u32,
}

/// A Lambda function: how to start it, and its invocation queue.
#[derive(Debug, Default)]
pub struct Function {
    /// The program started on a cold start; without one, invocations wait for a process started otherwise.
    pub command: Option<String>,
    /// The program's arguments.
    pub args: Vec<String>,
    /// The directory to start it in (the emulator's own when unset).
    pub cwd: Option<String>,
    /// The running process, and when it was started.
    pub pid: Option<u32>,
    /// When the running process was started (epoch seconds).
    pub spawned_at: Option<f64>,
    /// Its own environment variables, added to those Lambda sets.
    pub env: BTreeMap<String, String>,
    /// The function's timeout (30 s unless registered otherwise). Lambda ends an invocation
    /// still running at its deadline: the process is stopped, the invocation fails and is
    /// retried. 0 enforces nothing, and tells the function its deadline is a second away.
    pub timeout_ms: u64,
    /// Invocations waiting for the process to take them (`/runtime/invocation/next`).
    pub queue: VecDeque<Invocation>,
    /// Wakes a long-polling `/runtime/invocation/next` when an invocation is queued.
    pub arrived: Arc<Notify>,
    /// Whether its process has been started (and not stopped since by a timeout).
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
    /// The function's name.
    pub function: String,
    /// The invocation's request id.
    pub request_id: String,
    /// The event that was never handled.
    pub payload: Value,
    /// The last attempt's error body (`errorType`, `errorMessage`).
    pub error: Value,
}

/// One call received, as `/_admin/calls` lists it: an AWS API's, or Resource Manager's.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    /// When it arrived (epoch seconds).
    pub at: f64,
    /// `codepipeline`, `health`, `sns`, `sts`, `events`, `dynamodb`, `monitoring` (CloudWatch),
    /// `ssm` or `resourcemanager`.
    pub service: String,
    /// The operation called (e.g. `DescribeEvents`).
    pub operation: String,
    /// Which listener it came to: 0 the main one, 1 AWS Health's passive endpoint.
    pub endpoint: usize,
    /// The access key that signed the call (a function's name, for functions Lambda started).
    pub caller: String,
    /// The fault it suffered, if any.
    pub fault: Option<FaultKind>,
    /// The HTTP status answered (0 when the connection was dropped).
    pub status: u16,
    /// The DynamoDB capacity units the call consumed, as DynamoDB counts them, whether or not
    /// the caller asked for `ReturnConsumedCapacity` (none for other services, and for a
    /// DynamoDB call refused before it read or wrote).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<CallCapacity>,
}

/// The capacity units one DynamoDB call consumed, table and indexes together.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CallCapacity {
    /// Read units (Query, Scan, GetItem).
    pub read_units: f64,
    /// Write units (PutItem, a failed conditional one too).
    pub write_units: f64,
    /// The global secondary index a Query read, when it read one rather than the table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
}

/// A message published to an SNS topic, kept for tests and the demo to read back.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// The topic's ARN.
    pub topic_arn: String,
    /// The `MessageId` Publish answered.
    pub message_id: String,
    /// The message's `Subject`, if it had one.
    pub subject: Option<String>,
    /// The message, or its default form when it has one per protocol.
    pub message: String,
    /// The form for each protocol (`email`, `https`, ...) when published with
    /// `MessageStructure=json`.
    pub forms: serde_json::Map<String, serde_json::Value>,
}

/// An SNS topic (keyed by its ARN in [`State::topics`]) and its subscribers.
#[derive(Debug, Clone, Default)]
pub struct Topic {
    /// Function names subscribed with the `lambda` protocol.
    pub functions: Vec<String>,
}

/// Where pipeline and Health events go: a notification rule publishes the `detailType` shape
/// to an SNS topic; an EventBridge rule invokes a function with the `detail-type` shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    /// `aws.codepipeline`, `aws.health`, `aws.cloudwatch`, `aws.ssm`, or a PutEvents source.
    pub source: String,
    /// Only this detail type (e.g. `CodePipeline Stage Execution State Change`), as an
    /// EventBridge pattern or a notification rule's event types would select.
    #[serde(default)]
    pub detail_type: Option<String>,
    /// Only these states (e.g. `FAILED`, or a list of them): a pipeline change's, an alarm's
    /// new `state.value`, a Change Calendar's new `state`.
    #[serde(default, deserialize_with = "one_or_many")]
    pub state: Vec<String>,
    /// Only this pipeline's changes.
    #[serde(default)]
    pub pipeline: Option<String>,
    /// An SNS topic to publish matching changes to, in the notification rule's `detailType` shape.
    #[serde(default)]
    pub topic_arn: Option<String>,
    /// A function to invoke with matching events, in EventBridge's `detail-type` shape.
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
    /// Its position in the timeline, from 0.
    pub seq: usize,
    /// When it happened (epoch seconds).
    pub at: f64,
    /// What happened.
    pub text: String,
}

/// Everything the emulator holds, behind the one lock every handler takes.
#[derive(Debug, Default)]
pub struct State {
    /// Oracle Cloud Resource Manager: its keys and jobs.
    pub orm: crate::orm::Orm,
    /// Pipelines by name.
    pub pipelines: BTreeMap<String, Pipeline>,
    /// Every execution of every pipeline, oldest first.
    pub executions: Vec<Execution>,
    /// CodePipeline jobs by id, answered or not.
    pub jobs: HashMap<String, Job>,
    /// AWS Health events, open and closed.
    pub health_events: Vec<HealthEvent>,
    /// CloudWatch alarms, in name order within an account and region.
    pub alarms: BTreeMap<ResourceKey, Alarm>,
    /// SSM documents (Change Calendars and others), in name order within an account and region.
    pub calendars: BTreeMap<ResourceKey, Calendar>,
    /// IAM roles any caller may assume, by account and name.
    pub roles: std::collections::BTreeSet<(String, String)>,
    /// SNS topics by ARN.
    pub topics: BTreeMap<String, Topic>,
    /// Every message published to SNS, in order.
    pub published: Vec<Published>,
    /// DynamoDB tables by name.
    pub tables: BTreeMap<String, crate::dynamodb_table::Table>,
    /// Notification and EventBridge rules, in the order they were added.
    pub rules: Vec<Rule>,
    /// Lambda functions by name (registered, or first invoked).
    pub functions: BTreeMap<String, Function>,
    /// Faults waiting for the calls they match; the first that matches applies.
    pub faults: Vec<Fault>,
    /// Every call received, in order.
    pub calls: Vec<Call>,
    /// Asynchronous invocations that failed on every attempt: the dead-letter queue.
    pub dead_letters: Vec<DeadLetter>,
    /// The timeline the demo prints.
    pub log: Vec<LogEntry>,
    /// Delay before CodePipeline invokes a function again after a continuation.
    pub continuation_delay_ms: u64,
    /// Delay before Lambda retries a failed asynchronous invocation (about a minute on AWS).
    pub retry_delay_ms: u64,
    /// Latency added to every AWS call, for benchmarks.
    pub latency_ms: u64,
    /// How long a DynamoDB global secondary index created by UpdateTable stays CREATING
    /// (backfilling, not readable) before it is ACTIVE; 0, at once, by default.
    pub dynamodb_index_backfill_ms: u64,
    /// Where function processes write their output; discarded when unset.
    pub log_dir: Option<std::path::PathBuf>,
    /// The organization the emulator's account belongs to (AWS Health's organizational view).
    pub organization: Organization,
    next_id: u64,
}

impl State {
    /// An empty state, with CodePipeline's continuation delay at 200 ms.
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

    /// Adds a line to the timeline.
    pub fn record(&mut self, text: impl Into<String>) {
        let seq = self.log.len();
        self.log.push(LogEntry {
            seq,
            at: now(),
            text: text.into(),
        });
    }

    /// Finds (and uses up) the fault for this call, if any.
    pub fn take_fault(&mut self, call: &Target) -> Option<Fault> {
        let index = self.faults.iter().position(|fault| fault.hits(call))?;
        let fault = self.faults[index].clone();
        if let Some(count) = &mut self.faults[index].count {
            *count -= 1;
            if *count == 0 {
                self.faults.remove(index);
            }
        }
        Some(fault)
    }

    /// The execution with this id, to change.
    pub fn execution_mut(&mut self, id: &str) -> Option<&mut Execution> {
        self.executions.iter_mut().find(|execution| execution.id == id)
    }

    /// The execution with this id.
    pub fn execution(&self, id: &str) -> Option<&Execution> {
        self.executions.iter().find(|execution| execution.id == id)
    }

    /// The ARN of the pipeline `name`.
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

    /// The run of stage `name`, to change.
    pub fn stage_mut(&mut self, name: &str) -> Option<&mut StageRun> {
        self.stages.iter_mut().find(|stage| stage.name == name)
    }

    /// The run of stage `name`, if the execution reached it.
    pub fn stage(&self, name: &str) -> Option<&StageRun> {
        self.stages.iter().find(|stage| stage.name == name)
    }

    /// Whether the execution is still going (`InProgress` or `Stopping`).
    pub fn is_running(&self) -> bool {
        matches!(self.status.as_str(), "InProgress" | "Stopping")
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
