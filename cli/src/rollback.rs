//! `pipeguard rollback PIPELINE STAGE`: apply-rollback's target selection by hand. Without
//! `--to`, the newest execution that succeeded in the stage and is not a rollback; with it,
//! that execution, if it is one CodePipeline can return the stage to.

use crate::aws::Aws;
use crate::{Ended, RollbackArgs};
use pipeguard_core::pipeline::{ExecutionType, RollbackOutcome};
use pipeguard_core::rollback;
use serde_json::json;

pub async fn run(aws: &Aws, args: RollbackArgs, json: bool) -> Ended {
    let RollbackArgs {
        pipeline,
        stage,
        to,
        dry_run,
    } = args;
    let usage = |problem: String| {
        eprintln!("pipeguard: {problem}");
        Ended::Usage
    };
    let failed = |problem: String| {
        eprintln!("pipeguard: {problem}");
        Ended::Failed
    };
    let stages = match aws.codepipeline.stages(&pipeline).await {
        Ok(stages) => stages,
        Err(error) if error.not_found => return usage(format!("unknown pipeline {pipeline}")),
        Err(error) => return failed(error.to_string()),
    };
    let Some(index) = stages.iter().position(|candidate| candidate.name == stage) else {
        let names: Vec<&str> = stages.iter().map(|candidate| candidate.name.as_str()).collect();
        return usage(format!(
            "pipeline {pipeline} has no stage {stage} (its stages: {})",
            names.join(", ")
        ));
    };
    if index == 0 {
        return usage(format!(
            "{stage} is the source stage, which CodePipeline cannot roll back"
        ));
    }
    let current = stages[index].execution_id.clone().unwrap_or_default();
    let target = aws
        .codepipeline
        .newest_execution_where(&pipeline, Some(&stage), |execution| match &to {
            Some(id) => execution.id == *id,
            None => rollback::is_rollback_target(execution, &current),
        })
        .await;
    let target = match (target, &to) {
        (Err(error), _) => return failed(error.to_string()),
        (Ok(None), Some(id)) => {
            return usage(format!(
                "execution {id} did not succeed in stage {stage} of {pipeline}"
            ));
        }
        (Ok(None), None) => {
            return failed(format!(
                "no earlier execution succeeded in stage {stage} of {pipeline}: nothing to roll back to"
            ));
        }
        (Ok(Some(target)), _) if target.execution_type == ExecutionType::Rollback => {
            return usage(format!(
                "execution {} is itself a rollback; CodePipeline rolls back only to a standard execution",
                target.id
            ));
        }
        (Ok(Some(target)), _) if target.id == current => {
            return usage(format!("stage {stage} already shows execution {current}"));
        }
        (Ok(Some(target)), _) => target,
    };
    let revisions = if target.source_revisions.is_empty() {
        String::new()
    } else {
        format!(" (source: {})", target.source_revisions.join(", "))
    };
    let plan = format!(
        "stage {stage} of {pipeline} from execution {current} to {}{revisions}",
        target.id
    );
    if dry_run {
        print(
            json,
            &format!("would roll back {plan}"),
            json!({"dry_run": true, "pipeline": pipeline, "stage": stage, "from": current, "to": target.id}),
        );
        return Ended::Ok;
    }
    match aws
        .codepipeline
        .rollback_stage(&pipeline, &stage, &target.id)
        .await
    {
        Ok(RollbackOutcome::Started(execution)) => {
            print(
                json,
                &format!("rolling back {plan} in execution {execution}"),
                json!({"dry_run": false, "pipeline": pipeline, "stage": stage, "from": current, "to": target.id, "rollback_execution": execution}),
            );
            Ended::Ok
        }
        Ok(RollbackOutcome::AlreadyHandled(reason) | RollbackOutcome::Refused(reason)) => {
            failed(format!("not rolled back: {reason}"))
        }
        Err(error) => failed(error.to_string()),
    }
}

fn print(json: bool, text: &str, value: serde_json::Value) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}
