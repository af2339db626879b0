//! CodePipeline's engine: an execution moves stage by stage, action by action. A Lambda invoke
//! action creates a job and invokes the function (again, with the continuation token, while
//! the function answers "in progress"); a scripted action succeeds or fails as its script says.
//! Every state change is announced to the configured rules.

use crate::Shared;
use crate::notify::{self, StateChange};
use crate::runtime;
use crate::state::{
    ACCOUNT, ActionError, ActionRun, ActionSpec, Execution, Job, JobOutcome, ScriptOutcome, StageRun, now,
};
use crate::wire::AwsError;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long an action waits for its function's job result before it fails, like CodePipeline's
/// 20 minutes, scaled for local runs.
const JOB_TIMEOUT: Duration = Duration::from_secs(60);

/// Which actions of a stage a run executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rerun {
    All,
    FailedOnly,
}

pub fn start_execution(shared: &Arc<Shared>, pipeline: &str, trigger: &str) -> Result<String, AwsError> {
    let id = {
        let mut state = shared.state();
        let version = state
            .pipelines
            .get(pipeline)
            .map(|pipeline| pipeline.version)
            .ok_or_else(|| {
                AwsError::new(
                    400,
                    "PipelineNotFoundException",
                    format!("pipeline {pipeline} does not exist"),
                )
            })?;
        let id = state.id();
        state
            .executions
            .push(Execution::start(id.clone(), pipeline, version, trigger, None));
        state.record(format!(
            "{pipeline}: execution {} started ({trigger})",
            short(&id)
        ));
        id
    };
    notify::announce(shared, StateChange::execution(pipeline, &id, "STARTED"));
    let runner = Arc::clone(shared);
    let execution_id = id.clone();
    shared.spawn(async move { run(runner, execution_id, 0, Rerun::All).await });
    Ok(id)
}

/// A short form of an execution id for the timeline.
pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Runs an execution from stage `first` to the end, or until a stage fails.
pub async fn run(shared: Arc<Shared>, execution_id: String, first: usize, rerun: Rerun) {
    let Some((pipeline, stages)) = ({
        let state = shared.state();
        state.execution(&execution_id).and_then(|execution| {
            state
                .pipelines
                .get(&execution.pipeline)
                .map(|pipeline| (execution.pipeline.clone(), pipeline.spec.stages.clone()))
        })
    }) else {
        return;
    };
    let only_stage = {
        let state = shared.state();
        state
            .execution(&execution_id)
            .filter(|execution| execution.execution_type == "ROLLBACK")
            .map(|_| first)
    };
    for (index, stage) in stages.iter().enumerate().skip(first) {
        if only_stage.is_some_and(|only| only != index) {
            break;
        }
        let previous_failures = start_stage(
            &shared,
            &execution_id,
            &stage.name,
            &stage.actions,
            rerun,
            index == first,
        );
        notify::announce(
            &shared,
            StateChange::stage(&pipeline, &execution_id, &stage.name, "STARTED"),
        );
        let mut failed = Vec::new();
        for action in &stage.actions {
            if index == first && rerun == Rerun::FailedOnly && !previous_failures.contains(&action.name) {
                continue;
            }
            match run_action(&shared, &pipeline, &execution_id, &stage.name, action).await {
                Ok(()) => {}
                Err(error) => {
                    failed.push((action.name.clone(), error));
                    break;
                }
            }
        }
        let stage_status = if failed.is_empty() { "Succeeded" } else { "Failed" };
        {
            let mut state = shared.state();
            if let Some(run) = state
                .execution_mut(&execution_id)
                .and_then(|execution| execution.stage_mut(&stage.name))
            {
                run.status = stage_status.into();
            }
            state.record(format!(
                "{pipeline}: stage {} {}",
                stage.name,
                stage_status.to_lowercase()
            ));
        }
        let mut change = StateChange::stage(
            &pipeline,
            &execution_id,
            &stage.name,
            &stage_status.to_uppercase(),
        );
        change.failed_actions = failed
            .iter()
            .map(|(action, error)| (action.clone(), error.message.clone()))
            .collect();
        notify::announce(&shared, change);
        if !failed.is_empty() {
            finish_execution(&shared, &pipeline, &execution_id, "Failed");
            return;
        }
    }
    finish_execution(&shared, &pipeline, &execution_id, "Succeeded");
}

/// Marks the stage as running and returns the actions that had failed in it before (a retry).
fn start_stage(
    shared: &Arc<Shared>,
    execution_id: &str,
    stage: &str,
    actions: &[ActionSpec],
    rerun: Rerun,
    first: bool,
) -> Vec<String> {
    let mut state = shared.state();
    let Some(execution) = state.execution_mut(execution_id) else {
        return Vec::new();
    };
    execution.status = "InProgress".into();
    execution.updated = now();
    let previous_failures: Vec<String> = execution
        .stage(stage)
        .map(|run| {
            run.actions
                .iter()
                .filter(|action| action.status == "Failed")
                .map(|action| action.name.clone())
                .collect()
        })
        .unwrap_or_default();
    if first && rerun == Rerun::FailedOnly {
        if let Some(run) = execution.stage_mut(stage) {
            run.status = "InProgress".into();
            run.manual_retries += 1;
        }
    } else if execution.stage(stage).is_none() || rerun == Rerun::All {
        execution.stages.retain(|run| run.name != stage);
        execution.stages.push(StageRun {
            name: stage.into(),
            status: "InProgress".into(),
            actions: actions
                .iter()
                .map(|action| ActionRun {
                    name: action.name.clone(),
                    status: "Pending".into(),
                    action_execution_id: String::new(),
                    summary: None,
                    error: None,
                    output_variables: BTreeMap::new(),
                    started: now(),
                    updated: now(),
                })
                .collect(),
            manual_retries: 0,
        });
    }
    previous_failures
}

fn finish_execution(shared: &Arc<Shared>, pipeline: &str, execution_id: &str, status: &str) {
    {
        let mut state = shared.state();
        if let Some(execution) = state.execution_mut(execution_id) {
            execution.status = status.into();
            execution.updated = now();
        }
        state.record(format!(
            "{pipeline}: execution {} {}",
            short(execution_id),
            status.to_lowercase()
        ));
    }
    notify::announce(
        shared,
        StateChange::execution(pipeline, execution_id, &status.to_uppercase()),
    );
}

fn set_action(
    shared: &Arc<Shared>,
    execution_id: &str,
    stage: &str,
    action: &str,
    update: impl FnOnce(&mut ActionRun),
) {
    let mut state = shared.state();
    if let Some(run) = state
        .execution_mut(execution_id)
        .and_then(|execution| execution.stage_mut(stage))
        .and_then(|stage| stage.actions.iter_mut().find(|run| run.name == action))
    {
        update(run);
        run.updated = now();
    }
}

async fn run_action(
    shared: &Arc<Shared>,
    pipeline: &str,
    execution_id: &str,
    stage: &str,
    action: &ActionSpec,
) -> Result<(), ActionError> {
    let action_execution_id = shared.state().id();
    set_action(shared, execution_id, stage, &action.name, |run| {
        run.status = "InProgress".into();
        run.action_execution_id = action_execution_id.clone();
        run.error = None;
        run.started = now();
    });
    let mut started = StateChange::action(pipeline, execution_id, stage, action, "STARTED");
    started.error = None;
    notify::announce(shared, started);
    let is_rollback = shared
        .state()
        .execution(execution_id)
        .is_some_and(|execution| execution.execution_type == "ROLLBACK");
    let result = match &action.lambda {
        Some(lambda) => {
            run_lambda(
                shared,
                pipeline,
                execution_id,
                stage,
                action,
                &action_execution_id,
                &lambda.function,
                lambda.user_parameters.clone(),
            )
            .await
        }
        None if is_rollback => match action
            .rollback_script
            .first()
            .map(|step| ScriptOutcome::parse(step))
        {
            Some(ScriptOutcome::Fail { code, message }) => Err(ActionError { code, message }),
            _ => Ok(Some("redeployed the target execution's revision".to_owned())),
        },
        None => run_script(shared, pipeline, stage, action).await,
    };
    let status = if result.is_ok() { "Succeeded" } else { "Failed" };
    set_action(shared, execution_id, stage, &action.name, |run| {
        run.status = status.into();
        match &result {
            Ok(summary) => run.summary = summary.clone(),
            Err(error) => run.error = Some(error.clone()),
        }
    });
    {
        let mut state = shared.state();
        let detail = match &result {
            Err(error) => format!(
                ": {} {}",
                error.code,
                error.message.lines().next().unwrap_or_default()
            ),
            Ok(_) => String::new(),
        };
        state.record(format!(
            "{pipeline}: action {stage}.{} {}{detail}",
            action.name,
            status.to_lowercase()
        ));
    }
    let mut change = StateChange::action(pipeline, execution_id, stage, action, &status.to_uppercase());
    change.error = result.as_ref().err().cloned();
    notify::announce(shared, change);
    result.map(drop)
}

async fn run_script(
    shared: &Arc<Shared>,
    pipeline: &str,
    stage: &str,
    action: &ActionSpec,
) -> Result<Option<String>, ActionError> {
    if action.run_ms > 0 {
        tokio::time::sleep(Duration::from_millis(action.run_ms)).await;
    }
    let outcome = {
        let mut state = shared.state();
        let runs = state
            .pipelines
            .get_mut(pipeline)
            .map(|pipeline| {
                let runs = pipeline
                    .runs
                    .entry((stage.to_owned(), action.name.clone()))
                    .or_default();
                *runs += 1;
                *runs
            })
            .unwrap_or(1);
        action
            .script
            .get(runs - 1)
            .or(action.script.last())
            .map_or(ScriptOutcome::Succeed, |step| ScriptOutcome::parse(step))
    };
    match outcome {
        ScriptOutcome::Succeed => Ok(None),
        ScriptOutcome::Fail { code, message } => Err(ActionError { code, message }),
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_lambda(
    shared: &Arc<Shared>,
    pipeline: &str,
    execution_id: &str,
    stage: &str,
    action: &ActionSpec,
    action_execution_id: &str,
    function: &str,
    user_parameters: Option<String>,
) -> Result<Option<String>, ActionError> {
    let mut continuation_token = None;
    loop {
        let (sender, receiver) = oneshot::channel();
        let (job_id, payload) = {
            let mut state = shared.state();
            let job_id = state.id();
            let payload = job_event(
                &job_id,
                function,
                user_parameters.as_deref(),
                continuation_token.as_deref(),
            );
            state.jobs.insert(
                job_id.clone(),
                Job {
                    id: job_id.clone(),
                    pipeline: pipeline.into(),
                    stage: stage.into(),
                    action: action.name.clone(),
                    execution_id: execution_id.into(),
                    action_execution_id: action_execution_id.into(),
                    function: function.into(),
                    user_parameters: user_parameters.clone(),
                    continuation_token: continuation_token.clone(),
                    outcome: None,
                    waiter: Some(sender),
                    created: now(),
                    answered: None,
                },
            );
            (job_id, payload)
        };
        runtime::invoke(shared, function, payload);
        let outcome = match tokio::time::timeout(JOB_TIMEOUT, receiver).await {
            Ok(Ok(outcome)) => outcome,
            _ => {
                return Err(ActionError {
                    code: "JobFailed".into(),
                    message: format!(
                        "the action timed out: {function} never reported a result for job {job_id}"
                    ),
                });
            }
        };
        match outcome {
            JobOutcome::Succeeded {
                continuation_token: Some(token),
                summary,
                ..
            } => {
                let delay = {
                    let mut state = shared.state();
                    state.record(format!(
                        "{pipeline}: {stage}.{} in progress: {}",
                        action.name,
                        summary.unwrap_or_default()
                    ));
                    state.continuation_delay_ms
                };
                set_action(shared, execution_id, stage, &action.name, |run| {
                    run.summary = Some("in progress".into())
                });
                tokio::time::sleep(Duration::from_millis(delay)).await;
                continuation_token = Some(token);
            }
            JobOutcome::Succeeded {
                summary,
                output_variables,
                ..
            } => {
                set_action(shared, execution_id, stage, &action.name, |run| {
                    run.output_variables = output_variables
                });
                return Ok(summary);
            }
            JobOutcome::Failed { kind, message } => return Err(ActionError { code: kind, message }),
        }
    }
}

/// The event CodePipeline sends a Lambda invoke action, with throwaway artifact credentials.
fn job_event(
    job_id: &str,
    function: &str,
    user_parameters: Option<&str>,
    continuation_token: Option<&str>,
) -> serde_json::Value {
    let mut configuration = json!({"FunctionName": function});
    if let Some(user_parameters) = user_parameters {
        configuration["UserParameters"] = json!(user_parameters);
    }
    let mut data = json!({
        "actionConfiguration": {"configuration": configuration},
        "inputArtifacts": [],
        "outputArtifacts": [],
        "artifactCredentials": {
            "accessKeyId": "ASIALOCALEXAMPLE",
            "secretAccessKey": "local-secret-never-log-me",
            "sessionToken": "local-session-token",
            "expirationTime": ((now() + 3600.0) * 1000.0) as u64
        }
    });
    if let Some(token) = continuation_token {
        data["continuationToken"] = json!(token);
    }
    json!({"CodePipeline.job": {"id": job_id, "accountId": ACCOUNT, "data": data}})
}
