//! CodePipeline's view of pipelines as plain data: what the decisions read and what came of the
//! calls that act. The calls themselves are the shell's (`pipeguard_aws::CodePipeline`).

use crate::names::{aws_names, closed_names};
use crate::text::printable;

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
    /// The stage's name.
    pub name: String,
    /// The latest execution to run in the stage, if any has.
    pub execution_id: Option<String>,
    /// That execution's status in the stage.
    pub status: Option<StageStatus>,
    /// Whether that execution is a rollback; absent when CodePipeline does not say.
    pub execution_type: Option<ExecutionType>,
    /// Retries CodePipeline has recorded for this execution of the stage (manual and automatic).
    pub attempts_used: u32,
    /// The stage's actions, each as its latest execution left it.
    pub actions: Vec<ActionSnapshot>,
}

/// The latest execution of one action (GetPipelineState `actionStates`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionSnapshot {
    /// The action's name.
    pub name: String,
    /// Its latest execution's status.
    pub status: Option<ActionStatus>,
    /// `errorDetails.code` of a failed execution.
    pub error_code: Option<String>,
    /// `errorDetails.message` of a failed execution: where the gate's hold marker travels.
    pub error_message: Option<String>,
}

/// An action as the pipeline's structure declares it (GetPipeline): the Lambda function it
/// invokes, for an AWS Lambda invoke action.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeclaredAction {
    /// The stage it is in.
    pub stage: String,
    /// The action's name.
    pub name: String,
    /// Its `FunctionName` configuration (a name or an ARN, perhaps with a qualifier), when it is
    /// an AWS Lambda invoke action; None for any other action.
    pub invokes: Option<String>,
}

/// Why a failure an event reports is no longer its stage's current failure: somebody (a
/// duplicate delivery, a person, a later run) acted on the stage since.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaleFailure {
    /// A later execution runs in the stage now.
    #[error("stage {stage} now shows execution {latest}")]
    Superseded {
        /// The stage.
        stage: String,
        /// The execution it shows.
        latest: String,
    },
    /// The stage shows this execution, no longer failed: retried, or rolled back.
    #[error("stage {stage} is {status}")]
    NotFailed {
        /// The stage.
        stage: String,
        /// Its status now.
        status: String,
    },
}

impl StageSnapshot {
    /// The actions whose latest execution failed.
    pub fn failed_actions(&self) -> impl Iterator<Item = &ActionSnapshot> {
        self.actions
            .iter()
            .filter(|action| action.status == Some(ActionStatus::Failed))
    }

    /// Whether the stage's latest execution failed in it.
    pub fn is_failed(&self) -> bool {
        self.status == Some(StageStatus::Failed)
    }

    /// The status as a person reads it.
    pub fn status_text(&self) -> &str {
        self.status.as_ref().map_or("unknown", StageStatus::as_str)
    }

    /// Whether the stage still shows the failure of `failed_execution`: the one rule by which
    /// retries and rollbacks leave alone what somebody has acted on since the event was sent.
    pub fn still_failed_in(&self, failed_execution: &str) -> Result<(), StaleFailure> {
        let latest = self.execution_id.as_deref().unwrap_or("(none)");
        if latest != failed_execution {
            return Err(StaleFailure::Superseded {
                stage: self.name.clone(),
                latest: latest.to_owned(),
            });
        }
        if !self.is_failed() {
            return Err(StaleFailure::NotFailed {
                stage: self.name.clone(),
                status: self.status_text().to_owned(),
            });
        }
        Ok(())
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
    /// The pipeline execution id.
    pub id: String,
    /// Its status.
    pub status: ExecutionStatus,
    /// Whether it ran the pipeline or rolled a stage back.
    pub execution_type: ExecutionType,
    /// For a rollback, the execution it returned the stage to.
    pub rollback_target: Option<String>,
    /// `action@revision (summary)` for each source, when CodePipeline reports them.
    pub source_revisions: Vec<String>,
}

impl ExecutionSummary {
    /// ` (source: a@1, b@2)` after the execution's id in a message, or nothing when
    /// CodePipeline reported no source revisions.
    pub fn sources_note(&self) -> String {
        if self.source_revisions.is_empty() {
            String::new()
        } else {
            // Commit messages, as CodePipeline reports them: printed and sent escaped.
            format!(" (source: {})", printable(&self.source_revisions.join(", ")))
        }
    }
}

/// One action's run in an execution (ListActionExecutions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRun {
    /// The stage it ran in.
    pub stage: String,
    /// The action's name.
    pub action: String,
    /// How the run ended (or that it is still running).
    pub status: ActionStatus,
    /// The action type's category (`Deploy`, `Build`, ...).
    pub category: String,
    /// The action type's provider (`CloudFormation`, `CodeBuild`, ...).
    pub provider: String,
    /// The error code of a failed run.
    pub error_code: Option<String>,
    /// The error message of a failed run.
    pub error_message: Option<String>,
    /// The run's external execution summary.
    pub summary: Option<String>,
}

/// An execution of a conflicting pipeline that has not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningExecution {
    /// The conflicting pipeline.
    pub pipeline: String,
    /// Its running execution.
    pub execution_id: String,
    /// `InProgress` or `Stopping`.
    pub status: ExecutionStatus,
}

/// Why the cross-pipeline lock could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConflictCheckError {
    /// The pipeline named does not exist.
    #[error("block_while_running names pipeline `{0}`, which does not exist in this account and region")]
    PipelineNotFound(String),
    /// The gate may not read the pipeline named.
    #[error(
        "block_while_running names pipeline `{0}`, which the gate may not read (codepipeline:ListPipelineExecutions is granted only for the managed pipelines' name prefix)"
    )]
    NotPermitted(String),
    /// CodePipeline could not be asked.
    #[error("could not check whether pipeline `{pipeline}` is running: {cause}")]
    Unavailable {
        /// The pipeline being checked.
        pipeline: String,
        /// What the call said.
        cause: String,
    },
}

closed_names!(
    /// RetryStageExecution's `retryMode`.
    RetryMode {
        /// Run the failed actions again.
        FailedActions = "FAILED_ACTIONS",
        /// Run every action of the stage again.
        AllActions = "ALL_ACTIONS",
    }
);

/// What came of a RetryStageExecution call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryOutcome {
    /// The retry runs.
    Started,
    /// Someone (a duplicate event, a person) already retried it, or a later run superseded it.
    AlreadyHandled(String),
}

/// What came of a RollbackStage call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackOutcome {
    /// The rollback runs, in this execution.
    Started(String),
    /// The stage is busy: most likely a duplicate event's rollback is already running.
    AlreadyHandled(String),
    /// CodePipeline refused, in words a person can act on.
    Refused(String),
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
