//! `pipeguard oci rollback --stack [--to JOB] [--dry-run]`: a rollback by hand. Without `--to`
//! it returns the stack to the newest good apply before its latest apply (the shared rule,
//! `rollback::target`); with it, to that job, if it is a succeeded apply of the stack. It waits
//! for the rollback and says how it ended.

use super::apply::{create_rollback, job_json, rollback_end, wait};
use super::client::{ResourceManager, encode};
use super::{jobs_until, outcome, unavailable};
use crate::{Ended, Problem};
use clap::Args;
use pipeguard_core::stack::{JobOperation, JobState, StackJob, last_good_apply};
use serde_json::json;

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
    let answer = resource_manager
        .get(&format!("/jobs/{}", encode(id)))
        .await
        .map_err(|error| match error {
            super::client::CallError::Refused { status: 404, .. } => Problem::Usage(format!(
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

pub async fn run(
    resource_manager: &ResourceManager,
    args: RollbackArgs,
    json: bool,
) -> Result<Ended, Problem> {
    let stack = args.stack.as_str();
    let target = match &args.to {
        Some(id) => named(resource_manager, stack, id).await?,
        None => {
            // The latest apply is the stack's state now, whatever became of it: return to the
            // good apply before it.
            let latest_apply = |jobs: &[StackJob]| {
                jobs.iter()
                    .find(|job| job.operation == JobOperation::Apply)
                    .map(|job| job.id.clone())
            };
            let jobs = jobs_until(resource_manager, stack, |jobs| {
                last_good_apply(jobs, latest_apply(jobs).as_deref()).is_some()
            })
            .await?;
            let current = latest_apply(&jobs);
            last_good_apply(&jobs, current.as_deref())
                .cloned()
                .ok_or_else(|| {
                    Problem::Failed(format!(
                        "no good apply of stack {stack} before its latest: nothing to roll back to"
                    ))
                })?
        }
    };
    let say =
        |ended: Ended, text: String, fields: serde_json::Value| outcome(json, stack, ended, text, fields);
    if args.dry_run {
        return say(
            Ended::Ok,
            format!(
                "dry run: would roll stack {stack} back to apply job {} (created {})",
                target.id, target.created
            ),
            json!({"outcome": "dry_run", "target": job_json(&target)}),
        );
    }
    let rollback = create_rollback(resource_manager, stack, &target.id).await?;
    let end = rollback_end(wait(resource_manager, rollback).await, stack);
    say(
        end.ended,
        format!(
            "rollback job {} of stack {stack} to apply job {}: {}",
            end.job.id, target.id, end.how
        ),
        json!({"outcome": end.outcome, "target": job_json(&target), "rollback": job_json(&end.job),
               "reason": end.reason}),
    )
}
