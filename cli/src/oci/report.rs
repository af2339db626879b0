//! How an `oci` command about a stack says how it ended: a line for people or, with `--json`,
//! one JSON object with the stack, the message and the exit code; a job in it; and how a
//! rollback job ended, said alike by `apply` and `rollback`.

use super::jobs::Waited;
use crate::{Ended, Problem};
use pipeguard_core::stack::{JobState, StackJob};
use pipeguard_core::text::printable_lines;
use serde::Serialize;
use serde_json::{Value, json};

/// Says how a command about `stack` ended: `text` for people, or with `--json` the `fields`
/// with the stack, the text and the exit code; and ends with `ended`.
pub(super) fn outcome(
    json: bool,
    stack: &str,
    ended: Ended,
    text: String,
    fields: Value,
) -> Result<Ended, Problem> {
    if json {
        let mut fields = fields;
        fields["stack"] = json!(stack);
        fields["message"] = json!(text);
        fields["exit_code"] = json!(ended as u8);
        println!("{}", crate::output::json_line(&fields));
    } else {
        // Resource Manager's failure messages are quoted here: no terminal escape gets through.
        println!("{}", printable_lines(&text));
    }
    Ok(ended)
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
pub(super) struct JobJson<'a> {
    id: &'a str,
    operation: &'a str,
    state: &'a str,
    created: &'a str,
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
