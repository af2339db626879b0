//! `pipeguard oci`: Oracle Cloud Infrastructure Resource Manager stacks, signed as the OCI CLI
//! signs (a config-file profile, or a resource principal), against the region's endpoint or
//! `--endpoint`, through pipeguard-oci. Its facts and their sources are in
//! shared/oci/OCI-FACTS.md.

mod apply;
mod rollback;
mod status;

use crate::{Ended, Problem};
use clap::{Args, Subcommand};
use pipeguard_core::rollback::LastGood;
use pipeguard_core::stack::{StackJob, last_good_apply};
use pipeguard_core::text::printable_lines;
use pipeguard_oci::client::{self, CallError, ResourceManager};
use pipeguard_oci::config::{self, AUTH_API_KEY, AUTH_RESOURCE_PRINCIPAL, Credentials, Identity, Source};
use pipeguard_oci::key::{self, KeyError};
use pipeguard_oci::regions;
use pipeguard_oci::signer::Signer;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;
// The key and its passphrase, as read, are wiped when dropped (zeroize is already in the build,
// through rustls).
use zeroize::Zeroizing;

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

/// The environment, read once: the OCI CLI's variables and the resource principal's.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

pub async fn run(
    args: OciArgs,
    profile: Option<String>,
    region: Option<String>,
    json: bool,
) -> Result<Ended, Problem> {
    let deadline = Instant::now() + parse_timeout(&args.timeout)?;
    let identity = identity(args.auth, args.config_file, profile, region.is_some())?;
    let signing = signer(&identity)?;
    // A resource principal's token in a file is renewed by the platform: read again on a 401.
    let renewable = matches!(
        &identity.credentials,
        Credentials::ResourcePrincipal {
            token: Source::File(_),
            ..
        }
    )
    .then(|| identity.clone());
    let endpoint = args.endpoint.or_else(|| env("OCI_CLI_ENDPOINT"));
    let region = region.or_else(|| env("OCI_CLI_REGION")).or(identity.region);
    let endpoint = match (endpoint, region) {
        (Some(endpoint), _) => client::endpoint_given(&endpoint),
        (None, Some(region)) => region_endpoint(&region)?,
        (None, None) => {
            return Err(Problem::Usage(
                "no OCI region: set region in the profile, pass --region or set OCI_CLI_REGION (or --endpoint)".into(),
            ));
        }
    };
    let mut resource_manager = ResourceManager::new(endpoint, signing, deadline).map_err(unavailable)?;
    if let Some(principal) = renewable {
        resource_manager = resource_manager.renewing(move || {
            signer(&principal)
                .inspect_err(|problem| {
                    eprintln!("pipeguard: the resource principal could not be read again: {problem}")
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

/// The stack's jobs, newest first, page by page, until `enough` says the jobs read so far are
/// (or the pages end).
async fn jobs_until(
    resource_manager: &ResourceManager,
    stack: &str,
    enough: impl Fn(&[StackJob]) -> bool,
) -> Result<Vec<StackJob>, Problem> {
    let mut jobs = Vec::new();
    let mut page: Option<String> = None;
    let mut seen = std::collections::BTreeSet::new();
    loop {
        let mut query = format!(
            "/jobs?stackId={}&sortBy=TIMECREATED&sortOrder=DESC&limit={JOBS_PER_PAGE}",
            client::encode(stack)
        );
        if let Some(page) = &page {
            query.push_str(&format!("&page={}", client::encode(page)));
        }
        let answer = resource_manager.get(&query).await.map_err(unavailable)?;
        let read = StackJob::read_page(&answer.body).map_err(|error| Problem::Failed(error.to_string()))?;
        jobs.extend(read);
        if enough(&jobs) {
            return Ok(jobs);
        }
        match next_page(&mut seen, answer.next_page, stack)? {
            Some(next) => page = Some(next),
            None => return Ok(jobs),
        }
    }
}

/// The stack's last good apply before `except` (the rule apply-rollback follows): the apply to
/// return to, read page by page until it is known; or why there is none, in a sentence.
async fn last_good(
    resource_manager: &ResourceManager,
    stack: &str,
    except: Option<&str>,
) -> Result<Result<StackJob, String>, Problem> {
    let jobs = jobs_until(resource_manager, stack, |jobs| {
        last_good_apply(jobs, except).is_settled()
    })
    .await?;
    Ok(last_good_of(&jobs, except, stack).cloned())
}

/// The last good apply of `jobs` before `except`, or why there is none, in a sentence.
fn last_good_of<'a>(jobs: &'a [StackJob], except: Option<&str>, stack: &str) -> Result<&'a StackJob, String> {
    match last_good_apply(jobs, except) {
        LastGood::Found { target, .. } => Ok(target),
        LastGood::Unlisted { rollback, target } => Err(format!(
            "the last good state of stack {stack} is the one rollback job {} returned it to, and apply job {} is not among its jobs: rolling back to an earlier apply would return to one it rolled away from",
            rollback.id,
            target.unwrap_or("(not named by Resource Manager)")
        )),
        LastGood::Nothing => Err(format!("no earlier successful apply of stack {stack}")),
    }
}

/// The page to read next, given the token an answer ended with (None: the last page). An empty
/// or repeated token would read pages again until the deadline, and stopping there would take
/// the pages read for all of them: it is an error.
fn next_page(
    seen: &mut std::collections::BTreeSet<String>,
    token: Option<String>,
    stack: &str,
) -> Result<Option<String>, Problem> {
    match token {
        Some(next) if next.is_empty() || !seen.insert(next.clone()) => Err(Problem::Failed(format!(
            "Resource Manager's job pages of stack {stack} do not end (page token `{next}` again, or empty)"
        ))),
        token => Ok(token),
    }
}

/// Says how a command about `stack` ended: `text` for people, or with `--json` the `fields`
/// with the stack, the text and the exit code; and ends with `ended`.
fn outcome(
    json: bool,
    stack: &str,
    ended: Ended,
    text: String,
    fields: serde_json::Value,
) -> Result<Ended, Problem> {
    if json {
        let mut fields = fields;
        fields["stack"] = serde_json::json!(stack);
        fields["message"] = serde_json::json!(text);
        fields["exit_code"] = serde_json::json!(ended as u8);
        println!("{}", crate::output::json_line(&fields));
    } else {
        // Resource Manager's failure messages are quoted here: no terminal escape gets through.
        println!("{}", printable_lines(&text));
    }
    Ok(ended)
}

/// The jobs a ListJobs page holds (it allows up to 100; fewer keeps each answer small).
const JOBS_PER_PAGE: usize = 50;

/// Exit code 3: OCI could not be reached, or refused the credentials; anything else it refused
/// is the command's failure.
fn unavailable(error: CallError) -> Problem {
    match error {
        CallError::Unreachable { .. } | CallError::NotAuthenticated { .. } => {
            Problem::Unavailable(error.to_string())
        }
        CallError::Invalid { .. } => Problem::Usage(error.to_string()),
        CallError::Refused { .. } | CallError::Oversized { .. } => Problem::Failed(error.to_string()),
    }
}

/// Resource Manager's endpoint in `region`, in any case (the SDKs lower-case it): a region the
/// SDKs know, by its full or its short name (`iad`), in its realm's domain; another full name in
/// the commercial realm, as the SDKs do; anything else would only fail later as a host that
/// cannot be found.
fn region_endpoint(region: &str) -> Result<String, Problem> {
    let region = region.trim().to_ascii_lowercase();
    if let Some(known) = regions::known(&region) {
        return Ok(client::region_endpoint_of(known.name, known.domain));
    }
    let named = region.contains('-')
        && region
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    if named {
        Ok(client::region_endpoint_of(&region, regions::COMMERCIAL_DOMAIN))
    } else {
        Err(Problem::Usage(format!(
            "the OCI region `{region}` (from --region, OCI_CLI_REGION, the profile or the resource \
             principal, in that order) is not a region's full name such as us-ashburn-1 or a short name \
             such as iad that Oracle's SDKs know. Give the full name, or --endpoint"
        )))
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

/// Who signs: `--auth` (or OCI_CLI_AUTH) says how; `region_given` is whether `--region` was.
fn identity(
    auth: Option<String>,
    config_file: Option<PathBuf>,
    profile: Option<String>,
    region_given: bool,
) -> Result<Identity, Problem> {
    let auth = auth
        .or_else(|| env("OCI_CLI_AUTH"))
        .unwrap_or_else(|| AUTH_API_KEY.to_owned());
    let usage = |error: config::ConfigError| Problem::Usage(error.to_string());
    match auth.as_str() {
        AUTH_API_KEY => {
            let home = env("HOME");
            if config::environment_suffices(env, region_given) {
                return config::from_environment(home.as_deref(), env).map_err(usage);
            }
            let file = config_file
                .or_else(|| env("OCI_CLI_CONFIG_FILE").map(PathBuf::from))
                .or_else(|| home.as_ref().map(|home| PathBuf::from(home).join(".oci/config")))
                .ok_or_else(|| {
                    Problem::Usage("no OCI config file: pass --config-file or set OCI_CLI_CONFIG_FILE".into())
                })?;
            let bytes = read_file(&file, "OCI config file").map_err(|problem| {
                Problem::Usage(format!(
                    "{problem}: run `oci setup config`, or pass --config-file"
                ))
            })?;
            let text = Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned());
            warn_if_open(&file);
            let profile = profile
                .or_else(|| env("OCI_CLI_PROFILE"))
                .unwrap_or_else(|| "DEFAULT".into());
            config::from_config_file(&text, &file.display().to_string(), &profile, home.as_deref(), env)
                .map_err(usage)
        }
        AUTH_RESOURCE_PRINCIPAL => config::resource_principal(env).map_err(usage),
        other => Err(Problem::Usage(format!(
            "--auth (or OCI_CLI_AUTH) `{other}` is not one of {AUTH_API_KEY}, {AUTH_RESOURCE_PRINCIPAL}"
        ))),
    }
}

/// A value as the resource principal contract and the config file give it, trimmed, in a
/// buffer wiped when it is dropped (it may be a key).
fn read(source: &Source, what: &str) -> Result<Zeroizing<Vec<u8>>, Problem> {
    let bytes = match source {
        Source::Inline(value) => Zeroizing::new(value.as_bytes().to_vec()),
        Source::File(path) => read_file(path, what)?,
    };
    Ok(Zeroizing::new(bytes.trim_ascii().to_vec()))
}

/// A passphrase as given: inline exactly, or a file's text without its line ending.
fn read_passphrase(source: &Source, what: &str) -> Result<Zeroizing<Vec<u8>>, Problem> {
    match source {
        Source::Inline(value) => Ok(Zeroizing::new(value.as_bytes().to_vec())),
        Source::File(path) => {
            let text = read_file(path, what)?;
            let line = text.strip_suffix(b"\n").unwrap_or(&text);
            Ok(Zeroizing::new(line.strip_suffix(b"\r").unwrap_or(line).to_vec()))
        }
    }
}

/// The most of a credentials file that is read: a PEM key of 8192 bits is under 7 KiB, and a
/// token, a passphrase or a config file is smaller; a path to a device (`/dev/zero`) or a huge
/// file is refused after this much, never read whole into memory.
const FILE_LIMIT: usize = key::PEM_LIMIT;

/// A credentials file, at most `FILE_LIMIT` bytes of it, in a buffer wiped when it is dropped.
fn read_file(path: &std::path::Path, what: &str) -> Result<Zeroizing<Vec<u8>>, Problem> {
    let cannot = |error: std::io::Error| {
        Problem::Usage(format!("cannot read the {what} at {} ({error})", path.display()))
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    // Allocated at its largest at once: a buffer that grew would leave its earlier, unwiped
    // copies behind.
    let mut bytes = Zeroizing::new(Vec::with_capacity(FILE_LIMIT + 1));
    file.take(FILE_LIMIT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > FILE_LIMIT {
        return Err(Problem::Usage(format!(
            "the {what} at {} is over {} KiB, larger than any {what} is",
            path.display(),
            FILE_LIMIT / 1024
        )));
    }
    Ok(bytes)
}

/// The OCI CLI's warning (`config::permissions_warning`) on standard error when the file at
/// `path` may be read or written by others; never a refusal, as the CLI does not refuse.
fn warn_if_open(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let suppressed = std::env::var("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING").ok();
    if let Some(warning) = config::permissions_warning(
        &path.display().to_string(),
        metadata.permissions().mode(),
        suppressed.as_deref(),
    ) {
        eprintln!("pipeguard: {warning}");
    }
}

/// The signer of `identity`; a key that cannot sign is a configuration error that says which
/// key, and where its passphrase is set.
fn signer(identity: &Identity) -> Result<Signer, Problem> {
    if let Credentials::ApiKey {
        key: Source::File(path),
        ..
    } = &identity.credentials
    {
        warn_if_open(path);
    }
    let (key_id, pem, passphrase, key_from, passphrase_from) = match &identity.credentials {
        Credentials::ApiKey {
            key_id,
            key,
            passphrase,
        } => (
            key_id.clone(),
            read(key, "API signing key")?,
            passphrase,
            match key {
                Source::File(path) => path.display().to_string(),
                Source::Inline(_) => "OCI_CLI_KEY_CONTENT".to_owned(),
            },
            "OCI_CLI_PASSPHRASE, or pass_phrase in the config file's profile",
        ),
        Credentials::ResourcePrincipal {
            token,
            private_key,
            passphrase,
        } => (
            format!(
                "ST${}",
                String::from_utf8_lossy(&read(token, "resource principal token")?)
            ),
            read(private_key, "resource principal key")?,
            passphrase,
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM".to_owned(),
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE",
        ),
    };
    let passphrase = passphrase
        .as_ref()
        .map(|source| read_passphrase(source, "key passphrase"))
        .transpose()?;
    Signer::from_pem(&key_id, &pem, passphrase.as_deref().map(Vec::as_slice)).map_err(|error| {
        let hint = match error {
            KeyError::NeedsPassphrase | KeyError::Undecryptable | KeyError::PassphraseTooLong => {
                format!(" (its passphrase: {passphrase_from})")
            }
            KeyError::NotPem | KeyError::UnsupportedEncryption | KeyError::Rejected(_) => String::new(),
        };
        Problem::Usage(format!("the key of {key_from} is {error}{hint}"))
    })
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
