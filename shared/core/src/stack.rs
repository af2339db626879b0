//! Oracle Cloud Resource Manager stacks as plain data: their jobs as ListJobs and GetJob return
//! them (cli/OCI-FACTS.md, section 4), read at the edge, and what a person asks about them: the
//! newest apply that succeeded, the newest rollback.

use crate::names::aws_names;
use crate::rollback::target::{Run, newest_target};
use serde::Deserialize;

aws_names!(
    /// What a job does (`operation`).
    JobOperation {
        Plan = "PLAN",
        Apply = "APPLY",
        Destroy = "DESTROY",
        ImportTfState = "IMPORT_TF_STATE",
        PlanRollback = "PLAN_ROLLBACK",
        ApplyRollback = "APPLY_ROLLBACK",
    }
);

aws_names!(
    /// Where a job is (`lifecycleState`).
    JobState {
        Accepted = "ACCEPTED",
        InProgress = "IN_PROGRESS",
        Failed = "FAILED",
        Succeeded = "SUCCEEDED",
        Canceling = "CANCELING",
        Canceled = "CANCELED",
    }
);

impl JobState {
    /// Whether the job has stopped, one way or another.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Failed | Self::Succeeded | Self::Canceled)
    }
}

/// A job of a stack, as a JobSummary (ListJobs) or a Job (GetJob) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackJob {
    /// Its OCID.
    pub id: String,
    /// What it does.
    pub operation: JobOperation,
    /// Where it is.
    pub state: JobState,
    /// When it was created (RFC 3339, as OCI writes it).
    pub created: String,
    /// Why it failed (GetJob only: a JobSummary has no failure details).
    pub failure: Option<JobFailure>,
}

/// `failureDetails` of a failed job.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct JobFailure {
    /// `TERRAFORM_EXECUTION_ERROR`, `JOB_TIMEOUT`, ...
    pub code: String,
    /// What went wrong, in Resource Manager's words.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawJob {
    id: String,
    operation: Option<String>,
    lifecycle_state: Option<String>,
    time_created: Option<String>,
    failure_details: Option<JobFailure>,
}

/// A job Resource Manager answered with that cannot be read: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Resource Manager answered with a job this version cannot read: {0}")]
pub struct UnreadableJob(pub String);

impl StackJob {
    /// Reads one job (a GetJob body, or an element of a ListJobs array).
    pub fn read(value: &serde_json::Value) -> Result<Self, UnreadableJob> {
        let raw = RawJob::deserialize(value).map_err(|error| UnreadableJob(error.to_string()))?;
        Ok(Self {
            id: raw.id,
            operation: JobOperation::from(raw.operation.as_deref().unwrap_or_default()),
            state: JobState::from(raw.lifecycle_state.as_deref().unwrap_or_default()),
            created: raw.time_created.unwrap_or_default(),
            failure: raw.failure_details,
        })
    }

    /// Reads a ListJobs page (a JSON array of JobSummary).
    pub fn read_page(value: &serde_json::Value) -> Result<Vec<Self>, UnreadableJob> {
        value
            .as_array()
            .ok_or_else(|| UnreadableJob("a ListJobs answer that is not a list".into()))?
            .iter()
            .map(Self::read)
            .collect()
    }
}

/// The newest apply that succeeded, of jobs listed newest first, before `except` (the failed
/// one) when it is listed: the one a rollback returns to, by the rule apply-rollback follows too
/// (`rollback::target`). An APPLY_ROLLBACK job is a rollback, never a target.
pub fn last_good_apply<'a>(jobs: &'a [StackJob], except: Option<&str>) -> Option<&'a StackJob> {
    // Only jobs listed after the failed one are earlier: an apply someone ran since is not one
    // this failure can return to.
    let earlier = except
        .and_then(|failed| jobs.iter().position(|job| job.id == failed))
        .map_or(jobs, |failed| &jobs[failed + 1..]);
    newest_target(earlier, except, |job| Run {
        id: &job.id,
        applied: job.operation == JobOperation::Apply && job.state == JobState::Succeeded,
        rollback: job.operation == JobOperation::ApplyRollback,
    })
}

/// Why a failed apply is not rolled back, or None when it is: its failure code is one of
/// `rollback_on` (the criteria on the failure, as apply-rollback has its error codes).
pub fn not_qualifying(failed: &StackJob, rollback_on: &[String]) -> Option<String> {
    let code = failed
        .failure
        .as_ref()
        .map_or("unknown", |failure| failure.code.as_str());
    (!rollback_on.iter().any(|wanted| wanted == code))
        .then(|| format!("it failed with {code}, not one of {}", rollback_on.join(", ")))
}

/// The newest rollback of jobs listed newest first.
pub fn last_rollback(jobs: &[StackJob]) -> Option<&StackJob> {
    jobs.iter()
        .find(|job| job.operation == JobOperation::ApplyRollback)
}

#[cfg(test)]
#[path = "stack_tests.rs"]
mod tests;
