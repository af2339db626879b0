//! Who signs, found and read as the OCI CLI finds and reads it: which way to sign (`--auth`, or
//! `OCI_CLI_AUTH`), the config file and its profile or the environment alone, or a resource
//! principal (`config` reads them); then the key, its passphrase and a resource principal's token,
//! inline or in files, into buffers wiped when dropped, and the signer they make. Files are read
//! up to `FILE_LIMIT`; one that others may read or write is warned about, never refused.

use crate::config::{
    self, AUTH_API_KEY, AUTH_RESOURCE_PRINCIPAL, ConfigError, Credentials, Identity, Source,
};
use crate::key::{self, KeyError};
use crate::signer::Signer;
use std::io::Read;
use std::path::{Path, PathBuf};
// The key and its passphrase, as read, are wiped when dropped (zeroize is already in the build,
// through rustls).
use zeroize::Zeroizing;

/// What the command line says of who signs; each one it does not say is the OCI CLI's variable,
/// or its default.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// `api_key` or `resource_principal` (else `OCI_CLI_AUTH`, else `api_key`).
    pub auth: Option<String>,
    /// The config file (else `OCI_CLI_CONFIG_FILE`, else `~/.oci/config`).
    pub config_file: Option<PathBuf>,
    /// The config file's profile (else `OCI_CLI_PROFILE`, else `DEFAULT`).
    pub profile: Option<String>,
    /// Whether a region was given, so that the environment alone may sign without
    /// `OCI_CLI_REGION`.
    pub region_given: bool,
}

/// Who signs, as `wanted` and the environment (`lookup`, a blank variable already left out, as
/// the command line's `Environment` gives it) say; `warn` is told of a config file others may
/// read or write.
pub fn identity(
    wanted: Wanted,
    lookup: impl Fn(&str) -> Option<String> + Copy,
    warn: impl Fn(&str),
) -> Result<Identity, ConfigError> {
    let auth = wanted
        .auth
        .or_else(|| lookup("OCI_CLI_AUTH"))
        .unwrap_or_else(|| AUTH_API_KEY.to_owned());
    match auth.as_str() {
        AUTH_API_KEY => {
            let home = lookup("HOME");
            if config::environment_suffices(lookup, wanted.region_given) {
                return config::from_environment(home.as_deref(), lookup);
            }
            let file = wanted
                .config_file
                .or_else(|| lookup("OCI_CLI_CONFIG_FILE").map(PathBuf::from))
                .or_else(|| home.as_ref().map(|home| PathBuf::from(home).join(".oci/config")))
                .ok_or_else(|| {
                    ConfigError("no OCI config file: pass --config-file or set OCI_CLI_CONFIG_FILE".into())
                })?;
            let bytes = read_file(&file, "OCI config file").map_err(|error| {
                ConfigError(format!("{error}: run `oci setup config`, or pass --config-file"))
            })?;
            let text = Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned());
            warn_if_open(&file, lookup, &warn);
            let profile = wanted
                .profile
                .or_else(|| lookup("OCI_CLI_PROFILE"))
                .unwrap_or_else(|| "DEFAULT".into());
            config::from_config_file(
                &text,
                &file.display().to_string(),
                &profile,
                home.as_deref(),
                lookup,
            )
        }
        AUTH_RESOURCE_PRINCIPAL => config::resource_principal(lookup),
        other => Err(ConfigError(format!(
            "--auth (or OCI_CLI_AUTH) `{other}` is not one of {AUTH_API_KEY}, {AUTH_RESOURCE_PRINCIPAL}"
        ))),
    }
}

/// The signer of `identity`, with what `lookup` (blanks left out, as for `identity`) gives; a
/// key that cannot sign is an error that says which key, and where its passphrase is set.
/// `warn` is told of a key file others may read or write.
pub fn signer(
    identity: &Identity,
    lookup: impl Fn(&str) -> Option<String>,
    warn: impl Fn(&str),
) -> Result<Signer, ConfigError> {
    if let Credentials::ApiKey {
        key: Source::File(path),
        ..
    } = &identity.credentials
    {
        warn_if_open(path, lookup, &warn);
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
        ConfigError(format!("the key of {key_from} is {error}{hint}"))
    })
}

/// A value as the resource principal contract and the config file give it, trimmed, in a
/// buffer wiped when it is dropped (it may be a key).
fn read(source: &Source, what: &str) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    let bytes = match source {
        Source::Inline(value) => Zeroizing::new(value.as_bytes().to_vec()),
        Source::File(path) => read_file(path, what)?,
    };
    Ok(Zeroizing::new(bytes.trim_ascii().to_vec()))
}

/// A passphrase as given: inline exactly, or a file's text without its line ending.
fn read_passphrase(source: &Source, what: &str) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
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
fn read_file(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    let cannot = |error: std::io::Error| {
        ConfigError(format!("cannot read the {what} at {} ({error})", path.display()))
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    // Allocated at its largest at once: a buffer that grew would leave its earlier, unwiped
    // copies behind.
    let mut bytes = Zeroizing::new(Vec::with_capacity(FILE_LIMIT + 1));
    file.take(FILE_LIMIT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > FILE_LIMIT {
        return Err(ConfigError(format!(
            "the {what} at {} is over {} KiB, larger than any {what} is",
            path.display(),
            FILE_LIMIT / 1024
        )));
    }
    Ok(bytes)
}

/// Tells `warn` the OCI CLI's warning (`config::permissions_warning`) when the file at `path`
/// may be read or written by others; never a refusal, as the CLI does not refuse.
fn warn_if_open(path: &Path, lookup: impl Fn(&str) -> Option<String>, warn: impl Fn(&str)) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let suppressed = lookup("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING");
    if let Some(warning) = config::permissions_warning(
        &path.display().to_string(),
        metadata.permissions().mode(),
        suppressed.as_deref(),
    ) {
        warn(&warning);
    }
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
