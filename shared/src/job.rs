//! CodePipeline jobs: reading the job event, and the one result each job gets (reported by
//! `aws::codepipeline`).

use crate::text::truncate_chars;
use serde::Deserialize;
use serde_json::Value;

/// CodePipeline's limits on the result fields.
const MAX_FAILURE_MESSAGE_CHARS: usize = 5000;
const MAX_SUMMARY_CHARS: usize = 2048;

/// What the gate reads from a `CodePipeline.job` event. Deliberately not the whole event: the
/// artifact credentials it carries are never deserialized, so they cannot leak into a log. Not
/// aws_lambda_events' `CodePipelineJobEvent`: it requires fields whose absence would lose the job
/// id (and so leave the job unanswered), and derives `Debug` over the credentials.
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

    /// What the result says: the summary, or the failure's message.
    pub fn text(&self) -> &str {
        match self {
            Self::Success { summary, .. } | Self::InProgress { summary, .. } => summary,
            Self::Failure { message, .. } => message,
        }
    }

    /// A failure whose message ends with `trailer` (a machine-readable line, see `hold`): the
    /// text before it is cut to CodePipeline's limit, the trailer is kept whole.
    pub fn failure_with_trailer(kind: FailureKind, message: &str, trailer: &str) -> Self {
        // A trailer that leaves no room for the text is dropped, never sent over the limit.
        let Some(room) = MAX_FAILURE_MESSAGE_CHARS
            .checked_sub(trailer.chars().count() + 1)
            .filter(|room| *room > 0)
        else {
            return Self::failure(kind, message);
        };
        Self::Failure {
            kind,
            message: format!("{}\n{trailer}", truncate_chars(message, room)),
        }
    }
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;
