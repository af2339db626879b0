//! `pipeguard status`: one row per pipeline: its latest execution, the stage that failed and
//! why, retries used of those allowed, what holds it (AWS Health events and whether they are
//! still open, freezes and whether they are still active, the deployment schedule until it
//! opens), and its last rollback.

use crate::aws::Aws;
use crate::output::{Tone, colour_enabled, json_line, table, wants_table};
use crate::{Ended, Problem, Selection};
use clap::Args;
use pipeguard_aws::{HealthSources, PipelineCallError};
use pipeguard_core::freeze::RecordedFreezes;
use pipeguard_core::hold::HeldBy;
use pipeguard_core::pipeline::{ExecutionStatus, ExecutionSummary, ExecutionType, StageSnapshot};
use pipeguard_core::retry::{self, RetryPolicies};
use pipeguard_core::schedule::describe_time;
use pipeguard_core::text::printable;
use serde_json::{Value, json};

/// A rollback is looked for among this many of the newest executions.
const HISTORY: i32 = 100;

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    selection: Selection,
    /// A table even when the output is not a terminal
    #[arg(long, conflicts_with = "json")]
    table: bool,
    /// The event store's DynamoDB table, to tell whether holds' events are still open
    /// (default: HEALTH_EVENTS_TABLE)
    #[arg(long = "events-table")]
    events_table: Option<String>,
}

/// Why a pipeline's row could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Unreadable {
    /// No such pipeline in this account and region: a usage error.
    NotFound(String),
    /// CodePipeline could not be asked.
    Failed(String),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound(cause) => write!(f, "no such pipeline in this account and region ({cause})"),
            Self::Failed(cause) => f.write_str(cause),
        }
    }
}

/// What `status` says about one pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pipeline: String,
    latest: Option<(String, ExecutionStatus)>,
    /// The first failed stage, and its failed actions' errors.
    failed: Option<(String, String)>,
    /// Retries CodePipeline counted for the failed stage, and the most the policy allows.
    retries: Option<(u32, u32)>,
    /// Each AWS Health event holding the failed stage, and whether it is still open (None:
    /// could not be asked).
    held_by: Vec<(HeldBy, Option<bool>)>,
    /// Each freeze holding it, and whether it is still active (None: could not be read).
    frozen_by: Vec<(String, Option<bool>)>,
    /// Each freeze holding it whose item does not read: its key and why.
    frozen_unreadable: Vec<(String, String)>,
    /// When the deployment schedule that holds it opens.
    window_opens: Option<i64>,
    /// The newest rollback among the recent executions, and its target.
    last_rollback: Option<(String, Option<String>)>,
    /// Why the pipeline could not be read.
    error: Option<Unreadable>,
}

pub async fn run(aws: &Aws, args: StatusArgs, json: bool) -> Result<Ended, Problem> {
    let as_table = wants_table(json, args.table);
    let policies = RetryPolicies::from_env(aws.env(None).lookup())?;
    let pipelines = aws.pipelines(&args.selection).await?;
    let freezes = match aws.freeze_store(args.events_table.clone()) {
        Some(store) => match store.all().await {
            Ok(freezes) => Some(freezes),
            Err(error) => {
                eprintln!(
                    "pipeguard: whether freezes still hold is unknown: {}",
                    printable(&error.to_string())
                );
                None
            }
        },
        None => None,
    };
    let sources = aws.health_sources(args.events_table).await;
    let own_account = aws.own_account().await?;
    let mut rows = Vec::new();
    for pipeline in &pipelines {
        rows.push(
            match read(aws, &sources, &own_account, &policies, pipeline, freezes.as_ref()).await {
                Ok(row) => row,
                Err(error) => Row::unreadable(pipeline, &error),
            },
        );
    }
    if as_table {
        println!("{}", render_table(&rows, colour_enabled()));
    } else {
        println!(
            "{}",
            json_line(&json!(rows.iter().map(Row::to_json).collect::<Vec<_>>()))
        );
    }
    let unknown: Vec<String> = rows
        .iter()
        .filter(|row| matches!(row.error, Some(Unreadable::NotFound(_))))
        .map(|row| row.pipeline.clone())
        .collect();
    if !unknown.is_empty() {
        return Err(Problem::UnknownPipelines(unknown));
    }
    Ok(if rows.iter().any(|row| row.error.is_some()) {
        Ended::Failed
    } else {
        Ended::Ok
    })
}

async fn read(
    aws: &Aws,
    sources: &HealthSources,
    own_account: &str,
    policies: &RetryPolicies,
    pipeline: &str,
    freezes: Option<&RecordedFreezes>,
) -> Result<Row, PipelineCallError> {
    let (stages, executions) = tokio::join!(
        aws.codepipeline.stages(pipeline),
        aws.codepipeline.recent_executions(pipeline, HISTORY),
    );
    let (stages, executions) = (stages?, executions?);
    let gates = aws
        .gate_actions(pipeline, &stages, &policies.gate_functions)
        .await?;
    let now = pipeguard_aws::clock::unix_seconds();
    let (mut held_by, mut frozen_by, mut window_opens) = (Vec::new(), Vec::new(), None);
    let mut frozen_unreadable = Vec::new();
    for (_, hold) in retry::held_stages(&stages, None, &gates) {
        let closed = sources.closed(&hold, own_account).await.ok();
        for (index, held) in hold.events.iter().enumerate() {
            let open = closed
                .as_ref()
                .and_then(|closed| closed.get(index))
                .map(|closed| !closed);
            held_by.push((held.clone(), open));
        }
        for id in &hold.freezes {
            let active = freezes.map(|freezes| freezes.holding_by_id(id, pipeline, now).is_some());
            frozen_by.push((id.clone(), active));
            let unreadable = freezes
                .into_iter()
                .flat_map(|freezes| &freezes.unreadable)
                .find(|unreadable| unreadable.key == *id);
            if let Some(unreadable) = unreadable {
                frozen_unreadable.push((id.clone(), unreadable.why.clone()));
            }
        }
        window_opens = window_opens.max(hold.opens_at);
    }
    let mut row = Row::of(
        pipeline,
        &stages,
        &executions,
        policies.for_pipeline(pipeline).max_attempts,
        held_by,
    );
    row.frozen_by = frozen_by;
    row.frozen_unreadable = frozen_unreadable;
    row.window_opens = window_opens;
    Ok(row)
}

impl Row {
    fn of(
        pipeline: &str,
        stages: &[StageSnapshot],
        executions: &[ExecutionSummary],
        max_attempts: u32,
        held_by: Vec<(HeldBy, Option<bool>)>,
    ) -> Self {
        let failed_stage = stages.iter().find(|stage| stage.is_failed());
        Self {
            pipeline: pipeline.to_owned(),
            latest: executions
                .first()
                .map(|execution| (execution.id.clone(), execution.status.clone())),
            failed: failed_stage.map(|stage| {
                let errors: Vec<String> = stage
                    .failed_actions()
                    .map(|action| {
                        let message = action.error_message.as_deref().unwrap_or_default();
                        let first_line = message.lines().next().unwrap_or_default();
                        format!(
                            "{}: {} {first_line}",
                            action.name,
                            action.error_code.as_deref().unwrap_or("unknown")
                        )
                    })
                    .collect();
                (stage.name.clone(), errors.join("; "))
            }),
            retries: failed_stage.map(|stage| (stage.attempts_used, max_attempts)),
            held_by,
            frozen_by: Vec::new(),
            frozen_unreadable: Vec::new(),
            window_opens: None,
            last_rollback: executions
                .iter()
                .find(|execution| execution.execution_type == ExecutionType::Rollback)
                .map(|rollback| (rollback.id.clone(), rollback.rollback_target.clone())),
            error: None,
        }
    }

    fn unreadable(pipeline: &str, error: &PipelineCallError) -> Self {
        let error = if error.is_not_found() {
            Unreadable::NotFound(error.cause.to_string())
        } else {
            Unreadable::Failed(error.to_string())
        };
        Self {
            pipeline: pipeline.to_owned(),
            latest: None,
            failed: None,
            retries: None,
            held_by: Vec::new(),
            frozen_by: Vec::new(),
            frozen_unreadable: Vec::new(),
            window_opens: None,
            last_rollback: None,
            error: Some(error),
        }
    }

    /// Why the item of the freeze `id` that holds it does not read, when it does not.
    fn unreadable_why(&self, id: &str) -> Option<&str> {
        self.frozen_unreadable
            .iter()
            .find(|(key, _)| key == id)
            .map(|(_, why)| why.as_str())
    }

    fn to_json(&self) -> Value {
        json!({
            "pipeline": self.pipeline,
            "latest_execution": self.latest.as_ref().map(|(id, status)| json!({"id": id, "status": status.as_str()})),
            "failed_stage": self.failed.as_ref().map(|(stage, error)| json!({"stage": stage, "error": error})),
            "retries": self.retries.map(|(used, allowed)| json!({"used": used, "allowed": allowed})),
            "held_by": self.held_by.iter().map(|(held, open)| {
                let mut entry = json!({"event_arn": held.arn, "open": open});
                if let Some(account) = &held.account {
                    entry["account"] = json!(account);
                }
                entry
            }).collect::<Vec<_>>(),
            "frozen_by": self.frozen_by.iter().map(|(id, active)| {
                let mut entry = json!({"freeze": id, "active": active});
                if let Some(why) = self.unreadable_why(id) {
                    entry["unreadable"] = json!(why);
                }
                entry
            }).collect::<Vec<_>>(),
            "window_opens_at": self.window_opens,
            "last_rollback": self.last_rollback.as_ref().map(|(id, target)| json!({"id": id, "target": target})),
            "error": self.error.as_ref().map(Unreadable::to_string),
        })
    }
}

/// Execution ids are long; their first block tells them apart in a table.
fn short(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

fn render_table(rows: &[Row], colour: bool) -> String {
    let cells: Vec<Vec<(String, Tone)>> = rows
        .iter()
        .map(|row| {
            let latest = match &row.latest {
                Some((id, status)) => {
                    let tone = match status {
                        ExecutionStatus::Succeeded => Tone::Good,
                        ExecutionStatus::Failed | ExecutionStatus::Stopped | ExecutionStatus::Cancelled => {
                            Tone::Bad
                        }
                        _ => Tone::Waiting,
                    };
                    (format!("{} {status}", short(id)), tone)
                }
                None => (
                    row.error
                        .as_ref()
                        .map_or_else(|| "never ran".into(), Unreadable::to_string),
                    Tone::Bad,
                ),
            };
            let failed = row
                .failed
                .as_ref()
                .map_or(("-".to_owned(), Tone::Plain), |(stage, error)| {
                    (format!("{stage} ({error})"), Tone::Bad)
                });
            let retries = row
                .retries
                .map_or("-".to_owned(), |(used, allowed)| format!("{used}/{allowed}"));
            let state = |still: &Option<bool>, yes: &'static str, no: &'static str| match still {
                Some(true) => yes,
                Some(false) => no,
                None => "unknown",
            };
            let holders: Vec<String> = row
                .held_by
                .iter()
                .map(|(held, open)| {
                    let state = state(open, "open", "closed");
                    let id = held.arn.rsplit('/').next().unwrap_or(&held.arn);
                    match &held.account {
                        Some(account) => format!("{id} ({state} in {account})"),
                        None => format!("{id} ({state})"),
                    }
                })
                .chain(row.frozen_by.iter().map(|(id, active)| {
                    let state = state(active, "active", "ended");
                    match row.unreadable_why(id) {
                        Some(why) => format!("freeze {id} ({state}, unreadable: {why})"),
                        None => format!("freeze {id} ({state})"),
                    }
                }))
                .chain(
                    row.window_opens
                        .map(|opens_at| format!("window (opens {})", describe_time(opens_at))),
                )
                .collect();
            let held = if holders.is_empty() {
                ("-".to_owned(), Tone::Plain)
            } else {
                (holders.join(", "), Tone::Waiting)
            };
            let rollback = row.last_rollback.as_ref().map_or("-".to_owned(), |(id, target)| {
                format!("{} -> {}", short(id), target.as_deref().map_or("?", short))
            });
            vec![
                (row.pipeline.clone(), Tone::Plain),
                latest,
                failed,
                (retries, Tone::Plain),
                held,
                (rollback, Tone::Plain),
            ]
        })
        .collect();
    table(
        &[
            "PIPELINE",
            "LATEST",
            "FAILED STAGE",
            "RETRIES",
            "HELD BY",
            "LAST ROLLBACK",
        ],
        &cells,
        colour,
    )
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
