use super::*;
use crate::testing::env_of as env;

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
    assert_eq!(policies.managed_pipelines, PipelineSelection::Everything);
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
    assert_eq!(
        policies.managed_pipelines,
        PipelineSelection::Names(vec!["web-app".into(), "api".into()]),
        "the pipelines named, before the prefix"
    );
    let by_prefix = RetryPolicies::from_env(env(&[("RETRY_PIPELINE_PREFIX", "prod-")])).unwrap();
    assert_eq!(
        by_prefix.managed_pipelines,
        PipelineSelection::Prefix("prod-".into())
    );
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
