use super::*;

fn action(name: &str, status: &str) -> ActionSnapshot {
    ActionSnapshot {
        name: name.into(),
        status: Some(ActionStatus::from(status)),
        ..ActionSnapshot::default()
    }
}

#[test]
fn a_stage_knows_its_failed_actions() {
    let stage = StageSnapshot {
        name: "Deploy".into(),
        status: Some(StageStatus::from("Failed")),
        actions: vec![action("Migrate", "Succeeded"), action("Apply", "Failed")],
        ..StageSnapshot::default()
    };
    assert!(stage.is_failed());
    let failed: Vec<&str> = stage
        .failed_actions()
        .map(|action| action.name.as_str())
        .collect();
    assert_eq!(failed, ["Apply"]);
    assert_eq!(stage.status_text(), "Failed");
}

#[test]
fn a_stage_without_an_execution_is_neither_failed_nor_known() {
    let stage = StageSnapshot::default();
    assert!(!stage.is_failed());
    assert_eq!(stage.status_text(), "unknown");
}

#[test]
fn a_failure_is_about_the_stage_it_names_or_else_its_executions_failed_stage() {
    let stage = |name: &str, execution: &str, status: &str| StageSnapshot {
        name: name.into(),
        execution_id: Some(execution.into()),
        status: Some(StageStatus::from(status)),
        ..StageSnapshot::default()
    };
    let stages = [
        stage("Source", "e2", "Succeeded"),
        stage("Build", "e1", "Failed"),
        stage("Deploy", "e2", "Failed"),
    ];
    let found = |named, execution| stage_of_failure(&stages, named, execution).map(|(index, _)| index);
    assert_eq!(
        found(Some("Build"), "e2"),
        Some(1),
        "a named stage, whatever it shows"
    );
    assert_eq!(found(None, "e2"), Some(2));
    assert_eq!(found(None, "e3"), None);
    assert_eq!(found(Some("Test"), "e2"), None);
}

fn failed_in(execution: &str) -> StageSnapshot {
    StageSnapshot {
        name: "Deploy".into(),
        execution_id: Some(execution.into()),
        status: Some(StageStatus::Failed),
        ..StageSnapshot::default()
    }
}

#[test]
fn a_stage_still_shows_the_failure_of_its_latest_failed_execution() {
    assert_eq!(failed_in("e1").still_failed_in("e1"), Ok(()));
}

#[test]
fn a_later_execution_or_a_stage_running_again_means_the_failure_was_acted_on() {
    let superseded = failed_in("e2").still_failed_in("e1");
    assert_eq!(
        superseded,
        Err(StaleFailure::Superseded {
            stage: "Deploy".into(),
            latest: "e2".into()
        })
    );
    assert_eq!(
        superseded.unwrap_err().to_string(),
        "stage Deploy now shows execution e2"
    );
    let retried = StageSnapshot {
        status: Some(StageStatus::InProgress),
        ..failed_in("e1")
    };
    assert_eq!(
        retried.still_failed_in("e1").unwrap_err().to_string(),
        "stage Deploy is InProgress"
    );
    assert!(matches!(
        StageSnapshot::default().still_failed_in("e1"),
        Err(StaleFailure::Superseded { latest, .. }) if latest == "(none)"
    ));
}

#[test]
fn an_execution_names_its_sources_when_codepipeline_reports_them() {
    let mut execution = ExecutionSummary {
        id: "e1".into(),
        status: ExecutionStatus::Succeeded,
        execution_type: ExecutionType::Standard,
        rollback_target: None,
        source_revisions: Vec::new(),
    };
    assert_eq!(execution.sources_note(), "");
    execution.source_revisions = vec!["Source@abc (fix)".into(), "Config@7".into()];
    assert_eq!(execution.sources_note(), " (source: Source@abc (fix), Config@7)");
    // A commit message is anyone's text: no terminal escape gets through to a notice or a screen.
    execution.source_revisions = vec!["Source@abc (\u{1b}[2Jfix)".into()];
    assert!(
        !execution.sources_note().contains('\u{1b}'),
        "{}",
        execution.sources_note()
    );
}
