//! A stack's jobs as the `oci` commands use them, through pipeguard-oci's Resource Manager: read
//! page by page until enough are known, the last good apply found among them (pipeguard-core's
//! rule), an apply or a rollback created, a job waited for; and what a call that failed means for
//! the command (`unavailable`).

use crate::ended::Problem;
use pipeguard_core::rollback::LastGood;
use pipeguard_core::stack::{StackJob, last_good_apply};
use pipeguard_oci::client::{Answer, CallError, ResourceManager};
use std::collections::BTreeSet;
use std::time::Duration;

/// The first wait between two looks at a running job; it doubles, up to `MAX_POLL`.
const FIRST_POLL: Duration = Duration::from_millis(500);
const MAX_POLL: Duration = Duration::from_secs(15);

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

/// The stack's jobs, newest first, page by page, until `enough` says the jobs read so far are
/// (or the pages end).
pub(super) async fn jobs_until(
    resource_manager: &ResourceManager,
    stack: &str,
    enough: impl Fn(&[StackJob]) -> bool,
) -> Result<Vec<StackJob>, Problem> {
    let mut jobs = Vec::new();
    let mut page: Option<String> = None;
    let mut seen = BTreeSet::new();
    loop {
        let answer = resource_manager
            .list_jobs(stack, page.as_deref())
            .await
            .map_err(unavailable)?;
        let read = StackJob::read_page(&answer.body).map_err(|error| Problem::Failed(error.to_string()))?;
        jobs.extend(read);
        if enough(&jobs) {
            return Ok(jobs);
        }
        match next_page(&mut seen, answer.next_page, stack)? {
            Some(next) => page = Some(next),
            None => return Ok(jobs),
        }
    }
}

/// The stack's last good apply before `except` (the rule apply-rollback follows): the apply to
/// return to, read page by page until it is known; or why there is none, in a sentence.
pub(super) async fn last_good(
    resource_manager: &ResourceManager,
    stack: &str,
    except: Option<&str>,
) -> Result<Result<StackJob, String>, Problem> {
    let jobs = jobs_until(resource_manager, stack, |jobs| {
        last_good_apply(jobs, except).is_settled()
    })
    .await?;
    Ok(last_good_of(&jobs, except, stack).cloned())
}

/// The last good apply of `jobs` before `except`, or why there is none, in a sentence.
pub(super) fn last_good_of<'a>(
    jobs: &'a [StackJob],
    except: Option<&str>,
    stack: &str,
) -> Result<&'a StackJob, String> {
    match last_good_apply(jobs, except) {
        LastGood::Found { target, .. } => Ok(target),
        LastGood::Unlisted { rollback, target } => Err(format!(
            "the last good state of stack {stack} is the one rollback job {} returned it to, and apply job {} is not among its jobs: rolling back to an earlier apply would return to one it rolled away from",
            rollback.id,
            target.unwrap_or("(not named by Resource Manager)")
        )),
        LastGood::Nothing => Err(format!("no earlier successful apply of stack {stack}")),
    }
}

/// The page to read next, given the token an answer ended with (None: the last page). An empty
/// or repeated token would read pages again until the deadline, and stopping there would take
/// the pages read for all of them: it is an error.
pub(super) fn next_page(
    seen: &mut BTreeSet<String>,
    token: Option<String>,
    stack: &str,
) -> Result<Option<String>, Problem> {
    match token {
        Some(next) if next.is_empty() || !seen.insert(next.clone()) => Err(Problem::Failed(format!(
            "Resource Manager's job pages of stack {stack} do not end (page token `{next}` again, or empty)"
        ))),
        token => Ok(token),
    }
}

/// Creates the apply job of `stack`, its plan approved.
pub(super) async fn create_apply(
    resource_manager: &ResourceManager,
    stack: &str,
) -> Result<StackJob, Problem> {
    created(resource_manager.create_apply_job(stack).await)
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

/// Exit code 3: OCI could not be reached, or refused the credentials; anything else it refused
/// is the command's failure.
pub(super) fn unavailable(error: CallError) -> Problem {
    match error {
        CallError::Unreachable { .. } | CallError::NotAuthenticated { .. } => {
            Problem::Unavailable(error.to_string())
        }
        CallError::Invalid { .. } => Problem::Usage(error.to_string()),
        CallError::Refused { .. } | CallError::Oversized { .. } => Problem::Failed(error.to_string()),
    }
}

#[cfg(test)]
#[path = "jobs_tests.rs"]
mod tests;
