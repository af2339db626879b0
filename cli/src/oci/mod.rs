//! `pipeguard oci`: Oracle Cloud Infrastructure Resource Manager stacks, signed as the OCI CLI
//! signs (a config-file profile, or a resource principal), against the region's endpoint or
//! `--endpoint`, through pipeguard-oci. Its facts and their sources are in
//! shared/oci/OCI-FACTS.md.

mod apply;
mod jobs;
mod report;
mod rollback;
mod status;

use crate::ended::{Ended, Problem};
use clap::{Args, Subcommand};
use jobs::unavailable;
use pipeguard_aws::Environment;
use pipeguard_oci::client::{self, ResourceManager};
use pipeguard_oci::config::ConfigError;
use pipeguard_oci::credentials::{self, Wanted};
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

/// The answers the JSON contract's test writes (docs/cli-json.md).
#[cfg(test)]
pub(crate) use {report::StackOutcome, status::StackStatus};

#[derive(Args)]
pub struct OciArgs {
    #[command(subcommand)]
    command: OciCommand,
    /// The OCI CLI's config file (default: OCI_CLI_CONFIG_FILE, or ~/.oci/config)
    #[arg(long, global = true)]
    config_file: Option<PathBuf>,
    /// api_key (a profile of the config file; --profile or OCI_CLI_PROFILE, else DEFAULT; the OCI
    /// CLI's OCI_CLI_USER, _TENANCY, _FINGERPRINT, _KEY_FILE, _KEY_CONTENT and _PASSPHRASE win
    /// over it) or resource_principal (OCI DevOps build runners, functions) (default:
    /// OCI_CLI_AUTH, or api_key)
    #[arg(long, global = true)]
    auth: Option<String>,
    /// Resource Manager's URL instead of the region's (default: OCI_CLI_ENDPOINT)
    #[arg(long, global = true)]
    endpoint: Option<String>,
    /// The longest the command may take (90s, 10m, 1h)
    #[arg(long, global = true, default_value = "10m")]
    timeout: String,
}

#[derive(Subcommand)]
enum OciCommand {
    /// Apply the stack; when the apply fails with a code --rollback-on names, roll it back to its
    /// newest good apply. Exit code 0 applied, 1 the apply failed (rolled back or not: it says).
    Apply(apply::ApplyArgs),
    /// Roll the stack back by hand: to the newest good apply before its latest apply, or --to.
    /// Exit code 0 rolled back (or --dry-run), 1 the rollback failed or is still running, 3 OCI
    /// could not be reached or refused the credentials (a rollback job already made is named).
    Rollback(rollback::RollbackArgs),
    /// A stack's recent jobs, its last good apply and its last rollback.
    Status(status::StatusArgs),
}

/// A warning about the credentials (a file others may read), on standard error.
fn warn(warning: &str) {
    eprintln!("pipeguard: {warning}");
}

/// Exit code 2: a setting of who signs, or where, is missing or wrong.
fn usage(error: ConfigError) -> Problem {
    Problem::Usage(error.to_string())
}

pub async fn run(
    args: OciArgs,
    profile: Option<String>,
    region: Option<String>,
    json: bool,
) -> Result<Ended, Problem> {
    let deadline = Instant::now() + parse_timeout(&args.timeout)?;
    let wanted = Wanted {
        auth: args.auth,
        config_file: args.config_file,
        profile,
        region_given: region.is_some(),
    };
    // The OCI CLI's variables and the resource principal's, read once; a blank one is unset.
    let env = Environment::of_process();
    let identity = credentials::identity(wanted, env.lookup(), warn).map_err(usage)?;
    let signer = credentials::signer(&identity, env.lookup(), warn).map_err(usage)?;
    let renewed = identity.is_renewed().then(|| identity.clone());
    let endpoint = args.endpoint.or_else(|| env.get("OCI_CLI_ENDPOINT"));
    let region = region.or_else(|| env.get("OCI_CLI_REGION")).or(identity.region);
    let endpoint = match (endpoint, region) {
        (Some(endpoint), _) => client::endpoint_given(&endpoint),
        (None, Some(region)) => client::region_endpoint(&region).map_err(usage)?,
        (None, None) => {
            return Err(Problem::Usage(
                "no OCI region: set region in the profile, pass --region or set OCI_CLI_REGION (or --endpoint)".into(),
            ));
        }
    };
    let mut resource_manager = ResourceManager::new(endpoint, signer, deadline).map_err(unavailable)?;
    if let Some(principal) = renewed {
        resource_manager = resource_manager.renewing(move || {
            credentials::signer(&principal, env.lookup(), warn)
                .inspect_err(|error| {
                    eprintln!("pipeguard: the resource principal could not be read again: {error}")
                })
                .ok()
        });
    }
    match args.command {
        OciCommand::Apply(apply) => apply::run(&resource_manager, apply, json).await,
        OciCommand::Rollback(rollback) => rollback::run(&resource_manager, rollback, json).await,
        OciCommand::Status(status) => status::run(&resource_manager, status, json).await,
    }
}

/// `--timeout`: whole seconds, minutes or hours (`90s`, `10m`, `1h`), up to a day.
fn parse_timeout(text: &str) -> Result<Duration, Problem> {
    let bad = || {
        Problem::Usage(format!(
            "--timeout `{text}` is not a duration such as 90s, 10m or 1h (at most 24h)"
        ))
    };
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = trimmed.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => number,
        "m" => number.saturating_mul(60),
        "h" => number.saturating_mul(3600),
        _ => return Err(bad()),
    };
    if seconds == 0 || seconds > 24 * 3600 {
        return Err(bad());
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
