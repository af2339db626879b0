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

/// One execution in a pipeline's history.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecutionSummary {
    pub id: String,
    /// `STANDARD` or `ROLLBACK`.
    pub execution_type: String,
    /// `action@revision (summary)` for each source, when CodePipeline reports them.
    pub source_revisions: Vec<String>,
}

fn summary(execution: &aws_sdk_codepipeline::types::PipelineExecutionSummary) -> ExecutionSummary {
    ExecutionSummary {
        id: execution.pipeline_execution_id().unwrap_or_default().to_owned(),
        execution_type: execution
            .execution_type()
            .map_or("STANDARD", |kind| kind.as_str())
            .to_owned(),
        source_revisions: execution
            .source_revisions()
            .iter()
            .map(|revision| {
                let summary = revision
                    .revision_summary()
                    .map(|text| format!(" ({text})"))
                    .unwrap_or_default();
                format!(
                    "{}@{}{summary}",
                    revision.action_name(),
                    revision.revision_id().unwrap_or("?")
                )
            })
            .collect(),
    }
}

/// The newest execution (optionally: that succeeded in `succeeded_in`) for which `wanted` holds,
/// reading pages of history only as far as needed.
pub async fn newest_execution_where(
    client: &aws_sdk_codepipeline::Client,
    pipeline: &str,
    succeeded_in: Option<&str>,
    wanted: impl Fn(&ExecutionSummary) -> bool,
) -> Result<Option<ExecutionSummary>, PipelineCallError> {
    use aws_sdk_codepipeline::types::{PipelineExecutionFilter, SucceededInStageFilter};
    let filter = succeeded_in.map(|stage| {
        PipelineExecutionFilter::builder()
            .succeeded_in_stage(SucceededInStageFilter::builder().stage_name(stage).build())
            .build()
    });
    let mut pages = client
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .set_filter(filter)
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| PipelineCallError {
            operation: "ListPipelineExecutions",
            pipeline: pipeline.to_owned(),
            cause: DisplayErrorContext(&error).to_string(),
        })?;
        if let Some(found) = page
            .pipeline_execution_summaries()
            .iter()
            .map(summary)
            .find(|execution| wanted(execution))
        {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// One action's run in an execution.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionRun {
    pub stage: String,
    pub action: String,
    pub status: String,
    pub category: String,
    pub provider: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub summary: Option<String>,
}

/// Every action run of one execution (newest first, as CodePipeline lists them).
pub async fn action_runs(
    client: &aws_sdk_codepipeline::Client,
    pipeline: &str,
    execution_id: &str,
) -> Result<Vec<ActionRun>, PipelineCallError> {
    let filter = aws_sdk_codepipeline::types::ActionExecutionFilter::builder()
        .pipeline_execution_id(execution_id)
        .build();
    let mut pages = client
        .list_action_executions()
        .pipeline_name(pipeline)
        .filter(filter)
        .into_paginator()
        .send();
    let mut runs = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| PipelineCallError {
            operation: "ListActionExecutions",
            pipeline: pipeline.to_owned(),
            cause: DisplayErrorContext(&error).to_string(),
        })?;
        runs.extend(page.action_execution_details().iter().map(|detail| {
            let action_type = detail.input().and_then(|input| input.action_type_id());
            let result = detail.output().and_then(|output| output.execution_result());
            let error = result.and_then(|result| result.error_details());
            ActionRun {
                stage: detail.stage_name().unwrap_or_default().to_owned(),
                action: detail.action_name().unwrap_or_default().to_owned(),
                status: detail
                    .status()
                    .map(|status| status.as_str().to_owned())
                    .unwrap_or_default(),
                category: action_type
                    .map(|kind| kind.category().as_str().to_owned())
                    .unwrap_or_default(),
                provider: action_type
                    .map(|kind| kind.provider().to_owned())
                    .unwrap_or_default(),
                error_code: error.and_then(|error| error.code()).map(str::to_owned),
                error_message: error.and_then(|error| error.message()).map(str::to_owned),
                summary: result
                    .and_then(|result| result.external_execution_summary())
                    .map(str::to_owned),
            }
        }));
    }
    Ok(runs)
}

/// What came of a RollbackStage call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackOutcome {
    /// The rollback execution's id.
    Started(String),
    /// The stage is busy: most likely a duplicate event's rollback is already running.
    AlreadyHandled(String),
    /// CodePipeline refused, in words a person can act on.
    Refused(String),
}

pub async fn rollback_stage(
    client: &aws_sdk_codepipeline::Client,
    pipeline: &str,
    stage: &str,
    target: &str,
) -> Result<RollbackOutcome, PipelineCallError> {
    let sent = client
        .rollback_stage()
        .pipeline_name(pipeline)
        .stage_name(stage)
        .target_pipeline_execution_id(target)
        .send()
        .await;
    let refused = |reason: String| Ok(RollbackOutcome::Refused(reason));
    match sent {
        Ok(output) => Ok(RollbackOutcome::Started(
            output.pipeline_execution_id().to_owned(),
        )),
        Err(SdkError::ServiceError(service)) => {
            let error = service.err();
            if error.is_pipeline_execution_outdated_exception() {
                refused(format!(
                    "execution {target} ran an earlier version of the pipeline, and CodePipeline cannot roll back across a change of the pipeline's structure; roll forward with a fix instead"
                ))
            } else if error.is_conflict_exception() {
                Ok(RollbackOutcome::AlreadyHandled(format!(
                    "stage {stage} is busy (running, or already rolling back): {error}"
                )))
            } else if error.is_unable_to_rollback_stage_exception()
                || error.is_pipeline_execution_not_found_exception()
            {
                refused(format!(
                    "CodePipeline cannot roll stage {stage} back to {target}: {error}"
                ))
            } else {
                Err(PipelineCallError {
                    operation: "RollbackStage",
                    pipeline: pipeline.to_owned(),
                    cause: error.to_string(),
                })
            }
        }
        Err(error) => Err(PipelineCallError {
            operation: "RollbackStage",
            pipeline: pipeline.to_owned(),
            cause: DisplayErrorContext(&error).to_string(),
        }),
    }
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

    #[tokio::test]
    async fn the_newest_wanted_execution_is_found_across_pages() {
        use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsOutput;
        use aws_sdk_codepipeline::types::{ExecutionType, PipelineExecutionSummary};
        let first = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
            .match_requests(|request| request.next_token().is_none() && request.filter().is_some())
            .then_output(|| {
                ListPipelineExecutionsOutput::builder()
                    .pipeline_execution_summaries(
                        PipelineExecutionSummary::builder()
                            .pipeline_execution_id("r9")
                            .execution_type(ExecutionType::Rollback)
                            .build(),
                    )
                    .next_token("p2")
                    .build()
            });
        let second = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
            .match_requests(|request| request.next_token() == Some("p2"))
            .then_output(|| {
                ListPipelineExecutionsOutput::builder()
                    .pipeline_execution_summaries(
                        PipelineExecutionSummary::builder()
                            .pipeline_execution_id("e1")
                            .execution_type(ExecutionType::Standard)
                            .build(),
                    )
                    .build()
            });
        let client = mock_client!(
            aws_sdk_codepipeline,
            aws_smithy_mocks::RuleMode::MatchAny,
            [&first, &second]
        );
        let found = newest_execution_where(&client, "web-app", Some("Deploy"), |execution| {
            execution.execution_type == "STANDARD"
        })
        .await
        .unwrap();
        assert_eq!(found.map(|execution| execution.id).as_deref(), Some("e1"));
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_refused_rollback_is_explained_not_raised() {
        use aws_sdk_codepipeline::operation::rollback_stage::RollbackStageError;
        use aws_sdk_codepipeline::types::error::PipelineExecutionOutdatedException;
        let outdated = mock!(aws_sdk_codepipeline::Client::rollback_stage).then_error(|| {
            RollbackStageError::PipelineExecutionOutdatedException(
                PipelineExecutionOutdatedException::builder()
                    .message("outdated")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_codepipeline, [&outdated]);
        let outcome = rollback_stage(&client, "web-app", "Deploy", "e1").await.unwrap();
        assert!(
            matches!(outcome, RollbackOutcome::Refused(reason) if reason.contains("earlier version of the pipeline"))
        );
    }
}
