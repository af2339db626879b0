//! What apply-rollback (and `pipeguard rollback`) finds and decides about one failure: the
//! failure, the rollback planned for it, and the verdict, the one vocabulary of its logs, its
//! metric and the command line's JSON, and the messages people get. How they are reached is
//! `decide`'s.

use crate::gate::BAKE_FAILED;
use crate::notice::Notice;
use crate::pipeline::{ActionRun, ActionStatus, ExecutionSummary, RollbackOutcome, StageSnapshot};
use crate::text::printable_lines;

/// A failed stage apply-rollback was told about, as CodePipeline reports it now.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    /// The pipeline.
    pub pipeline: &'a str,
    /// The execution that failed.
    pub execution_id: &'a str,
    /// The stage it failed in, as CodePipeline shows it now.
    pub stage: &'a StageSnapshot,
    /// The first stage is the source stage, which CodePipeline cannot roll back.
    pub is_source_stage: bool,
}

/// A rollback worked out: the execution to return the stage to, and the failed apply it answers
/// (none when a person asked for the rollback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The failed apply, when the rollback answers one.
    pub apply: Option<ActionRun>,
    /// The execution the stage returns to.
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
    FailedRollback {
        /// The failed rollback execution.
        execution_id: String,
    },
    /// No earlier execution succeeded in the stage.
    NoTarget {
        /// The stage with nothing to return to.
        stage: String,
    },
    /// The stage's last good state is the one a rollback returned it to, and that execution is
    /// not in its history (or CodePipeline did not say which it was): returning to any other
    /// would return to a state someone rolled away from.
    TargetUnknown {
        /// The stage.
        stage: String,
        /// The newest rollback that succeeded in it.
        rollback: String,
        /// The execution it returned the stage to, when CodePipeline said.
        target: Option<String>,
    },
    /// The policy is a dry run: this is what would happen.
    DryRun(Box<Plan>),
    /// Rolled back: `rollback_execution` returns the stage to the plan's target.
    RolledBack {
        /// The rollback made.
        plan: Box<Plan>,
        /// The execution that rolls the stage back.
        rollback_execution: String,
    },
    /// CodePipeline said the stage is busy: most likely a duplicate's rollback runs already.
    AlreadyRollingBack(String),
    /// CodePipeline refused, in words a person can act on.
    Refused(String),
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

    /// One word for logs, metrics and the command line's JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Skip(_) | Self::AlreadyRollingBack(_) => "SKIP",
            Self::NotQualifying(_) => "NOT_QUALIFYING",
            Self::FailedRollback { .. } => "FAILED_ROLLBACK",
            Self::NoTarget { .. } | Self::TargetUnknown { .. } => "NO_TARGET",
            Self::DryRun { .. } => "DRY_RUN",
            Self::RolledBack { .. } => "ROLLBACK",
            Self::Refused(_) => "REFUSED",
        }
    }

    /// Why, in a sentence for the log line and the command line.
    pub fn reason(&self) -> String {
        match self {
            Self::Skip(reason) | Self::NotQualifying(reason) | Self::Refused(reason) => reason.clone(),
            Self::FailedRollback { execution_id } => format!(
                "execution {execution_id} was itself a rollback, and a failed rollback is never rolled back again"
            ),
            Self::NoTarget { stage } => {
                format!("no earlier successful execution of stage {stage}; rollback skipped")
            }
            Self::TargetUnknown {
                stage,
                rollback,
                target,
            } => format!(
                "the last good state of stage {stage} is the one rollback {rollback} returned it to, and execution {} is not in the stage's history: rolling back to an execution before the rollback would return to one it rolled away from; rollback skipped",
                target.as_deref().unwrap_or("(not named by CodePipeline)")
            ),
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
            Self::DryRun(plan) => rolled_back_notice(pipeline, stage, plan, failed, true),
            Self::RolledBack { plan, .. } => rolled_back_notice(pipeline, stage, plan, failed, false),
            Self::FailedRollback { .. }
            | Self::NoTarget { .. }
            | Self::TargetUnknown { .. }
            | Self::Refused(_) => Some(not_rolled_back_notice(pipeline, stage, failed, &self.reason())),
            Self::Skip(_) | Self::NotQualifying(_) | Self::AlreadyRollingBack(_) => None,
        }
    }
}

/// The notice of a rollback that answers a failed apply; none for one a person asked for, who
/// knows of it already.
fn rolled_back_notice(pipeline: &str, stage: &str, plan: &Plan, from: &str, dry_run: bool) -> Option<Notice> {
    let Plan { apply, target } = plan;
    let failed = apply.as_ref()?;
    let error = format!(
        "{} {}",
        failed.error_code.as_deref().unwrap_or("unknown"),
        failed.error_message.as_deref().unwrap_or("")
    );
    // A failed bake is told as one: what fired after the deploy is why.
    let (why, what_failed) = if says_bake_failed(failed) {
        (
            " (bake failed)",
            format!(
                "The bake of stage {stage} in pipeline {pipeline} (action {}) failed",
                failed.action
            ),
        )
    } else {
        (
            "",
            format!(
                "Action {} of stage {stage} in pipeline {pipeline} failed",
                failed.action
            ),
        )
    };
    let (subject, verb) = if dry_run {
        (
            format!("pipeguard: {pipeline} {stage} would be rolled back{why} (dry run)"),
            "would roll",
        )
    } else {
        (
            format!("pipeguard: {pipeline} {stage} rolled back{why}"),
            "rolled",
        )
    };
    let notice = Notice::new(
        &subject,
        &format!(
            "{what_failed} ({}), so pipeguard {verb} the stage back from execution {from} to {}, the last execution that succeeded in it{}.",
            printable_lines(error.trim()),
            target.id,
            target.sources_note(),
        ),
    )
    .about(pipeline)
    .with_next_steps(&[if dry_run {
        "Nothing was changed (ROLLBACK_DRY_RUN): roll the stage back by hand if you agree."
    } else {
        "Fix the change that failed and release it again; the stage runs the earlier revision until then."
    }]);
    Some(notice)
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

/// Whether a failed run's message says a bake failed (`BAKE_FAILED`, the gate's verdict): only
/// worth learning which actions invoke a gate (`GateActions`, from GetPipeline) when one does.
pub fn says_bake_failed(run: &ActionRun) -> bool {
    run.status == ActionStatus::Failed
        && run
            .error_message
            .as_deref()
            .is_some_and(|message| message.starts_with(BAKE_FAILED))
}
