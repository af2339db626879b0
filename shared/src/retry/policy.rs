//! stage-retry's policy: function-wide defaults from `RETRY_*` environment variables, and
//! per-pipeline overrides from a JSON map in `RETRY_PIPELINE_POLICIES`.

use crate::config::{SettingError, dedup, env_number, names, non_blank, per_pipeline, split_list};
use serde::Deserialize;
use std::collections::BTreeMap;

const DEFAULT_MAX_ATTEMPTS: u32 = 2;
const MAX_ATTEMPTS_LIMIT: u32 = 10;
/// The delay is slept inside the function, so it must stay well within its timeout.
const MAX_DELAY_SECONDS: u32 = 300;
/// A bad configuration or a missing permission does not fix itself by running again.
const NEVER_RETRIED_BY_DEFAULT: [&str; 2] = ["ConfigurationError", "PermissionError"];

/// RetryStageExecution's `retryMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    FailedActions,
    AllActions,
}

impl RetryMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailedActions => "FAILED_ACTIONS",
            Self::AllActions => "ALL_ACTIONS",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries per stage per execution.
    pub max_attempts: u32,
    pub retry_mode: RetryMode,
    /// Stages and actions that may be retried; empty means all.
    pub stages: Vec<String>,
    pub actions: Vec<String>,
    /// Error codes that may be retried; empty means all but `never_error_codes`.
    pub error_codes: Vec<String>,
    pub never_stages: Vec<String>,
    pub never_actions: Vec<String>,
    pub never_error_codes: Vec<String>,
    pub delay_seconds: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            retry_mode: RetryMode::FailedActions,
            stages: Vec::new(),
            actions: Vec::new(),
            error_codes: Vec::new(),
            never_stages: Vec::new(),
            never_actions: Vec::new(),
            never_error_codes: NEVER_RETRIED_BY_DEFAULT.map(String::from).to_vec(),
            delay_seconds: 0,
        }
    }
}

pub type RetryPolicyError = SettingError;

/// Settings as given; each layer overrides only what it names.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetryPolicy {
    max_attempts: Option<u32>,
    retry_mode: Option<String>,
    stages: Option<Vec<String>>,
    actions: Option<Vec<String>>,
    error_codes: Option<Vec<String>>,
    never_stages: Option<Vec<String>>,
    never_actions: Option<Vec<String>>,
    never_error_codes: Option<Vec<String>>,
    delay_seconds: Option<u32>,
}

/// The environment variable for a policy field: `RETRY_` and the field in capitals
/// (`retry_mode` is `RETRY_MODE`).
fn env_var(field: &str) -> String {
    format!(
        "RETRY_{}",
        field.trim_start_matches("retry_").to_ascii_uppercase()
    )
}

/// The policy for every pipeline, and which pipelines stage-retry manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicies {
    default: RetryPolicy,
    per_pipeline: BTreeMap<String, RetryPolicy>,
    /// Pipelines to look through when an AWS Health event closes; empty means every pipeline
    /// whose name starts with `pipeline_prefix`.
    pub managed_pipelines: Vec<String>,
    pub pipeline_prefix: String,
}

impl RetryPolicies {
    /// Reads `RETRY_*` variables through `lookup`.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RetryPolicyError> {
        let lookup = non_blank(lookup);
        let list = |field: &str| lookup(&env_var(field)).map(|value| split_list(&value));
        let number = |field: &str| env_number(&lookup, &env_var(field));
        let raw = RawRetryPolicy {
            max_attempts: number("max_attempts")?,
            retry_mode: lookup(&env_var("retry_mode")).map(|value| value.trim().to_owned()),
            stages: list("stages"),
            actions: list("actions"),
            error_codes: list("error_codes"),
            never_stages: list("never_stages"),
            never_actions: list("never_actions"),
            never_error_codes: list("never_error_codes"),
            delay_seconds: number("delay_seconds")?,
        };
        let default = RetryPolicy::default()
            .overridden_by(raw, |field| format!("environment variable {}", env_var(field)))?;
        let variable = "RETRY_PIPELINE_POLICIES";
        let mut policies = BTreeMap::new();
        for (pipeline, overrides) in per_pipeline::<RawRetryPolicy>(&lookup, variable)? {
            let setting = |field: &str| {
                format!("environment variable {variable}: pipeline `{pipeline}` field `{field}`")
            };
            policies.insert(
                pipeline.clone(),
                default.clone().overridden_by(overrides, setting)?,
            );
        }
        Ok(Self {
            default,
            per_pipeline: policies,
            managed_pipelines: list("pipelines").map(dedup).unwrap_or_default(),
            pipeline_prefix: lookup(&env_var("pipeline_prefix"))
                .map(|prefix| prefix.trim().to_owned())
                .unwrap_or_default(),
        })
    }

    pub fn for_pipeline(&self, pipeline: &str) -> &RetryPolicy {
        self.per_pipeline.get(pipeline).unwrap_or(&self.default)
    }
}

impl RetryPolicy {
    fn overridden_by(
        mut self,
        raw: RawRetryPolicy,
        setting: impl Fn(&str) -> String,
    ) -> Result<Self, RetryPolicyError> {
        let invalid = |field: &str, reason: String| SettingError {
            setting: setting(field),
            reason,
        };
        if let Some(attempts) = raw.max_attempts {
            if attempts > MAX_ATTEMPTS_LIMIT {
                return Err(invalid(
                    "max_attempts",
                    format!("{attempts} is more than {MAX_ATTEMPTS_LIMIT}"),
                ));
            }
            self.max_attempts = attempts;
        }
        if let Some(mode) = raw.retry_mode {
            self.retry_mode = match mode.as_str() {
                "FAILED_ACTIONS" => RetryMode::FailedActions,
                "ALL_ACTIONS" => RetryMode::AllActions,
                other => {
                    return Err(invalid(
                        "retry_mode",
                        format!("`{other}` is not one of FAILED_ACTIONS, ALL_ACTIONS"),
                    ));
                }
            };
        }
        if let Some(delay) = raw.delay_seconds {
            if delay > MAX_DELAY_SECONDS {
                return Err(invalid(
                    "delay_seconds",
                    format!(
                        "{delay} is more than {MAX_DELAY_SECONDS} (the delay is slept inside the function)"
                    ),
                ));
            }
            self.delay_seconds = delay;
        }
        let lists = [
            (raw.stages, &mut self.stages),
            (raw.actions, &mut self.actions),
            (raw.error_codes, &mut self.error_codes),
            (raw.never_stages, &mut self.never_stages),
            (raw.never_actions, &mut self.never_actions),
            (raw.never_error_codes, &mut self.never_error_codes),
        ];
        for (given, field) in lists {
            if let Some(given) = given {
                *field = names(given);
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env_of as env;

    #[test]
    fn defaults_retry_failed_actions_twice_but_never_configuration_or_permission_errors() {
        let policies = RetryPolicies::from_env(env(&[])).unwrap();
        let policy = policies.for_pipeline("any");
        assert_eq!(policy.max_attempts, 2);
        assert_eq!(policy.retry_mode, RetryMode::FailedActions);
        assert_eq!(
            policy.never_error_codes,
            ["ConfigurationError", "PermissionError"]
        );
        assert!(policy.stages.is_empty() && policy.actions.is_empty() && policy.error_codes.is_empty());
        assert_eq!(policy.delay_seconds, 0);
        assert!(policies.managed_pipelines.is_empty());
    }

    #[test]
    fn environment_sets_every_field() {
        let policies = RetryPolicies::from_env(env(&[
            ("RETRY_MAX_ATTEMPTS", "3"),
            ("RETRY_MODE", "ALL_ACTIONS"),
            ("RETRY_STAGES", "Build, Deploy"),
            ("RETRY_ACTIONS", "Apply"),
            ("RETRY_ERROR_CODES", "JobFailed"),
            ("RETRY_NEVER_STAGES", "Source"),
            ("RETRY_NEVER_ACTIONS", "Approve"),
            ("RETRY_NEVER_ERROR_CODES", "ConfigurationError"),
            ("RETRY_DELAY_SECONDS", "30"),
            ("RETRY_PIPELINES", "web-app,api"),
            ("RETRY_PIPELINE_PREFIX", "prod-"),
        ]))
        .unwrap();
        let policy = policies.for_pipeline("web-app");
        assert_eq!(policy.max_attempts, 3);
        assert_eq!(policy.retry_mode, RetryMode::AllActions);
        assert_eq!(policy.stages, ["Build", "Deploy"]);
        assert_eq!(policy.actions, ["Apply"]);
        assert_eq!(policy.error_codes, ["JobFailed"]);
        assert_eq!(policy.never_stages, ["Source"]);
        assert_eq!(policy.never_actions, ["Approve"]);
        assert_eq!(policy.never_error_codes, ["ConfigurationError"]);
        assert_eq!(policy.delay_seconds, 30);
        assert_eq!(policies.managed_pipelines, ["web-app", "api"]);
        assert_eq!(policies.pipeline_prefix, "prod-");
    }

    #[test]
    fn pipelines_override_the_defaults_field_by_field() {
        let policies = RetryPolicies::from_env(env(&[
            ("RETRY_MAX_ATTEMPTS", "3"),
            (
                "RETRY_PIPELINE_POLICIES",
                r#"{"db-migrate": {"max_attempts": 0}, "web-app": {"never_error_codes": []}}"#,
            ),
        ]))
        .unwrap();
        assert_eq!(policies.for_pipeline("db-migrate").max_attempts, 0);
        assert_eq!(
            policies.for_pipeline("web-app").max_attempts,
            3,
            "inherits the environment's default"
        );
        assert!(policies.for_pipeline("web-app").never_error_codes.is_empty());
        assert_eq!(policies.for_pipeline("other").never_error_codes.len(), 2);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let cases = [
            (
                ("RETRY_MAX_ATTEMPTS", "many"),
                "environment variable RETRY_MAX_ATTEMPTS",
            ),
            (
                ("RETRY_MAX_ATTEMPTS", "11"),
                "environment variable RETRY_MAX_ATTEMPTS",
            ),
            (("RETRY_MODE", "SOME"), "environment variable RETRY_MODE"),
            (
                ("RETRY_DELAY_SECONDS", "900"),
                "environment variable RETRY_DELAY_SECONDS",
            ),
            (
                ("RETRY_PIPELINE_POLICIES", r#"{"web-app": {"max_attempts": "x"}}"#),
                "RETRY_PIPELINE_POLICIES at `web-app.max_attempts`",
            ),
            (
                ("RETRY_PIPELINE_POLICIES", r#"{"web-app": {"attempts": 1}}"#),
                "RETRY_PIPELINE_POLICIES at `web-app.attempts`",
            ),
            (
                ("RETRY_PIPELINE_POLICIES", r#"{"web-app": {"retry_mode": "x"}}"#),
                "pipeline `web-app` field `retry_mode`",
            ),
            (("RETRY_PIPELINE_POLICIES", "[1]"), "RETRY_PIPELINE_POLICIES"),
        ];
        for ((name, value), expected) in cases {
            let error = RetryPolicies::from_env(env(&[(name, value)])).unwrap_err();
            assert!(error.setting.contains(expected), "{name}={value}: {error}");
            assert!(!error.reason.is_empty());
        }
    }
}
