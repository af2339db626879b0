//! Every CodePipeline call pipeguard makes, and the translation of their answers and errors
//! into the plain data of `pipeline` and `job`.

use aws_sdk_codepipeline::Error as CodePipelineError;
use aws_sdk_codepipeline::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_codepipeline::operation::list_pipeline_executions::paginator::ListPipelineExecutionsPaginator;
use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultError;
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultError;
use aws_sdk_codepipeline::operation::retry_stage_execution::RetryStageExecutionError;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionExecutionFilter, ActionOwner, ExecutionDetails, FailureDetails, FailureType,
    PipelineExecutionFilter, PipelineExecutionSummary, StageRetryMode, StageState, SucceededInStageFilter,
};
use pipeguard_core::job::JobResult;
use pipeguard_core::pipeline::{
    ActionRun, ActionSnapshot, ActionStatus, ConflictCheckError, DeclaredAction, ExecutionStatus,
    ExecutionSummary, ExecutionType, RetryMode, RetryOutcome, RollbackOutcome, RunningExecution,
    StageSnapshot, StageStatus,
};

/// The most ListPipelineExecutions returns a page. The newest executions are the ones that can
/// still be running, so one page covers the lock's check in every execution mode in practice.
const EXECUTIONS_PAGE: i32 = 100;

/// A CodePipeline call that failed: which, for which pipeline, and what AWS said.
#[derive(Debug, thiserror::Error)]
#[error("{operation} for pipeline {pipeline} failed: {}", DisplayErrorContext(cause))]
pub struct PipelineCallError {
    /// The operation called.
    pub operation: &'static str,
    /// The pipeline it was called for.
    pub pipeline: String,
    /// What the SDK answered, typed for matching. The message gives it with its chain, so it is
    /// not also the error's `source()`, which would print it twice.
    pub cause: Box<CodePipelineError>,
}

impl PipelineCallError {
    fn new<E>(operation: &'static str, pipeline: &str, error: E) -> Self
    where
        CodePipelineError: From<E>,
    {
        Self {
            operation,
            pipeline: pipeline.to_owned(),
            cause: Box::new(CodePipelineError::from(error)),
        }
    }

    /// CodePipeline knows no such pipeline (or stage): a mistake in what was asked, not an
    /// outage.
    pub fn is_not_found(&self) -> bool {
        matches!(
            *self.cause,
            CodePipelineError::PipelineNotFoundException(_) | CodePipelineError::StageNotFoundException(_)
        )
    }
}

/// A job's result that CodePipeline did not take.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// CodePipeline refused it, or could not be reached.
    #[error(
        "could not report the result of job {job_id} to CodePipeline: {}",
        DisplayErrorContext(cause)
    )]
    Refused {
        /// The job.
        job_id: String,
        /// What the SDK answered (in the message, not also as `source()`).
        cause: Box<CodePipelineError>,
    },
    /// The result could not be built as CodePipeline takes it.
    #[error("could not report the result of job {job_id} to CodePipeline: {cause}")]
    Unbuildable {
        /// The job.
        job_id: String,
        /// What the SDK's builder said (in the message, not also as `source()`).
        cause: BuildError,
    },
    /// It was not taken before the invocation's deadline.
    #[error(
        "could not report the result of job {job_id} to CodePipeline: CodePipeline did not take it before the invocation's deadline"
    )]
    OutOfTime {
        /// The job.
        job_id: String,
    },
}

/// What became of a reported result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    Recorded,
    /// The job already had a result: this invocation was a duplicate, and its result (which
    /// may differ) was not recorded.
    AlreadyAnswered,
}

/// The CodePipeline API, as pipeguard uses it.
#[derive(Debug, Clone)]
pub struct CodePipeline {
    client: aws_sdk_codepipeline::Client,
}

impl CodePipeline {
    pub fn new(client: aws_sdk_codepipeline::Client) -> Self {
        Self { client }
    }

    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self::new(aws_sdk_codepipeline::Client::new(config))
    }

    /// The pipeline a job belongs to (GetJobDetails), or None when CodePipeline does not say:
    /// the job event itself does not name it.
    pub async fn job_pipeline(&self, job_id: &str) -> Option<String> {
        match self.client.get_job_details().job_id(job_id).send().await {
            Ok(output) => output
                .job_details()
                .and_then(|details| details.data())
                .and_then(|data| data.pipeline_context())
                .and_then(|context| context.pipeline_name())
                .map(str::to_owned),
            Err(error) => {
                tracing::warn!(job_id, error = %DisplayErrorContext(&error), "could not read the job's pipeline name");
                None
            }
        }
    }

    /// Sends the job's result: one PutJobSuccessResult or PutJobFailureResult call. A job that
    /// already has a result (a duplicate invocation) is not an error.
    pub async fn report(&self, job_id: &str, result: &JobResult) -> Result<Reported, ReportError> {
        let sent = match result {
            JobResult::Success {
                summary,
                output_variables,
            } => self
                .client
                .put_job_success_result()
                .job_id(job_id)
                .execution_details(ExecutionDetails::builder().summary(summary).build())
                .set_output_variables(
                    (!output_variables.is_empty()).then(|| output_variables.iter().cloned().collect()),
                )
                .send()
                .await
                .map(drop)
                .map_err(SentError::from),
            JobResult::InProgress {
                summary,
                continuation_token,
            } => self
                .client
                .put_job_success_result()
                .job_id(job_id)
                .continuation_token(continuation_token)
                .execution_details(ExecutionDetails::builder().summary(summary).build())
                .send()
                .await
                .map(drop)
                .map_err(SentError::from),
            JobResult::Failure { kind, message } => {
                let details = FailureDetails::builder()
                    .r#type(FailureType::from(kind.as_str()))
                    .message(message)
                    .build()
                    .map_err(|cause| ReportError::Unbuildable {
                        job_id: job_id.to_owned(),
                        cause,
                    })?;
                self.client
                    .put_job_failure_result()
                    .job_id(job_id)
                    .failure_details(details)
                    .send()
                    .await
                    .map(drop)
                    .map_err(SentError::from)
            }
        };
        match sent {
            Ok(()) => Ok(Reported::Recorded),
            Err(SentError {
                already_answered: true,
                ..
            }) => {
                tracing::warn!(
                    job_id,
                    "job already has a result; this invocation was a duplicate"
                );
                Ok(Reported::AlreadyAnswered)
            }
            Err(SentError { cause, .. }) => Err(ReportError::Refused {
                job_id: job_id.to_owned(),
                cause,
            }),
        }
    }

    /// Running executions of each named pipeline, asked concurrently.
    pub async fn running_executions(
        &self,
        pipelines: &[String],
    ) -> Result<Vec<RunningExecution>, ConflictCheckError> {
        let checks = pipelines.iter().map(|pipeline| {
            let request = self
                .client
                .list_pipeline_executions()
                .pipeline_name(pipeline)
                .max_results(EXECUTIONS_PAGE);
            let pipeline = pipeline.clone();
            async move {
                let output = request.send().await.map_err(|error| match &error {
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
        let mut running = super::all_at_once(checks).await?;
        running.sort_by(|a, b| (&a.pipeline, &a.execution_id).cmp(&(&b.pipeline, &b.execution_id)));
        Ok(running)
    }

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

    /// Every pipeline in the account and region.
    pub async fn pipelines(&self) -> Result<Vec<String>, PipelineCallError> {
        let mut pages = self.client.list_pipelines().into_paginator().send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| PipelineCallError::new("ListPipelines", "(all)", error))?;
            names.extend(
                page.pipelines()
                    .iter()
                    .filter_map(|pipeline| pipeline.name())
                    .map(str::to_owned),
            );
        }
        Ok(names)
    }

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
    aws_sdk_codepipeline::config::Builder::default().retry_classifier(super::OnlyThrottlingRetried)
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

/// An SDK error and what `report` decides on.
struct SentError {
    /// InvalidJobStateException: the job already has a result.
    already_answered: bool,
    cause: Box<CodePipelineError>,
}

/// The two result calls' errors, asked the one question that matters for a duplicate.
trait AlreadyAnswered {
    fn already_answered(&self) -> bool;
}

impl AlreadyAnswered for PutJobSuccessResultError {
    fn already_answered(&self) -> bool {
        self.is_invalid_job_state_exception()
    }
}

impl AlreadyAnswered for PutJobFailureResultError {
    fn already_answered(&self) -> bool {
        self.is_invalid_job_state_exception()
    }
}

impl<E: AlreadyAnswered, R> From<SdkError<E, R>> for SentError
where
    CodePipelineError: From<SdkError<E, R>>,
{
    fn from(error: SdkError<E, R>) -> Self {
        Self {
            already_answered: error
                .as_service_error()
                .is_some_and(AlreadyAnswered::already_answered),
            cause: Box::new(CodePipelineError::from(error)),
        }
    }
}

#[cfg(test)]
#[path = "codepipeline_tests.rs"]
mod tests;
