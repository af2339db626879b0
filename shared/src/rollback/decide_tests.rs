use super::*;
use crate::config::env_of;
use crate::rollback::RollbackPolicies;

fn run(
    stage: &str,
    action: &str,
    status: &str,
    category: &str,
    code: Option<&str>,
    message: Option<&str>,
) -> ActionRun {
    ActionRun {
        stage: stage.into(),
        action: action.into(),
        status: status.into(),
        category: category.into(),
        provider: "CloudFormation".into(),
        error_code: code.map(str::to_owned),
        error_message: message.map(str::to_owned),
        summary: None,
    }
}

fn failed_apply() -> Vec<ActionRun> {
    vec![
        run("Deploy", "Migrate", "Succeeded", "Deploy", None, None),
        run(
            "Deploy",
            "Apply",
            "Failed",
            "Deploy",
            Some("JobFailed"),
            Some("TERRAFORM_EXECUTION_ERROR: quota"),
        ),
        run(
            "Build",
            "Compile",
            "Failed",
            "Deploy",
            Some("JobFailed"),
            Some("elsewhere"),
        ),
    ]
}

fn policy(pairs: &[(&str, &str)]) -> RollbackPolicy {
    RollbackPolicies::from_env(env_of(pairs))
        .unwrap()
        .for_pipeline("p")
        .clone()
}

fn stage(execution: &str, status: &str) -> StageSnapshot {
    StageSnapshot {
        name: "Deploy".into(),
        execution_id: Some(execution.into()),
        status: Some(status.into()),
        ..StageSnapshot::default()
    }
}

fn execution(id: &str, kind: &str) -> ExecutionSummary {
    ExecutionSummary {
        id: id.into(),
        execution_type: kind.into(),
        source_revisions: vec![],
    }
}

#[test]
fn only_the_current_failure_is_acted_on() {
    assert_eq!(still_failed("e2", &stage("e2", "Failed")), Ok(()));
    assert!(
        still_failed("e2", &stage("e3", "InProgress"))
            .unwrap_err()
            .contains("now shows execution e3")
    );
    assert!(
        still_failed("e2", &stage("e2", "InProgress"))
            .unwrap_err()
            .contains("is InProgress")
    );
}

#[test]
fn a_failed_deploy_qualifies_by_default() {
    let runs = failed_apply();
    assert_eq!(
        qualifying_failure(&RollbackPolicy::default(), "Deploy", false, &runs)
            .unwrap()
            .action,
        "Apply"
    );
}

#[test]
fn the_criteria_filter_stages_categories_providers_codes_and_messages() {
    let runs = failed_apply();
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("ROLLBACK_STAGES", "Infra")], "not rollback-managed"),
        (
            &[("ROLLBACK_CATEGORIES", "Invoke")],
            "is a Deploy action, not one of Invoke",
        ),
        (&[("ROLLBACK_PROVIDERS", "CodeDeploy")], "runs CloudFormation"),
        (
            &[("ROLLBACK_ERROR_CODES", "SystemUnavailable")],
            "failed with JobFailed",
        ),
        (
            &[("ROLLBACK_MESSAGE_PATTERN", "^Rate exceeded")],
            "does not match message_pattern",
        ),
    ];
    for (settings, expected) in cases {
        let reason = qualifying_failure(&policy(settings), "Deploy", false, &runs).unwrap_err();
        assert!(reason.contains(expected), "{settings:?}: {reason}");
    }
    let terraform = policy(&[
        ("ROLLBACK_MESSAGE_PATTERN", "TERRAFORM_EXECUTION_ERROR"),
        ("ROLLBACK_PROVIDERS", "CloudFormation"),
    ]);
    assert!(qualifying_failure(&terraform, "Deploy", false, &runs).is_ok());
}

#[test]
fn the_summary_counts_for_the_message_pattern() {
    let mut runs = vec![run(
        "Deploy",
        "Apply",
        "Failed",
        "Deploy",
        Some("JobFailed"),
        None,
    )];
    runs[0].summary = Some("Stack UPDATE_ROLLBACK_COMPLETE after TERRAFORM_EXECUTION_ERROR".into());
    assert!(
        qualifying_failure(
            &policy(&[("ROLLBACK_MESSAGE_PATTERN", "TERRAFORM_EXECUTION_ERROR")]),
            "Deploy",
            false,
            &runs
        )
        .is_ok()
    );
}

#[test]
fn source_stages_and_stages_without_failures_are_not_rolled_back() {
    let runs = failed_apply();
    assert!(
        qualifying_failure(&RollbackPolicy::default(), "Deploy", true, &runs)
            .unwrap_err()
            .contains("source stage")
    );
    assert!(
        qualifying_failure(&RollbackPolicy::default(), "Test", false, &runs)
            .unwrap_err()
            .contains("no failed action")
    );
}

#[test]
fn targets_are_earlier_standard_executions() {
    assert!(is_rollback_target(&execution("e1", "STANDARD"), "e2"));
    assert!(
        !is_rollback_target(&execution("e2", "STANDARD"), "e2"),
        "not the failed one"
    );
    assert!(
        !is_rollback_target(&execution("r1", "ROLLBACK"), "e2"),
        "never a rollback"
    );
}

#[test]
fn notices_say_what_happened_from_where_to_where() {
    let runs = failed_apply();
    let mut target = execution("e1", "STANDARD");
    target.source_revisions = vec!["Source@abc123 (fix typo)".into()];
    let notice = rolled_back_notice("web-app", "Deploy", &runs[1], "e2", &target, false);
    assert_eq!(notice.subject, "pipeguard: web-app Deploy rolled back");
    for part in [
        "Apply",
        "JobFailed TERRAFORM_EXECUTION_ERROR: quota",
        "from execution e2 to e1",
        "Source@abc123 (fix typo)",
    ] {
        assert!(notice.body.contains(part), "{part} in {}", notice.body);
    }
    assert!(
        rolled_back_notice("web-app", "Deploy", &runs[1], "e2", &target, true)
            .subject
            .contains("dry run")
    );
    let refused = not_rolled_back_notice(
        "web-app",
        "Deploy",
        "e2",
        "no earlier successful execution of stage Deploy",
    );
    assert!(
        refused
            .body
            .contains("no earlier successful execution of stage Deploy")
            && refused.subject.ends_with("not rolled back")
    );
}
