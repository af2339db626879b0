//! `pipeguard status`: one row per pipeline: its latest execution, the stage that failed and
//! why, retries used of those allowed, what holds it (AWS Health events and whether they are
//! still open, freezes and whether they are still active, the deployment schedule until it
//! opens), the break-glass overrides in force for it, and its last rollback.

use crate::aws::Aws;
use crate::ended::{Ended, Problem};
use crate::output::{Report, Tone, emit, table, wants_table};
use crate::selection::Selection;
use clap::Args;
use pipeguard_aws::{HealthSources, PipelineCallError};
use pipeguard_core::freeze::RecordedFreezes;
use pipeguard_core::holder::{
    self, ALARMS_NOT_ASKED, AlarmsKnown, Detail, FreezesKnown, Holder, HolderState, Holding, Known,
};
use pipeguard_core::overrides::{Override, RecordedOverrides};
use pipeguard_core::pipeline::{ExecutionStatus, ExecutionSummary, ExecutionType, StageSnapshot};
use pipeguard_core::retry::{self, RetryPolicies};
use pipeguard_core::schedule::describe_time;
use pipeguard_core::text::printable;
use serde::{Serialize, Serializer};

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

/// Why a pipeline's row could not be read; in JSON, the sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// No such pipeline in this account and region: a usage error.
    NotFound(String),
    /// CodePipeline could not be asked.
    Failed(String),
}

impl Unreadable {
    fn of(error: &PipelineCallError) -> Self {
        if error.is_not_found() {
            Self::NotFound(error.cause.to_string())
        } else {
            Self::Failed(error.to_string())
        }
    }
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound(cause) => write!(f, "no such pipeline in this account and region ({cause})"),
            Self::Failed(cause) => f.write_str(cause),
        }
    }
}

impl Serialize for Unreadable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What `status` answers: one row per pipeline, in JSON an array.
#[derive(Serialize)]
#[serde(transparent)]
pub struct StatusReport(pub Vec<Row>);

impl Report for StatusReport {
    fn text(&self, colour: bool) -> String {
        render_table(&self.0, colour)
    }
}

/// What `status` says about one pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pipeline: String,
    latest_execution: Option<LatestExecution>,
    /// The first failed stage, and its failed actions' errors.
    failed_stage: Option<FailedStage>,
    /// Retries CodePipeline counted for the failed stage, and the most the policy allows.
    retries: Option<Retries>,
    #[serde(flatten)]
    holds: Holds,
    /// The newest rollback among the recent executions, and its target.
    last_rollback: Option<LastRollback>,
    /// The break-glass overrides in force for it.
    overridden_by: Vec<OverrideInForce>,
    /// Why the pipeline could not be read.
    error: Option<Unreadable>,
}

/// A break-glass override in force for the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct OverrideInForce {
    id: String,
    by: String,
    reason: String,
    until: i64,
    kinds: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct LatestExecution {
    id: String,
    #[serde(serialize_with = "aws_name")]
    status: ExecutionStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct FailedStage {
    stage: String,
    /// Each failed action's error: `action: code first line`, `; `-separated.
    error: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Retries {
    used: u32,
    allowed: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct LastRollback {
    id: String,
    /// The execution it returned the stage to, when CodePipeline said.
    target: Option<String>,
}

/// What holds a pipeline's failed stage: every holder with what is known of it (`holders`,
/// rendered once, by the core), and the same by kind in the fields older readers know.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Holds {
    /// The AWS Health events.
    held_by: Vec<HeldByEvent>,
    /// The freezes.
    frozen_by: Vec<FrozenBy>,
    /// When the deployment schedule that holds it opens.
    window_opens_at: Option<i64>,
    /// Everything that holds it, of every kind.
    holders: Vec<HolderView>,
}

impl Holds {
    /// Adds what holds one held stage.
    pub fn add(&mut self, states: &[HolderState]) {
        for state in states {
            // The event's or freeze's own state; `holders` says whether it still holds the stage.
            let holds = match state.holding {
                Holding::Yes => Some(true),
                Holding::No => Some(false),
                Holding::Unknown(_) => None,
            };
            match &state.holder {
                Holder::HealthEvent(event) => self.held_by.push(HeldByEvent {
                    event_arn: event.arn.clone(),
                    account: event.account.clone(),
                    open: holds,
                }),
                Holder::Freeze(id) => self.frozen_by.push(FrozenBy {
                    freeze: id.clone(),
                    active: holds,
                    unreadable: match &state.detail {
                        Some(Detail::Unreadable(why)) => Some(why.clone()),
                        _ => None,
                    },
                }),
                // Only when the freezes could not be read: then only `holders` can name them.
                Holder::OtherFreezes(_) => {}
                // Newer than the fields by kind: only `holders` names them.
                Holder::Alarm(_) | Holder::Calendar(_) => {}
                Holder::Schedule(opens_at) => {
                    self.window_opens_at = self.window_opens_at.max(Some(*opens_at))
                }
            }
            self.holders.push(HolderView {
                kind: state.holder.kind().name(),
                id: state.holder.id(),
                account: state.holder.account().map(str::to_owned),
                holds: if state.passed_over_by.is_some() {
                    Some(false)
                } else {
                    holds
                },
                until: state.until,
                description: state.describe(),
            });
        }
    }
}

/// An AWS Health event that holds the stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct HeldByEvent {
    event_arn: String,
    /// The account an account-specific event concerns; none for a public event.
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    /// Whether it is still open; None: AWS Health could not be asked.
    open: Option<bool>,
}

/// A freeze that holds the stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct FrozenBy {
    /// Its id (or an unreadable item's key).
    freeze: String,
    /// Whether it is still active; None: the freezes could not be read.
    active: Option<bool>,
    /// Why its item does not read as a freeze, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable: Option<String>,
}

/// One thing that holds the stage, of any kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct HolderView {
    /// `health_event`, `freeze` or `schedule`.
    kind: &'static str,
    /// An event's ARN, a freeze's id, `schedule`.
    id: String,
    /// The account an account-specific event concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    /// Whether it still holds; None: it could not be told.
    holds: Option<bool>,
    /// When it ends by itself, when known.
    until: Option<i64>,
    /// It and its state, as people read it.
    description: String,
}

/// An AWS name (a status) as AWS writes it.
fn aws_name<S: Serializer>(name: &impl std::fmt::Display, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(name)
}

pub async fn run(aws: &Aws, args: StatusArgs, json: bool) -> Result<Ended, Problem> {
    let as_table = wants_table(json, args.table);
    let policies = RetryPolicies::from_env(aws.env(None).lookup())?;
    let pipelines = aws
        .codepipeline
        .selected_pipelines(&args.selection.into())
        .await?;
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
    let overrides = match aws.override_store(args.events_table.clone()) {
        Some(store) => store.all().await.unwrap_or_else(|error| {
            eprintln!(
                "pipeguard: which overrides are in force is unknown: {}",
                printable(&error.to_string())
            );
            RecordedOverrides::default()
        }),
        None => RecordedOverrides::default(),
    };
    let sources = aws.health_sources(args.events_table).await;
    let own_account = aws.own_account().await?;
    let mut rows = Vec::new();
    for pipeline in &pipelines {
        rows.push(
            match read(
                aws,
                &sources,
                &own_account,
                &policies,
                pipeline,
                freezes.as_ref(),
                &overrides,
            )
            .await
            {
                Ok(row) => row.with_overrides(&overrides, pipeguard_aws::clock::unix_seconds()),
                Err(error) => Row::unreadable(pipeline, Unreadable::of(&error)),
            },
        );
    }
    let report = StatusReport(rows);
    emit(&report, !as_table)?;
    let unknown: Vec<String> = report
        .0
        .iter()
        .filter(|row| matches!(row.error, Some(Unreadable::NotFound(_))))
        .map(|row| row.pipeline.clone())
        .collect();
    if !unknown.is_empty() {
        return Err(Problem::UnknownPipelines(unknown));
    }
    Ok(if report.0.iter().any(|row| row.error.is_some()) {
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
    overrides: &RecordedOverrides,
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
    let in_force: Vec<&Override> = overrides.active_for(pipeline, now).collect();
    let mut holds = Holds::default();
    for (_, hold) in retry::held_stages(&stages, None, &gates) {
        let closed = sources.closed(&hold, own_account).await;
        let known = Known {
            events_closed: closed.as_deref().map_err(|_| "AWS Health could not be asked"),
            release: None,
            freezes: freezes.map_or(
                FreezesKnown::Unreadable("the freezes could not be read"),
                FreezesKnown::Read,
            ),
            alarms: AlarmsKnown::NotAsked(ALARMS_NOT_ASKED),
            overrides: &in_force,
        };
        holds.add(&holder::holders_now(&hold, &known, pipeline, now));
    }
    Ok(Row::of(
        pipeline,
        &stages,
        &executions,
        policies.for_pipeline(pipeline).max_attempts,
        holds,
    ))
}

impl Row {
    pub fn of(
        pipeline: &str,
        stages: &[StageSnapshot],
        executions: &[ExecutionSummary],
        max_attempts: u32,
        holds: Holds,
    ) -> Self {
        let failed_stage = stages.iter().find(|stage| stage.is_failed());
        Self {
            pipeline: pipeline.to_owned(),
            latest_execution: executions.first().map(|execution| LatestExecution {
                id: execution.id.clone(),
                status: execution.status.clone(),
            }),
            failed_stage: failed_stage.map(|stage| {
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
                FailedStage {
                    stage: stage.name.clone(),
                    error: errors.join("; "),
                }
            }),
            retries: failed_stage.map(|stage| Retries {
                used: stage.attempts_used,
                allowed: max_attempts,
            }),
            holds,
            last_rollback: executions
                .iter()
                .find(|execution| execution.execution_type == ExecutionType::Rollback)
                .map(|rollback| LastRollback {
                    id: rollback.id.clone(),
                    target: rollback.rollback_target.clone(),
                }),
            overridden_by: Vec::new(),
            error: None,
        }
    }

    pub fn unreadable(pipeline: &str, error: Unreadable) -> Self {
        Self {
            pipeline: pipeline.to_owned(),
            latest_execution: None,
            failed_stage: None,
            retries: None,
            holds: Holds::default(),
            last_rollback: None,
            overridden_by: Vec::new(),
            error: Some(error),
        }
    }

    /// The row, with the overrides in force for its pipeline at `now` among `recorded`.
    pub fn with_overrides(mut self, recorded: &RecordedOverrides, now: i64) -> Self {
        self.overridden_by = recorded
            .active_for(&self.pipeline, now)
            .map(|granted| OverrideInForce {
                id: granted.id.clone(),
                by: granted.by.clone(),
                reason: granted.reason.clone(),
                until: granted.until,
                kinds: granted.kinds.iter().map(|kind| kind.name()).collect(),
            })
            .collect();
        self
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
            let latest = match &row.latest_execution {
                Some(LatestExecution { id, status }) => {
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
                .failed_stage
                .as_ref()
                .map_or(("-".to_owned(), Tone::Plain), |FailedStage { stage, error }| {
                    (format!("{stage} ({error})"), Tone::Bad)
                });
            let retries = row.retries.map_or("-".to_owned(), |Retries { used, allowed }| {
                format!("{used}/{allowed}")
            });
            let holders: Vec<&str> = row
                .holds
                .holders
                .iter()
                .map(|holder| holder.description.as_str())
                .collect();
            let overridden = row.overridden_by.iter().map(|granted| {
                format!(
                    "override {} until {} ({})",
                    printable(&granted.id),
                    describe_time(granted.until),
                    granted.kinds.join(", ")
                )
            });
            let holders: Vec<String> = holders.into_iter().map(str::to_owned).chain(overridden).collect();
            let held = if holders.is_empty() {
                ("-".to_owned(), Tone::Plain)
            } else {
                (holders.join(", "), Tone::Waiting)
            };
            let rollback =
                row.last_rollback
                    .as_ref()
                    .map_or("-".to_owned(), |LastRollback { id, target }| {
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
