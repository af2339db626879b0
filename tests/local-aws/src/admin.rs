//! The admin interface under `/_admin/`: set up pipelines, functions, topics and rules, open
//! and close AWS Health events, set CloudWatch alarms and SSM Change Calendars, inject faults, and read back state, calls, messages, DynamoDB
//! items and the timeline. JSON in, JSON out.

use crate::state::{
    Fault, HealthEvent, OrganizationRole, OrganizationView, Pipeline, PipelineSpec, REGION, Rule,
    is_account_id, now,
};
use crate::wire::AwsError;
use crate::{Shared, cloudwatch, dynamodb, engine, notify, runtime, ssm, sts};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

fn parse<T: for<'de> Deserialize<'de>>(body: Value) -> Result<T, AwsError> {
    serde_json::from_value(body)
        .map_err(|error| AwsError::new(400, "BadRequest", format!("invalid admin request: {error}")))
}

fn not_found(what: String) -> AwsError {
    AwsError::new(404, "NotFound", what)
}

#[derive(Deserialize)]
struct FunctionSpec {
    name: String,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    env: std::collections::BTreeMap<String, String>,
    #[serde(default = "default_timeout")]
    timeout_ms: u64,
}

fn default_timeout() -> u64 {
    30_000
}

#[derive(Deserialize)]
struct TopicSpec {
    name: String,
    #[serde(default)]
    subscribe: Vec<String>,
}

#[derive(Deserialize)]
struct Settings {
    latency_ms: Option<u64>,
    continuation_delay_ms: Option<u64>,
    retry_delay_ms: Option<u64>,
    dynamodb_index_backfill_ms: Option<u64>,
    log_dir: Option<std::path::PathBuf>,
    organization: Option<OrganizationSettings>,
}

/// The organization's settings; a field left out keeps its value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationSettings {
    members: Option<Vec<String>>,
    view: Option<OrganizationView>,
    caller: Option<OrganizationRole>,
}

/// A list of account ids, each of 12 digits, sorted and without repeats.
fn account_ids(field: &str, value: &Value) -> Result<Vec<String>, AwsError> {
    let invalid = || {
        AwsError::new(
            400,
            "BadRequest",
            format!("{field} must be a list of 12-digit account ids"),
        )
    };
    let mut accounts = value
        .as_array()
        .ok_or_else(invalid)?
        .iter()
        .map(|account| {
            account
                .as_str()
                .filter(|account| is_account_id(account))
                .map(str::to_owned)
                .ok_or_else(invalid)
        })
        .collect::<Result<Vec<_>, _>>()?;
    accounts.sort();
    accounts.dedup();
    Ok(accounts)
}

pub fn handle(shared: &Arc<Shared>, method: &str, path: &str, body: Value) -> Result<Value, AwsError> {
    let segments: Vec<&str> = path
        .trim_start_matches("/_admin/")
        .trim_end_matches('/')
        .split('/')
        .collect();
    match (method, segments.as_slice()) {
        ("POST", ["pipelines"]) => {
            let spec: PipelineSpec = parse(body)?;
            let mut state = shared.state();
            let version = state
                .pipelines
                .get(&spec.name)
                .map_or(1, |pipeline| pipeline.version + 1);
            state.record(format!("pipeline {} defined (version {version})", spec.name));
            state.pipelines.insert(
                spec.name.clone(),
                Pipeline {
                    spec,
                    version,
                    created: now(),
                    runs: Default::default(),
                },
            );
            Ok(json!({"version": version}))
        }
        ("POST", ["pipelines", name, "start"]) => Ok(
            json!({"pipelineExecutionId": engine::start_execution(shared, name, "StartPipelineExecution")?}),
        ),
        ("GET", ["executions", id]) => {
            let state = shared.state();
            let execution = state
                .execution(id)
                .ok_or_else(|| not_found(format!("execution {id}")))?;
            let stages: Vec<Value> = execution
                .stages
                .iter()
                .map(|stage| {
                    let actions: Vec<Value> = stage
                        .actions
                        .iter()
                        .map(|action| json!({"name": action.name, "status": action.status, "summary": action.summary,
                                            "error": action.error.as_ref().map(|error| json!({"code": error.code, "message": error.message})),
                                            "output_variables": action.output_variables, "started": action.started, "updated": action.updated}))
                        .collect();
                    json!({"name": stage.name, "status": stage.status, "manual_retries": stage.manual_retries, "actions": actions})
                })
                .collect();
            Ok(
                json!({"id": execution.id, "pipeline": execution.pipeline, "status": execution.status, "type": execution.execution_type,
                      "rollback_target": execution.rollback_target, "trigger": execution.trigger, "started": execution.started,
                      "updated": execution.updated, "stages": stages}),
            )
        }
        ("GET", ["executions"]) => {
            let state = shared.state();
            Ok(Value::Array(
                state.executions.iter().map(|execution| json!({"id": execution.id, "pipeline": execution.pipeline, "status": execution.status, "type": execution.execution_type})).collect(),
            ))
        }
        ("POST", ["health", "events"]) => {
            let mut body = body;
            let accounts = match body.as_object_mut().and_then(|fields| fields.remove("accounts")) {
                None | Some(Value::Null) => None,
                Some(accounts) => Some(account_ids("accounts", &accounts)?),
            };
            let mut event: HealthEvent = parse(body)?;
            let opened = {
                let mut state = shared.state();
                if event.arn.is_empty() {
                    let suffix = state.id();
                    event.arn = format!(
                        "arn:aws:health:{}::event/{}/{}/{}_{}",
                        event.region,
                        event.service,
                        event.event_type_code,
                        event.event_type_code,
                        &suffix[..8]
                    );
                }
                let time = now();
                if event.start_time == 0.0 {
                    event.start_time = time;
                }
                event.last_updated_time = time;
                state.record(format!(
                    "AWS Health: {} {} {} in {} ({})",
                    event.service,
                    event.event_type_category,
                    event.status_code,
                    event.region,
                    event.event_type_code
                ));
                let existing = state
                    .health_events
                    .iter()
                    .find(|existing| existing.arn == event.arn);
                event.updates = existing.map_or(1, |existing| existing.updates + 1);
                // An update that does not name the accounts keeps the event's.
                event.accounts = accounts
                    .or_else(|| existing.map(|existing| existing.accounts.clone()))
                    .unwrap_or_default();
                state.health_events.retain(|existing| existing.arn != event.arn);
                state.health_events.push(event.clone());
                event
            };
            notify::announce_health(shared, &opened);
            Ok(json!({"arn": opened.arn}))
        }
        ("POST", ["health", "events", "close"]) => {
            let arn = body
                .get("arn")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let closed = {
                let mut state = shared.state();
                let event = state
                    .health_events
                    .iter_mut()
                    .find(|event| event.arn == arn)
                    .ok_or_else(|| not_found(format!("Health event {arn}")))?;
                let time = now();
                event.status_code = "closed".into();
                event.end_time = Some(time);
                event.last_updated_time = time;
                event.updates += 1;
                let closed = event.clone();
                state.record(format!(
                    "AWS Health: {} issue in {} closed",
                    closed.service, closed.region
                ));
                closed
            };
            notify::announce_health(shared, &closed);
            Ok(json!({"arn": arn}))
        }
        ("GET", ["health", "events"]) => {
            let state = shared.state();
            let events = state.health_events.iter().map(|event| {
                let mut shown = serde_json::to_value(event).unwrap_or_default();
                shown["eventScopeCode"] = json!(event.scope());
                shown
            });
            Ok(Value::Array(events.collect()))
        }
        ("POST", ["cloudwatch", "alarms"]) => cloudwatch::set_alarm(shared, body),
        ("GET", ["cloudwatch", "alarms"]) => Ok(cloudwatch::alarms(shared)),
        ("POST", ["iam", "roles"]) => sts::declare_role(shared, &body),
        ("POST", ["ssm", "calendars"]) => ssm::set_calendar(shared, body),
        ("GET", ["ssm", "calendars"]) => Ok(ssm::calendars(shared)),
        ("POST", ["functions"]) => {
            let spec: FunctionSpec = parse(body)?;
            let mut state = shared.state();
            let function = state.functions.entry(spec.name.clone()).or_default();
            function.command = spec.command;
            function.args = spec.args;
            function.cwd = spec.cwd;
            function.env = spec.env;
            function.timeout_ms = spec.timeout_ms;
            Ok(json!({"arn": runtime::function_arn(&spec.name)}))
        }
        ("GET", ["functions"]) => {
            let state = shared.state();
            let functions = state.functions.iter().map(|(name, function)| {
                json!({"name": name, "pid": function.pid, "spawned_at": function.spawned_at, "started": function.started,
                       "queued": function.queue.len(), "in_flight": function.in_flight.len(), "retrying": function.retrying})
            });
            Ok(Value::Array(functions.collect()))
        }
        ("GET", ["invocations", function]) => {
            let state = shared.state();
            let results = state
                .functions
                .get(*function)
                .map(|function| function.results.clone())
                .unwrap_or_default();
            Ok(Value::Array(
                results
                    .into_iter()
                    .map(|(request_id, at, result)| match result {
                        Ok(response) => json!({"request_id": request_id, "at": at, "response": response}),
                        Err(error) => json!({"request_id": request_id, "at": at, "error": error}),
                    })
                    .collect(),
            ))
        }
        ("GET", ["pending", function]) => {
            let state = shared.state();
            let queued = state.functions.get(*function).map(|function| {
                function
                    .queue
                    .iter()
                    .map(|invocation| invocation.payload.clone())
                    .collect()
            });
            Ok(Value::Array(queued.unwrap_or_default()))
        }
        ("POST", ["invoke"]) => {
            let function = body
                .get("function")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let payload = body.get("payload").cloned().unwrap_or_default();
            Ok(json!({"request_id": runtime::invoke(shared, &function, payload)}))
        }
        ("POST", ["topics"]) => {
            let spec: TopicSpec = parse(body)?;
            let arn = format!("arn:aws:sns:{REGION}:{}:{}", crate::state::ACCOUNT, spec.name);
            let mut state = shared.state();
            let topic = state.topics.entry(arn.clone()).or_default();
            for function in spec.subscribe {
                if !topic.functions.contains(&function) {
                    topic.functions.push(function);
                }
            }
            Ok(json!({"arn": arn}))
        }
        ("POST", ["tables"]) => dynamodb::handle(shared, "CreateTable", &body),
        ("POST", ["dynamodb", "seed"]) => crate::dynamodb_seed::seed(shared, body),
        ("GET", ["tables", name, "items"]) => dynamodb::table_items(shared, name)
            .map(Value::Array)
            .ok_or_else(|| not_found(format!("DynamoDB table {name}"))),
        ("GET", ["messages"]) => Ok(serde_json::to_value(&shared.state().published).unwrap_or_default()),
        ("POST", ["rules"]) => {
            let rule: Rule = parse(body)?;
            shared.state().rules.push(rule);
            Ok(json!({}))
        }
        ("POST", ["faults"]) => {
            let fault: Fault = parse(body)?;
            fault
                .check()
                .map_err(|why| AwsError::new(400, "BadRequest", format!("invalid fault: {why}")))?;
            shared.state().faults.push(fault);
            Ok(json!({}))
        }
        ("DELETE", ["faults"]) => {
            shared.state().faults.clear();
            Ok(json!({}))
        }
        ("GET", ["dead-letters"]) => {
            Ok(serde_json::to_value(&shared.state().dead_letters).unwrap_or_default())
        }
        ("GET", ["calls"]) => Ok(serde_json::to_value(&shared.state().calls).unwrap_or_default()),
        ("GET", ["log"]) => Ok(serde_json::to_value(&shared.state().log).unwrap_or_default()),
        ("GET", ["jobs"]) => {
            let state = shared.state();
            Ok(Value::Array(
                state
                    .jobs
                    .values()
                    .map(|job| json!({"id": job.id, "pipeline": job.pipeline, "function": job.function, "answered": job.outcome.is_some(), "created": job.created, "answered_at": job.answered,
                                     "continuation_token": job.continuation_token}))
                    .collect(),
            ))
        }
        ("POST", ["settings"]) => {
            let settings: Settings = parse(body)?;
            let organization = settings
                .organization
                .map(|organization| {
                    let members = organization
                        .members
                        .map(|members| account_ids("organization.members", &json!(members)))
                        .transpose()?;
                    Ok::<_, AwsError>((members, organization.view, organization.caller))
                })
                .transpose()?;
            let mut state = shared.state();
            if let Some(latency) = settings.latency_ms {
                state.latency_ms = latency;
            }
            if let Some(delay) = settings.continuation_delay_ms {
                state.continuation_delay_ms = delay;
            }
            if let Some(delay) = settings.retry_delay_ms {
                state.retry_delay_ms = delay;
            }
            if let Some(backfill) = settings.dynamodb_index_backfill_ms {
                state.dynamodb_index_backfill_ms = backfill;
            }
            if settings.log_dir.is_some() {
                state.log_dir = settings.log_dir;
            }
            if let Some((members, view, caller)) = organization {
                if let Some(members) = members {
                    state.organization.members = members;
                }
                if let Some(view) = view {
                    state.organization.view = view;
                }
                if let Some(caller) = caller {
                    state.organization.caller = caller;
                }
            }
            Ok(json!({}))
        }
        // The test clock: the functions' time (in builds with pipeguard's `test-clock` feature)
        // is now this many seconds ahead of the machine's.
        ("POST", ["oci", what]) => crate::orm::admin(shared, what, &body),
        ("POST", ["clock"]) => {
            let offset = body["offset_seconds"]
                .as_i64()
                .ok_or_else(|| AwsError::validation("offset_seconds must be a whole number"))?;
            std::fs::write(&shared.clock_file, offset.to_string())
                .map_err(|error| AwsError::new(500, "InternalFailure", format!("the clock file: {error}")))?;
            Ok(json!({"offset_seconds": offset}))
        }
        _ => Err(not_found(format!("no admin route {method} {path}"))),
    }
}
