use super::*;
use pipeguard_core::pipeline::{ActionSnapshot, ActionStatus, StageStatus};
use serde_json::json;

fn execution(
    id: &str,
    status: ExecutionStatus,
    kind: ExecutionType,
    target: Option<&str>,
) -> ExecutionSummary {
    ExecutionSummary {
        id: id.into(),
        status,
        execution_type: kind,
        rollback_target: target.map(str::to_owned),
        source_revisions: vec![],
    }
}

fn failed_deploy() -> Vec<StageSnapshot> {
    vec![
        StageSnapshot {
            name: "Source".into(),
            status: Some(StageStatus::Succeeded),
            ..StageSnapshot::default()
        },
        StageSnapshot {
            name: "Deploy".into(),
            execution_id: Some("e3".into()),
            status: Some(StageStatus::Failed),
            attempts_used: 1,
            actions: vec![ActionSnapshot {
                name: "Apply".into(),
                status: Some(ActionStatus::Failed),
                error_code: Some("JobFailed".into()),
                error_message: Some("Rate exceeded\nmore detail".into()),
            }],
            ..StageSnapshot::default()
        },
    ]
}

#[test]
fn a_row_says_what_failed_how_often_it_was_retried_and_the_last_rollback() {
    let executions = [
        execution("e3-aaaa", ExecutionStatus::Failed, ExecutionType::Standard, None),
        execution(
            "r2-bbbb",
            ExecutionStatus::Succeeded,
            ExecutionType::Rollback,
            Some("e1-cccc"),
        ),
        execution(
            "e1-cccc",
            ExecutionStatus::Succeeded,
            ExecutionType::Standard,
            None,
        ),
    ];
    let row = Row::of(
        "web-app",
        &failed_deploy(),
        &executions,
        2,
        Holds {
            held_by: vec![
                HeldByEvent::of(&held("abc", None), Some(true)),
                HeldByEvent::of(&held("def", Some("222233334444")), Some(false)),
            ],
            ..Holds::default()
        },
    );
    assert_eq!(
        row.latest_execution,
        Some(LatestExecution {
            id: "e3-aaaa".into(),
            status: ExecutionStatus::Failed
        })
    );
    assert_eq!(
        row.failed_stage,
        Some(FailedStage {
            stage: "Deploy".into(),
            error: "Apply: JobFailed Rate exceeded".into()
        })
    );
    assert_eq!(row.retries, Some(Retries { used: 1, allowed: 2 }));
    assert_eq!(
        row.last_rollback,
        Some(LastRollback {
            id: "r2-bbbb".into(),
            target: Some("e1-cccc".into())
        })
    );
    let json = json!(row);
    assert_eq!(json["retries"], json!({"used": 1, "allowed": 2}));
    assert_eq!(json["held_by"][0]["open"], true);
    assert_eq!(
        json["held_by"][1],
        json!({"event_arn": "arn:aws:health:us-east-1::event/EC2/X/def", "account": "222233334444", "open": false})
    );
    let table = render_table(&[row], false);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("PIPELINE  LATEST"), "{table}");
    for part in [
        "web-app",
        "e3 Failed",
        "Deploy (Apply: JobFailed Rate exceeded)",
        "1/2",
        "abc (open)",
        "def (closed in 222233334444)",
        "r2 -> e1",
    ] {
        assert!(lines[1].contains(part), "{part} missing: {table}");
    }
}

#[test]
fn a_stage_held_by_a_freeze_and_the_schedule_says_so() {
    let holds = Holds {
        frozen_by: vec![
            frozen_by("frz-1", Some(true), None),
            frozen_by("frz-2", None, None),
        ],
        window_opens_at: Some(1_796_000_400),
        ..Holds::default()
    };
    let row = Row::of("web-app", &failed_deploy(), &[], 2, holds);
    let json = json!(row);
    assert_eq!(json["frozen_by"][0], json!({"freeze": "frz-1", "active": true}));
    assert_eq!(json["window_opens_at"], 1_796_000_400);
    let table = render_table(&[row], false);
    assert!(
        table.contains("freeze frz-1 (active), freeze frz-2 (unknown), window (opens 2026-11-30 01:00 UTC)"),
        "{table}"
    );
}

#[test]
fn a_healthy_pipeline_has_nothing_to_report_but_its_latest_execution() {
    let row = Row::of(
        "api",
        &[],
        &[execution(
            "e9",
            ExecutionStatus::Succeeded,
            ExecutionType::Standard,
            None,
        )],
        2,
        Holds::default(),
    );
    assert_eq!(
        (row.failed_stage, row.retries, row.last_rollback),
        (None, None, None)
    );
}

fn frozen_by(id: &str, active: Option<bool>, unreadable: Option<&str>) -> FrozenBy {
    FrozenBy {
        freeze: id.into(),
        active,
        unreadable: unreadable.map(str::to_owned),
    }
}

fn held(id: &str, account: Option<&str>) -> HeldBy {
    HeldBy {
        arn: format!("arn:aws:health:us-east-1::event/EC2/X/{id}"),
        region: "us-east-1".into(),
        account: account.map(str::to_owned),
    }
}

#[test]
fn a_stage_held_by_a_freeze_whose_item_does_not_read_says_why() {
    let holds = Holds {
        frozen_by: vec![frozen_by("INC-1", Some(true), Some("since is missing"))],
        ..Holds::default()
    };
    let row = Row::of("web-app", &failed_deploy(), &[], 2, holds);
    let json = json!(row);
    assert_eq!(
        json["frozen_by"][0],
        json!({"freeze": "INC-1", "active": true, "unreadable": "since is missing"})
    );
    let table = render_table(&[row], false);
    assert!(
        table.contains("freeze INC-1 (active, unreadable: since is missing)"),
        "{table}"
    );
}

#[test]
fn a_freeze_holding_a_stage_says_whether_it_still_holds_and_why_its_item_does_not_read() {
    use pipeguard_core::freeze::{RecordedFreezes, Unfrozen, UnreadableFreeze};
    use pipeguard_core::selection::PipelineSelection;
    let unreadable = |key: &str, coverage: PipelineSelection, unfrozen: Option<Unfrozen>| UnreadableFreeze {
        key: key.into(),
        why: "since is missing".into(),
        coverage,
        unfrozen,
    };
    let ended = Unfrozen {
        by: "ann".into(),
        at: 1_000,
    };
    let recorded = RecordedFreezes {
        freezes: vec![],
        unreadable: vec![
            unreadable("INC-7", PipelineSelection::Everything, None),
            unreadable("INC-8", PipelineSelection::Everything, Some(ended)),
            unreadable("INC-9", PipelineSelection::Prefix("api-".into()), None),
        ],
    };
    let of = |id: &str| FrozenBy::of(id, Some(&recorded), "web-app", 2_000);
    let frozen = |id: &str, active: Option<bool>, unreadable: Option<&str>| FrozenBy {
        freeze: id.into(),
        active,
        unreadable: unreadable.map(str::to_owned),
    };
    assert_eq!(of("INC-7"), frozen("INC-7", Some(true), Some("since is missing")));
    assert_eq!(
        of("INC-8"),
        frozen("INC-8", Some(false), Some("since is missing"))
    );
    assert_eq!(
        of("INC-9"),
        frozen("INC-9", Some(false), Some("since is missing")),
        "not web-app's"
    );
    assert_eq!(of("frz-gone"), frozen("frz-gone", Some(false), None));
    assert_eq!(
        FrozenBy::of("INC-7", None, "web-app", 2_000),
        frozen("INC-7", None, None),
        "the freezes could not be read"
    );
}
