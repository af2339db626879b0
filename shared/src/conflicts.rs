//! The cross-pipeline lock: is any of the named pipelines running right now?

use aws_sdk_codepipeline::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_codepipeline::types::PipelineExecutionStatus;

/// The newest executions are the ones that can still be running; one page of the maximum size
/// covers every execution mode in practice.
const EXECUTIONS_PAGE: i32 = 100;

/// An execution of a conflicting pipeline that has not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningExecution {
    pub pipeline: String,
    pub execution_id: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConflictCheckError {
    #[error("block_while_running names pipeline `{0}`, which does not exist in this account and region")]
    PipelineNotFound(String),
    #[error(
        "block_while_running names pipeline `{0}`, which the gate may not read (codepipeline:ListPipelineExecutions is granted only for the managed pipelines' name prefix)"
    )]
    NotPermitted(String),
    #[error("could not check whether pipeline `{pipeline}` is running: {cause}")]
    Unavailable { pipeline: String, cause: String },
}

/// Running executions of each named pipeline, asked concurrently.
pub async fn running_executions(
    client: &aws_sdk_codepipeline::Client,
    pipelines: &[String],
) -> Result<Vec<RunningExecution>, ConflictCheckError> {
    let mut checks = tokio::task::JoinSet::new();
    for pipeline in pipelines {
        let request = client
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .max_results(EXECUTIONS_PAGE);
        let pipeline = pipeline.clone();
        checks.spawn(async move {
            let output = request.send().await.map_err(|error| match &error {
                SdkError::ServiceError(service) if service.err().is_pipeline_not_found_exception() => {
                    ConflictCheckError::PipelineNotFound(pipeline.clone())
                }
                SdkError::ServiceError(service) if service.err().code() == Some("AccessDeniedException") => {
                    ConflictCheckError::NotPermitted(pipeline.clone())
                }
                _ => ConflictCheckError::Unavailable {
                    pipeline: pipeline.clone(),
                    cause: DisplayErrorContext(&error).to_string(),
                },
            })?;
            Ok(output
                .pipeline_execution_summaries()
                .iter()
                .filter(|summary| {
                    matches!(
                        summary.status(),
                        Some(PipelineExecutionStatus::InProgress | PipelineExecutionStatus::Stopping)
                    )
                })
                .map(|summary| RunningExecution {
                    pipeline: pipeline.clone(),
                    execution_id: summary.pipeline_execution_id().unwrap_or_default().to_owned(),
                    status: summary
                        .status()
                        .map(|status| status.as_str().to_owned())
                        .unwrap_or_default(),
                })
                .collect::<Vec<_>>())
        });
    }
    let mut running = Vec::new();
    while let Some(joined) = checks.join_next().await {
        let executions = joined.map_err(|error| ConflictCheckError::Unavailable {
            pipeline: "(unknown)".into(),
            cause: format!("check task failed: {error}"),
        })??;
        running.extend(executions);
    }
    running.sort_by(|a, b| (&a.pipeline, &a.execution_id).cmp(&(&b.pipeline, &b.execution_id)));
    Ok(running)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codepipeline::error::ErrorMetadata;
    use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsError;
    use aws_smithy_mocks::{mock, mock_client};

    #[tokio::test]
    async fn a_pipeline_the_gate_may_not_read_is_a_configuration_problem_not_an_outage() {
        let denied = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).then_error(|| {
            ListPipelineExecutionsError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not authorized")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_codepipeline, [&denied]);
        let error = running_executions(&client, &["cleanup".to_owned()])
            .await
            .unwrap_err();
        assert_eq!(error, ConflictCheckError::NotPermitted("cleanup".into()));
    }
}
