//! `pipeguard`: what pipeguard sees, from a terminal or any CI system, on the same core as the
//! functions: the gate's decision, the state of the pipelines, a bulk retry of failed stages, a
//! rollback by hand, and freezes. Each command's arguments sit beside its `run`, which returns
//! how it ended or the problem that stopped it; this file prints a problem once and turns either
//! into the exit code.

mod aws;
mod freeze;
mod health;
#[cfg(test)]
mod json_contract_tests;
mod oci;
mod output;
mod retry;
mod rollback;
mod status;

use clap::{Args, Parser, Subcommand};
use pipeguard_aws::PipelineCallError;
use pipeguard_core::selection::PipelineSelection;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "pipeguard", version, about, long_about = None)]
struct Cli {
    /// AWS region (default: the standard chain: AWS_REGION, the profile's region); for `oci`, the
    /// OCI region (default: OCI_CLI_REGION, or the profile's)
    #[arg(long, global = true)]
    region: Option<String>,
    /// Named profile from ~/.aws/config (default: AWS_PROFILE, or the default profile); for
    /// `oci`, a profile of the OCI config file (default: OCI_CLI_PROFILE, or DEFAULT)
    #[arg(long, global = true)]
    profile: Option<String>,
    /// JSON for machines instead of text
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Aws(AwsCommand),
    /// Oracle Cloud Resource Manager stacks.
    ///
    /// Exit code: 0 done, 1 OCI refused the request, 2 usage or configuration error, 3 OCI
    /// could not be reached or refused the credentials.
    Oci(oci::OciArgs),
}

/// The commands about AWS CodePipeline, which sign in to AWS first.
#[derive(Subcommand)]
enum AwsCommand {
    /// The health gate's decision for a deploy right now.
    ///
    /// Exit code: 0 deploy, 1 blocked, 2 usage or configuration error, 3 AWS Health (or the
    /// freezes) could not be read and the policy fails closed.
    Health(health::HealthArgs),
    /// One row per pipeline: latest execution, failed stage, retries, holds, last rollback.
    Status(status::StatusArgs),
    /// Retry every failed stage that stage-retry's policy would retry.
    Retry(retry::RetryArgs),
    /// Roll a stage back to the newest execution that succeeded in it (or to --to).
    Rollback(rollback::RollbackArgs),
    /// Stop deploys: the gate blocks or holds every pipeline the freeze covers (all, --prefix,
    /// or those named) until it is unfrozen or reaches its end.
    Freeze(freeze::FreezeArgs),
    /// End a freeze (or --all); stage-retry resumes the stages it held at once.
    Unfreeze(freeze::UnfreezeArgs),
    /// The active freezes (--all: and those ended in the last 30 days).
    Freezes(freeze::FreezesArgs),
}

/// Which pipelines: a name prefix, or names; all of them when neither is given.
#[derive(Args)]
struct Selection {
    /// Only pipelines whose names start with this
    #[arg(long, conflicts_with = "pipelines")]
    prefix: Option<String>,
    /// Pipelines by name
    pipelines: Vec<String>,
}

impl From<Selection> for PipelineSelection {
    fn from(selection: Selection) -> Self {
        Self::of(selection.pipelines, selection.prefix)
    }
}

/// How a command ended, as the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Done; for `health`, the deploy may go ahead.
    Ok = 0,
    /// `health`: blocked. Other commands: some AWS calls failed.
    Failed = 1,
    /// Bad usage or configuration: a bad flag, bad JSON, an unknown pipeline or stage, no
    /// credentials.
    Usage = 2,
    /// `health`: AWS Health or the freezes could not be read, and the policy fails closed.
    /// `oci`: OCI could not be reached, or refused the credentials.
    Unavailable = 3,
}

/// In JSON answers (`exit_code`), the number the process exits with.
impl serde::Serialize for Ended {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(*self as u8)
    }
}

/// What stopped a command, said once by `main`.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The command was asked for something that cannot be: a bad flag or setting, an unknown
    /// stage or execution, no credentials.
    #[error("{0}")]
    Usage(String),
    /// Pipelines named that this account and region do not have: said alike by every command.
    #[error("unknown pipeline: {}", .0.join(", "))]
    UnknownPipelines(Vec<String>),
    /// A CodePipeline call failed.
    #[error(transparent)]
    Call(#[from] PipelineCallError),
    /// The command could not do what it was asked, and says why.
    #[error("{0}")]
    Failed(String),
    /// The service could not be reached, or refused the credentials.
    #[error("{0}")]
    Unavailable(String),
}

impl Problem {
    /// The exit code that says this problem.
    fn ended(&self) -> Ended {
        match self {
            Self::Usage(_) | Self::UnknownPipelines(_) => Ended::Usage,
            Self::Call(_) | Self::Failed(_) => Ended::Failed,
            Self::Unavailable(_) => Ended::Unavailable,
        }
    }
}

impl From<pipeguard_core::config::SettingError> for Problem {
    fn from(error: pipeguard_core::config::SettingError) -> Self {
        Self::Usage(error.to_string())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let ended = match run(cli).await {
        Ok(ended) => ended,
        Err(problem) => {
            eprintln!(
                "pipeguard: {}",
                pipeguard_core::text::printable(&problem.to_string())
            );
            problem.ended()
        }
    };
    ExitCode::from(ended as u8)
}

async fn run(cli: Cli) -> Result<Ended, Problem> {
    let command = match cli.command {
        // OCI has nothing to do with AWS's credentials: a build runner in Oracle Cloud has none.
        Command::Oci(args) => return oci::run(args, cli.profile, cli.region, cli.json).await,
        Command::Aws(command) => command,
    };
    let aws = aws::Aws::connect(cli.region, cli.profile).await?;
    match command {
        AwsCommand::Health(args) => health::run(&aws, args, cli.json).await,
        AwsCommand::Status(args) => status::run(&aws, args, cli.json).await,
        AwsCommand::Retry(args) => retry::run(&aws, args, cli.json).await,
        AwsCommand::Rollback(args) => rollback::run(&aws, args, cli.json).await,
        AwsCommand::Freeze(args) => freeze::freeze(&aws, args, cli.json).await,
        AwsCommand::Unfreeze(args) => freeze::unfreeze(&aws, args, cli.json).await,
        AwsCommand::Freezes(args) => freeze::list(&aws, args, cli.json).await,
    }
}
