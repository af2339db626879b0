//! Reading settings from the environment: the shapes every function's configuration shares.

use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// A setting that cannot be used: exactly where it is, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {reason}")]
pub struct SettingError {
    pub setting: String,
    pub reason: String,
}

/// The environment as settings read it: a variable set to blank counts as unset (CloudFormation
/// passes an empty parameter as an empty variable, and that must mean "the default").
pub fn non_blank(lookup: impl Fn(&str) -> Option<String>) -> impl Fn(&str) -> Option<String> {
    move |name| lookup(name).filter(|value| !value.trim().is_empty())
}

/// A whole number from the environment variable `name`, if set.
pub fn env_number(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Result<Option<u32>, SettingError> {
    lookup(name)
        .map(|value| {
            value.trim().parse::<u32>().map_err(|_| SettingError {
                setting: format!("environment variable {name}"),
                reason: format!("`{}` is not a whole number", value.trim()),
            })
        })
        .transpose()
}

/// Per-pipeline overrides: a JSON object in the environment variable `name`, from pipeline
/// name to the settings it overrides.
pub fn per_pipeline<R: DeserializeOwned>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<BTreeMap<String, R>, SettingError> {
    let Some(json) = lookup(name).filter(|json| !json.trim().is_empty()) else {
        return Ok(BTreeMap::new());
    };
    let mut deserializer = serde_json::Deserializer::from_str(&json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| SettingError {
        setting: format!("environment variable {name} at `{}`", error.path()),
        reason: error.into_inner().to_string(),
    })
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

/// A fake environment for tests: exactly these variables.
#[cfg(test)]
pub(crate) fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_trimmed_and_skip_empty_items() {
        assert_eq!(split_list(" a, b,,c ,"), ["a", "b", "c"]);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn blank_variables_count_as_unset() {
        let lookup = non_blank(|name| match name {
            "EMPTY" => Some("  ".to_owned()),
            "SET" => Some("x".to_owned()),
            _ => None,
        });
        assert_eq!(
            (lookup("EMPTY"), lookup("SET"), lookup("NONE")),
            (None, Some("x".to_owned()), None)
        );
    }

    #[test]
    fn dedup_keeps_the_first_of_each() {
        assert_eq!(dedup(vec![2, 1, 2, 3, 1]), [2, 1, 3]);
    }
}
