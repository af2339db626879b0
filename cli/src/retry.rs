//! `pipeguard retry`: every failed stage that stage-retry's policy would retry, retried once,
//! with stage-retry's own decision (never a configuration or permission error by default,
//! bounded attempts, not a stage the gate holds for AWS Health). Running it twice retries
//! nothing the first run did: those stages are running, or were retried already.

use crate::aws::Aws;
use crate::ended::{Ended, Problem};
use crate::output::{Report, emit};
use crate::selection::Selection;
use clap::{Args, ValueEnum};
use pipeguard_aws::PipelineCallError;
use pipeguard_core::pipeline::{RetryMode, StageSnapshot};
use pipeguard_core::retry::{self, RetryDecision, RetryPolicies, RetryVerdict};
use pipeguard_core::text::printable;
use serde::Serialize;
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

pub async fn run(aws: &Aws, args: RetryArgs, json: bool) -> Result<Ended, Problem> {
    let policies = RetryPolicies::from_env(aws.env(None).lookup())?;
    let pipelines = aws
        .codepipeline
        .selected_pipelines(&args.selection.into())
        .await?;
    let progress = std::io::stderr().is_terminal() && !json;
    let mut report = RetryReport::new(args.dry_run);
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
                report.push(pipeline, "-", Err(error.to_string()));
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
            report.push(pipeline, &stage.name, verdict);
        }
    }
    if progress {
        eprint!("\r\u{1b}[2K");
    }
    emit(&report, json)?;
    if !unknown.is_empty() {
        return Err(Problem::UnknownPipelines(unknown));
    }
    Ok(if report.errors.is_empty() {
        Ended::Ok
    } else {
        Ended::Failed
    })
}

/// What `retry` answers: the stages retried (or that a dry run would retry), those skipped with
/// why, and the errors.
#[derive(Serialize)]
pub struct RetryReport {
    dry_run: bool,
    #[serde(flatten)]
    done: Done,
    skipped: Vec<StageAnswer>,
    errors: Vec<StageAnswer>,
}

/// The stages retried, or those a dry run would retry, each list under its own key.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Done {
    Retried(Vec<StageAnswer>),
    WouldRetry(Vec<StageAnswer>),
}

/// One failed stage, and what became of it.
#[derive(Serialize)]
struct StageAnswer {
    pipeline: String,
    stage: String,
    #[serde(flatten)]
    became: Became,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Became {
    Retried {
        verdict: &'static str,
    },
    WouldRetry {
        verdict: &'static str,
        how: String,
    },
    Skipped {
        verdict: &'static str,
        reason: String,
    },
    /// An error is no decision: it has no verdict.
    Failed {
        error: String,
    },
}

impl RetryReport {
    pub fn new(dry_run: bool) -> Self {
        Self {
            dry_run,
            done: if dry_run {
                Done::WouldRetry(Vec::new())
            } else {
                Done::Retried(Vec::new())
            },
            skipped: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Adds what became of `stage` of `pipeline`: a verdict, or the error of the call that failed.
    pub fn push(&mut self, pipeline: &str, stage: &str, verdict: Result<RetryVerdict, String>) {
        let (list, became) = match verdict {
            Ok(verdict @ RetryVerdict::Retried { .. }) => (
                self.done.stages_mut(),
                Became::Retried {
                    verdict: verdict.label(),
                },
            ),
            Ok(verdict @ RetryVerdict::WouldRetry { .. }) => (
                self.done.stages_mut(),
                Became::WouldRetry {
                    verdict: verdict.label(),
                    how: verdict.reason(),
                },
            ),
            Ok(verdict) => (
                &mut self.skipped,
                Became::Skipped {
                    verdict: verdict.label(),
                    reason: verdict.reason(),
                },
            ),
            Err(error) => (&mut self.errors, Became::Failed { error }),
        };
        list.push(StageAnswer {
            pipeline: pipeline.to_owned(),
            stage: stage.to_owned(),
            became,
        });
    }
}

impl Done {
    fn stages(&self) -> &[StageAnswer] {
        match self {
            Self::Retried(stages) | Self::WouldRetry(stages) => stages,
        }
    }

    fn stages_mut(&mut self) -> &mut Vec<StageAnswer> {
        match self {
            Self::Retried(stages) | Self::WouldRetry(stages) => stages,
        }
    }
}

impl StageAnswer {
    fn line(&self) -> String {
        let (pipeline, stage) = (&self.pipeline, &self.stage);
        match &self.became {
            Became::Retried { .. } => format!("retried  {pipeline} {stage}"),
            Became::WouldRetry { how, .. } => format!("would retry  {pipeline} {stage} ({how})"),
            Became::Skipped { reason, .. } => format!("skipped  {pipeline} {stage}: {}", printable(reason)),
            Became::Failed { error } => format!("error    {pipeline} {stage}: {}", printable(error)),
        }
    }
}

impl Report for RetryReport {
    fn text(&self, _colour: bool) -> String {
        let done = self.done.stages();
        let verb = if self.dry_run {
            "would be retried (dry run: nothing was)"
        } else {
            "retried"
        };
        let summary = format!(
            "{} {verb}, {} skipped, {} errors",
            done.len(),
            self.skipped.len(),
            self.errors.len()
        );
        done.iter()
            .chain(&self.skipped)
            .chain(&self.errors)
            .map(StageAnswer::line)
            .chain([summary])
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
