//! `pipeguard oci rollback --stack [--to JOB] [--dry-run]`: a rollback by hand. Without `--to`
//! it returns the stack to the last good apply before its latest apply (the shared rule,
//! `rollback::target`: after a rollback, the apply it returned to); with it, to that job, if it is a succeeded apply of the stack. It waits
//! for the rollback and says how it ended.

use super::jobs::{create_rollback, jobs_until, last_good_of, unavailable, wait};
use super::report::{StackOutcome, rollback_end};
use crate::ended::{Ended, Problem};
use clap::Args;
use pipeguard_core::stack::{JobOperation, JobState, StackJob, last_good_apply};
use pipeguard_oci::client::{CallError, ResourceManager};

#[derive(Args)]
pub struct RollbackArgs {
    /// The stack's OCID
    #[arg(long)]
    stack: String,
    /// The apply job to return to (default: the newest good apply before the latest apply)
    #[arg(long)]
    to: Option<String>,
    /// Say which job it would return to, and do nothing
    #[arg(long)]
    dry_run: bool,
}

/// The job `--to` names, if it is one a rollback of `stack` may return to.
async fn named(resource_manager: &ResourceManager, stack: &str, id: &str) -> Result<StackJob, Problem> {
    let answer = resource_manager.get_job(id).await.map_err(|error| match error {
        CallError::Refused { status: 404, .. } => Problem::Usage(format!(
            "--to {id}: no such job (or not one these credentials may read)"
        )),
        other => unavailable(other),
    })?;
    let job = StackJob::read(&answer.body).map_err(|error| Problem::Failed(error.to_string()))?;
    let of_stack = answer.body["stackId"].as_str() == Some(stack);
    if !of_stack || job.operation != JobOperation::Apply || job.state != JobState::Succeeded {
        return Err(Problem::Usage(format!(
            "--to {id} is a {} {} job{}: a rollback returns to a succeeded apply of the stack",
            job.state,
            job.operation,
            if of_stack {
                String::new()
            } else {
                format!(" of another stack than {stack}")
            }
        )));
    }
    Ok(job)
}

/// Whether a job changes the stack's state: an apply or a rollback.
fn changes_state(job: &StackJob) -> bool {
    matches!(job.operation, JobOperation::Apply | JobOperation::ApplyRollback)
}

/// The newest job of `jobs` that changes the stack's state.
fn changed_state(jobs: &[StackJob]) -> Option<&StackJob> {
    jobs.iter().find(|job| changes_state(job))
}

pub async fn run(
    resource_manager: &ResourceManager,
    args: RollbackArgs,
    json: bool,
) -> Result<Ended, Problem> {
    let stack = args.stack.as_str();
    let target = match &args.to {
        Some(id) => named(resource_manager, stack, id).await?,
        None => {
            // The stack's state now is its latest apply's or rollback's, whatever became of it:
            // return to the last good apply before it. A rollback that succeeded left the stack
            // in its last good state already: going back from there is a person's choice.
            let jobs = jobs_until(resource_manager, stack, |jobs| {
                changed_state(jobs).is_some_and(|latest| last_good_apply(jobs, Some(&latest.id)).is_settled())
            })
            .await?;
            let latest = changed_state(&jobs);
            if let Some(rollback) = latest.filter(|job| {
                job.operation == JobOperation::ApplyRollback && job.state == JobState::Succeeded
            }) {
                return Err(Problem::Usage(format!(
                    "stack {stack} shows rollback job {}, its last good state already: name the apply to return to with --to",
                    rollback.id
                )));
            }
            last_good_of(&jobs, latest.map(|job| job.id.as_str()), stack)
                .cloned()
                .map_err(|why| Problem::Failed(format!("{why} before its latest: nothing to roll back to")))?
        }
    };
    if args.dry_run {
        let message = format!(
            "dry run: would roll stack {stack} back to apply job {} (created {})",
            target.id, target.created
        );
        return StackOutcome::new(stack, "dry_run", Ended::Ok, message)
            .target(&target)
            .say(json);
    }
    let rollback = create_rollback(resource_manager, stack, &target.id).await?;
    let end = rollback_end(wait(resource_manager, rollback).await, stack);
    let message = format!(
        "rollback job {} of stack {stack} to apply job {}: {}",
        end.job.id, target.id, end.how
    );
    StackOutcome::new(stack, end.outcome, end.ended, message)
        .target(&target)
        .rollback(&end.job)
        .reason(end.reason)
        .say(json)
}
