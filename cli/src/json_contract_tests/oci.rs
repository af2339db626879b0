//! Oracle Cloud's commands' answers, as their examples in docs/cli-json.md show them.

use super::json;
use crate::ended::Ended;
use crate::oci::{StackOutcome, StackStatus};
use pipeguard_core::stack::{JobFailure, JobOperation, JobState, StackJob};
use serde_json::Value;

const STACK: &str = "ocid1.ormstack.oc1.eu-frankfurt-1.amaaaaaa7kq3";

fn job(
    id: &str,
    operation: JobOperation,
    state: JobState,
    created: &str,
    failure: Option<(&str, &str)>,
) -> StackJob {
    StackJob {
        id: job_id(id),
        operation,
        state,
        created: created.into(),
        failure: failure.map(|(code, message)| JobFailure {
            code: code.into(),
            message: message.into(),
        }),
        rollback_target: None,
    }
}

fn job_id(id: &str) -> String {
    format!("ocid1.ormjob.oc1.eu-frankfurt-1.{id}")
}

/// The rollback job that returned the stack to apply job `a2`.
fn rollback_job() -> StackJob {
    StackJob {
        rollback_target: Some(job_id("a2")),
        ..job(
            "r1",
            JobOperation::ApplyRollback,
            JobState::Succeeded,
            "2026-11-30T11:01:05.000Z",
            None,
        )
    }
}

pub fn oci_apply() -> Vec<Value> {
    let applied = job(
        "a3",
        JobOperation::Apply,
        JobState::Succeeded,
        "2026-11-30T10:58:12.345Z",
        None,
    );
    let failure = Some(("TERRAFORM_EXECUTION_ERROR", "Error: quota exceeded"));
    let failed = job(
        "a3",
        JobOperation::Apply,
        JobState::Failed,
        "2026-11-30T10:58:12.345Z",
        failure,
    );
    let target = job(
        "a2",
        JobOperation::Apply,
        JobState::Succeeded,
        "2026-11-29T16:02:40.000Z",
        None,
    );
    let rollback = rollback_job();
    let headline = format!(
        "apply job {} of stack {STACK} FAILED (TERRAFORM_EXECUTION_ERROR: Error: quota exceeded)",
        failed.id
    );
    vec![
        json(
            &StackOutcome::new(
                STACK,
                "applied",
                Ended::Ok,
                format!("applied: job {} of stack {STACK} succeeded", applied.id),
            )
            .apply(&applied),
        ),
        json(
            &StackOutcome::new(
                STACK,
                "rolled_back",
                Ended::Failed,
                format!(
                    "{headline}; rolled back: rollback job {} to apply job {} (created {})",
                    rollback.id, target.id, target.created
                ),
            )
            .apply(&failed)
            .target(&target)
            .rollback(&rollback),
        ),
        json(
            &StackOutcome::new(
                STACK,
                "not_rolled_back",
                Ended::Failed,
                format!("{headline}; rollback skipped: --no-rollback"),
            )
            .apply(&failed)
            .reason(Some("--no-rollback".into())),
        ),
    ]
}

pub fn oci_rollback() -> Vec<Value> {
    let target = job(
        "a2",
        JobOperation::Apply,
        JobState::Succeeded,
        "2026-11-29T16:02:40.000Z",
        None,
    );
    let rollback = rollback_job();
    vec![
        json(
            &StackOutcome::new(
                STACK,
                "dry_run",
                Ended::Ok,
                format!(
                    "dry run: would roll stack {STACK} back to apply job {} (created {})",
                    target.id, target.created
                ),
            )
            .target(&target),
        ),
        json(
            &StackOutcome::new(
                STACK,
                "rolled_back",
                Ended::Ok,
                format!(
                    "rollback job {} of stack {STACK} to apply job {}: rolled back",
                    rollback.id, target.id
                ),
            )
            .target(&target)
            .rollback(&rollback),
        ),
    ]
}

pub fn oci_status() -> Vec<Value> {
    let jobs = [
        job(
            "p4",
            JobOperation::Plan,
            JobState::Succeeded,
            "2026-11-30T11:05:00.000Z",
            None,
        ),
        rollback_job(),
        job(
            "a3",
            JobOperation::Apply,
            JobState::Failed,
            "2026-11-30T10:58:12.345Z",
            None,
        ),
        job(
            "a2",
            JobOperation::Apply,
            JobState::Succeeded,
            "2026-11-29T16:02:40.000Z",
            None,
        ),
    ];
    let never_rolled_back = &jobs[2..];
    vec![
        json(&StackStatus::of(STACK, &jobs)),
        json(&StackStatus::of(STACK, never_rolled_back)),
    ]
}
