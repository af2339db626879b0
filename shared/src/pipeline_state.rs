//! CodePipeline's view of a pipeline's stages, as plain data for decisions, and the calls that
//! change it.

use aws_sdk_codepipeline::error::{DisplayErrorContext, SdkError};
use aws_sdk_codepipeline::types::{StageRetryMode, StageState};

/// The latest execution of one stage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StageSnapshot {
    pub name: String,
    pub execution_id: Option<String>,
    pub status: Option<String>,
    /// Retries CodePipeline has recorded for this execution of the stage (manual and automatic).
    pub attempts_used: u32,
    pub actions: Vec<ActionSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionSnapshot {
    pub name: String,
    pub status: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

impl StageSnapshot {
    pub fn failed_actions(&self) -> impl Iterator<Item = &ActionSnapshot> {
        self.actions
            .iter()
            .filter(|action| action.status.as_deref() == Some("Failed"))
    }

    pub fn is_failed(&self) -> bool {
        self.status.as_deref() == Some("Failed")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{operation} for pipeline {pipeline} failed: {cause}")]
pub struct PipelineCallError {
    pub operation: &'static str,
    pub pipeline: String,
    pub cause: String,
}

fn snapshot(stage: &StageState) -> StageSnapshot {
    let metadata = stage.retry_stage_metadata();
    let attempts = |count: Option<i32>| count.and_then(|count| u32::try_from(count).ok()).unwrap_or(0);
    StageSnapshot {
        name: stage.stage_name().unwrap_or_default().to_owned(),
        execution_id: stage
            .latest_execution()
            .map(|latest| latest.pipeline_execution_id().to_owned()),
        status: stage
            .latest_execution()
            .map(|latest| latest.status().as_str().to_owned()),
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
                        .map(|status| status.as_str().to_owned()),
                    error_code: error.and_then(|error| error.code()).map(str::to_owned),
                    error_message: error.and_then(|error| error.message()).map(str::to_owned),
                }
            })
            .collect(),
    }
}

/// Every stage of the pipeline, as GetPipelineState reports it.
pub async fn stages(
    client: &aws_sdk_codepipeline::Client,
    pipeline: &str,
) -> Result<Vec<StageSnapshot>, PipelineCallError> {
    let state = client
        .get_pipeline_state()
        .name(pipeline)
        .send()
        .await
        .map_err(|error| PipelineCallError {
            operation: "GetPipelineState",
            pipeline: pipeline.to_owned(),
            cause: DisplayErrorContext(&error).to_string(),
        })?;
    Ok(state.stage_states().iter().map(snapshot).collect())
}

/// Every pipeline in the account and region.
pub async fn all_pipelines(client: &aws_sdk_codepipeline::Client) -> Result<Vec<String>, PipelineCallError> {
    let mut pages = client.list_pipelines().into_paginator().send();
    let mut names = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| PipelineCallError {
            operation: "ListPipelines",
            pipeline: "(all)".into(),
            cause: DisplayErrorContext(&error).to_string(),
        })?;
        names.extend(
            page.pipelines()
                .iter()
                .filter_map(|pipeline| pipeline.name())
                .map(str::to_owned),
        );
    }
    Ok(names)
}

/// What came of a RetryStageExecution call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryOutcome {
    Started,
    /// Someone (a duplicate event, a person) already retried it, or a later run superseded it.
    AlreadyHandled(String),
}

pub async fn retry_stage(
    client: &aws_sdk_codepipeline::Client,
    pipeline: &str,
    stage: &str,
    execution_id: &str,
    mode: StageRetryMode,
) -> Result<RetryOutcome, PipelineCallError> {
    let sent = client
        .retry_stage_execution()
        .pipeline_name(pipeline)
        .stage_name(stage)
        .pipeline_execution_id(execution_id)
        .retry_mode(mode)
        .send()
        .await;
    match sent {
        Ok(_) => Ok(RetryOutcome::Started),
        Err(SdkError::ServiceError(service)) if already_handled(service.err()) => {
            Ok(RetryOutcome::AlreadyHandled(service.err().to_string()))
        }
        Err(error) => Err(PipelineCallError {
            operation: "RetryStageExecution",
            pipeline: pipeline.to_owned(),
            cause: DisplayErrorContext(&error).to_string(),
        }),
    }
}

fn already_handled(
    error: &aws_sdk_codepipeline::operation::retry_stage_execution::RetryStageExecutionError,
) -> bool {
    error.is_conflict_exception()
        || error.is_stage_not_retryable_exception()
        || error.is_not_latest_pipeline_execution_exception()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateOutput;
    use aws_sdk_codepipeline::operation::retry_stage_execution::RetryStageExecutionError;
    use aws_sdk_codepipeline::types::error::{ConflictException, PipelineNotFoundException};
    use aws_sdk_codepipeline::types::{
        ActionExecution, ActionExecutionStatus, ActionState, ErrorDetails, RetryStageMetadata,
        StageExecution, StageExecutionStatus,
    };
    use aws_smithy_mocks::{mock, mock_client};

    #[tokio::test]
    async fn snapshots_carry_status_attempts_and_errors() {
        let state = mock!(aws_sdk_codepipeline::Client::get_pipeline_state).then_output(|| {
            GetPipelineStateOutput::builder()
                .stage_states(
                    StageState::builder()
                        .stage_name("Deploy")
                        .latest_execution(
                            StageExecution::builder()
                                .pipeline_execution_id("e1")
                                .status(StageExecutionStatus::Failed)
                                .build()
                                .unwrap(),
                        )
                        .retry_stage_metadata(
                            RetryStageMetadata::builder()
                                .manual_stage_retry_attempt(1)
                                .auto_stage_retry_attempt(1)
                                .build(),
                        )
                        .action_states(
                            ActionState::builder()
                                .action_name("Apply")
                                .latest_execution(
                                    ActionExecution::builder()
                                        .status(ActionExecutionStatus::Failed)
                                        .error_details(
                                            ErrorDetails::builder()
                                                .code("JobFailed")
                                                .message("Rate exceeded")
                                                .build(),
                                        )
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .stage_states(StageState::builder().stage_name("Later").build())
                .build()
        });
        let client = mock_client!(aws_sdk_codepipeline, [&state]);
        let stages = stages(&client, "web-app").await.unwrap();
        assert_eq!(stages[0].execution_id.as_deref(), Some("e1"));
        assert!(stages[0].is_failed());
        assert_eq!(stages[0].attempts_used, 2);
        let failed: Vec<_> = stages[0].failed_actions().collect();
        assert_eq!(failed[0].error_code.as_deref(), Some("JobFailed"));
        assert_eq!(failed[0].error_message.as_deref(), Some("Rate exceeded"));
        assert_eq!(
            stages[1],
            StageSnapshot {
                name: "Later".into(),
                ..StageSnapshot::default()
            }
        );
    }

    #[tokio::test]
    async fn a_conflict_means_someone_already_retried() {
        let conflict = mock!(aws_sdk_codepipeline::Client::retry_stage_execution).then_error(|| {
            RetryStageExecutionError::ConflictException(ConflictException::builder().message("busy").build())
        });
        let client = mock_client!(aws_sdk_codepipeline, [&conflict]);
        let outcome = retry_stage(&client, "web-app", "Deploy", "e1", StageRetryMode::FailedActions)
            .await
            .unwrap();
        assert!(matches!(outcome, RetryOutcome::AlreadyHandled(reason) if reason.contains("busy")));
    }

    #[tokio::test]
    async fn other_retry_errors_are_errors_with_context() {
        let missing = mock!(aws_sdk_codepipeline::Client::retry_stage_execution).then_error(|| {
            RetryStageExecutionError::PipelineNotFoundException(
                PipelineNotFoundException::builder()
                    .message("no such pipeline")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_codepipeline, [&missing]);
        let error = retry_stage(&client, "web-app", "Deploy", "e1", StageRetryMode::FailedActions)
            .await
            .unwrap_err();
        assert_eq!(
            (error.operation, error.pipeline.as_str()),
            ("RetryStageExecution", "web-app")
        );
    }
}
