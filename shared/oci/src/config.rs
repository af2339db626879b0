//! Who the OCI requests are signed as, the way the OCI CLI finds it (shared/oci/OCI-FACTS.md, 6 and 7):
//! a profile of its config file (`~/.oci/config`, INI; a profile inherits the `[DEFAULT]` keys,
//! as the CLI's configparser does), or the resource principal an OCI DevOps build runner or
//! function provides through `OCI_RESOURCE_PRINCIPAL_*` variables (version 2.2). Reading is pure:
//! `credentials` gives the file's text and the environment.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// How requests are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An API signing key of a user (`--auth api_key`, the default).
    ApiKey {
        /// `tenancy/user/fingerprint`.
        key_id: String,
        /// The PEM private key: its file (`key_file`, `~` expanded), or the key itself
        /// (`OCI_CLI_KEY_CONTENT`).
        key: Source,
        /// The key's passphrase (`pass_phrase`, or `OCI_CLI_PASSPHRASE`), always inline.
        passphrase: Option<Source>,
    },
    /// The resource principal's session token and key (`--auth resource_principal`).
    ResourcePrincipal {
        /// The token (RPST) itself, or the absolute path of a file holding it.
        token: Source,
        /// The PEM private key itself, or the absolute path of a file holding it.
        private_key: Source,
        /// The key's passphrase, given as the key is: inline, or in a file.
        passphrase: Option<Source>,
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

impl Identity {
    /// Whether its credentials are renewed while a command runs, and so are read again on a
    /// 401: a resource principal's token in a file, which the platform renews.
    pub fn is_renewed(&self) -> bool {
        matches!(
            &self.credentials,
            Credentials::ResourcePrincipal {
                token: Source::File(_),
                ..
            }
        )
    }
}

/// Why no identity, signer or endpoint could be made: what to set, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The OCI CLI's ways to sign (`--auth`, `OCI_CLI_AUTH`) that pipeguard supports.
pub(crate) const AUTH_API_KEY: &str = "api_key";
/// Resource principals.
pub(crate) const AUTH_RESOURCE_PRINCIPAL: &str = "resource_principal";

/// The sections of an INI text as Python's configparser reads them: `[name]` lines and
/// `key = value` or `key: value` lines (split at the first `=` or `:`); `#` and `;` begin
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
        } else if let (Some(section), Some((key, value))) = (&current, line.split_once(['=', ':'])) {
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

/// The OCI CLI's variables that stand for a profile's keys, and win over the file's
/// (`OCI_CONFIG_ENV_VARS`, shared/oci/OCI-FACTS.md 6).
const VARIABLES: [(&str, &str); 6] = [
    ("OCI_CLI_USER", "user"),
    ("OCI_CLI_FINGERPRINT", "fingerprint"),
    ("OCI_CLI_KEY_FILE", "key_file"),
    ("OCI_CLI_KEY_CONTENT", "key_content"),
    ("OCI_CLI_TENANCY", "tenancy"),
    ("OCI_CLI_PASSPHRASE", "pass_phrase"),
];

/// Whether the environment (`lookup`) alone signs, so no config file is read, as the OCI CLI's
/// `is_config_valid_from_env` decides: a user, a tenancy, a fingerprint, a region (or
/// `--region`, `region_given`) and a key (its file or itself).
pub(crate) fn environment_suffices(lookup: impl Fn(&str) -> Option<String>, region_given: bool) -> bool {
    ["OCI_CLI_USER", "OCI_CLI_TENANCY", "OCI_CLI_FINGERPRINT"]
        .iter()
        .all(|name| lookup(name).is_some())
        && (region_given || lookup("OCI_CLI_REGION").is_some())
        && (lookup("OCI_CLI_KEY_FILE").is_some() || lookup("OCI_CLI_KEY_CONTENT").is_some())
}

/// The identity of `profile` in the config file `text` (named `file` in errors), each key
/// overridden by its OCI CLI variable in `lookup`.
pub(crate) fn from_config_file(
    text: &str,
    file: &str,
    profile: &str,
    home: Option<&str>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Identity, ConfigError> {
    let sections = sections(text);
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
    let mut keys = sections.get("DEFAULT").map(one_spelling).unwrap_or_default();
    keys.extend(one_spelling(own));
    // The SDK refuses a key's content in a file: only OCI_CLI_KEY_CONTENT gives one.
    keys.remove("key_content");
    api_key(keys, &format!("profile [{profile}] of {file}"), home, lookup)
}

/// A section's keys with the Go SDK's `passphrase` spelled `pass_phrase`, as the Python SDK and
/// the CLI spell it (the latter wins when a section has both), so that a profile's own
/// passphrase wins over DEFAULT's whichever way either is spelled.
fn one_spelling(section: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut keys = section.clone();
    if let Some(passphrase) = keys.remove("passphrase") {
        keys.entry("pass_phrase".to_owned()).or_insert(passphrase);
    }
    keys
}

/// The identity the OCI CLI's variables in `lookup` make on their own (`environment_suffices`).
pub(crate) fn from_environment(
    home: Option<&str>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Identity, ConfigError> {
    api_key(BTreeMap::new(), "the environment", home, lookup)
}

/// An API key identity of a profile's `keys` (named `whence` in errors) under the variables.
fn api_key(
    mut keys: BTreeMap<String, String>,
    whence: &str,
    home: Option<&str>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Identity, ConfigError> {
    for (variable, key) in VARIABLES {
        if let Some(value) = lookup(variable) {
            keys.insert(key.to_owned(), value);
        }
    }
    keys.retain(|_, value| !value.is_empty());
    let mut missing: Vec<&str> = ["user", "tenancy", "fingerprint"]
        .into_iter()
        .filter(|key| !keys.contains_key(*key))
        .collect();
    if !keys.contains_key("key_file") && !keys.contains_key("key_content") {
        missing.push("key_file");
    }
    if !missing.is_empty() {
        return Err(ConfigError(format!(
            "{whence} lacks {} (as `oci setup config` writes them, or OCI_CLI_USER, OCI_CLI_TENANCY, \
             OCI_CLI_FINGERPRINT and OCI_CLI_KEY_FILE set)",
            missing.join(", ")
        )));
    }
    let field = |key: &str| keys.get(key).cloned().unwrap_or_default();
    // The SDKs read a key's content before its file.
    let key = match keys.get("key_content") {
        Some(content) => Source::Inline(content.clone()),
        None => Source::File(expand_home(&field("key_file"), home)),
    };
    Ok(Identity {
        credentials: Credentials::ApiKey {
            key_id: format!("{}/{}/{}", field("tenancy"), field("user"), field("fingerprint")),
            key,
            passphrase: keys
                .get("pass_phrase")
                .map(|passphrase| Source::Inline(passphrase.clone())),
        },
        region: keys.get("region").cloned(),
    })
}

/// The resource principal the environment (`lookup`, blank values already dropped) provides,
/// version 2.2.
pub(crate) fn resource_principal(lookup: impl Fn(&str) -> Option<String>) -> Result<Identity, ConfigError> {
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
    let private_key = Source::of(private_key);
    let passphrase = lookup("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE").map(Source::of);
    if let Some(passphrase) = &passphrase
        && matches!(passphrase, Source::File(_)) != matches!(private_key, Source::File(_))
    {
        return Err(ConfigError(
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM and OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE must both be \
             absolute paths, or both be values"
                .into(),
        ));
    }
    Ok(Identity {
        credentials: Credentials::ResourcePrincipal {
            token: Source::of(token),
            private_key,
            passphrase,
        },
        region: Some(region),
    })
}

/// The permission bits the OCI CLI warns about: any but the owner's read and write (its
/// `FilePermissionChecker.warn_on_invalid_file_permissions`, `unwanted_perms = 127  # octal 177`).
const UNWANTED_PERMISSIONS: u32 = 0o177;

/// The OCI CLI's warning for a key or config file at `path` whose `mode` lets others read or
/// write it (shared/oci/OCI-FACTS.md 6c), in its words; none when the mode is the owner's alone, or when
/// `OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING` (`suppressed`) is `True`, as the CLI reads it.
pub(crate) fn permissions_warning(path: &str, mode: u32, suppressed: Option<&str>) -> Option<String> {
    (mode & UNWANTED_PERMISSIONS != 0 && suppressed != Some("True")).then(|| {
        format!(
            "WARNING: Permissions on {path} are too open. To fix this please try executing the following command: \
             oci setup repair-file-permissions --file {path} (or chmod 600 {path}). Alternatively to hide this \
             warning, you may set the environment variable, OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING: \
             export OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING=True"
        )
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
