//! Oracle Cloud Resource Manager stacks as plain data: their jobs as ListJobs and GetJob return
//! them (shared/oci/OCI-FACTS.md, section 4), read at the edge, and what a person asks about them: the
//! newest apply that succeeded, the newest rollback.

use crate::names::aws_names;
use crate::rollback::target::{Kind, LastGood, Run, last_good};
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
    /// For an APPLY_ROLLBACK or a PLAN_ROLLBACK, the apply job it returns the stack to
    /// (`jobOperationDetails.targetRollbackJobId`); for an APPLY_ROLLBACK that applies a plan
    /// of a rollback instead, that plan (`executionPlanRollbackJobId`), which names the target.
    pub rollback_target: Option<String>,
}

/// `failureDetails` of a failed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    /// `TERRAFORM_EXECUTION_ERROR`, `JOB_TIMEOUT`, ... (`unknown` when OCI gave none).
    pub code: String,
    /// What went wrong, in Resource Manager's words (empty when OCI gave none).
    pub message: String,
}

/// The failure code said when `failureDetails` has none.
const UNKNOWN_CODE: &str = "unknown";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawJob {
    id: String,
    operation: Option<String>,
    job_operation_details: Option<RawOperationDetails>,
    lifecycle_state: Option<String>,
    time_created: Option<String>,
    failure_details: Option<RawFailure>,
}

/// `jobOperationDetails`: the operation the SDKs read a job's kind from (the top-level
/// `operation` is the legacy field, shared/oci/OCI-FACTS.md 3), and a rollback's target.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOperationDetails {
    operation: Option<String>,
    target_rollback_job_id: Option<String>,
    execution_plan_rollback_job_id: Option<String>,
}

/// Both fields are mandatory in Oracle's model, but a failure missing one is still a failure:
/// it reads, rather than making the whole job unreadable.
#[derive(Deserialize)]
struct RawFailure {
    code: Option<String>,
    message: Option<String>,
}

/// A job Resource Manager answered with that cannot be read: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Resource Manager answered with a job this version cannot read: {0}")]
pub struct UnreadableJob(pub String);

impl StackJob {
    /// Reads one job (a GetJob body, or an element of a ListJobs array).
    pub fn read(value: &serde_json::Value) -> Result<Self, UnreadableJob> {
        let raw = RawJob::deserialize(value).map_err(|error| UnreadableJob(error.to_string()))?;
        let (detailed_operation, rollback_target) =
            raw.job_operation_details.map_or((None, None), |details| {
                let target = details
                    .target_rollback_job_id
                    .or(details.execution_plan_rollback_job_id);
                (details.operation, target)
            });
        let operation = raw.operation.or(detailed_operation);
        Ok(Self {
            id: raw.id,
            operation: JobOperation::from(operation.as_deref().unwrap_or_default()),
            state: JobState::from(raw.lifecycle_state.as_deref().unwrap_or_default()),
            created: raw.time_created.unwrap_or_default(),
            failure: raw.failure_details.map(|failure| JobFailure {
                code: failure.code.unwrap_or_else(|| UNKNOWN_CODE.to_owned()),
                message: failure.message.unwrap_or_default(),
            }),
            rollback_target,
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

/// The last good state of a stack (`rollback::target::last_good`), of jobs listed newest first,
/// before `except` (the failed job) when it is listed: the apply a rollback returns to, by the
/// rule apply-rollback follows too. A succeeded APPLY_ROLLBACK stands for its
/// `targetRollbackJobId`, so an apply someone rolled away from is never returned to.
pub fn last_good_apply<'a>(jobs: &'a [StackJob], except: Option<&str>) -> LastGood<'a, StackJob> {
    // Only jobs listed after the failed one are earlier: an apply someone ran since is not one
    // this failure can return to.
    let earlier = except
        .and_then(|failed| jobs.iter().position(|job| job.id == failed))
        .map_or(jobs, |failed| &jobs[failed + 1..]);
    last_good(earlier, except, |job| Run {
        id: &job.id,
        succeeded: job.state == JobState::Succeeded,
        kind: match job.operation {
            JobOperation::Apply => Kind::Apply,
            JobOperation::ApplyRollback => Kind::Rollback {
                to: job.rollback_target.as_deref(),
            },
            JobOperation::PlanRollback => Kind::RollbackPlan {
                to: job.rollback_target.as_deref(),
            },
            _ => Kind::Other,
        },
    })
}

/// Why a failed apply is not rolled back, or None when it is: its failure code is one of
/// `rollback_on` (the criteria on the failure, as apply-rollback has its error codes).
pub fn not_qualifying(failed: &StackJob, rollback_on: &[String]) -> Option<String> {
    let code = failed
        .failure
        .as_ref()
        .map_or(UNKNOWN_CODE, |failure| failure.code.as_str());
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
