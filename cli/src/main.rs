//! `pipeguard`: what pipeguard sees, from a terminal or any CI system, on the same core as the
//! functions: the gate's AWS Health decision, the state of the pipelines, a bulk retry of failed
//! stages, and a rollback by hand.

mod aws;
mod health;
mod output;
mod retry;
mod rollback;
mod status;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "pipeguard", version, about, long_about = None)]
struct Cli {
    /// AWS region (default: the standard chain: AWS_REGION, the profile's region)
    #[arg(long, global = true)]
    region: Option<String>,
    /// Named profile from ~/.aws/config (default: AWS_PROFILE, or the default profile)
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
    /// The health gate's decision for a deploy right now.
    ///
    /// Exit code: 0 deploy, 1 blocked, 2 usage or configuration error, 3 AWS Health could not
    /// be asked and the policy fails closed.
    Health(HealthArgs),
    /// One row per pipeline: latest execution, failed stage, retries, holds, last rollback.
    Status(StatusArgs),
    /// Retry every failed stage that stage-retry's policy would retry.
    Retry(RetryArgs),
    /// Roll a stage back to the newest execution that succeeded in it (or to --to).
    Rollback(RollbackArgs),
}

#[derive(Args)]
struct HealthArgs {
    /// Regions to check, comma-separated (`global` for global services)
    #[arg(long, value_delimiter = ',')]
    regions: Vec<String>,
    /// AWS Health service codes, comma-separated (default: all)
    #[arg(long, value_delimiter = ',')]
    services: Vec<String>,
    /// Where to learn of AWS Health events
    #[arg(long, value_enum)]
    source: Option<Source>,
    /// The gate's UserParameters, as JSON (the flags above override its fields)
    #[arg(long)]
    params: Option<String>,
    /// The event store's DynamoDB table (default: HEALTH_EVENTS_TABLE)
    #[arg(long = "events-table")]
    events_table: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Source {
    Api,
    Events,
    Auto,
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

#[derive(Args)]
struct StatusArgs {
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

#[derive(Args)]
struct RetryArgs {
    /// Which stages: the failed ones
    #[arg(long, value_enum, required = true)]
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

#[derive(Clone, Copy, ValueEnum)]
enum StageFilter {
    Failed,
}

#[derive(Args)]
struct RollbackArgs {
    pipeline: String,
    stage: String,
    /// The execution to return the stage to (default: the newest that succeeded in it)
    #[arg(long)]
    to: Option<String>,
    /// Say what would happen, change nothing
    #[arg(long)]
    dry_run: bool,
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
    /// `health`: AWS Health could not be asked, and the policy fails closed.
    HealthUnavailable = 3,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let aws = aws::Aws::connect(cli.region, cli.profile).await;
    let aws = match aws {
        Ok(aws) => aws,
        Err(problem) => {
            eprintln!("pipeguard: {problem}");
            return ExitCode::from(Ended::Usage as u8);
        }
    };
    let ended = match cli.command {
        Command::Health(args) => health::run(&aws, args, cli.json).await,
        Command::Status(args) => {
            let table = output::wants_table(cli.json, args.table);
            status::run(&aws, args, table).await
        }
        Command::Retry(args) => retry::run(&aws, args, cli.json).await,
        Command::Rollback(args) => rollback::run(&aws, args, cli.json).await,
    };
    ExitCode::from(ended as u8)
}
