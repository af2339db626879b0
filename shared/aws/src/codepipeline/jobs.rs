//! A job's result: the one PutJobSuccessResult or PutJobFailureResult a job gets, and the pipeline
//! a job belongs to.

use super::{CodePipeline, CodePipelineError};
use aws_sdk_codepipeline::error::{BuildError, DisplayErrorContext, SdkError};
use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultError;
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultError;
use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};
use pipeguard_core::job::JobResult;

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

/// Where a job runs, as GetJobDetails says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobContext {
    /// The pipeline.
    pub pipeline: String,
    /// The execution, when CodePipeline names it.
    pub execution_id: Option<String>,
}

/// What became of a reported result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// CodePipeline took the result.
    Recorded,
    /// The job already had a result: this invocation was a duplicate, and its result (which
    /// may differ) was not recorded.
    AlreadyAnswered,
}

impl CodePipeline {
    /// The pipeline a job belongs to (GetJobDetails), or None when CodePipeline does not say:
    /// the job event itself does not name it.
    pub async fn job_pipeline(&self, job_id: &str) -> Option<String> {
        self.job_context(job_id).await.map(|context| context.pipeline)
    }

    /// The pipeline and execution a job runs in (GetJobDetails' `pipelineContext`), or None when
    /// CodePipeline does not say.
    pub async fn job_context(&self, job_id: &str) -> Option<JobContext> {
        match self.client.get_job_details().job_id(job_id).send().await {
            Ok(output) => {
                let context = output
                    .job_details()
                    .and_then(|details| details.data())
                    .and_then(|data| data.pipeline_context())?;
                Some(JobContext {
                    pipeline: context.pipeline_name()?.to_owned(),
                    execution_id: context.pipeline_execution_id().map(str::to_owned),
                })
            }
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
