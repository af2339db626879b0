//! A pipeline's stages as they stand, its declared actions, and the two calls that change a stage:
//! a retry and a rollback, each sent once.

use super::{CodePipeline, PipelineCallError};
use aws_sdk_codepipeline::error::SdkError;
use aws_sdk_codepipeline::operation::retry_stage_execution::RetryStageExecutionError;
use aws_sdk_codepipeline::types::{ActionCategory, ActionOwner, StageRetryMode, StageState};
use pipeguard_core::pipeline::{
    ActionSnapshot, ActionStatus, DeclaredAction, ExecutionType, RetryMode, RetryOutcome, RollbackOutcome,
    StageSnapshot, StageStatus,
};

impl CodePipeline {
    /// Every stage of the pipeline, as GetPipelineState reports it.
    pub async fn stages(&self, pipeline: &str) -> Result<Vec<StageSnapshot>, PipelineCallError> {
        let state = self
            .client
            .get_pipeline_state()
            .name(pipeline)
            .send()
            .await
            .map_err(|error| PipelineCallError::new("GetPipelineState", pipeline, error))?;
        Ok(state.stage_states().iter().map(snapshot).collect())
    }

    /// Every action the pipeline's structure declares (GetPipeline), with the Lambda function
    /// each AWS Lambda invoke action invokes: which actions are the health gate's.
    pub async fn declared_actions(&self, pipeline: &str) -> Result<Vec<DeclaredAction>, PipelineCallError> {
        let answer = self
            .client
            .get_pipeline()
            .name(pipeline)
            .send()
            .await
            .map_err(|error| PipelineCallError::new("GetPipeline", pipeline, error))?;
        let stages = answer
            .pipeline()
            .map(|declaration| declaration.stages())
            .unwrap_or_default();
        Ok(stages
            .iter()
            .flat_map(|stage| {
                stage.actions().iter().map(|action| DeclaredAction {
                    stage: stage.name().to_owned(),
                    name: action.name().to_owned(),
                    invokes: action
                        .action_type_id()
                        .filter(|kind| {
                            kind.category() == &ActionCategory::Invoke
                                && kind.owner() == &ActionOwner::Aws
                                && kind.provider() == "Lambda"
                        })
                        .and_then(|_| action.configuration())
                        .and_then(|configuration| configuration.get("FunctionName"))
                        .cloned(),
                })
            })
            .collect())
    }

    /// Retries the failed actions (`mode`) of `stage` in `execution_id`: RetryStageExecution,
    /// sent once. A retry someone else already made is `AlreadyHandled`, not an error.
    pub async fn retry_stage(
        &self,
        pipeline: &str,
        stage: &str,
        execution_id: &str,
        mode: RetryMode,
    ) -> Result<RetryOutcome, PipelineCallError> {
        let sent = self
            .client
            .retry_stage_execution()
            .pipeline_name(pipeline)
            .stage_name(stage)
            .pipeline_execution_id(execution_id)
            .retry_mode(StageRetryMode::from(mode.as_str()))
            .customize()
            .config_override(once())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(RetryOutcome::Started),
            Err(SdkError::ServiceError(service)) if already_retried(service.err()) => {
                Ok(RetryOutcome::AlreadyHandled(service.err().to_string()))
            }
            Err(error) => Err(PipelineCallError::new("RetryStageExecution", pipeline, error)),
        }
    }

    /// Rolls `stage` back to the execution `target`: RollbackStage, sent once. A rollback
    /// CodePipeline refuses is an outcome that says why, not an error.
    pub async fn rollback_stage(
        &self,
        pipeline: &str,
        stage: &str,
        target: &str,
    ) -> Result<RollbackOutcome, PipelineCallError> {
        let sent = self
            .client
            .rollback_stage()
            .pipeline_name(pipeline)
            .stage_name(stage)
            .target_pipeline_execution_id(target)
            .customize()
            .config_override(once())
            .send()
            .await;
        let error = match sent {
            Ok(output) => {
                return Ok(RollbackOutcome::Started(
                    output.pipeline_execution_id().to_owned(),
                ));
            }
            Err(SdkError::ServiceError(service)) => service.into_err(),
            Err(error) => return Err(PipelineCallError::new("RollbackStage", pipeline, error)),
        };
        Ok(if error.is_pipeline_execution_outdated_exception() {
            RollbackOutcome::Refused(format!(
                "execution {target} ran an earlier version of the pipeline, and CodePipeline cannot roll back across a change of the pipeline's structure; roll forward with a fix instead"
            ))
        } else if error.is_conflict_exception() {
            RollbackOutcome::AlreadyHandled(format!(
                "stage {stage} is busy (running, or already rolling back): {error}"
            ))
        } else if error.is_unable_to_rollback_stage_exception()
            || error.is_pipeline_execution_not_found_exception()
        {
            RollbackOutcome::Refused(format!(
                "CodePipeline cannot roll stage {stage} back to {target}: {error}"
            ))
        } else {
            return Err(PipelineCallError::new("RollbackStage", pipeline, error));
        })
    }
}

/// Calls that change a pipeline are not repeated after an error that leaves their outcome unknown
/// (a timeout, a dropped connection, a 5xx): the SDK would repeat a retry or a rollback that may
/// have happened. The invocation fails instead, and its redelivery decides again from
/// CodePipeline's state, which tells. Throttling is still retried: AWS refused before acting.
fn once() -> aws_sdk_codepipeline::config::Builder {
    aws_sdk_codepipeline::config::Builder::default().retry_classifier(crate::retry::OnlyThrottlingRetried)
}

/// A duplicate event or a person already retried the stage, or a later run superseded it.
fn already_retried(error: &RetryStageExecutionError) -> bool {
    error.is_conflict_exception()
        || error.is_stage_not_retryable_exception()
        || error.is_not_latest_pipeline_execution_exception()
}

fn snapshot(stage: &StageState) -> StageSnapshot {
    let metadata = stage.retry_stage_metadata();
    let attempts = |count: Option<i32>| count.and_then(|count| u32::try_from(count).ok()).unwrap_or(0);
    let latest = stage.latest_execution();
    StageSnapshot {
        name: stage.stage_name().unwrap_or_default().to_owned(),
        execution_id: latest.map(|latest| latest.pipeline_execution_id().to_owned()),
        status: latest.map(|latest| StageStatus::from(latest.status().as_str())),
        execution_type: latest
            .and_then(|latest| latest.r#type())
            .map(|kind| ExecutionType::from(kind.as_str())),
        attempts_used: attempts(metadata.and_then(|meta| meta.manual_stage_retry_attempt()))
            + attempts(metadata.and_then(|meta| meta.auto_stage_retry_attempt())),
        actions: stage
            .action_states()
            .iter()
            .map(|action| {
                let latest = action.latest_execution();
                let error = latest.and_then(|latest| latest.error_details());
                ActionSnapshot {
                    name: action.action_name().unwrap_or_default().to_owned(),
                    status: latest
                        .and_then(|latest| latest.status())
                        .map(|status| ActionStatus::from(status.as_str())),
                    error_code: error.and_then(|error| error.code()).map(str::to_owned),
                    error_message: error.and_then(|error| error.message()).map(str::to_owned),
                }
            })
            .collect(),
    }
}
