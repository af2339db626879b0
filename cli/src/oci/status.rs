//! `pipeguard oci status --stack`: the stack's recent jobs, its last good apply (the one an
//! apply failing now would be rolled back to: after a rollback, the apply it returned to) and
//! its last rollback, reading every page it
//! needs, newest first.

use super::jobs::jobs_until;
use super::report::JobJson;
use crate::ended::{Ended, Problem};
use crate::output::{Report, emit};
use clap::Args;
use pipeguard_core::stack::{StackJob, last_good_apply, last_rollback};
use pipeguard_core::text::printable;
use pipeguard_oci::client::ResourceManager;
use serde::Serialize;

/// The recent jobs shown.
const RECENT: usize = 10;

#[derive(Args)]
pub struct StatusArgs {
    /// The stack's OCID
    #[arg(long)]
    stack: String,
}

pub async fn run(resource_manager: &ResourceManager, args: StatusArgs, json: bool) -> Result<Ended, Problem> {
    let jobs = jobs_until(resource_manager, &args.stack, |jobs| {
        last_good_apply(jobs, None).is_settled() && last_rollback(jobs).is_some()
    })
    .await?;
    emit(&StackStatus::of(&args.stack, &jobs), json)?;
    Ok(Ended::Ok)
}

/// What `oci status` answers: the stack's recent jobs, newest first, its last good apply and its
/// last rollback.
#[derive(Serialize)]
pub(crate) struct StackStatus<'a> {
    stack: &'a str,
    recent_jobs: Vec<JobJson<'a>>,
    last_good_apply: Option<JobJson<'a>>,
    last_rollback: Option<JobJson<'a>>,
}

impl<'a> StackStatus<'a> {
    /// Of `stack`, from its `jobs` read so far, newest first.
    pub(crate) fn of(stack: &'a str, jobs: &'a [StackJob]) -> Self {
        Self {
            stack,
            recent_jobs: jobs.iter().take(RECENT).map(JobJson::from).collect(),
            last_good_apply: last_good_apply(jobs, None).target().map(JobJson::from),
            last_rollback: last_rollback(jobs).map(JobJson::from),
        }
    }
}

impl Report for StackStatus<'_> {
    fn text(&self, _colour: bool) -> String {
        let mut lines = vec![
            format!("stack {}", self.stack),
            "recent jobs (newest first):".into(),
        ];
        if self.recent_jobs.is_empty() {
            lines.push("  none".into());
        }
        for job in &self.recent_jobs {
            // What Resource Manager answered, escaped: no terminal escape gets through.
            let line = format!("  {}  {} {} {}", job.created, job.operation, job.state, job.id);
            lines.push(printable(&line).into_owned());
        }
        lines.push(format!(
            "last good apply: {}",
            self.last_good_apply.as_ref().map_or_else(
                || "none".to_owned(),
                |job| printable(&format!("{} ({})", job.id, job.created)).into_owned()
            )
        ));
        lines.push(format!(
            "last rollback:   {}",
            self.last_rollback.as_ref().map_or_else(
                || "none".to_owned(),
                |job| printable(&format!("{} ({}, {})", job.id, job.state, job.created)).into_owned()
            )
        ));
        lines.join("\n")
    }
}
