//! `pipeguard rollback PIPELINE STAGE`: apply-rollback's target selection by hand. Without
//! `--to`, the newest execution that succeeded in the stage and is not a rollback; with it,
//! that execution, if it is one CodePipeline can return the stage to.

use crate::aws::Aws;
use crate::{Ended, Problem};
use clap::Args;
use pipeguard_core::pipeline::ExecutionType;
use pipeguard_core::rollback::{self, Plan, RollbackVerdict};
use serde_json::json;

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

pub async fn run(aws: &Aws, args: RollbackArgs, json: bool) -> Result<Ended, Problem> {
    let RollbackArgs {
        pipeline,
        stage,
        to,
        dry_run,
    } = args;
    let stages = aws.codepipeline.stages(&pipeline).await.map_err(|error| {
        if error.is_not_found() {
            Problem::Usage(format!("unknown pipeline {pipeline}"))
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
    let target = aws
        .codepipeline
        .newest_execution_where(&pipeline, Some(&stage), |execution| match &to {
            Some(id) => execution.id == *id,
            None => rollback::is_rollback_target(execution, &current),
        })
        .await?;
    let target = match (target, &to) {
        (None, Some(id)) => {
            return Err(Problem::Usage(format!(
                "execution {id} did not succeed in stage {stage} of {pipeline}"
            )));
        }
        (None, None) => {
            return Err(Problem::Failed(format!(
                "no earlier execution succeeded in stage {stage} of {pipeline}: nothing to roll back to"
            )));
        }
        (Some(target), _) if target.execution_type == ExecutionType::Rollback => {
            return Err(Problem::Usage(format!(
                "execution {} is itself a rollback; CodePipeline rolls back only to a standard execution",
                target.id
            )));
        }
        (Some(target), _) if target.id == current => {
            return Err(Problem::Usage(format!(
                "stage {stage} already shows execution {current}"
            )));
        }
        (Some(target), _) => target,
    };
    let plan_text = format!(
        "stage {stage} of {pipeline} from execution {current} to {}{}",
        target.id,
        target.sources_note()
    );
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
    let mut answer = json!({"verdict": verdict.label(), "dry_run": dry_run, "pipeline": pipeline, "stage": stage, "from": current});
    let text = match &verdict {
        RollbackVerdict::DryRun(plan) => {
            answer["to"] = json!(plan.target.id);
            format!("would roll back {plan_text}")
        }
        RollbackVerdict::RolledBack {
            plan,
            rollback_execution,
        } => {
            answer["to"] = json!(plan.target.id);
            answer["rollback_execution"] = json!(rollback_execution);
            format!("rolling back {plan_text} in execution {rollback_execution}")
        }
        refused => return Err(Problem::Failed(format!("not rolled back: {}", refused.reason()))),
    };
    if json {
        println!("{}", crate::output::json_line(&answer));
    } else {
        println!("{text}");
    }
    Ok(Ended::Ok)
}
