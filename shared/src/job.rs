//! CodePipeline jobs: reading the job event and reporting exactly one result for it.

use crate::text::truncate_chars;
use aws_sdk_codepipeline::error::{DisplayErrorContext, SdkError};
use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultError;
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultError;
use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};
use serde::Deserialize;
use serde_json::Value;

/// CodePipeline's limits on the result fields.
const MAX_FAILURE_MESSAGE_CHARS: usize = 5000;
const MAX_SUMMARY_CHARS: usize = 2048;

/// What the gate reads from a `CodePipeline.job` event. Deliberately not the whole event: the
/// artifact credentials it carries are never deserialized, so they cannot leak into a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEvent {
    pub job_id: String,
    pub user_parameters: Option<String>,
    pub continuation_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobEventError {
    /// Without a job id no result can be reported; the invocation itself must fail.
    #[error("the event is not a CodePipeline job: no `CodePipeline.job.id` string")]
    NoJobId,
    /// The job can be answered, but its data is not what CodePipeline sends.
    #[error("job {job_id}: malformed job data: {reason}")]
    MalformedData { job_id: String, reason: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobData {
    action_configuration: Option<ActionConfiguration>,
    continuation_token: Option<String>,
}

#[derive(Deserialize)]
struct ActionConfiguration {
    configuration: Option<Configuration>,
}

#[derive(Deserialize)]
struct Configuration {
    #[serde(rename = "UserParameters")]
    user_parameters: Option<String>,
}

impl JobEvent {
    /// Reads the job id first, on its own, so that any later problem can still be reported
    /// against the job instead of leaving it unanswered.
    pub fn parse(event: &Value) -> Result<Self, JobEventError> {
        let job = event.get("CodePipeline.job");
        let job_id = job
            .and_then(|job| job.get("id"))
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or(JobEventError::NoJobId)?
            .to_owned();
        let data = job
            .and_then(|job| job.get("data"))
            .cloned()
            .unwrap_or(Value::Null);
        let data: JobData = serde_json::from_value(data).map_err(|error| JobEventError::MalformedData {
            job_id: job_id.clone(),
            reason: error.to_string(),
        })?;
        Ok(Self {
            job_id,
            user_parameters: data
                .action_configuration
                .and_then(|action| action.configuration)
                .and_then(|configuration| configuration.user_parameters),
            continuation_token: data.continuation_token.filter(|token| !token.is_empty()),
        })
    }
}

/// CodePipeline's failure types (`FailureDetails.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    JobFailed,
    ConfigurationError,
    SystemUnavailable,
}

impl FailureKind {
    fn to_sdk(self) -> FailureType {
        match self {
            Self::JobFailed => FailureType::JobFailed,
            Self::ConfigurationError => FailureType::ConfigurationError,
            Self::SystemUnavailable => FailureType::SystemUnavailable,
        }
    }
}

/// The one result a job gets. Constructors cut text to CodePipeline's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    Success {
        summary: String,
        /// Only sent on a final success: CodePipeline rejects them with a continuation token.
        output_variables: Vec<(String, String)>,
    },
    InProgress {
        summary: String,
        continuation_token: String,
    },
    Failure {
        kind: FailureKind,
        message: String,
    },
}

impl JobResult {
    pub fn success(summary: &str, output_variables: Vec<(String, String)>) -> Self {
        Self::Success {
            summary: truncate_chars(summary, MAX_SUMMARY_CHARS),
            output_variables,
        }
    }

    pub fn in_progress(summary: &str, continuation_token: String) -> Self {
        Self::InProgress {
            summary: truncate_chars(summary, MAX_SUMMARY_CHARS),
            continuation_token,
        }
    }

    pub fn failure(kind: FailureKind, message: &str) -> Self {
        let message = if message.is_empty() { "failed" } else { message };
        Self::Failure {
            kind,
            message: truncate_chars(message, MAX_FAILURE_MESSAGE_CHARS),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("could not report the result of job {job_id} to CodePipeline: {cause}")]
pub struct ReportError {
    pub job_id: String,
    pub cause: String,
}

/// What became of a reported result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    Recorded,
    /// The job already had a result: this invocation was a duplicate, and its result (which
    /// may differ) was not recorded.
    AlreadyAnswered,
}

/// Sends the job's result: one PutJobSuccessResult or PutJobFailureResult call. A job that
/// already has a result (a duplicate invocation) is not an error.
pub async fn report(
    client: &aws_sdk_codepipeline::Client,
    job_id: &str,
    result: &JobResult,
) -> Result<Reported, ReportError> {
    let sent = match result {
        JobResult::Success {
            summary,
            output_variables,
        } => client
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
        } => client
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
                .r#type(kind.to_sdk())
                .message(message)
                .build()
                .map_err(|error| ReportError {
                    job_id: job_id.to_owned(),
                    cause: error.to_string(),
                })?;
            client
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
        Err(SentError { cause, .. }) => Err(ReportError {
            job_id: job_id.to_owned(),
            cause,
        }),
    }
}

/// An SDK error reduced to what `report` decides on.
struct SentError {
    /// InvalidJobStateException: the job already has a result.
    already_answered: bool,
    cause: String,
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

impl<E: AlreadyAnswered + std::error::Error + 'static, R: std::fmt::Debug> From<SdkError<E, R>>
    for SentError
{
    fn from(error: SdkError<E, R>) -> Self {
        Self {
            already_answered: error
                .as_service_error()
                .is_some_and(AlreadyAnswered::already_answered),
            cause: DisplayErrorContext(&error).to_string(),
        }
    }
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;
