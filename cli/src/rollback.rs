//! `pipeguard rollback PIPELINE STAGE`: apply-rollback's target selection by hand. Without
//! `--to`, the stage's last good state before its current execution (the newest execution that
//! succeeded in it, or, when that is a rollback, the one it returned the stage to); with it,
//! that execution, if it is one CodePipeline can return the stage to.

use crate::aws::Aws;
use crate::ended::{Ended, Problem};
use crate::output::{Report, emit};
use clap::Args;
use pipeguard_core::pipeline::{ExecutionSummary, ExecutionType, StageStatus};
use pipeguard_core::rollback::{self, LastGood, Plan, RollbackVerdict};
use serde::Serialize;

#[derive(Args)]
pub struct RollbackArgs {
    pipeline: String,
    stage: String,
    /// The execution to return the stage to (default: the newest that succeeded in it)
    #[arg(long)]
    to: Option<String>,
    /// Say what would happen, change nothing
    #[arg(long)]
    dry_run: bool,
}

/// The execution `--to` names, if the stage can be returned to it.
async fn named(aws: &Aws, pipeline: &str, stage: &str, id: &str) -> Result<ExecutionSummary, Problem> {
    let target = aws
        .codepipeline
        .newest_execution_where(pipeline, Some(stage), |execution| execution.id == id)
        .await?
        .ok_or_else(|| {
            Problem::Usage(format!(
                "execution {id} did not succeed in stage {stage} of {pipeline}"
            ))
        })?;
    if target.execution_type == ExecutionType::Rollback {
        return Err(Problem::Usage(format!(
            "execution {} is itself a rollback; CodePipeline rolls back only to a standard execution",
            target.id
        )));
    }
    Ok(target)
}

/// The stage's last good state before `current` (the rule apply-rollback follows): after a
/// rollback, the execution it returned the stage to.
async fn last_good(
    aws: &Aws,
    pipeline: &str,
    stage: &str,
    current: &str,
) -> Result<ExecutionSummary, Problem> {
    let succeeded = aws
        .codepipeline
        .executions_until(pipeline, Some(stage), |read| {
            rollback::last_good_execution(read, current).is_settled()
        })
        .await?;
    match rollback::last_good_execution(&succeeded, current) {
        LastGood::Found { target, .. } => Ok(target.clone()),
        LastGood::Unlisted { rollback, target } => Err(Problem::Failed(format!(
            "the last good state of stage {stage} of {pipeline} is the one rollback {} returned it to, and execution {} is not in its history: name the execution to return to with --to",
            rollback.id,
            target.unwrap_or("(not named by CodePipeline)")
        ))),
        LastGood::Nothing => Err(Problem::Failed(format!(
            "no earlier execution succeeded in stage {stage} of {pipeline}: nothing to roll back to"
        ))),
    }
}

pub async fn run(aws: &Aws, args: RollbackArgs, json: bool) -> Result<Ended, Problem> {
    let RollbackArgs {
        pipeline,
        stage,
        to,
        dry_run,
    } = args;
    let stages = aws.codepipeline.stages(&pipeline).await.map_err(|error| {
        if error.is_not_found() {
            Problem::UnknownPipelines(vec![pipeline.clone()])
        } else {
            error.into()
        }
    })?;
    let Some(index) = stages.iter().position(|candidate| candidate.name == stage) else {
        let names: Vec<&str> = stages.iter().map(|candidate| candidate.name.as_str()).collect();
        return Err(Problem::Usage(format!(
            "pipeline {pipeline} has no stage {stage} (its stages: {})",
            names.join(", ")
        )));
    };
    if index == 0 {
        return Err(Problem::Usage(format!(
            "{stage} is the source stage, which CodePipeline cannot roll back"
        )));
    }
    let current = stages[index].execution_id.clone().unwrap_or_default();
    // A rollback that succeeded left the stage in its last good state already: going back from
    // there is a choice only a person can make.
    let rolled_back = stages[index].execution_type == Some(ExecutionType::Rollback)
        && stages[index].status == Some(StageStatus::Succeeded);
    if rolled_back && to.is_none() {
        return Err(Problem::Usage(format!(
            "stage {stage} of {pipeline} shows rollback {current}, its last good state already: name the execution to return to with --to"
        )));
    }
    let target = match &to {
        Some(id) => named(aws, &pipeline, &stage, id).await?,
        None => last_good(aws, &pipeline, &stage, &current).await?,
    };
    if target.id == current {
        return Err(Problem::Usage(format!(
            "stage {stage} already shows execution {current}"
        )));
    }
    let plan = Plan { apply: None, target };
    let verdict = if dry_run {
        RollbackVerdict::DryRun(Box::new(plan))
    } else {
        let outcome = aws
            .codepipeline
            .rollback_stage(&pipeline, &stage, &plan.target.id)
            .await?;
        RollbackVerdict::after(plan, outcome)
    };
    emit(&RollbackReport::of(pipeline, stage, current, &verdict)?, json)?;
    Ok(Ended::Ok)
}

/// What `rollback` answers: the stage, the executions it goes from and to, and the rollback made.
#[derive(Serialize)]
pub struct RollbackReport {
    verdict: &'static str,
    dry_run: bool,
    pipeline: String,
    stage: String,
    from: String,
    to: String,
    /// None in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback_execution: Option<String>,
    /// For people: what the target deployed (its source revisions).
    #[serde(skip)]
    sources_note: String,
}

impl RollbackReport {
    /// What `verdict` says of rolling `stage` of `pipeline` back from execution `from`; a
    /// rollback refused is the command's failure.
    pub fn of(
        pipeline: String,
        stage: String,
        from: String,
        verdict: &RollbackVerdict,
    ) -> Result<Self, Problem> {
        let (plan, rollback_execution) = match verdict {
            RollbackVerdict::DryRun(plan) => (plan, None),
            RollbackVerdict::RolledBack {
                plan,
                rollback_execution,
            } => (plan, Some(rollback_execution.clone())),
            refused => return Err(Problem::Failed(format!("not rolled back: {}", refused.reason()))),
        };
        Ok(Self {
            verdict: verdict.label(),
            dry_run: rollback_execution.is_none(),
            pipeline,
            stage,
            from,
            to: plan.target.id.clone(),
            rollback_execution,
            sources_note: plan.target.sources_note(),
        })
    }
}

impl Report for RollbackReport {
    fn text(&self, _colour: bool) -> String {
        let plan = format!(
            "stage {} of {} from execution {} to {}{}",
            self.stage, self.pipeline, self.from, self.to, self.sources_note
        );
        match &self.rollback_execution {
            None => format!("would roll back {plan}"),
            Some(rollback_execution) => format!("rolling back {plan} in execution {rollback_execution}"),
        }
    }
}

#[cfg(test)]
#[path = "rollback_tests.rs"]
mod tests;
