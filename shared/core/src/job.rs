//! CodePipeline jobs: reading the job event, and the one result each job gets (reported by
//! the shell's `pipeguard_aws::CodePipeline`).

use crate::health::is_account_id;
use crate::names::closed_names;
use crate::text::truncate_chars;
use serde_json::Value;

/// CodePipeline's limits on the result fields.
const MAX_FAILURE_MESSAGE_CHARS: usize = 5000;
const MAX_SUMMARY_CHARS: usize = 2048;

/// What the gate reads from a `CodePipeline.job` event. Deliberately not the whole event: the
/// artifact credentials it carries are never read, and no error quotes a value of the job data,
/// so they cannot leak into a log or a failure message. Not
/// aws_lambda_events' `CodePipelineJobEvent`: it requires fields whose absence would lose the job
/// id (and so leave the job unanswered), and derives `Debug` over the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEvent {
    /// The job to answer.
    pub job_id: String,
    /// The account the pipeline (and so the gate) runs in.
    pub account_id: String,
    /// The action's UserParameters, as configured.
    pub user_parameters: Option<String>,
    /// The token of the gate's previous answer, when this job continues a hold.
    pub continuation_token: Option<String>,
}

/// A job event that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobEventError {
    /// Without a job id no result can be reported; the invocation itself must fail.
    #[error("the event is not a CodePipeline job: no `CodePipeline.job.id` string")]
    NoJobId,
    /// The job can be answered, but its data is not what CodePipeline sends.
    #[error("job {job_id}: malformed job data: {reason}")]
    MalformedData {
        /// The job, which still gets its result.
        job_id: String,
        /// The field that is wrong, and how (never its value).
        reason: String,
    },
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
        let read = || -> Result<(String, Option<String>, Option<String>), String> {
            let data = object(job, "data")?.ok_or("no `data` object")?;
            let action = object(Some(data), "data.actionConfiguration")?;
            let configuration = object(action, "data.actionConfiguration.configuration")?;
            let user_parameters = text(
                configuration,
                "data.actionConfiguration.configuration.UserParameters",
            )?;
            let continuation_token = text(Some(data), "data.continuationToken")?;
            let account_id = text(job, "accountId")?.ok_or("no `accountId` string")?;
            if !is_account_id(&account_id) {
                return Err("`accountId` is not a 12-digit AWS account id".into());
            }
            Ok((account_id, user_parameters, continuation_token))
        };
        let (account_id, user_parameters, continuation_token) =
            read().map_err(|reason| JobEventError::MalformedData {
                job_id: job_id.clone(),
                reason,
            })?;
        Ok(Self {
            job_id,
            account_id,
            user_parameters,
            continuation_token: continuation_token.filter(|token| !token.is_empty()),
        })
    }
}

/// The object at `path` (its last field, in `parent`; none when either is absent or null).
/// Errors name the field and the type found, never the value: the job data carries the artifact
/// credentials.
fn object<'a>(parent: Option<&'a Value>, path: &str) -> Result<Option<&'a Value>, String> {
    match field(parent, path) {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Object(_)) => Ok(Some(value)),
        Some(other) => Err(format!("`{path}` is {}, not an object", kind(other))),
    }
}

/// The string at `path`, like `object`.
fn text(parent: Option<&Value>, path: &str) -> Result<Option<String>, String> {
    match field(parent, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(format!("`{path}` is {}, not a string", kind(other))),
    }
}

/// The last field of the dotted `path`, in `parent`.
fn field<'a>(parent: Option<&'a Value>, path: &str) -> Option<&'a Value> {
    let name = path.rsplit('.').next().unwrap_or(path);
    parent.and_then(|parent| parent.get(name))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

closed_names!(
    /// CodePipeline's failure types (`FailureDetails.type`) that the gate reports.
    FailureKind {
        /// The job ran and its answer is no: the deployment is blocked.
        JobFailed = "JobFailed",
        /// The job cannot run as configured: a person has to fix a setting.
        ConfigurationError = "ConfigurationError",
        /// Something the job depends on could not be reached.
        SystemUnavailable = "SystemUnavailable",
    }
);

/// The one result a job gets. Constructors cut text to CodePipeline's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    /// PutJobSuccessResult without a continuation token: the action succeeds.
    Success {
        /// What the action shows in the console.
        summary: String,
        /// Only sent on a final success: CodePipeline rejects them with a continuation token.
        output_variables: Vec<(String, String)>,
    },
    /// PutJobSuccessResult with a continuation token: the action stays in progress and
    /// CodePipeline invokes the gate again with the token.
    InProgress {
        /// What the action shows in the console.
        summary: String,
        /// What the gate gets back on its next invocation.
        continuation_token: String,
    },
    /// PutJobFailureResult: the action fails.
    Failure {
        /// The failure's type.
        kind: FailureKind,
        /// The failure's message, as the console shows it.
        message: String,
    },
}

impl JobResult {
    /// A final success, its summary cut to CodePipeline's limit.
    pub fn success(summary: &str, output_variables: Vec<(String, String)>) -> Self {
        Self::Success {
            summary: truncate_chars(summary, MAX_SUMMARY_CHARS),
            output_variables,
        }
    }

    /// A success that keeps the action in progress, its summary cut to CodePipeline's limit.
    pub fn in_progress(summary: &str, continuation_token: String) -> Self {
        Self::InProgress {
            summary: truncate_chars(summary, MAX_SUMMARY_CHARS),
            continuation_token,
        }
    }

    /// A failure, its message cut to CodePipeline's limit (and never empty).
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
