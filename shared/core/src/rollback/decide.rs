//! Whether and where to roll a failed stage back, in the steps the handler fetches for: is the
//! failure still the stage's current one, does it qualify, is it a rollback itself, which
//! execution to return to. Each step is pure and ends in a verdict when it stops the rollback;
//! the verdict says what to log and what to tell people.

use super::policy::RollbackPolicy;
use crate::config::listed_or_all;
use crate::notice::Notice;
use crate::pipeline::{
    ActionRun, ActionStatus, ExecutionSummary, ExecutionType, RollbackOutcome, StageSnapshot,
    stage_of_failure,
};

/// A failed stage apply-rollback was told about, as CodePipeline reports it now.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    pub pipeline: &'a str,
    pub execution_id: &'a str,
    pub stage: &'a StageSnapshot,
    /// The first stage is the source stage, which CodePipeline cannot roll back.
    pub is_source_stage: bool,
}

/// A rollback worked out: the failed apply, and the execution to return the stage to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub apply: ActionRun,
    pub target: ExecutionSummary,
}

/// What became of one failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackVerdict {
    /// Not a failure to act on now (a duplicate, a stage already running again); logged only.
    Skip(String),
    /// A failure the policy does not roll back; logged only.
    NotQualifying(String),
    /// The failed execution was itself a rollback: never rolled back again.
    FailedRollback { execution_id: String },
    /// No earlier execution succeeded in the stage.
    NoTarget { stage: String },
    /// The policy is a dry run: this is what would happen.
    DryRun(Box<Plan>),
    /// Rolled back: `rollback_execution` returns the stage to the plan's target.
    RolledBack {
        plan: Box<Plan>,
        rollback_execution: String,
    },
    /// CodePipeline said the stage is busy: most likely a duplicate's rollback runs already.
    AlreadyRollingBack(String),
    /// CodePipeline refused, in words a person can act on.
    Refused(String),
}

/// The failed stage an event names (or, without a name, the failed stage of its execution),
/// if it still shows this failure: nobody retried it, rolled it back or ran it again since.
pub fn locate<'a>(
    pipeline: &'a str,
    execution_id: &'a str,
    named_stage: Option<&str>,
    stages: &'a [StageSnapshot],
) -> Result<Failure<'a>, RollbackVerdict> {
    let Some((index, stage)) = stage_of_failure(stages, named_stage, execution_id) else {
        return Err(RollbackVerdict::Skip("no failed stage of this execution".into()));
    };
    still_failed(execution_id, stage)?;
    Ok(Failure {
        pipeline,
        execution_id,
        stage,
        is_source_stage: index == 0,
    })
}

/// The stage still shows this failure. A duplicate delivery of the event finds it otherwise,
/// and stops here.
pub fn still_failed(failed_execution: &str, stage: &StageSnapshot) -> Result<(), RollbackVerdict> {
    let latest = stage.execution_id.as_deref().unwrap_or("(none)");
    if latest != failed_execution {
        return Err(RollbackVerdict::Skip(format!(
            "already handled: stage {} now shows execution {latest}",
            stage.name
        )));
    }
    if !stage.is_failed() {
        return Err(RollbackVerdict::Skip(format!(
            "already handled: stage {} is {}",
            stage.name,
            stage.status_text()
        )));
    }
    Ok(())
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

/// The failed apply in `stage` that the policy rolls back.
pub fn qualifying_failure<'a>(
    policy: &RollbackPolicy,
    stage: &str,
    is_source_stage: bool,
    runs: &'a [ActionRun],
) -> Result<&'a ActionRun, RollbackVerdict> {
    let not_qualifying = |reason: String| Err(RollbackVerdict::NotQualifying(reason));
    if !listed_or_all(&policy.stages, stage) {
        return not_qualifying(format!("stage {stage} is not rollback-managed"));
    }
    if is_source_stage {
        return not_qualifying(format!(
            "stage {stage} is a source stage, which CodePipeline cannot roll back"
        ));
    }
    let failed: Vec<&ActionRun> = runs
        .iter()
        .filter(|run| run.stage == stage && run.status == ActionStatus::Failed)
        .collect();
    let Some(first) = failed.first() else {
        return not_qualifying(format!("no failed action in stage {stage}"));
    };
    match failed.iter().find(|run| mismatch(policy, run).is_none()) {
        Some(run) => Ok(run),
        None => not_qualifying(format!(
            "the failure does not qualify for a rollback: {}",
            mismatch(policy, first).unwrap_or_default()
        )),
    }
}

/// A failed rollback is never rolled back again: CodePipeline would refuse the next one's
/// target, or it would loop.
pub fn not_a_rollback(failure: &Failure, execution_type: &ExecutionType) -> Result<(), RollbackVerdict> {
    match execution_type {
        ExecutionType::Rollback => Err(RollbackVerdict::FailedRollback {
            execution_id: failure.execution_id.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// A rollback target: an execution other than the failed one that is not itself a rollback
/// (CodePipeline refuses those, and rolling back to a rollback could loop).
pub fn is_rollback_target(execution: &ExecutionSummary, failed_execution: &str) -> bool {
    execution.id != failed_execution && execution.execution_type == ExecutionType::Standard
}

/// The rollback to make once the target is known, or the verdict when there is none to make:
/// nothing to return to, or a dry run saying what it would do.
pub fn choose(
    policy: &RollbackPolicy,
    failure: &Failure,
    apply: &ActionRun,
    target: Option<ExecutionSummary>,
) -> Result<Plan, RollbackVerdict> {
    let Some(target) = target else {
        return Err(RollbackVerdict::NoTarget {
            stage: failure.stage.name.clone(),
        });
    };
    let plan = Plan {
        apply: apply.clone(),
        target,
    };
    if policy.dry_run {
        return Err(RollbackVerdict::DryRun(Box::new(plan)));
    }
    Ok(plan)
}

impl RollbackVerdict {
    /// What came of making the rollback `plan`.
    pub fn after(plan: Plan, outcome: RollbackOutcome) -> Self {
        let plan = Box::new(plan);
        match outcome {
            RollbackOutcome::Started(rollback_execution) => Self::RolledBack {
                plan,
                rollback_execution,
            },
            RollbackOutcome::AlreadyHandled(reason) => Self::AlreadyRollingBack(reason),
            RollbackOutcome::Refused(reason) => Self::Refused(reason),
        }
    }

    /// One word for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Skip(_) | Self::AlreadyRollingBack(_) => "skip",
            Self::NotQualifying(_) => "not-qualifying",
            Self::FailedRollback { .. } => "failed-rollback",
            Self::NoTarget { .. } => "no-target",
            Self::DryRun { .. } => "dry-run",
            Self::RolledBack { .. } => "rollback",
            Self::Refused(_) => "refused",
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Self::Skip(reason) | Self::NotQualifying(reason) | Self::Refused(reason) => reason.clone(),
            Self::FailedRollback { execution_id } => format!(
                "execution {execution_id} was itself a rollback, and a failed rollback is never rolled back again"
            ),
            Self::NoTarget { stage } => {
                format!("no earlier successful execution of stage {stage}; rollback skipped")
            }
            Self::DryRun(plan) => format!("dry run: would roll back to {}", plan.target.id),
            Self::RolledBack {
                plan,
                rollback_execution,
            } => format!(
                "rolling back to {} in execution {rollback_execution}",
                plan.target.id
            ),
            Self::AlreadyRollingBack(reason) => format!("already handled: {reason}"),
        }
    }

    /// The message for people, for the verdicts worth one: rolled back (or would be), or not
    /// rolled back when a person has to step in. Skips and non-qualifying failures are quiet.
    pub fn notice(&self, failure: &Failure) -> Option<Notice> {
        let (pipeline, stage, failed) = (
            failure.pipeline,
            failure.stage.name.as_str(),
            failure.execution_id,
        );
        match self {
            Self::DryRun(plan) => Some(rolled_back_notice(pipeline, stage, plan, failed, true)),
            Self::RolledBack { plan, .. } => Some(rolled_back_notice(pipeline, stage, plan, failed, false)),
            Self::FailedRollback { .. } | Self::NoTarget { .. } | Self::Refused(_) => {
                Some(not_rolled_back_notice(pipeline, stage, failed, &self.reason()))
            }
            Self::Skip(_) | Self::NotQualifying(_) | Self::AlreadyRollingBack(_) => None,
        }
    }
}

fn revisions(execution: &ExecutionSummary) -> String {
    if execution.source_revisions.is_empty() {
        String::new()
    } else {
        format!(" (source: {})", execution.source_revisions.join(", "))
    }
}

fn rolled_back_notice(pipeline: &str, stage: &str, plan: &Plan, from: &str, dry_run: bool) -> Notice {
    let Plan {
        apply: failed,
        target,
    } = plan;
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
    .about(pipeline)
    .with_next_steps(&[if dry_run {
        "Nothing was changed (ROLLBACK_DRY_RUN): roll the stage back by hand if you agree."
    } else {
        "Fix the change that failed and release it again; the stage runs the earlier revision until then."
    }])
}

fn not_rolled_back_notice(pipeline: &str, stage: &str, failed_execution: &str, reason: &str) -> Notice {
    Notice::new(
        &format!("pipeguard: {pipeline} {stage} not rolled back"),
        &format!(
            "Stage {stage} of pipeline {pipeline} failed in execution {failed_execution} and was not rolled back: {reason}. It needs a person."
        ),
    )
    .about(pipeline)
    .with_next_steps(&["Look at the failed stage, then fix forward, or roll back to an execution you choose."])
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
