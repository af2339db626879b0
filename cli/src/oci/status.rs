//! `pipeguard oci status --stack`: the stack's recent jobs, its last good apply (the one an
//! apply failing now would be rolled back to: after a rollback, the apply it returned to) and
//! its last rollback, reading every page it
//! needs, newest first.

use super::jobs::jobs_until;
use super::report::JobJson;
use crate::{Ended, Problem};
use clap::Args;
use pipeguard_core::stack::{last_good_apply, last_rollback};
use pipeguard_core::text::printable;
use pipeguard_oci::client::ResourceManager;
use serde_json::json;

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
    let (good, rollback) = (last_good_apply(&jobs, None).target(), last_rollback(&jobs));
    if json {
        println!(
            "{}",
            crate::output::json_line(&json!({
                "stack": args.stack,
                "recent_jobs": jobs.iter().take(RECENT).map(JobJson::from).collect::<Vec<_>>(),
                "last_good_apply": good.map(JobJson::from),
                "last_rollback": rollback.map(JobJson::from),
            }))
        );
    } else {
        println!("stack {}", args.stack);
        println!("recent jobs (newest first):");
        if jobs.is_empty() {
            println!("  none");
        }
        for job in jobs.iter().take(RECENT) {
            // What Resource Manager answered, escaped: no terminal escape gets through.
            let line = format!("  {}  {} {} {}", job.created, job.operation, job.state, job.id);
            println!("{}", printable(&line));
        }
        println!(
            "last good apply: {}",
            good.map_or_else(
                || "none".to_owned(),
                |job| printable(&format!("{} ({})", job.id, job.created)).into_owned()
            )
        );
        println!(
            "last rollback:   {}",
            rollback.map_or_else(
                || "none".to_owned(),
                |job| printable(&format!("{} ({}, {})", job.id, job.state, job.created)).into_owned()
            )
        );
    }
    Ok(Ended::Ok)
}
