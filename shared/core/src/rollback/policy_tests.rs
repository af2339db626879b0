use super::*;
use crate::testing::env_of as env;

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
