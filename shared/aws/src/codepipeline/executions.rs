//! A pipeline's executions: those running (the lock's check), the newest that passed a stage, the
//! history back to one, and the action runs of one.

use super::{CodePipeline, PipelineCallError};
use crate::fan_out::all_at_once;
use aws_sdk_codepipeline::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_codepipeline::operation::list_pipeline_executions::paginator::ListPipelineExecutionsPaginator;
use aws_sdk_codepipeline::types::{
    ActionExecutionFilter, PipelineExecutionFilter, PipelineExecutionSummary, SucceededInStageFilter,
};
use pipeguard_core::pipeline::{
    ActionRun, ActionStatus, ConflictCheckError, ExecutionStatus, ExecutionSummary, ExecutionType,
    RunningExecution,
};
use std::time::Duration;

/// The most ListPipelineExecutions returns a page. The newest executions are the ones that can
/// still be running, so one page covers the lock's check in every execution mode in practice.
const EXECUTIONS_PAGE: i32 = 100;

impl CodePipeline {
    /// Running executions of each named pipeline, asked concurrently, each within `budget`.
    pub async fn running_executions(
        &self,
        pipelines: &[String],
        budget: Duration,
    ) -> Result<Vec<RunningExecution>, ConflictCheckError> {
        let checks = pipelines.iter().map(|pipeline| {
            let request = self
                .client
                .list_pipeline_executions()
                .pipeline_name(pipeline)
                .max_results(EXECUTIONS_PAGE);
            let pipeline = pipeline.clone();
            async move {
                // Its own limit, so that a slow answer is told as the lock's, not as the gate
                // running out of time.
                let answered = tokio::time::timeout(budget, request.send()).await.map_err(|_| {
                    ConflictCheckError::Unavailable {
                        pipeline: pipeline.clone(),
                        cause: format!(
                            "ListPipelineExecutions did not answer within {:.1} s",
                            budget.as_secs_f64()
                        ),
                    }
                })?;
                let output = answered.map_err(|error| match &error {
                    SdkError::ServiceError(service) if service.err().is_pipeline_not_found_exception() => {
                        ConflictCheckError::PipelineNotFound(pipeline.clone())
                    }
                    SdkError::ServiceError(service)
                        if service.err().code() == Some("AccessDeniedException") =>
                    {
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
                    .filter_map(|summary| {
                        let status = ExecutionStatus::from(summary.status()?.as_str());
                        matches!(status, ExecutionStatus::InProgress | ExecutionStatus::Stopping).then(|| {
                            RunningExecution {
                                pipeline: pipeline.clone(),
                                execution_id: summary.pipeline_execution_id().unwrap_or_default().to_owned(),
                                status,
                            }
                        })
                    })
                    .collect::<Vec<_>>())
            }
        });
        let mut running = all_at_once(checks).await?;
        running.sort_by(|a, b| (&a.pipeline, &a.execution_id).cmp(&(&b.pipeline, &b.execution_id)));
        Ok(running)
    }

    /// ListPipelineExecutions of `pipeline` (optionally: that succeeded in `succeeded_in`), newest
    /// first, a page at a time.
    fn execution_pages(&self, pipeline: &str, succeeded_in: Option<&str>) -> ListPipelineExecutionsPaginator {
        let filter = succeeded_in.map(|stage| {
            PipelineExecutionFilter::builder()
                .succeeded_in_stage(SucceededInStageFilter::builder().stage_name(stage).build())
                .build()
        });
        self.client
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .set_filter(filter)
            .max_results(EXECUTIONS_PAGE)
            .into_paginator()
    }

    /// The newest execution (optionally: that succeeded in `succeeded_in`) for which `wanted`
    /// holds, reading pages of history only as far as needed.
    pub async fn newest_execution_where(
        &self,
        pipeline: &str,
        succeeded_in: Option<&str>,
        wanted: impl Fn(&ExecutionSummary) -> bool,
    ) -> Result<Option<ExecutionSummary>, PipelineCallError> {
        let mut pages = self.execution_pages(pipeline, succeeded_in).send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|error| PipelineCallError::new("ListPipelineExecutions", pipeline, error))?;
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

    /// The executions (optionally: that succeeded in `succeeded_in`), newest first, page by page
    /// until `enough` says the executions read so far are (or the pages end).
    pub async fn executions_until(
        &self,
        pipeline: &str,
        succeeded_in: Option<&str>,
        enough: impl Fn(&[ExecutionSummary]) -> bool,
    ) -> Result<Vec<ExecutionSummary>, PipelineCallError> {
        let mut pages = self.execution_pages(pipeline, succeeded_in).send();
        let mut read = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|error| PipelineCallError::new("ListPipelineExecutions", pipeline, error))?;
            read.extend(page.pipeline_execution_summaries().iter().map(summary));
            if enough(&read) {
                break;
            }
        }
        Ok(read)
    }

    /// The newest executions, at most `count` (up to 100: one page).
    pub async fn recent_executions(
        &self,
        pipeline: &str,
        count: i32,
    ) -> Result<Vec<ExecutionSummary>, PipelineCallError> {
        let output = self
            .client
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .max_results(count.clamp(1, EXECUTIONS_PAGE))
            .send()
            .await
            .map_err(|error| PipelineCallError::new("ListPipelineExecutions", pipeline, error))?;
        Ok(output
            .pipeline_execution_summaries()
            .iter()
            .map(summary)
            .collect())
    }

    /// Every action run of one execution (newest first, as CodePipeline lists them).
    pub async fn action_runs(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<Vec<ActionRun>, PipelineCallError> {
        let filter = ActionExecutionFilter::builder()
            .pipeline_execution_id(execution_id)
            .build();
        let mut pages = self
            .client
            .list_action_executions()
            .pipeline_name(pipeline)
            .filter(filter)
            .into_paginator()
            .send();
        let mut runs = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|error| PipelineCallError::new("ListActionExecutions", pipeline, error))?;
            runs.extend(page.action_execution_details().iter().map(|detail| {
                let action_type = detail.input().and_then(|input| input.action_type_id());
                let result = detail.output().and_then(|output| output.execution_result());
                let error = result.and_then(|result| result.error_details());
                ActionRun {
                    stage: detail.stage_name().unwrap_or_default().to_owned(),
                    action: detail.action_name().unwrap_or_default().to_owned(),
                    status: ActionStatus::from(detail.status().map_or("", |status| status.as_str())),
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
}

fn summary(execution: &PipelineExecutionSummary) -> ExecutionSummary {
    ExecutionSummary {
        id: execution.pipeline_execution_id().unwrap_or_default().to_owned(),
        status: ExecutionStatus::from(execution.status().map_or("", |status| status.as_str())),
        rollback_target: execution
            .rollback_metadata()
            .and_then(|metadata| metadata.rollback_target_pipeline_execution_id())
            .map(str::to_owned),
        execution_type: ExecutionType::from(
            execution
                .execution_type()
                .map_or("STANDARD", |kind| kind.as_str()),
        ),
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
