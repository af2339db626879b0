//! `pipeguard retry --status failed`: every failed stage that stage-retry's policy would retry,
//! retried once, with stage-retry's own decision (never a configuration or permission error by
//! default, bounded attempts, not a stage the gate holds for AWS Health). Running it twice
//! retries nothing the first run did: those stages are running, or were retried already.

use crate::aws::Aws;
use crate::{Ended, RetryArgs};
use pipeguard_core::pipeline::{RetryMode, RetryOutcome};
use pipeguard_core::retry::{self, RetryDecision, RetryPolicies};
use serde_json::json;
use std::io::IsTerminal;

/// What became of one failed stage.
enum StageOutcome {
    Retried,
    /// A dry run's: it would be retried, so.
    WouldRetry(String),
    Skipped(String),
    Failed(String),
}

pub async fn run(aws: &Aws, args: RetryArgs, json: bool) -> Ended {
    let policies = match RetryPolicies::from_env(aws.env(None)) {
        Ok(policies) => policies,
        Err(error) => {
            eprintln!("pipeguard: {error}");
            return Ended::Usage;
        }
    };
    let pipelines = match aws.pipelines(&args.selection).await {
        Ok(pipelines) => pipelines,
        Err(error) => {
            eprintln!("pipeguard: {error}");
            return Ended::Failed;
        }
    };
    let progress = std::io::stderr().is_terminal() && !json;
    let mut outcomes: Vec<(String, String, StageOutcome)> = Vec::new();
    let mut unknown = Vec::new();
    for (index, pipeline) in pipelines.iter().enumerate() {
        if progress {
            eprint!("\r\u{1b}[2K[{}/{}] {pipeline}", index + 1, pipelines.len());
        }
        let stages = match aws.codepipeline.stages(pipeline).await {
            Ok(stages) => stages,
            Err(error) if error.not_found => {
                unknown.push(pipeline.clone());
                continue;
            }
            Err(error) => {
                outcomes.push((
                    pipeline.clone(),
                    "-".into(),
                    StageOutcome::Failed(error.to_string()),
                ));
                continue;
            }
        };
        let policy = policies.for_pipeline(pipeline);
        for stage in stages.iter().filter(|stage| stage.is_failed()) {
            let execution_id = stage.execution_id.as_deref().unwrap_or_default();
            let result = match retry::decide(policy, execution_id, stage) {
                RetryDecision::Retry { mode, attempt, .. } => {
                    let mode = if args.all_actions {
                        RetryMode::AllActions
                    } else {
                        mode
                    };
                    if args.dry_run {
                        StageOutcome::WouldRetry(format!("{}, retry {attempt}", mode.as_str()))
                    } else {
                        match aws
                            .codepipeline
                            .retry_stage(pipeline, &stage.name, execution_id, mode)
                            .await
                        {
                            Ok(RetryOutcome::Started) => StageOutcome::Retried,
                            Ok(RetryOutcome::AlreadyHandled(why)) => {
                                StageOutcome::Skipped(format!("already handled: {why}"))
                            }
                            Err(error) => StageOutcome::Failed(error.to_string()),
                        }
                    }
                }
                RetryDecision::HeldByHealth(hold) => StageOutcome::Skipped(format!(
                    "held by AWS Health events ({}); stage-retry resumes it when they have closed",
                    hold.arns().collect::<Vec<_>>().join(", ")
                )),
                RetryDecision::Exhausted { attempts, .. } => {
                    StageOutcome::Skipped(format!("retries used up ({attempts} of {})", policy.max_attempts))
                }
                RetryDecision::Skip(reason) => StageOutcome::Skipped(reason),
            };
            outcomes.push((pipeline.clone(), stage.name.clone(), result));
        }
    }
    if progress {
        eprint!("\r\u{1b}[2K");
    }
    report(&outcomes, args.dry_run, json);
    if !unknown.is_empty() {
        eprintln!("pipeguard: unknown pipeline: {}", unknown.join(", "));
        return Ended::Usage;
    }
    if outcomes
        .iter()
        .any(|(_, _, result)| matches!(result, StageOutcome::Failed(_)))
    {
        Ended::Failed
    } else {
        Ended::Ok
    }
}

fn report(outcomes: &[(String, String, StageOutcome)], dry_run: bool, json: bool) {
    let of = |wanted: fn(&StageOutcome) -> Option<String>| -> Vec<(String, String, String)> {
        outcomes
            .iter()
            .filter_map(|(pipeline, stage, result)| {
                wanted(result).map(|why| (pipeline.clone(), stage.clone(), why))
            })
            .collect()
    };
    let retried = of(|result| match result {
        StageOutcome::Retried => Some(String::new()),
        StageOutcome::WouldRetry(how) => Some(how.clone()),
        _ => None,
    });
    let skipped = of(|result| match result {
        StageOutcome::Skipped(reason) => Some(reason.clone()),
        _ => None,
    });
    let errors = of(|result| match result {
        StageOutcome::Failed(error) => Some(error.clone()),
        _ => None,
    });
    if json {
        let entries = |list: &[(String, String, String)], key: &str| {
            list.iter()
                .map(|(pipeline, stage, why)| {
                    let mut entry = json!({"pipeline": pipeline, "stage": stage});
                    if !key.is_empty() {
                        entry[key] = json!(why);
                    }
                    entry
                })
                .collect::<Vec<_>>()
        };
        let (retried_key, how) = if dry_run {
            ("would_retry", "how")
        } else {
            ("retried", "")
        };
        println!(
            "{}",
            json!({"dry_run": dry_run, retried_key: entries(&retried, how), "skipped": entries(&skipped, "reason"), "errors": entries(&errors, "error")})
        );
        return;
    }
    for (pipeline, stage, how) in &retried {
        if dry_run {
            println!("would retry  {pipeline} {stage} ({how})");
        } else {
            println!("retried  {pipeline} {stage}");
        }
    }
    for (pipeline, stage, reason) in &skipped {
        println!("skipped  {pipeline} {stage}: {reason}");
    }
    for (pipeline, stage, error) in &errors {
        println!("error    {pipeline} {stage}: {error}");
    }
    let verb = if dry_run {
        "would be retried (dry run: nothing was)"
    } else {
        "retried"
    };
    println!(
        "{} {verb}, {} skipped, {} errors",
        retried.len(),
        skipped.len(),
        errors.len()
    );
}
