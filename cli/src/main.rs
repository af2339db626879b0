//! `pipeguard`: what pipeguard sees, from a terminal or any CI system, on the same core as the
//! functions: the gate's decision, the state of the pipelines, a bulk retry of failed stages, a
//! rollback by hand, freezes, and break-glass overrides. Each command's arguments sit beside its `run`, which returns
//! how it ended or the problem that stopped it; this file prints a problem once and turns either
//! into the exit code.

mod aws;
mod ended;
mod freeze;
mod health;
#[cfg(test)]
mod json_contract_tests;
mod oci;
mod output;
mod overrides;
mod retry;
mod rollback;
mod selection;
mod status;

use clap::{Parser, Subcommand};
use ended::{Ended, Problem};
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
    /// Break glass: let one pipeline's deploys through what blocks them (every kind, or
    /// --only some) for at most 24 hours, recorded and told each time; --end ID ends one.
    ///
    /// Exit code: 0 done, 1 AWS calls failed, 2 usage (a blank reason, a past --until, more than
    /// 24 hours, an unknown pipeline or kind: nothing is written).
    Override(overrides::OverrideArgs),
    /// The overrides in force (--all: and those of the last 30 days).
    Overrides(overrides::OverridesArgs),
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
        AwsCommand::Override(args) => overrides::run(&aws, args, cli.json).await,
        AwsCommand::Overrides(args) => overrides::list(&aws, args, cli.json).await,
    }
}
