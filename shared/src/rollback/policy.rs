//! apply-rollback's criteria: function-wide defaults from `ROLLBACK_*` environment variables,
//! and per-pipeline overrides from a JSON map in `ROLLBACK_PIPELINE_POLICIES`.

use crate::config::{SettingError, names, non_blank, per_pipeline, split_list};
use regex_lite::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A pattern on a failure's message or summary, e.g. `TERRAFORM_EXECUTION_ERROR|Rate exceeded`.
#[derive(Debug, Clone)]
pub struct MessagePattern(Regex);

impl MessagePattern {
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
}

fn env_var(field: &str) -> String {
    format!("ROLLBACK_{}", field.to_ascii_uppercase())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackPolicies {
    default: RollbackPolicy,
    per_pipeline: BTreeMap<String, RollbackPolicy>,
}

impl RollbackPolicies {
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let lookup = non_blank(lookup);
        let list = |field: &str| lookup(&env_var(field)).map(|value| split_list(&value));
        let dry_run = match lookup(&env_var("dry_run")).map(|value| value.trim().to_ascii_lowercase()) {
            None => None,
            Some(value) if value == "true" => Some(true),
            Some(value) if value == "false" || value.is_empty() => Some(false),
            Some(value) => {
                return Err(SettingError {
                    setting: format!("environment variable {}", env_var("dry_run")),
                    reason: format!("`{value}` is not true or false"),
                });
            }
        };
        let raw = RawRollbackPolicy {
            stages: list("stages"),
            categories: list("categories"),
            providers: list("providers"),
            error_codes: list("error_codes"),
            message_pattern: lookup(&env_var("message_pattern")).filter(|pattern| !pattern.is_empty()),
            dry_run,
        };
        let default = RollbackPolicy::default()
            .overridden_by(raw, |field| format!("environment variable {}", env_var(field)))?;
        let variable = "ROLLBACK_PIPELINE_POLICIES";
        let mut policies = BTreeMap::new();
        for (pipeline, overrides) in per_pipeline::<RawRollbackPolicy>(&lookup, variable)? {
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
        })
    }

    pub fn for_pipeline(&self, pipeline: &str) -> &RollbackPolicy {
        self.per_pipeline.get(pipeline).unwrap_or(&self.default)
    }
}

impl RollbackPolicy {
    fn overridden_by(
        mut self,
        raw: RawRollbackPolicy,
        setting: impl Fn(&str) -> String,
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
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env_of as env;

    #[test]
    fn defaults_roll_back_failed_deploy_actions_for_real() {
        let policies = RollbackPolicies::from_env(env(&[])).unwrap();
        let policy = policies.for_pipeline("any");
        assert_eq!(policy.categories, ["Deploy"]);
        assert!(policy.stages.is_empty() && policy.providers.is_empty() && policy.error_codes.is_empty());
        assert!(policy.message_pattern.is_none());
        assert!(!policy.dry_run);
    }

    #[test]
    fn environment_and_pipelines_set_every_field() {
        let policies = RollbackPolicies::from_env(env(&[
            ("ROLLBACK_STAGES", "Deploy,Infra"),
            ("ROLLBACK_CATEGORIES", "Deploy, Invoke"),
            ("ROLLBACK_PROVIDERS", "CloudFormation"),
            ("ROLLBACK_ERROR_CODES", "JobFailed"),
            (
                "ROLLBACK_MESSAGE_PATTERN",
                "TERRAFORM_EXECUTION_ERROR|Rate exceeded",
            ),
            ("ROLLBACK_DRY_RUN", "true"),
            (
                "ROLLBACK_PIPELINE_POLICIES",
                r#"{"web-app": {"dry_run": false, "providers": []}}"#,
            ),
        ]))
        .unwrap();
        let policy = policies.for_pipeline("other");
        assert_eq!(policy.stages, ["Deploy", "Infra"]);
        assert_eq!(policy.categories, ["Deploy", "Invoke"]);
        assert_eq!(policy.providers, ["CloudFormation"]);
        assert_eq!(policy.error_codes, ["JobFailed"]);
        assert!(
            policy
                .message_pattern
                .as_ref()
                .is_some_and(|pattern| pattern.matches("Error: TERRAFORM_EXECUTION_ERROR"))
        );
        assert!(policy.dry_run);
        let web = policies.for_pipeline("web-app");
        assert!(!web.dry_run && web.providers.is_empty());
        assert_eq!(web.stages, ["Deploy", "Infra"], "inherits the environment");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let cases = [
            (("ROLLBACK_DRY_RUN", "maybe"), "ROLLBACK_DRY_RUN"),
            (
                ("ROLLBACK_MESSAGE_PATTERN", "(unclosed"),
                "ROLLBACK_MESSAGE_PATTERN",
            ),
            (("ROLLBACK_CATEGORIES", " , "), "ROLLBACK_CATEGORIES"),
            (
                ("ROLLBACK_PIPELINE_POLICIES", r#"{"web-app": {"dryrun": true}}"#),
                "ROLLBACK_PIPELINE_POLICIES at `web-app.dryrun`",
            ),
            (
                (
                    "ROLLBACK_PIPELINE_POLICIES",
                    r#"{"web-app": {"message_pattern": "["}}"#,
                ),
                "pipeline `web-app` field `message_pattern`",
            ),
        ];
        for ((name, value), expected) in cases {
            let error = RollbackPolicies::from_env(env(&[(name, value)])).unwrap_err();
            assert!(error.setting.contains(expected), "{name}={value}: {error}");
        }
    }
}
