//! `pipeguard retry`: every failed stage that stage-retry's policy would retry, retried once,
//! with stage-retry's own decision (never a configuration or permission error by default,
//! bounded attempts, not a stage the gate holds for AWS Health). Running it twice retries
//! nothing the first run did: those stages are running, or were retried already.

use crate::aws::Aws;
use crate::{Ended, Problem, Selection};
use clap::{Args, ValueEnum};
use pipeguard_aws::PipelineCallError;
use pipeguard_core::pipeline::{RetryMode, StageSnapshot};
use pipeguard_core::retry::{self, RetryDecision, RetryPolicies, RetryVerdict};
use pipeguard_core::text::printable;
use serde_json::{Value, json};
use std::io::IsTerminal;

#[derive(Args)]
pub struct RetryArgs {
    /// Which stages: the failed ones, the only ones CodePipeline retries (kept for scripts
    /// that name it)
    #[arg(long, value_enum, default_value_t = StageFilter::Failed)]
    status: StageFilter,
    #[command(flatten)]
    selection: Selection,
    /// List what would be retried, retry nothing
    #[arg(long)]
    dry_run: bool,
    /// Rerun every action of the stage, not only the failed ones
    #[arg(long)]
    all_actions: bool,
}

/// The stage statuses `--status` selects.
#[derive(Clone, Copy, ValueEnum)]
enum StageFilter {
    Failed,
}

impl StageFilter {
    fn selects(self, stage: &StageSnapshot) -> bool {
        match self {
            Self::Failed => stage.is_failed(),
        }
    }
}

/// One failed stage, and what became of it: a verdict, or the error of the call that failed.
struct StageRetried {
    pipeline: String,
    stage: String,
    verdict: Result<RetryVerdict, String>,
}

pub async fn run(aws: &Aws, args: RetryArgs, json: bool) -> Result<Ended, Problem> {
    let policies = RetryPolicies::from_env(aws.env(None).lookup())?;
    let pipelines = aws.pipelines(&args.selection).await?;
    let progress = std::io::stderr().is_terminal() && !json;
    let mut retried: Vec<StageRetried> = Vec::new();
    let mut unknown = Vec::new();
    for (index, pipeline) in pipelines.iter().enumerate() {
        if progress {
            eprint!("\r\u{1b}[2K[{}/{}] {pipeline}", index + 1, pipelines.len());
        }
        let read = async {
            let stages = aws.codepipeline.stages(pipeline).await?;
            let gates = aws
                .gate_actions(pipeline, &stages, &policies.gate_functions)
                .await?;
            Ok::<_, PipelineCallError>((stages, gates))
        };
        let (stages, gates) = match read.await {
            Ok(read) => read,
            Err(error) if error.is_not_found() => {
                unknown.push(pipeline.clone());
                continue;
            }
            Err(error) => {
                retried.push(StageRetried {
                    pipeline: pipeline.clone(),
                    stage: "-".into(),
                    verdict: Err(error.to_string()),
                });
                continue;
            }
        };
        let policy = policies.for_pipeline(pipeline);
        for stage in stages.iter().filter(|stage| args.status.selects(stage)) {
            let execution_id = stage.execution_id.as_deref().unwrap_or_default();
            let verdict = match retry::decide(policy, execution_id, stage, &gates) {
                RetryDecision::Retry { mode, attempt, .. } => {
                    let mode = if args.all_actions {
                        RetryMode::AllActions
                    } else {
                        mode
                    };
                    if args.dry_run {
                        Ok(RetryVerdict::WouldRetry { attempt, mode })
                    } else {
                        aws.codepipeline
                            .retry_stage(pipeline, &stage.name, execution_id, mode)
                            .await
                            .map(|outcome| {
                                RetryVerdict::after(outcome, RetryVerdict::Retried { attempt, mode })
                            })
                            .map_err(|error| error.to_string())
                    }
                }
                RetryDecision::Held(hold) => Ok(RetryVerdict::Held { by: hold.describe() }),
                RetryDecision::Exhausted {
                    attempts,
                    allowed,
                    last_errors,
                } => Ok(RetryVerdict::Exhausted {
                    attempts,
                    allowed,
                    last_errors,
                }),
                RetryDecision::Skip(reason) => Ok(RetryVerdict::Skipped(reason)),
            };
            retried.push(StageRetried {
                pipeline: pipeline.clone(),
                stage: stage.name.clone(),
                verdict,
            });
        }
    }
    if progress {
        eprint!("\r\u{1b}[2K");
    }
    report(&retried, args.dry_run, json);
    if !unknown.is_empty() {
        return Err(Problem::UnknownPipelines(unknown));
    }
    Ok(if retried.iter().any(|stage| stage.verdict.is_err()) {
        Ended::Failed
    } else {
        Ended::Ok
    })
}

/// The stages retried (or that a dry run would retry), those skipped with why, and the errors.
fn report(retried: &[StageRetried], dry_run: bool, json: bool) {
    let (mut done, mut skipped, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for stage in retried {
        match &stage.verdict {
            Ok(verdict @ (RetryVerdict::Retried { .. } | RetryVerdict::WouldRetry { .. })) => {
                done.push((stage, Some(verdict.label()), verdict.reason()))
            }
            Ok(verdict) => skipped.push((stage, Some(verdict.label()), verdict.reason())),
            Err(error) => errors.push((stage, None, error.clone())),
        }
    }
    if json {
        // An error is no decision: it has no verdict.
        let entries = |list: &[(&StageRetried, Option<&str>, String)], key: Option<&str>| -> Vec<Value> {
            list.iter()
                .map(|(stage, label, why)| {
                    let mut entry = json!({"pipeline": stage.pipeline, "stage": stage.stage});
                    if let Some(label) = label {
                        entry["verdict"] = json!(label);
                    }
                    if let Some(key) = key {
                        entry[key] = json!(why);
                    }
                    entry
                })
                .collect()
        };
        let done_key = if dry_run { "would_retry" } else { "retried" };
        let answer = json!({
            "dry_run": dry_run,
            done_key: entries(&done, dry_run.then_some("how")),
            "skipped": entries(&skipped, Some("reason")),
            "errors": entries(&errors, Some("error")),
        });
        println!("{}", crate::output::json_line(&answer));
        return;
    }
    for (stage, _, how) in &done {
        if dry_run {
            println!("would retry  {} {} ({how})", stage.pipeline, stage.stage);
        } else {
            println!("retried  {} {}", stage.pipeline, stage.stage);
        }
    }
    for (stage, _, reason) in &skipped {
        println!(
            "skipped  {} {}: {}",
            stage.pipeline,
            stage.stage,
            printable(reason)
        );
    }
    for (stage, _, error) in &errors {
        println!(
            "error    {} {}: {}",
            stage.pipeline,
            stage.stage,
            printable(&error.to_string())
        );
    }
    let verb = if dry_run {
        "would be retried (dry run: nothing was)"
    } else {
        "retried"
    };
    println!(
        "{} {verb}, {} skipped, {} errors",
        done.len(),
        skipped.len(),
        errors.len()
    );
}
