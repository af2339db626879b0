//! `pipeguard oci apply --stack`: what Oracle's published rollback script does, done right. It
//! applies the stack (AUTO_APPROVED), waits for the job (polling that backs off, until
//! `--timeout`), and when the apply fails with a code `--rollback-on` names, rolls the stack back
//! to its last good apply (every page of its jobs it needs, newest first: never the oldest, never
//! the failed job, and after a rollback the apply it returned to), waits for that too, and says from which job to which, and
//! how the rollback ended. Creates carry an `opc-retry-token`, so a create asked again makes no
//! second job.

use super::{last_good, outcome, unavailable};
use crate::{Ended, Problem};
use clap::Args;
use pipeguard_core::stack::{JobState, StackJob, not_qualifying};
use pipeguard_oci::client::{Answer, CallError, ResourceManager};
use serde_json::{Value, json};
use std::time::Duration;

/// The first wait between two looks at a running job; it doubles, up to `MAX_POLL`.
const FIRST_POLL: Duration = Duration::from_millis(500);
const MAX_POLL: Duration = Duration::from_secs(15);

#[derive(Args)]
pub struct ApplyArgs {
    /// The stack's OCID
    #[arg(long)]
    stack: String,
    /// The failure codes that roll the stack back, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "TERRAFORM_EXECUTION_ERROR")]
    rollback_on: Vec<String>,
    /// Only report a failed apply; never roll back
    #[arg(long)]
    no_rollback: bool,
}

/// A job as it ended, or as it stood when the time ran out.
pub(super) enum Waited {
    /// It ended: succeeded, failed or was canceled.
    Ended(StackJob),
    /// It was still running when the time ran out.
    StillRunning(StackJob),
    /// Its state could not be read (OCI refused to say, or went quiet until the time ran out):
    /// the job, as last seen, may run on.
    Unread {
        /// As last seen.
        job: StackJob,
        /// Why it could not be read.
        problem: Problem,
    },
}

/// The job a CreateJob answered with.
fn created(answer: Result<Answer, CallError>) -> Result<StackJob, Problem> {
    let Answer { body, .. } = answer.map_err(unavailable)?;
    StackJob::read(&body).map_err(|error| Problem::Failed(error.to_string()))
}

/// Creates the APPLY_ROLLBACK job that returns `stack` to the apply job `target`.
pub(super) async fn create_rollback(
    resource_manager: &ResourceManager,
    stack: &str,
    target: &str,
) -> Result<StackJob, Problem> {
    created(resource_manager.create_rollback_job(stack, target).await)
}

/// Looks at `job` until it ends or the command's time runs out. OCI going quiet for a while
/// (each look is already asked again a few times), or refusing credentials that are being
/// renewed, is not the end of the wait: the job runs on in Resource Manager, so it is looked at
/// again while there is time.
pub(super) async fn wait(resource_manager: &ResourceManager, job: StackJob) -> Waited {
    let mut job = job;
    let mut poll = FIRST_POLL;
    let mut quiet: Option<CallError> = None;
    while !job.state.is_final() {
        let Some(pause) = resource_manager.wait_before_look(poll) else {
            return match quiet {
                Some(error) => Waited::Unread {
                    job,
                    problem: unavailable(error),
                },
                None => Waited::StillRunning(job),
            };
        };
        tokio::time::sleep(pause).await;
        poll = (poll * 2).min(MAX_POLL);
        match resource_manager.get_job(&job.id).await {
            Ok(answer) => match StackJob::read(&answer.body) {
                Ok(read) => (job, quiet) = (read, None),
                Err(error) => {
                    return Waited::Unread {
                        job,
                        problem: Problem::Failed(error.to_string()),
                    };
                }
            },
            Err(error @ CallError::Unreachable { .. }) => quiet = Some(error),
            // Credentials read again may not be renewed yet: look again while there is time.
            Err(error @ CallError::NotAuthenticated { .. }) if resource_manager.renews() => {
                quiet = Some(error);
            }
            Err(error) => {
                return Waited::Unread {
                    job,
                    problem: unavailable(error),
                };
            }
        }
    }
    Waited::Ended(job)
}

/// The failure codes `--rollback-on` names, as OCI spells them (upper case, trimmed); an empty
/// or misspelt one is a usage error, not a rollback silently never made.
fn rollback_codes(named: &[String]) -> Result<Vec<String>, Problem> {
    named
        .iter()
        .map(|named| {
            let code = named.trim().to_ascii_uppercase();
            let spelt = !code.is_empty()
                && code
                    .bytes()
                    .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_');
            if spelt {
                Ok(code)
            } else {
                Err(Problem::Usage(format!(
                    "--rollback-on names `{}`, which is not a failure code such as TERRAFORM_EXECUTION_ERROR",
                    named.trim()
                )))
            }
        })
        .collect()
}

pub async fn run(resource_manager: &ResourceManager, args: ApplyArgs, json: bool) -> Result<Ended, Problem> {
    let stack = args.stack.as_str();
    let rollback_on = rollback_codes(&args.rollback_on)?;
    let apply = created(resource_manager.create_apply_job(stack).await)?;
    let report = |ended: Ended, text: String, fields: Value| outcome(json, stack, ended, text, fields);
    let failed = match wait(resource_manager, apply).await {
        Waited::Unread { job, problem } => {
            return report(
                problem.ended(),
                format!(
                    "apply job {} of stack {stack} was created, but its state could not be read ({problem}); it goes on in Resource Manager: see `pipeguard oci status --stack {stack}`",
                    job.id
                ),
                json!({"apply": job_json(&job), "outcome": "unknown", "reason": problem.to_string()}),
            );
        }
        Waited::StillRunning(job) => {
            return report(
                Ended::Failed,
                format!(
                    "apply job {} of stack {stack} is still running ({}) after --timeout; it goes on in Resource Manager: see `pipeguard oci status --stack {stack}`",
                    job.id, job.state
                ),
                json!({"apply": job_json(&job), "outcome": "still_running"}),
            );
        }
        Waited::Ended(job) if job.state == JobState::Succeeded => {
            return report(
                Ended::Ok,
                format!("applied: job {} of stack {stack} succeeded", job.id),
                json!({"apply": job_json(&job), "outcome": "applied"}),
            );
        }
        Waited::Ended(job) => job,
    };
    let (code, message) = failed.failure.as_ref().map_or(("unknown", ""), |failure| {
        (failure.code.as_str(), failure.message.as_str())
    });
    let headline = format!(
        "apply job {} of stack {stack} {} ({code}: {message})",
        failed.id, failed.state
    );
    let skipped = |why: String, outcome: &str| {
        report(
            Ended::Failed,
            format!("{headline}; rollback skipped: {why}"),
            json!({"apply": job_json(&failed), "outcome": outcome, "reason": why}),
        )
    };
    if failed.state == JobState::Canceled {
        return skipped("the apply was canceled, not failed".into(), "not_rolled_back");
    }
    if args.no_rollback {
        return skipped("--no-rollback".into(), "not_rolled_back");
    }
    if let Some(why) = not_qualifying(&failed, &rollback_on) {
        return skipped(why, "not_rolled_back");
    }
    // From here the apply has failed whatever happens: a problem with the rollback is said
    // with it, and the command still exits 1.
    match roll_back(resource_manager, stack, &failed).await {
        Ok(Err(why)) => skipped(why, "no_target"),
        Ok(Ok(RolledBack { target, end })) => report(
            Ended::Failed,
            format!(
                "{headline}; {}: rollback job {} to apply job {} (created {})",
                end.how, end.job.id, target.id, target.created
            ),
            json!({"apply": job_json(&failed), "outcome": end.outcome, "target": job_json(&target), "rollback": job_json(&end.job)}),
        ),
        Err(problem) => report(
            Ended::Failed,
            format!(
                "{headline}; the rollback did not complete ({problem}): see `pipeguard oci status --stack {stack}` before trying again"
            ),
            json!({"apply": job_json(&failed), "outcome": "rollback_not_completed", "reason": problem.to_string()}),
        ),
    }
}

/// What came of rolling back: to which apply, and how the rollback job ended.
struct RolledBack {
    target: StackJob,
    end: RollbackEnd,
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

/// Finds the last good apply before `failed`, rolls the stack back to it and waits; or says why
/// there is none to return to.
async fn roll_back(
    resource_manager: &ResourceManager,
    stack: &str,
    failed: &StackJob,
) -> Result<Result<RolledBack, String>, Problem> {
    let target = match last_good(resource_manager, stack, Some(&failed.id)).await? {
        Ok(target) => target,
        Err(why) => return Ok(Err(why)),
    };
    let rollback = create_rollback(resource_manager, stack, &target.id).await?;
    let end = rollback_end(wait(resource_manager, rollback).await, stack);
    Ok(Ok(RolledBack { target, end }))
}

pub(super) fn job_json(job: &StackJob) -> Value {
    json!({"id": job.id, "operation": job.operation.as_str(), "state": job.state.as_str(), "created": job.created,
           "failure": job.failure.as_ref().map(|failure| json!({"code": failure.code, "message": failure.message}))})
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
