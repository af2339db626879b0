use super::*;
use pipeguard_core::pipeline::ExecutionStatus;
use serde_json::json;

fn plan(target: &str) -> Plan {
    Plan {
        apply: None,
        target: ExecutionSummary {
            id: target.into(),
            status: ExecutionStatus::Succeeded,
            execution_type: ExecutionType::Standard,
            rollback_target: None,
            source_revisions: vec![],
        },
    }
}

fn report(verdict: &RollbackVerdict) -> Result<RollbackReport, Problem> {
    RollbackReport::of("infra".into(), "Apply".into(), "e3".into(), verdict)
}

#[test]
fn a_dry_run_says_where_the_stage_would_go_and_a_rollback_names_its_execution() {
    let dry = report(&RollbackVerdict::DryRun(Box::new(plan("e1")))).unwrap();
    assert_eq!(
        json!(dry),
        json!({"verdict": "DRY_RUN", "dry_run": true, "pipeline": "infra", "stage": "Apply", "from": "e3", "to": "e1"})
    );
    assert_eq!(
        dry.text(false),
        "would roll back stage Apply of infra from execution e3 to e1"
    );
    let done = report(&RollbackVerdict::RolledBack {
        plan: Box::new(plan("e1")),
        rollback_execution: "r4".into(),
    })
    .unwrap();
    assert_eq!(
        json!(done),
        json!({"verdict": "ROLLBACK", "dry_run": false, "pipeline": "infra", "stage": "Apply", "from": "e3", "to": "e1",
               "rollback_execution": "r4"})
    );
    assert_eq!(
        done.text(false),
        "rolling back stage Apply of infra from execution e3 to e1 in execution r4"
    );
}

#[test]
fn a_rollback_codepipeline_refused_is_the_commands_failure() {
    let problem = report(&RollbackVerdict::Refused(
        "the stage is not in a failed state".into(),
    ))
    .err()
    .map(|problem| problem.to_string());
    assert_eq!(
        problem.as_deref(),
        Some("not rolled back: the stage is not in a failed state")
    );
}
