//! CodePipeline over AWS JSON 1.1: jobs, pipeline state and history, retries and rollbacks,
//! with AWS's preconditions and error codes.

use crate::Shared;
use crate::engine::{self, Rerun};
use crate::state::{ACCOUNT, Execution, JobOutcome, Pipeline, REGION, State, now};
use crate::wire::{AwsError, page};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

fn text<'a>(input: &'a Value, name: &str) -> Result<&'a str, AwsError> {
    input
        .get(name)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| AwsError::validation(format!("1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must not be null")))
}

/// The pipeline `name`, or CodePipeline's PipelineNotFoundException.
fn pipeline_named<'a>(state: &'a State, name: &str) -> Result<&'a Pipeline, AwsError> {
    state.pipelines.get(name).ok_or_else(|| pipeline_not_found(name))
}

fn pipeline_not_found(name: &str) -> AwsError {
    AwsError::new(
        400,
        "PipelineNotFoundException",
        format!("Account '{ACCOUNT}' does not have a pipeline with name '{name}'"),
    )
}

pub fn handle(shared: &Arc<Shared>, operation: &str, input: &Value) -> Result<Value, AwsError> {
    match operation {
        "GetJobDetails" => get_job_details(shared, input),
        "PutJobSuccessResult" => put_job_success_result(shared, input),
        "PutJobFailureResult" => put_job_failure_result(shared, input),
        "GetPipelineState" => get_pipeline_state(shared, input),
        "GetPipeline" => get_pipeline(shared, input),
        "ListPipelineExecutions" => list_pipeline_executions(shared, input),
        "ListActionExecutions" => list_action_executions(shared, input),
        "RetryStageExecution" => retry_stage_execution(shared, input),
        "RollbackStage" => rollback_stage(shared, input),
        "StartPipelineExecution" => {
            let name = text(input, "name")?;
            Ok(
                json!({"pipelineExecutionId": engine::start_execution(shared, name, "StartPipelineExecution")?}),
            )
        }
        "ListPipelines" => {
            let state = shared.state();
            let pipelines: Vec<Value> = state
                .pipelines
                .values()
                .map(|pipeline| {
                    json!({"name": pipeline.spec.name, "version": pipeline.version, "pipelineType": "V2", "executionMode": "SUPERSEDED",
                           "created": pipeline.created, "updated": pipeline.created})
                })
                .collect();
            Ok(json!({"pipelines": pipelines}))
        }
        other => Err(AwsError::new(
            400,
            "UnknownOperationException",
            format!("{other} is not emulated"),
        )),
    }
}

fn get_job_details(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let job_id = text(input, "jobId")?;
    let state = shared.state();
    let job = state.jobs.get(job_id).ok_or_else(|| {
        AwsError::new(
            400,
            "JobNotFoundException",
            format!("job {job_id} does not exist"),
        )
    })?;
    let mut configuration = json!({"FunctionName": job.function});
    if let Some(user_parameters) = &job.user_parameters {
        configuration["UserParameters"] = json!(user_parameters);
    }
    let mut data = json!({
        "actionTypeId": {"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"},
        "actionConfiguration": {"configuration": configuration},
        "pipelineContext": {
            "pipelineName": job.pipeline,
            "stage": {"name": job.stage},
            "action": {"name": job.action, "actionExecutionId": job.action_execution_id},
            "pipelineArn": State::pipeline_arn(&job.pipeline),
            "pipelineExecutionId": job.execution_id
        },
        "inputArtifacts": [],
        "outputArtifacts": []
    });
    if let Some(token) = &job.continuation_token {
        data["continuationToken"] = json!(token);
    }
    Ok(json!({"jobDetails": {"id": job.id, "accountId": ACCOUNT, "data": data}}))
}

/// Records a job's result and wakes the action waiting for it; a job answers once.
fn complete_job(shared: &Arc<Shared>, job_id: &str, outcome: JobOutcome) -> Result<Value, AwsError> {
    let mut state = shared.state();
    let job = state.jobs.get_mut(job_id).ok_or_else(|| {
        AwsError::new(
            400,
            "JobNotFoundException",
            format!("job {job_id} does not exist"),
        )
    })?;
    if job.outcome.is_some() {
        return Err(AwsError::new(
            400,
            "InvalidJobStateException",
            format!("job {job_id} already has a result"),
        ));
    }
    job.outcome = Some(outcome.clone());
    job.answered = Some(now());
    let waiter = job.waiter.take();
    let (function, pipeline) = (job.function.clone(), job.pipeline.clone());
    let line = match &outcome {
        JobOutcome::Succeeded {
            continuation_token: Some(_),
            ..
        } => format!("{function} reports: in progress (hold) for {pipeline}"),
        JobOutcome::Succeeded { summary, .. } => format!(
            "{function} reports: success for {pipeline}: {}",
            summary.as_deref().unwrap_or("")
        ),
        JobOutcome::Failed { kind, message } => {
            format!(
                "{function} reports: failure ({kind}) for {pipeline}: {}",
                message.lines().next().unwrap_or_default()
            )
        }
    };
    state.record(line);
    if let Some(waiter) = waiter {
        let _ = waiter.send(outcome);
    }
    Ok(json!({}))
}

fn put_job_success_result(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let job_id = text(input, "jobId")?;
    let continuation_token = input
        .get("continuationToken")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let output_variables: BTreeMap<String, String> = input
        .get("outputVariables")
        .and_then(Value::as_object)
        .map(|variables| {
            variables
                .iter()
                .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    if continuation_token.is_some() && !output_variables.is_empty() {
        return Err(AwsError::validation(
            "outputVariables can only be sent without a continuationToken",
        ));
    }
    if continuation_token
        .as_ref()
        .is_some_and(|token| token.is_empty() || token.chars().count() > 2048)
    {
        return Err(AwsError::validation(
            "continuationToken must be 1 to 2048 characters",
        ));
    }
    let summary = input
        .pointer("/executionDetails/summary")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if summary
        .as_ref()
        .is_some_and(|summary| summary.chars().count() > 2048)
    {
        return Err(AwsError::validation(
            "executionDetails.summary must be at most 2048 characters",
        ));
    }
    complete_job(
        shared,
        job_id,
        JobOutcome::Succeeded {
            summary,
            continuation_token,
            output_variables,
        },
    )
}

fn put_job_failure_result(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let job_id = text(input, "jobId")?;
    let kind = input
        .pointer("/failureDetails/type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let message = input
        .pointer("/failureDetails/message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kinds = [
        "JobFailed",
        "ConfigurationError",
        "PermissionError",
        "RevisionOutOfSync",
        "RevisionUnavailable",
        "SystemUnavailable",
    ];
    if !kinds.contains(&kind) {
        return Err(AwsError::validation(format!(
            "failureDetails.type {kind:?} is not one of {kinds:?}"
        )));
    }
    if message.is_empty() || message.chars().count() > 5000 {
        return Err(AwsError::validation(
            "failureDetails.message must be 1 to 5000 characters",
        ));
    }
    complete_job(
        shared,
        job_id,
        JobOutcome::Failed {
            kind: kind.into(),
            message: message.into(),
        },
    )
}

/// The pipeline's structure as GetPipeline declares it: each action's type and configuration
/// (a Lambda invoke action's `FunctionName` and `UserParameters`).
fn get_pipeline(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let name = text(input, "name")?;
    let state = shared.state();
    let pipeline = pipeline_named(&state, name)?;
    let stages: Vec<Value> = pipeline
        .spec
        .stages
        .iter()
        .map(|stage| {
            let actions: Vec<Value> = stage
                .actions
                .iter()
                .map(|action| {
                    let (owner, provider, configuration) = match &action.lambda {
                        Some(lambda) => {
                            let mut configuration = json!({"FunctionName": lambda.function});
                            if let Some(user_parameters) = &lambda.user_parameters {
                                configuration["UserParameters"] = json!(user_parameters);
                            }
                            ("AWS", "Lambda", configuration)
                        }
                        None => ("Custom", action.provider.as_str(), json!({})),
                    };
                    json!({"name": action.name, "runOrder": 1, "configuration": configuration,
                           "actionTypeId": {"category": action.category, "owner": owner, "provider": provider, "version": "1"}})
                })
                .collect();
            json!({"name": stage.name, "actions": actions})
        })
        .collect();
    Ok(json!({
        "pipeline": {"name": name, "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/{name}-pipeline"),
                     "stages": stages, "version": pipeline.version, "pipelineType": "V2"},
        "metadata": {"pipelineArn": format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:{name}"),
                     "created": pipeline.created, "updated": pipeline.created}
    }))
}

fn get_pipeline_state(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let name = text(input, "name")?;
    let state = shared.state();
    let pipeline = pipeline_named(&state, name)?;
    let stage_states: Vec<Value> = pipeline
        .spec
        .stages
        .iter()
        .map(|stage| {
            let latest = state
                .executions
                .iter()
                .rev()
                .filter(|execution| execution.pipeline == name)
                .find_map(|execution| execution.stage(&stage.name).map(|run| (execution, run)));
            let mut stage_state = json!({"stageName": stage.name});
            if let Some((execution, run)) = latest {
                stage_state["latestExecution"] = json!({"pipelineExecutionId": execution.id, "status": run.status, "type": execution.execution_type});
                stage_state["actionStates"] = Value::Array(
                    run.actions
                        .iter()
                        .map(|action| {
                            let mut latest = json!({"actionExecutionId": action.action_execution_id, "status": action.status, "lastStatusChange": action.updated});
                            if let Some(summary) = &action.summary {
                                latest["summary"] = json!(summary);
                            }
                            if let Some(error) = &action.error {
                                latest["errorDetails"] = json!({"code": error.code, "message": error.message});
                            }
                            json!({"actionName": action.name, "latestExecution": latest})
                        })
                        .collect(),
                );
                if run.manual_retries > 0 {
                    stage_state["retryStageMetadata"] =
                        json!({"autoStageRetryAttempt": 0, "manualStageRetryAttempt": run.manual_retries, "latestRetryTrigger": "ManualStageRetry"});
                }
            }
            stage_state
        })
        .collect();
    Ok(
        json!({"pipelineName": name, "pipelineVersion": pipeline.version, "stageStates": stage_states, "created": pipeline.created, "updated": pipeline.created}),
    )
}

fn execution_summary(execution: &Execution) -> Value {
    let mut summary = json!({
        "pipelineExecutionId": execution.id,
        "status": execution.status,
        "startTime": execution.started,
        "lastUpdateTime": execution.updated,
        "trigger": {"triggerType": execution.trigger},
        "executionMode": "SUPERSEDED",
        "executionType": execution.execution_type
    });
    if let Some(target) = &execution.rollback_target {
        summary["rollbackMetadata"] = json!({"rollbackTargetPipelineExecutionId": target});
    }
    summary
}

fn list_pipeline_executions(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let name = text(input, "pipelineName")?;
    let state = shared.state();
    if !state.pipelines.contains_key(name) {
        return Err(pipeline_not_found(name));
    }
    let succeeded_in = input
        .pointer("/filter/succeededInStage/stageName")
        .and_then(Value::as_str);
    let executions: Vec<Value> = state
        .executions
        .iter()
        .rev()
        .filter(|execution| execution.pipeline == name)
        .filter(|execution| {
            succeeded_in.is_none_or(|stage| {
                execution
                    .stage(stage)
                    .is_some_and(|run| run.status == "Succeeded")
            })
        })
        .map(execution_summary)
        .collect();
    let (page, next) = page(executions, input, 1..=100, 100, "InvalidNextTokenException")?;
    let mut output = json!({"pipelineExecutionSummaries": page});
    if let Some(next) = next {
        output["nextToken"] = json!(next);
    }
    Ok(output)
}

fn list_action_executions(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let name = text(input, "pipelineName")?;
    let state = shared.state();
    let pipeline = pipeline_named(&state, name)?;
    let only = input
        .pointer("/filter/pipelineExecutionId")
        .and_then(Value::as_str);
    let mut details = Vec::new();
    for execution in state
        .executions
        .iter()
        .rev()
        .filter(|execution| execution.pipeline == name)
    {
        if only.is_some_and(|id| id != execution.id) {
            continue;
        }
        for run in &execution.stages {
            for action in run
                .actions
                .iter()
                .filter(|action| !action.action_execution_id.is_empty())
            {
                let spec = pipeline
                    .spec
                    .stages
                    .iter()
                    .find(|stage| stage.name == run.name)
                    .and_then(|stage| stage.actions.iter().find(|spec| spec.name == action.name));
                let (category, provider) = spec.map_or(("Build".into(), "Script".into()), |spec| {
                    (
                        spec.category.clone(),
                        if spec.lambda.is_some() {
                            "Lambda".into()
                        } else {
                            spec.provider.clone()
                        },
                    )
                });
                let mut result = json!({});
                if let Some(summary) = &action.summary {
                    result["externalExecutionSummary"] = json!(summary);
                }
                if let Some(error) = &action.error {
                    result["errorDetails"] = json!({"code": error.code, "message": error.message});
                }
                details.push(json!({
                    "pipelineExecutionId": execution.id,
                    "actionExecutionId": action.action_execution_id,
                    "pipelineVersion": execution.version,
                    "stageName": run.name,
                    "actionName": action.name,
                    "startTime": action.started,
                    "lastUpdateTime": action.updated,
                    "status": action.status,
                    "input": {"actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"}},
                    "output": {"executionResult": result, "outputVariables": action.output_variables}
                }));
            }
        }
    }
    let (page, next) = page(details, input, 1..=100, 100, "InvalidNextTokenException")?;
    let mut output = json!({"actionExecutionDetails": page});
    if let Some(next) = next {
        output["nextToken"] = json!(next);
    }
    Ok(output)
}

/// The index of a stage in a pipeline, or StageNotFoundException.
fn stage_index(state: &State, pipeline: &str, stage: &str) -> Result<usize, AwsError> {
    let spec = &state
        .pipelines
        .get(pipeline)
        .ok_or_else(|| pipeline_not_found(pipeline))?
        .spec;
    spec.stages
        .iter()
        .position(|candidate| candidate.name == stage)
        .ok_or_else(|| {
            AwsError::new(
                400,
                "StageNotFoundException",
                format!("pipeline {pipeline} has no stage {stage}"),
            )
        })
}

fn retry_stage_execution(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let (pipeline, stage, execution_id) = (
        text(input, "pipelineName")?,
        text(input, "stageName")?,
        text(input, "pipelineExecutionId")?,
    );
    let rerun = match text(input, "retryMode")? {
        "FAILED_ACTIONS" => Rerun::FailedOnly,
        "ALL_ACTIONS" => Rerun::All,
        other => {
            return Err(AwsError::validation(format!(
                "retryMode {other} is not FAILED_ACTIONS or ALL_ACTIONS"
            )));
        }
    };
    let index = {
        let mut state = shared.state();
        let index = stage_index(&state, pipeline, stage)?;
        let version = state
            .pipelines
            .get(pipeline)
            .map_or(0, |pipeline| pipeline.version);
        let execution = state
            .execution(execution_id)
            .filter(|execution| execution.pipeline == pipeline)
            .ok_or_else(|| {
                AwsError::new(
                    400,
                    "StageNotRetryableException",
                    format!("execution {execution_id} of {pipeline} does not exist"),
                )
            })?;
        let run = execution.stage(stage).ok_or_else(|| {
            AwsError::new(
                400,
                "StageNotRetryableException",
                format!("stage {stage} did not run in {execution_id}"),
            )
        })?;
        if run.status == "InProgress" {
            return Err(AwsError::new(
                400,
                "ConflictException",
                format!("stage {stage} of {execution_id} is already running"),
            ));
        }
        if run.status != "Failed" || !run.actions.iter().any(|action| action.status == "Failed") {
            return Err(AwsError::new(
                400,
                "StageNotRetryableException",
                format!("stage {stage} of {execution_id} has no failed actions"),
            ));
        }
        if execution.version != version {
            return Err(AwsError::new(
                400,
                "StageNotRetryableException",
                "the pipeline structure changed since this execution started",
            ));
        }
        let started = execution.started;
        if state.executions.iter().any(|other| {
            other.pipeline == pipeline && other.started > started && other.stage(stage).is_some()
        }) {
            return Err(AwsError::new(
                400,
                "NotLatestPipelineExecutionException",
                format!("a later execution has run stage {stage}"),
            ));
        }
        if let Some(run) = state
            .execution_mut(execution_id)
            .and_then(|execution| execution.stage_mut(stage))
        {
            run.status = "InProgress".into();
        }
        state.record(format!(
            "{pipeline}: stage {stage} retried ({})",
            text(input, "retryMode")?
        ));
        index
    };
    let runner = Arc::clone(shared);
    let id = execution_id.to_owned();
    shared.spawn(async move { engine::run(runner, id, index, rerun).await });
    Ok(json!({"pipelineExecutionId": execution_id}))
}

fn rollback_stage(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let (pipeline, stage, target) = (
        text(input, "pipelineName")?,
        text(input, "stageName")?,
        text(input, "targetPipelineExecutionId")?,
    );
    let (id, index) = {
        let mut state = shared.state();
        let index = stage_index(&state, pipeline, stage)?;
        if index == 0 {
            return Err(AwsError::new(
                400,
                "UnableToRollbackStageException",
                "a source stage cannot be rolled back",
            ));
        }
        let version = state
            .pipelines
            .get(pipeline)
            .map_or(0, |pipeline| pipeline.version);
        let target_execution = state
            .execution(target)
            .filter(|execution| execution.pipeline == pipeline)
            .ok_or_else(|| {
                AwsError::new(
                    400,
                    "PipelineExecutionNotFoundException",
                    format!("execution {target} of {pipeline} does not exist"),
                )
            })?;
        if target_execution.execution_type == "ROLLBACK" {
            return Err(AwsError::new(
                400,
                "UnableToRollbackStageException",
                "the target is itself a rollback execution",
            ));
        }
        if target_execution
            .stage(stage)
            .is_none_or(|run| run.status != "Succeeded")
        {
            return Err(AwsError::new(
                400,
                "UnableToRollbackStageException",
                format!("execution {target} did not succeed in stage {stage}"),
            ));
        }
        if target_execution.version != version {
            return Err(AwsError::new(
                400,
                "PipelineExecutionOutdatedException",
                "the target ran an earlier pipeline structure",
            ));
        }
        if state.executions.iter().any(|execution| {
            execution.pipeline == pipeline
                && execution
                    .stage(stage)
                    .is_some_and(|run| run.status == "InProgress")
        }) {
            return Err(AwsError::new(
                400,
                "ConflictException",
                format!("stage {stage} is running"),
            ));
        }
        let id = state.id();
        let execution = Execution::start(
            id.clone(),
            pipeline,
            version,
            "RollbackStage",
            Some(target.into()),
        );
        state.executions.push(execution);
        state.record(format!(
            "{pipeline}: stage {stage} rolled back to execution {}",
            engine::short(target)
        ));
        (id, index)
    };
    let runner = Arc::clone(shared);
    let execution_id = id.clone();
    shared.spawn(async move { engine::run(runner, execution_id, index, Rerun::All).await });
    Ok(json!({"pipelineExecutionId": id}))
}
