//! The process's environment, read once, where every setting of the functions and the command
//! line comes from. A variable set to blank is dropped here (`config::is_blank`: CloudFormation
//! passes an empty parameter as an empty variable, and that must mean "the default"), so no
//! reader has to say so again.

use pipeguard_core::config::is_blank;
use std::collections::BTreeMap;

/// The variables a process was started with, blank ones left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    variables: BTreeMap<String, String>,
}

impl Environment {
    /// The process's own environment, read now; a variable that is not UTF-8 is left out, as
    /// `std::env::var` would not read it either.
    pub fn of_process() -> Self {
        Self::from_pairs(
            std::env::vars_os()
                .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?))),
        )
    }

    /// An environment of the given variables (the process's, or a test's).
    pub fn from_pairs<N: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        let variables = pairs
            .into_iter()
            .map(|(name, value)| (name.into(), value.into()))
            .filter(|(_, value): &(String, String)| !is_blank(value))
            .collect();
        Self { variables }
    }

    /// The same environment with `name` set to `value` (when it is some and not blank).
    pub fn with(mut self, name: &str, value: Option<String>) -> Self {
        if let Some(value) = value.filter(|value| !is_blank(value)) {
            self.variables.insert(name.to_owned(), value);
        }
        self
    }

    /// The value of `name`, when it is set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.variables.get(name).cloned()
    }

    /// `get` as the core's settings readers take it.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + Copy + '_ {
        |name| self.get(name)
    }
}

#[cfg(test)]
#[path = "env_tests.rs"]
mod tests;
