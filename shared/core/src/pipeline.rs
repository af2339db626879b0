//! CodePipeline's view of pipelines as plain data: what the decisions read and what came of the
//! calls that act. The calls themselves are in `aws::codepipeline`.

use crate::names::aws_names;

aws_names!(
    /// A stage execution's status (GetPipelineState `latestExecution.status`).
    StageStatus {
        Cancelled = "Cancelled",
        InProgress = "InProgress",
        Failed = "Failed",
        Stopped = "Stopped",
        Stopping = "Stopping",
        Succeeded = "Succeeded",
    }
);

aws_names!(
    /// An action execution's status (GetPipelineState and ListActionExecutions).
    ActionStatus {
        InProgress = "InProgress",
        Abandoned = "Abandoned",
        Succeeded = "Succeeded",
        Failed = "Failed",
    }
);

aws_names!(
    /// A pipeline execution's status (ListPipelineExecutions).
    ExecutionStatus {
        Cancelled = "Cancelled",
        InProgress = "InProgress",
        Stopped = "Stopped",
        Stopping = "Stopping",
        Succeeded = "Succeeded",
        Superseded = "Superseded",
        Failed = "Failed",
    }
);

aws_names!(
    /// Whether an execution ran the pipeline or rolled a stage back.
    ExecutionType {
        Standard = "STANDARD",
        Rollback = "ROLLBACK",
    }
);

/// The latest execution of one stage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StageSnapshot {
    pub name: String,
    pub execution_id: Option<String>,
    pub status: Option<StageStatus>,
    /// Whether that execution is a rollback; absent when CodePipeline does not say.
    pub execution_type: Option<ExecutionType>,
    /// Retries CodePipeline has recorded for this execution of the stage (manual and automatic).
    pub attempts_used: u32,
    pub actions: Vec<ActionSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionSnapshot {
    pub name: String,
    pub status: Option<ActionStatus>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

impl StageSnapshot {
    pub fn failed_actions(&self) -> impl Iterator<Item = &ActionSnapshot> {
        self.actions
            .iter()
            .filter(|action| action.status == Some(ActionStatus::Failed))
    }

    pub fn is_failed(&self) -> bool {
        self.status == Some(StageStatus::Failed)
    }

    /// The status as a person reads it.
    pub fn status_text(&self) -> &str {
        self.status.as_ref().map_or("unknown", StageStatus::as_str)
    }
}

/// The stage a failure event is about: the one it names, or else the failed stage of its
/// execution; with its position (the first stage is the source stage).
pub fn stage_of_failure<'a>(
    stages: &'a [StageSnapshot],
    named: Option<&str>,
    execution_id: &str,
) -> Option<(usize, &'a StageSnapshot)> {
    stages.iter().enumerate().find(|(_, stage)| match named {
        Some(name) => stage.name == name,
        None => stage.is_failed() && stage.execution_id.as_deref() == Some(execution_id),
    })
}

/// One execution in a pipeline's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionSummary {
    pub id: String,
    pub status: ExecutionStatus,
    pub execution_type: ExecutionType,
    /// For a rollback, the execution it returned the stage to.
    pub rollback_target: Option<String>,
    /// `action@revision (summary)` for each source, when CodePipeline reports them.
    pub source_revisions: Vec<String>,
}

/// One action's run in an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRun {
    pub stage: String,
    pub action: String,
    pub status: ActionStatus,
    pub category: String,
    pub provider: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub summary: Option<String>,
}

/// An execution of a conflicting pipeline that has not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningExecution {
    pub pipeline: String,
    pub execution_id: String,
    pub status: ExecutionStatus,
}

/// Why the cross-pipeline lock could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConflictCheckError {
    #[error("block_while_running names pipeline `{0}`, which does not exist in this account and region")]
    PipelineNotFound(String),
    #[error(
        "block_while_running names pipeline `{0}`, which the gate may not read (codepipeline:ListPipelineExecutions is granted only for the managed pipelines' name prefix)"
    )]
    NotPermitted(String),
    #[error("could not check whether pipeline `{pipeline}` is running: {cause}")]
    Unavailable { pipeline: String, cause: String },
}

/// RetryStageExecution's `retryMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    FailedActions,
    AllActions,
}

impl RetryMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailedActions => "FAILED_ACTIONS",
            Self::AllActions => "ALL_ACTIONS",
        }
    }
}

/// What came of a RetryStageExecution call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryOutcome {
    Started,
    /// Someone (a duplicate event, a person) already retried it, or a later run superseded it.
    AlreadyHandled(String),
}

/// What came of a RollbackStage call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackOutcome {
    /// The rollback execution's id.
    Started(String),
    /// The stage is busy: most likely a duplicate event's rollback is already running.
    AlreadyHandled(String),
    /// CodePipeline refused, in words a person can act on.
    Refused(String),
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
