//! stage-retry's policy: function-wide defaults from `RETRY_*` environment variables, and
//! per-pipeline overrides from a JSON map in `RETRY_PIPELINE_POLICIES`.

use crate::config::{
    PerPipeline, SettingError, dedup, env_number, env_setting, env_var, names, non_blank, split_list,
};
use crate::hold::GateFunctions;
use crate::pipeline::RetryMode;
use crate::selection::PipelineSelection;
use serde::Deserialize;

const DEFAULT_MAX_ATTEMPTS: u32 = 2;
const MAX_ATTEMPTS_LIMIT: u32 = 10;
/// The delay is slept inside the function, so it must stay well within its timeout.
const MAX_DELAY_SECONDS: u32 = 300;
/// A bad configuration or a missing permission does not fix itself by running again.
const NEVER_RETRIED_BY_DEFAULT: [&str; 2] = ["ConfigurationError", "PermissionError"];

/// How stage-retry retries the stages of one pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries per stage per execution.
    pub max_attempts: u32,
    /// Which actions a retry runs again.
    pub retry_mode: RetryMode,
    /// Stages that may be retried; empty means all.
    pub stages: Vec<String>,
    /// Actions that may be retried; empty means all.
    pub actions: Vec<String>,
    /// Error codes that may be retried; empty means all but `never_error_codes`.
    pub error_codes: Vec<String>,
    /// Stages never retried.
    pub never_stages: Vec<String>,
    /// Actions never retried.
    pub never_actions: Vec<String>,
    /// Error codes never retried: they would fail the same way again.
    pub never_error_codes: Vec<String>,
    /// Seconds to wait before a retry.
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

fn retry_env(field: &str) -> String {
    env_var("RETRY", field)
}

/// The policy for every pipeline, and which pipelines stage-retry manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicies {
    policies: PerPipeline<RetryPolicy>,
    /// The pipelines to look through for held stages when what held them ends:
    /// `RETRY_PIPELINES`, else those starting with `RETRY_PIPELINE_PREFIX`, else every one.
    pub managed_pipelines: PipelineSelection,
    /// The stack's health gates (`GATE_FUNCTIONS`): only their actions' hold markers hold.
    pub gate_functions: GateFunctions,
}

impl RetryPolicies {
    /// Reads `RETRY_*` variables, and `GATE_FUNCTIONS`, through `lookup`.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let lookup = non_blank(lookup);
        let list = |field: &str| lookup(&retry_env(field)).map(|value| split_list(&value));
        let number = |field: &str| env_number(&lookup, &retry_env(field));
        let raw = RawRetryPolicy {
            max_attempts: number("max_attempts")?,
            retry_mode: lookup(&retry_env("retry_mode")).map(|value| value.trim().to_owned()),
            stages: list("stages"),
            actions: list("actions"),
            error_codes: list("error_codes"),
            never_stages: list("never_stages"),
            never_actions: list("never_actions"),
            never_error_codes: list("never_error_codes"),
            delay_seconds: number("delay_seconds")?,
        };
        let default = RetryPolicy::default().overridden_by(raw, &|field| env_setting(&retry_env(field)))?;
        Ok(Self {
            policies: PerPipeline::from_env(
                &lookup,
                &retry_env("pipeline_policies"),
                default,
                RetryPolicy::overridden_by,
            )?,
            managed_pipelines: PipelineSelection::of(
                list("pipelines").map(dedup).unwrap_or_default(),
                lookup(&retry_env("pipeline_prefix")).map(|prefix| prefix.trim().to_owned()),
            ),
            gate_functions: GateFunctions::from_env(&lookup)?,
        })
    }

    /// The policy of `pipeline`: its override, or the function-wide one.
    pub fn for_pipeline(&self, pipeline: &str) -> &RetryPolicy {
        self.policies.for_pipeline(pipeline)
    }
}

impl RetryPolicy {
    fn overridden_by(
        mut self,
        raw: RawRetryPolicy,
        setting: &dyn Fn(&str) -> String,
    ) -> Result<Self, SettingError> {
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
            self.retry_mode = RetryMode::parse(&mode).ok_or_else(|| {
                invalid(
                    "retry_mode",
                    format!("`{mode}` is not one of {}", RetryMode::one_of()),
                )
            })?;
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
#[path = "policy_tests.rs"]
mod tests;
