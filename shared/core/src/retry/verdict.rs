//! What stage-retry (and `pipeguard retry`) did about one failed stage, once it acted: the one
//! vocabulary of its logs, its metric and the command line's JSON, and the message people get.

use crate::notice::Notice;
use crate::pipeline::{RetryMode, RetryOutcome};
use crate::text::{printable_lines, truncate_chars};

/// The last error as a reason gives it: the first line of each failed action's, cut short. The
/// notice people get carries it whole.
const LAST_ERROR_IN_REASON_CHARS: usize = 300;

/// What became of one failed stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryVerdict {
    /// Retried: retry number `attempt` runs.
    Retried {
        /// The retry's number, from 1.
        attempt: u32,
        /// Which actions run again.
        mode: RetryMode,
    },
    /// A stage the health gate held runs again: its AWS Health events have closed.
    Resumed {
        /// Which events closed, or that all have.
        because: String,
    },
    /// Held by AWS Health events, freezes or the deployment schedule: resumed when they have
    /// all ended.
    Held {
        /// What still holds it.
        by: Vec<String>,
    },
    /// Retries are used up: people are told, once.
    Exhausted {
        /// Retries CodePipeline counted.
        attempts: u32,
        /// Retries the policy allows.
        allowed: u32,
        /// Each failed action's last error: `action: code message`.
        last_errors: Vec<String>,
    },
    /// Left alone, and why.
    Skipped(String),
    /// A dry run's: it would be retried so.
    WouldRetry {
        /// The retry's number, from 1.
        attempt: u32,
        /// Which actions would run again.
        mode: RetryMode,
    },
}

impl RetryVerdict {
    /// What came of a RetryStageExecution call made to reach `started`: that, or a skip when
    /// somebody had already retried the stage or a later run superseded it.
    pub fn after(outcome: RetryOutcome, started: Self) -> Self {
        match outcome {
            RetryOutcome::Started => started,
            RetryOutcome::AlreadyHandled(why) => {
                Self::Skipped(format!("already handled or superseded: {why}"))
            }
        }
    }

    /// One word for logs, metrics and the command line's JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Retried { .. } => "RETRY",
            Self::Resumed { .. } => "RESUME",
            Self::Held { .. } => "HOLD",
            Self::Exhausted { .. } => "EXHAUSTED",
            Self::Skipped(_) => "SKIP",
            Self::WouldRetry { .. } => "DRY_RUN",
        }
    }

    /// Why, in a sentence for the log line and the command line.
    pub fn reason(&self) -> String {
        match self {
            Self::Retried { attempt, mode } => format!("retry {attempt} started ({mode})"),
            Self::Resumed { because } => because.clone(),
            Self::Held { by } => format!("held, and resumed when these have all ended: {}", by.join(", ")),
            Self::Exhausted {
                attempts,
                allowed,
                last_errors,
            } => {
                let first_lines: Vec<&str> = last_errors
                    .iter()
                    .filter_map(|error| error.lines().next())
                    .collect();
                let last_error = truncate_chars(&first_lines.join("; "), LAST_ERROR_IN_REASON_CHARS);
                format!("retries used up ({attempts} of {allowed}); last error: {last_error}")
            }
            Self::Skipped(reason) => reason.clone(),
            Self::WouldRetry { attempt, mode } => format!("{mode}, retry {attempt}"),
        }
    }

    /// The message for people, for the verdict worth one: retries used up, said once.
    pub fn notice(&self, pipeline: &str, stage: &str, execution_id: &str) -> Option<Notice> {
        match self {
            Self::Exhausted {
                attempts,
                last_errors,
                ..
            } => Some(exhausted_notice(
                pipeline,
                stage,
                execution_id,
                *attempts,
                &last_errors.join("; "),
            )),
            _ => None,
        }
    }
}

fn exhausted_notice(
    pipeline: &str,
    stage: &str,
    execution_id: &str,
    attempts: u32,
    last_error: &str,
) -> Notice {
    Notice::new(
        &format!("pipeguard: {pipeline} {stage} still failing after {attempts} retries"),
        &format!(
            "Stage {stage} of pipeline {pipeline} failed again after {attempts} automatic retries, so pipeguard stopped retrying it.\n\
             Execution: {execution_id}\nLast error: {}",
            printable_lines(last_error)
        ),
    )
    .about(pipeline)
    .with_next_steps(&["Fix the cause, then retry the stage or start a new execution."])
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
