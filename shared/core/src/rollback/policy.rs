//! apply-rollback's criteria: function-wide defaults from `ROLLBACK_*` environment variables,
//! and per-pipeline overrides from a JSON map in `ROLLBACK_PIPELINE_POLICIES`.

use crate::config::{PerPipeline, SettingError, env_setting, env_var, names, non_blank, split_list};
use crate::hold::GateFunctions;
use regex_lite::Regex;
use serde::Deserialize;

/// A pattern on a failure's message or summary, e.g. `TERRAFORM_EXECUTION_ERROR|Rate exceeded`.
#[derive(Debug, Clone)]
pub struct MessagePattern(Regex);

impl MessagePattern {
    /// Whether the pattern matches somewhere in `text`.
    pub fn matches(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl PartialEq for MessagePattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for MessagePattern {}

/// Which failures are rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackPolicy {
    /// Rollback-managed stages; empty means every stage (but a source stage, which CodePipeline
    /// cannot roll back).
    pub stages: Vec<String>,
    /// Action categories that count as an apply.
    pub categories: Vec<String>,
    /// Action providers that count as an apply; empty means any.
    pub providers: Vec<String>,
    /// Error codes that qualify; empty means any.
    pub error_codes: Vec<String>,
    /// Only failures whose message or summary matches.
    pub message_pattern: Option<MessagePattern>,
    /// Decide and report, but do not roll back.
    pub dry_run: bool,
    /// Whether a failed bake of the stack's gate (`BAKE_FAILED`) is rolled back, whatever the
    /// apply criteria above say (on by default; it only happens where a gate bakes).
    pub bake_failures: bool,
}

impl Default for RollbackPolicy {
    fn default() -> Self {
        Self {
            stages: Vec::new(),
            categories: vec!["Deploy".into()],
            providers: Vec::new(),
            error_codes: Vec::new(),
            message_pattern: None,
            dry_run: false,
            bake_failures: true,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRollbackPolicy {
    stages: Option<Vec<String>>,
    categories: Option<Vec<String>>,
    providers: Option<Vec<String>>,
    error_codes: Option<Vec<String>>,
    message_pattern: Option<String>,
    dry_run: Option<bool>,
    bake_failures: Option<bool>,
}

fn rollback_env(field: &str) -> String {
    env_var("ROLLBACK", field)
}

/// apply-rollback's policy for every pipeline: function-wide, and per-pipeline overrides; and
/// the stack's gates (`GATE_FUNCTIONS`), whose failed bakes are rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackPolicies {
    policies: PerPipeline<RollbackPolicy>,
    gate_functions: GateFunctions,
}

impl RollbackPolicies {
    /// Reads `ROLLBACK_*` variables through `lookup`.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let lookup = non_blank(lookup);
        let list = |field: &str| lookup(&rollback_env(field)).map(|value| split_list(&value));
        let switch =
            |field: &str| match lookup(&rollback_env(field)).map(|value| value.trim().to_ascii_lowercase()) {
                None => Ok(None),
                Some(value) if value == "true" => Ok(Some(true)),
                Some(value) if value == "false" || value.is_empty() => Ok(Some(false)),
                Some(value) => Err(SettingError {
                    setting: env_setting(&rollback_env(field)),
                    reason: format!("`{value}` is not true or false"),
                }),
            };
        let dry_run = switch("dry_run")?;
        let bake_failures = switch("bake_failures")?;
        let raw = RawRollbackPolicy {
            stages: list("stages"),
            categories: list("categories"),
            providers: list("providers"),
            error_codes: list("error_codes"),
            message_pattern: lookup(&rollback_env("message_pattern")).filter(|pattern| !pattern.is_empty()),
            dry_run,
            bake_failures,
        };
        let default =
            RollbackPolicy::default().overridden_by(raw, &|field| env_setting(&rollback_env(field)))?;
        Ok(Self {
            policies: PerPipeline::from_env(
                &lookup,
                &rollback_env("pipeline_policies"),
                default,
                RollbackPolicy::overridden_by,
            )?,
            gate_functions: GateFunctions::from_env(&lookup)?,
        })
    }

    /// The policy of `pipeline`: its override, or the function-wide one.
    pub fn for_pipeline(&self, pipeline: &str) -> &RollbackPolicy {
        self.policies.for_pipeline(pipeline)
    }

    /// The stack's gates: only their actions' `BAKE_FAILED` is a failed bake. Unset (a stack
    /// from before bakes), no failure is taken for one.
    pub fn gate_functions(&self) -> &GateFunctions {
        &self.gate_functions
    }
}

impl RollbackPolicy {
    fn overridden_by(
        mut self,
        raw: RawRollbackPolicy,
        setting: &dyn Fn(&str) -> String,
    ) -> Result<Self, SettingError> {
        let lists = [
            (raw.stages, &mut self.stages),
            (raw.categories, &mut self.categories),
            (raw.providers, &mut self.providers),
            (raw.error_codes, &mut self.error_codes),
        ];
        for (given, field) in lists {
            if let Some(given) = given {
                *field = names(given);
            }
        }
        if self.categories.is_empty() {
            return Err(SettingError {
                setting: setting("categories"),
                reason: "must name at least one action category (e.g. Deploy)".into(),
            });
        }
        if let Some(pattern) = raw.message_pattern {
            let regex = Regex::new(&pattern).map_err(|error| SettingError {
                setting: setting("message_pattern"),
                reason: format!("`{pattern}` is not a valid regular expression: {error}"),
            })?;
            self.message_pattern = Some(MessagePattern(regex));
        }
        if let Some(dry_run) = raw.dry_run {
            self.dry_run = dry_run;
        }
        if let Some(bake_failures) = raw.bake_failures {
            self.bake_failures = bake_failures;
        }
        Ok(self)
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
