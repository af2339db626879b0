//! `pipeguard oci apply --stack`: what Oracle's published rollback script does, done right. It
//! applies the stack (AUTO_APPROVED), waits for the job (polling that backs off, until
//! `--timeout`), and when the apply fails with a code `--rollback-on` names, rolls the stack back
//! to its last good apply (every page of its jobs it needs, newest first: never the oldest, never
//! the failed job, and after a rollback the apply it returned to), waits for that too, and says from which job to which, and
//! how the rollback ended. Creates carry an `opc-retry-token`, so a create asked again makes no
//! second job.

use super::jobs::{Waited, create_apply, create_rollback, last_good, wait};
use super::report::{RollbackEnd, StackOutcome, rollback_end};
use crate::ended::{Ended, Problem};
use clap::Args;
use pipeguard_core::stack::{JobState, StackJob, not_qualifying};
use pipeguard_oci::client::ResourceManager;

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
    let apply = create_apply(resource_manager, stack).await?;
    let failed = match wait(resource_manager, apply).await {
        Waited::Unread { job, problem } => {
            let message = format!(
                "apply job {} of stack {stack} was created, but its state could not be read ({problem}); it goes on in Resource Manager: see `pipeguard oci status --stack {stack}`",
                job.id
            );
            return StackOutcome::new(stack, "unknown", problem.ended(), message)
                .apply(&job)
                .reason(Some(problem.to_string()))
                .say(json);
        }
        Waited::StillRunning(job) => {
            let message = format!(
                "apply job {} of stack {stack} is still running ({}) after --timeout; it goes on in Resource Manager: see `pipeguard oci status --stack {stack}`",
                job.id, job.state
            );
            return StackOutcome::new(stack, "still_running", Ended::Failed, message)
                .apply(&job)
                .say(json);
        }
        Waited::Ended(job) if job.state == JobState::Succeeded => {
            let message = format!("applied: job {} of stack {stack} succeeded", job.id);
            return StackOutcome::new(stack, "applied", Ended::Ok, message)
                .apply(&job)
                .say(json);
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
    let failure = |outcome, message| StackOutcome::new(stack, outcome, Ended::Failed, message).apply(&failed);
    let skipped = |why: String, outcome| {
        failure(outcome, format!("{headline}; rollback skipped: {why}"))
            .reason(Some(why))
            .say(json)
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
        Ok(Ok(RolledBack { target, end })) => failure(
            end.outcome,
            format!(
                "{headline}; {}: rollback job {} to apply job {} (created {})",
                end.how, end.job.id, target.id, target.created
            ),
        )
        .target(&target)
        .rollback(&end.job)
        .reason(end.reason)
        .say(json),
        Err(problem) => failure(
            "rollback_not_completed",
            format!(
                "{headline}; the rollback did not complete ({problem}): see `pipeguard oci status --stack {stack}` before trying again"
            ),
        )
        .reason(Some(problem.to_string()))
        .say(json),
    }
}

/// What came of rolling back: to which apply, and how the rollback job ended.
struct RolledBack {
    target: StackJob,
    end: RollbackEnd,
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

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
