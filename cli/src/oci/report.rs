//! How an `oci` command about a stack says how it ended (`StackOutcome`): a line for people or,
//! with `--json`, one JSON object with the stack, the jobs, the message and the exit code; a job
//! in it (`JobJson`); and how a rollback job ended, said alike by `apply` and `rollback`.

use super::jobs::Waited;
use crate::ended::{Ended, Problem};
use crate::output::{Report, emit};
use pipeguard_core::stack::{JobState, StackJob};
use pipeguard_core::text::printable_lines;
use serde::Serialize;

/// What `oci apply` and `oci rollback` answer: how the command ended for the stack, the jobs
/// it made or returned to, why, and the exit code.
#[derive(Serialize)]
pub(crate) struct StackOutcome<'a> {
    stack: &'a str,
    /// One word: `applied`, `rolled_back`, `dry_run`, `not_rolled_back`, ...
    outcome: &'static str,
    /// For people: how it ended, in a sentence.
    message: String,
    exit_code: Ended,
    /// The apply job made.
    #[serde(skip_serializing_if = "Option::is_none")]
    apply: Option<JobJson<'a>>,
    /// The apply job the stack is returned to.
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<JobJson<'a>>,
    /// The rollback job made.
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback: Option<JobJson<'a>>,
    /// Why it did not go further, or why a job's state could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl<'a> StackOutcome<'a> {
    /// How a command about `stack` ended: `outcome`, said to people as `message`.
    pub(crate) fn new(stack: &'a str, outcome: &'static str, ended: Ended, message: String) -> Self {
        Self {
            stack,
            outcome,
            message,
            exit_code: ended,
            apply: None,
            target: None,
            rollback: None,
            reason: None,
        }
    }

    pub(crate) fn apply(self, job: &'a StackJob) -> Self {
        Self {
            apply: Some(job.into()),
            ..self
        }
    }

    pub(crate) fn target(self, job: &'a StackJob) -> Self {
        Self {
            target: Some(job.into()),
            ..self
        }
    }

    pub(crate) fn rollback(self, job: &'a StackJob) -> Self {
        Self {
            rollback: Some(job.into()),
            ..self
        }
    }

    pub(crate) fn reason(self, reason: Option<String>) -> Self {
        Self { reason, ..self }
    }

    /// Prints it, and ends the command with its exit code.
    pub(super) fn say(self, json: bool) -> Result<Ended, Problem> {
        emit(&self, json)?;
        Ok(self.exit_code)
    }
}

impl Report for StackOutcome<'_> {
    fn text(&self, _colour: bool) -> String {
        // Resource Manager's failure messages are quoted here: no terminal escape gets through.
        printable_lines(&self.message).into_owned()
    }
}

/// How a rollback job ended, as `apply` and `rollback` both say it.
pub(super) struct RollbackEnd {
    /// The rollback job, as it ended or was last seen.
    pub job: StackJob,
    /// `rolled_back`, `rollback_failed`, `rollback_still_running` or `rollback_unknown`.
    pub outcome: &'static str,
    /// For people: "rolled back", "the rollback failed (CODE: message)", ...
    pub how: String,
    /// Its exit code, for a rollback by hand.
    pub ended: Ended,
    /// Why its state could not be read, when it could not.
    pub reason: Option<String>,
}

/// The end of a rollback job of `stack` that was waited for.
pub(super) fn rollback_end(waited: Waited, stack: &str) -> RollbackEnd {
    let see = format!("see `pipeguard oci status --stack {stack}`");
    let end = |job, outcome, how, ended| RollbackEnd {
        job,
        outcome,
        how,
        ended,
        reason: None,
    };
    match waited {
        Waited::Ended(job) if job.state == JobState::Succeeded => {
            end(job, "rolled_back", "rolled back".to_owned(), Ended::Ok)
        }
        Waited::Ended(job) => {
            let why = job.failure.as_ref().map_or_else(
                || job.state.to_string(),
                |failure| format!("{}: {}", failure.code, failure.message),
            );
            end(
                job,
                "rollback_failed",
                format!("the rollback failed ({why})"),
                Ended::Failed,
            )
        }
        Waited::StillRunning(job) => end(
            job,
            "rollback_still_running",
            format!("the rollback is still running after --timeout: {see}"),
            Ended::Failed,
        ),
        Waited::Unread { job, problem } => RollbackEnd {
            how: format!(
                "the rollback's state could not be read ({problem}); it may still be running: {see}"
            ),
            ended: problem.ended(),
            reason: Some(problem.to_string()),
            ..end(job, "rollback_unknown", String::new(), Ended::Failed)
        },
    }
}

/// A stack job as every `--json` answer of `pipeguard oci` shows it, wherever it stands in the
/// answer (`apply`, `target`, `rollback`, `recent_jobs`, `last_good_apply`, `last_rollback`).
#[derive(Serialize)]
pub(crate) struct JobJson<'a> {
    pub(super) id: &'a str,
    pub(super) operation: &'a str,
    pub(super) state: &'a str,
    pub(super) created: &'a str,
    /// Why it failed, as GetJob says; null when it did not, or when it was only listed (a
    /// ListJobs summary has no failure details).
    failure: Option<FailureJson<'a>>,
}

/// `failureDetails`, as Resource Manager gave them.
#[derive(Serialize)]
struct FailureJson<'a> {
    code: &'a str,
    message: &'a str,
}

impl<'a> From<&'a StackJob> for JobJson<'a> {
    fn from(job: &'a StackJob) -> Self {
        Self {
            id: &job.id,
            operation: job.operation.as_str(),
            state: job.state.as_str(),
            created: &job.created,
            failure: job.failure.as_ref().map(|failure| FailureJson {
                code: &failure.code,
                message: &failure.message,
            }),
        }
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
