//! The pure decisions of a rollback: is the failure still current, does it qualify, which
//! execution to return to, and what to tell people.

use super::policy::RollbackPolicy;
use crate::notify::Notice;
use crate::pipeline_state::{ActionRun, ExecutionSummary, StageSnapshot};

/// The stage still shows this failure: nobody retried it, rolled it back or ran it again since.
/// A duplicate delivery of the event finds it otherwise, and stops here.
pub fn still_failed(failed_execution: &str, stage: &StageSnapshot) -> Result<(), String> {
    let latest = stage.execution_id.as_deref().unwrap_or("(none)");
    if latest != failed_execution {
        return Err(format!(
            "already handled: stage {} now shows execution {latest}",
            stage.name
        ));
    }
    if !stage.is_failed() {
        return Err(format!(
            "already handled: stage {} is {}",
            stage.name,
            stage.status.as_deref().unwrap_or("unknown")
        ));
    }
    Ok(())
}

fn listed_or_all(list: &[String], name: &str) -> bool {
    list.is_empty() || list.iter().any(|item| item == name)
}

/// Why one failed action is not an apply failure the policy rolls back, or None when it is.
fn mismatch(policy: &RollbackPolicy, run: &ActionRun) -> Option<String> {
    if !policy.categories.contains(&run.category) {
        return Some(format!(
            "{} is a {} action, not one of {}",
            run.action,
            run.category,
            policy.categories.join(", ")
        ));
    }
    if !listed_or_all(&policy.providers, &run.provider) {
        return Some(format!(
            "{} runs {}, not one of {}",
            run.action,
            run.provider,
            policy.providers.join(", ")
        ));
    }
    let code = run.error_code.as_deref().unwrap_or("unknown");
    if !listed_or_all(&policy.error_codes, code) {
        return Some(format!(
            "{} failed with {code}, not one of {}",
            run.action,
            policy.error_codes.join(", ")
        ));
    }
    if let Some(pattern) = &policy.message_pattern {
        let texts = [run.error_message.as_deref(), run.summary.as_deref()];
        if !texts.into_iter().flatten().any(|text| pattern.matches(text)) {
            return Some(format!("{}'s error does not match message_pattern", run.action));
        }
    }
    None
}

/// The failed apply in `stage` that the policy rolls back, or why there is none.
pub fn qualifying_failure<'a>(
    policy: &RollbackPolicy,
    stage: &str,
    is_source_stage: bool,
    runs: &'a [ActionRun],
) -> Result<&'a ActionRun, String> {
    if !listed_or_all(&policy.stages, stage) {
        return Err(format!("stage {stage} is not rollback-managed"));
    }
    if is_source_stage {
        return Err(format!(
            "stage {stage} is a source stage, which CodePipeline cannot roll back"
        ));
    }
    let failed: Vec<&ActionRun> = runs
        .iter()
        .filter(|run| run.stage == stage && run.status == "Failed")
        .collect();
    let Some(first) = failed.first() else {
        return Err(format!("no failed action in stage {stage}"));
    };
    match failed.iter().find(|run| mismatch(policy, run).is_none()) {
        Some(run) => Ok(run),
        None => Err(format!(
            "the failure does not qualify for a rollback: {}",
            mismatch(policy, first).unwrap_or_default()
        )),
    }
}

/// A rollback target: an execution other than the failed one that is not itself a rollback
/// (CodePipeline refuses those, and rolling back to a rollback could loop).
pub fn is_rollback_target(execution: &ExecutionSummary, failed_execution: &str) -> bool {
    execution.id != failed_execution && execution.execution_type == "STANDARD"
}

fn revisions(execution: &ExecutionSummary) -> String {
    if execution.source_revisions.is_empty() {
        String::new()
    } else {
        format!(" (source: {})", execution.source_revisions.join(", "))
    }
}

pub fn rolled_back_notice(
    pipeline: &str,
    stage: &str,
    failed: &ActionRun,
    from: &str,
    target: &ExecutionSummary,
    dry_run: bool,
) -> Notice {
    let error = format!(
        "{} {}",
        failed.error_code.as_deref().unwrap_or("unknown"),
        failed.error_message.as_deref().unwrap_or("")
    );
    let (subject, verb) = if dry_run {
        (
            format!("pipeguard: {pipeline} {stage} would be rolled back (dry run)"),
            "would roll",
        )
    } else {
        (format!("pipeguard: {pipeline} {stage} rolled back"), "rolled")
    };
    Notice::new(
        &subject,
        &format!(
            "Action {} of stage {stage} in pipeline {pipeline} failed ({}), so pipeguard {verb} the stage back from execution {from} to {}, the last execution that succeeded in it{}.",
            failed.action,
            error.trim(),
            target.id,
            revisions(target),
        ),
    )
}

pub fn not_rolled_back_notice(pipeline: &str, stage: &str, failed_execution: &str, reason: &str) -> Notice {
    Notice::new(
        &format!("pipeguard: {pipeline} {stage} not rolled back"),
        &format!(
            "Stage {stage} of pipeline {pipeline} failed in execution {failed_execution} and was not rolled back: {reason}. It needs a person."
        ),
    )
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
