//! Reading settings from the environment: the shapes every function's configuration shares.

use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// A setting that cannot be used: exactly where it is, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {reason}")]
pub struct SettingError {
    /// The setting: an environment variable or a UserParameters field, and where in it.
    pub setting: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The environment as settings read it: a variable set to blank counts as unset (CloudFormation
/// passes an empty parameter as an empty variable, and that must mean "the default").
pub fn non_blank(lookup: impl Fn(&str) -> Option<String>) -> impl Fn(&str) -> Option<String> {
    move |name| lookup(name).filter(|value| !is_blank(value))
}

/// Whether a setting's value says nothing: empty or only whitespace, which counts as unset.
pub fn is_blank(value: &str) -> bool {
    value.trim().is_empty()
}

/// The environment variable for a policy field: the prefix and the field in capitals, the
/// prefix said once (`max_attempts` is `RETRY_MAX_ATTEMPTS`, `retry_mode` is `RETRY_MODE`).
pub fn env_var(prefix: &str, field: &str) -> String {
    let own_prefix = format!("{}_", prefix.to_ascii_lowercase());
    let field = field.strip_prefix(&own_prefix).unwrap_or(field);
    format!("{prefix}_{}", field.to_ascii_uppercase())
}

/// How an error names an environment variable.
pub fn env_setting(variable: &str) -> String {
    format!("environment variable {variable}")
}

/// A whole number from the environment variable `name`, if set.
pub fn env_number(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Result<Option<u32>, SettingError> {
    lookup(name)
        .map(|value| {
            value.trim().parse::<u32>().map_err(|_| SettingError {
                setting: env_setting(name),
                reason: format!("`{}` is not a whole number", value.trim()),
            })
        })
        .transpose()
}

/// Whether `name` passes a list setting in which empty means "all".
pub fn listed_or_all(list: &[String], name: &str) -> bool {
    list.is_empty() || list.iter().any(|item| item == name)
}

/// A policy for every pipeline: the function-wide one, and per-pipeline overrides of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerPipeline<P> {
    default: P,
    overrides: BTreeMap<String, P>,
}

impl<P: Clone> PerPipeline<P> {
    /// `default`, and for each pipeline in the JSON object of the environment variable
    /// `variable` (pipeline name to the fields it overrides), `default` overridden by `apply`.
    pub fn from_env<R: DeserializeOwned>(
        lookup: &impl Fn(&str) -> Option<String>,
        variable: &str,
        default: P,
        apply: impl Fn(P, R, &dyn Fn(&str) -> String) -> Result<P, SettingError>,
    ) -> Result<Self, SettingError> {
        let mut overrides = BTreeMap::new();
        if let Some(json) = lookup(variable).filter(|json| !is_blank(json)) {
            let mut deserializer = serde_json::Deserializer::from_str(&json);
            let given: BTreeMap<String, R> =
                serde_path_to_error::deserialize(&mut deserializer).map_err(|error| SettingError {
                    setting: format!("{} at `{}`", env_setting(variable), error.path()),
                    reason: error.into_inner().to_string(),
                })?;
            for (pipeline, fields) in given {
                let setting =
                    |field: &str| format!("{}: pipeline `{pipeline}` field `{field}`", env_setting(variable));
                let policy = apply(default.clone(), fields, &setting)?;
                overrides.insert(pipeline, policy);
            }
        }
        Ok(Self { default, overrides })
    }

    /// The policy of `pipeline`: its override, or the function-wide one.
    pub fn for_pipeline(&self, pipeline: &str) -> &P {
        self.overrides.get(pipeline).unwrap_or(&self.default)
    }
}

/// A comma-separated list: items trimmed, empty items dropped.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Names as given in a list setting: trimmed, empty ones dropped, each once.
pub fn names(items: Vec<String>) -> Vec<String> {
    dedup(
        items
            .into_iter()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect(),
    )
}

/// The items in order, each once.
pub fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut unique = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
