//! Who the OCI requests are signed as, the way the OCI CLI finds it (cli/OCI-FACTS.md, 6 and 7):
//! a profile of its config file (`~/.oci/config`, INI; a profile inherits the `[DEFAULT]` keys,
//! as the CLI's configparser does), or the resource principal an OCI DevOps build runner or
//! function provides through `OCI_RESOURCE_PRINCIPAL_*` variables (version 2.2). Reading is pure:
//! the command gives the file's text and the environment.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// How requests are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An API signing key of a user (`--auth api_key`, the default).
    ApiKey {
        /// `tenancy/user/fingerprint`.
        key_id: String,
        /// The PEM private key's file, `~` expanded.
        key_file: PathBuf,
    },
    /// The resource principal's session token and key (`--auth resource_principal`).
    ResourcePrincipal {
        /// The token (RPST) itself, or the absolute path of a file holding it.
        token: Source,
        /// The PEM private key itself, or the absolute path of a file holding it.
        private_key: Source,
    },
}

/// A value given inline or, when it is an absolute path, in a file (the resource principal
/// contract: "if these variables contain absolute paths, then those paths are taken as the
/// on-filesystem location of the values"). An inline value is a secret (a token, a key): its
/// Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub enum Source {
    /// The value itself.
    Inline(String),
    /// The file holding it.
    File(PathBuf),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Inline(_) => formatter.write_str("Inline(..)"),
            Self::File(path) => formatter.debug_tuple("File").field(path).finish(),
        }
    }
}

impl Source {
    fn of(value: String) -> Self {
        if value.starts_with('/') {
            Self::File(PathBuf::from(value))
        } else {
            Self::Inline(value)
        }
    }
}

/// Where and as whom requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// How they are signed.
    pub credentials: Credentials,
    /// The region (`us-ashburn-1`), when one is known: the profile's, or the principal's.
    pub region: Option<String>,
}

/// Why no identity could be made: what to set, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The OCI CLI's ways to sign (`--auth`, `OCI_CLI_AUTH`) that pipeguard supports.
pub const AUTH_API_KEY: &str = "api_key";
/// Resource principals.
pub const AUTH_RESOURCE_PRINCIPAL: &str = "resource_principal";

/// The sections of an INI text: `[name]` lines and `key = value` lines; `#` and `;` begin
/// comments; keys are lower-cased, values trimmed.
fn sections(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            current = Some(name.trim().to_owned());
            sections.entry(name.trim().to_owned()).or_default();
        } else if let (Some(section), Some((key, value))) = (&current, line.split_once('=')) {
            sections
                .entry(section.clone())
                .or_default()
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    sections
}

/// `~/rest` as a path under `home`; anything else as written.
fn expand_home(path: &str, home: Option<&str>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// The identity of `profile` in the config file `text` (named `file` in errors).
pub fn from_config_file(
    text: &str,
    file: &str,
    profile: &str,
    home: Option<&str>,
) -> Result<Identity, ConfigError> {
    let sections = sections(text);
    let defaults = sections.get("DEFAULT").cloned().unwrap_or_default();
    let Some(own) = sections.get(profile) else {
        let known: Vec<&str> = sections.keys().map(String::as_str).collect();
        return Err(ConfigError(format!(
            "{file} has no profile [{profile}] (it has: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    };
    let value = |key: &str| {
        own.get(key)
            .or_else(|| defaults.get(key))
            .filter(|value| !value.is_empty())
    };
    let missing: Vec<&str> = ["user", "tenancy", "fingerprint", "key_file"]
        .into_iter()
        .filter(|key| value(key).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ConfigError(format!(
            "profile [{profile}] of {file} lacks {} (as `oci setup config` writes them)",
            missing.join(", ")
        )));
    }
    if value("pass_phrase").or_else(|| value("passphrase")).is_some() {
        return Err(ConfigError(format!(
            "profile [{profile}] of {file} has a key passphrase: encrypted keys are not supported yet; \
             use an unencrypted key file (openssl rsa -in key.pem -out key-plain.pem) kept readable only by you"
        )));
    }
    let field = |key: &str| value(key).cloned().unwrap_or_default();
    Ok(Identity {
        credentials: Credentials::ApiKey {
            key_id: format!("{}/{}/{}", field("tenancy"), field("user"), field("fingerprint")),
            key_file: expand_home(&field("key_file"), home),
        },
        region: value("region").cloned(),
    })
}

/// The resource principal the environment (`lookup`) provides, version 2.2.
pub fn resource_principal(lookup: impl Fn(&str) -> Option<String>) -> Result<Identity, ConfigError> {
    let lookup = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    match lookup("OCI_RESOURCE_PRINCIPAL_VERSION").as_deref() {
        Some("2.2") => {}
        Some(other) => {
            return Err(ConfigError(format!(
                "OCI_RESOURCE_PRINCIPAL_VERSION is {other}; pipeguard reads version 2.2 (a token and a key in the environment or in files)"
            )));
        }
        None => {
            return Err(ConfigError(
                "--auth resource_principal, but OCI_RESOURCE_PRINCIPAL_VERSION is not set: this is not an OCI resource (a DevOps build runner, a function)".into(),
            ));
        }
    }
    let required = |name: &str| {
        lookup(name)
            .ok_or_else(|| ConfigError(format!("resource principal 2.2 needs {name}, which is not set")))
    };
    let (token, private_key, region) = (
        required("OCI_RESOURCE_PRINCIPAL_RPST")?,
        required("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM")?,
        required("OCI_RESOURCE_PRINCIPAL_REGION")?,
    );
    if lookup("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE").is_some() {
        return Err(ConfigError(
            "the resource principal's key has a passphrase: encrypted keys are not supported yet".into(),
        ));
    }
    Ok(Identity {
        credentials: Credentials::ResourcePrincipal {
            token: Source::of(token),
            private_key: Source::of(private_key),
        },
        region: Some(region),
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
