//! Whether and where to roll a failed stage back, in the steps the handler fetches for: is the
//! failure still the stage's current one, does it qualify, is it a rollback itself, which
//! execution to return to. Each step is pure and ends in a verdict when it stops the rollback;
//! what the steps find and decide is `verdict`'s vocabulary.

use super::policy::RollbackPolicy;
use super::target::{Kind, LastGood, Run, last_good};
use super::verdict::{Failure, Plan, RollbackVerdict, says_bake_failed};
use crate::config::listed_or_all;
use crate::hold::GateActions;
use crate::pipeline::{
    ActionRun, ActionStatus, ExecutionSummary, ExecutionType, StageSnapshot, stage_of_failure,
};

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
    // A duplicate delivery of the event finds the stage acted on, and stops here.
    stage
        .still_failed_in(execution_id)
        .map_err(|stale| RollbackVerdict::Skip(format!("already handled: {stale}")))?;
    Ok(Failure {
        pipeline,
        execution_id,
        stage,
        is_source_stage: index == 0,
    })
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

/// The failed apply in `stage` that the policy rolls back: a failed bake of the stack's gate
/// (`bake_failures`, the default criterion: an action of `gates` whose message says
/// `BAKE_FAILED`; any other action saying so is judged as any failure), or a failure the
/// policy's apply criteria match.
pub fn qualifying_failure<'a>(
    policy: &RollbackPolicy,
    stage: &str,
    is_source_stage: bool,
    runs: &'a [ActionRun],
    gates: &GateActions,
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
    if policy.bake_failures
        && let Some(baked) = failed
            .iter()
            .find(|run| says_bake_failed(run) && gates.contains(stage, &run.action))
    {
        // A bake watches the deploy before it in its own stage: a stage that deployed nothing
        // has nothing to roll back (the bad revision is in another stage).
        let deployed = runs.iter().any(|run| {
            run.stage == stage && run.status == ActionStatus::Succeeded && !gates.contains(stage, &run.action)
        });
        if !deployed {
            return not_qualifying(format!(
                "the bake of stage {stage} failed, but nothing else in that stage succeeded: a bake belongs in the stage of the deploy it watches, after it"
            ));
        }
        return Ok(baked);
    }
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

/// The last good state of a stage (`target::last_good`), of the executions that succeeded in it
/// (ListPipelineExecutions filtered by `succeededInStage`, newest first) other than `failed`: a
/// ROLLBACK execution stands for the execution it returned the stage to
/// (`rollbackMetadata.rollbackTargetPipelineExecutionId`); an execution of a type CodePipeline
/// does not name is no state to return to.
pub fn last_good_execution<'a>(
    succeeded_in_stage: &'a [ExecutionSummary],
    failed: &str,
) -> LastGood<'a, ExecutionSummary> {
    last_good(succeeded_in_stage, Some(failed), |execution| Run {
        id: &execution.id,
        succeeded: true,
        kind: match execution.execution_type {
            ExecutionType::Standard => Kind::Apply,
            ExecutionType::Rollback => Kind::Rollback {
                to: execution.rollback_target.as_deref(),
            },
            ExecutionType::Other(_) => Kind::Other,
        },
    })
}

/// The rollback to make once the last good state is known, or the verdict when there is none
/// to make: nothing to return to, a state that cannot be found, or a dry run saying what it
/// would do.
pub fn choose(
    policy: &RollbackPolicy,
    failure: &Failure,
    apply: &ActionRun,
    last_good: LastGood<'_, ExecutionSummary>,
) -> Result<Plan, RollbackVerdict> {
    let target = match last_good {
        LastGood::Found { target, .. } => target.clone(),
        LastGood::Unlisted { rollback, target } => {
            return Err(RollbackVerdict::TargetUnknown {
                stage: failure.stage.name.clone(),
                rollback: rollback.id.clone(),
                target: target.map(str::to_owned),
            });
        }
        LastGood::Nothing => {
            return Err(RollbackVerdict::NoTarget {
                stage: failure.stage.name.clone(),
            });
        }
    };
    let plan = Plan {
        apply: Some(apply.clone()),
        target,
    };
    if policy.dry_run {
        return Err(RollbackVerdict::DryRun(Box::new(plan)));
    }
    Ok(plan)
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
