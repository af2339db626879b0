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
