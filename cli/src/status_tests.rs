use super::*;
use pipeguard_core::freeze::{Freeze, RecordedFreezes, Unfrozen, UnreadableFreeze};
use pipeguard_core::hold::{HeldBy, Hold};
use pipeguard_core::pipeline::{ActionSnapshot, ActionStatus, StageStatus};
use pipeguard_core::selection::PipelineSelection;
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

/// What holds web-app's held stage, as `status` learns it: through the core's one account of
/// holders, from the events' answers and the freezes as read (or why they could not be).
fn holds_of(hold: &Hold, closed: Result<&[bool], &str>, freezes: FreezesKnown) -> Holds {
    let known = Known {
        events_closed: closed,
        release: None,
        freezes,
        alarms: AlarmsKnown::NotAsked(ALARMS_NOT_ASKED),
        overrides: &[],
    };
    let mut holds = Holds::default();
    holds.add(&holder::holders_now(hold, &known, "web-app", 2_000));
    holds
}

fn held(id: &str, account: Option<&str>) -> HeldBy {
    HeldBy {
        arn: format!("arn:aws:health:us-east-1::event/EC2/X/{id}"),
        region: "us-east-1".into(),
        account: account.map(str::to_owned),
    }
}

fn active(id: &str) -> Freeze {
    Freeze {
        id: id.into(),
        by: "ann".into(),
        reason: "INC-1: checkout errors".into(),
        since: 1_000,
        until: None,
        coverage: PipelineSelection::Everything,
        unfrozen: None,
    }
}

fn unreadable(key: &str, coverage: PipelineSelection, unfrozen: Option<Unfrozen>) -> UnreadableFreeze {
    UnreadableFreeze {
        key: key.into(),
        why: "since is missing".into(),
        coverage,
        unfrozen,
    }
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
    let hold = Hold::new(vec![held("abc", None), held("def", Some("222233334444"))], None);
    let holds = holds_of(
        &hold,
        Ok(&[false, true]),
        FreezesKnown::Read(RecordedFreezes::NONE),
    );
    let row = Row::of("web-app", &failed_deploy(), &executions, 2, holds);
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
    assert_eq!(
        json["holders"][1],
        json!({
            "kind": "health_event",
            "id": "arn:aws:health:us-east-1::event/EC2/X/def",
            "account": "222233334444",
            "holds": false,
            "until": null,
            "description": "arn:aws:health:us-east-1::event/EC2/X/def (account 222233334444): closed"
        })
    );
    let table = render_table(&[row], false);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("PIPELINE  LATEST"), "{table}");
    for part in [
        "web-app",
        "e3 Failed",
        "Deploy (Apply: JobFailed Rate exceeded)",
        "1/2",
        "arn:aws:health:us-east-1::event/EC2/X/abc, arn:aws:health:us-east-1::event/EC2/X/def (account 222233334444): closed",
        "r2 -> e1",
    ] {
        assert!(lines[1].contains(part), "{part} missing: {table}");
    }
}

#[test]
fn a_stage_held_by_a_freeze_and_the_schedule_says_so() {
    let hold = Hold {
        freezes: vec!["frz-1".into(), "frz-2".into()],
        opens_at: Some(1_796_000_400),
        ..Hold::default()
    };
    let recorded = RecordedFreezes::from(vec![active("frz-1")]);
    let row = Row::of(
        "web-app",
        &failed_deploy(),
        &[],
        2,
        holds_of(&hold, Ok(&[]), FreezesKnown::Read(&recorded)),
    );
    let json = json!(row);
    assert_eq!(json["frozen_by"][0], json!({"freeze": "frz-1", "active": true}));
    assert_eq!(json["frozen_by"][1], json!({"freeze": "frz-2", "active": false}));
    assert_eq!(json["window_opens_at"], 1_796_000_400);
    let table = render_table(&[row], false);
    assert!(
        table.contains(
            "freeze frz-1 (\"INC-1: checkout errors\"), freeze frz-2: ended, the deployment schedule, until 2026-11-30 01:00 UTC"
        ),
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

#[test]
fn a_stage_held_by_a_freeze_whose_item_does_not_read_says_why() {
    let hold = Hold {
        freezes: vec!["INC-1".into()],
        ..Hold::default()
    };
    let recorded = RecordedFreezes {
        freezes: vec![],
        unreadable: vec![unreadable("INC-1", PipelineSelection::Everything, None)],
    };
    let row = Row::of(
        "web-app",
        &failed_deploy(),
        &[],
        2,
        holds_of(&hold, Ok(&[]), FreezesKnown::Read(&recorded)),
    );
    let json = json!(row);
    assert_eq!(
        json["frozen_by"][0],
        json!({"freeze": "INC-1", "active": true, "unreadable": "since is missing"})
    );
    let table = render_table(&[row], false);
    assert!(
        table.contains("freeze INC-1 (unreadable: since is missing)"),
        "{table}"
    );
}

#[test]
fn a_freeze_holding_a_stage_says_whether_it_still_holds_and_why_its_item_does_not_read() {
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
    let hold = Hold {
        freezes: ["INC-7", "INC-8", "INC-9", "frz-gone"]
            .map(str::to_owned)
            .to_vec(),
        ..Hold::default()
    };
    let frozen = |id: &str, active: Option<bool>, unreadable: Option<&str>| FrozenBy {
        freeze: id.into(),
        active,
        unreadable: unreadable.map(str::to_owned),
    };
    assert_eq!(
        holds_of(&hold, Ok(&[]), FreezesKnown::Read(&recorded)).frozen_by,
        [
            frozen("INC-7", Some(true), Some("since is missing")),
            frozen("INC-8", Some(false), Some("since is missing")),
            frozen("INC-9", Some(false), Some("since is missing")),
            frozen("frz-gone", Some(false), None),
        ],
        "INC-9 is not web-app's; frz-gone is no longer in the table"
    );
    let unread = holds_of(
        &hold,
        Ok(&[]),
        FreezesKnown::Unreadable("the freezes could not be read"),
    );
    assert_eq!(unread.frozen_by[0], frozen("INC-7", None, None));
    assert_eq!(
        unread.holders[0].description,
        "freeze INC-7: unknown (the freezes could not be read)"
    );
}

#[test]
fn a_row_names_the_overrides_in_force_for_its_pipeline_only() {
    use pipeguard_core::overrides::{Override, OverrideKind};
    let granted = |id: &str, pipeline: &str, until: i64| Override {
        id: id.into(),
        pipeline: pipeline.into(),
        by: "arn:aws:sts::111122223333:assumed-role/oncall/ann".into(),
        reason: "INC-9: the fix".into(),
        since: 1_000,
        until,
        kinds: vec![OverrideKind::Freezes],
        ended: None,
    };
    let recorded = RecordedOverrides {
        overrides: vec![
            granted("ovr-1", "web-app", 1_796_000_400),
            granted("ovr-2", "web-api", 1_796_000_400),
            granted("ovr-3", "web-app", 1_500),
        ],
        unreadable: vec![],
    };
    let row = Row::of("web-app", &failed_deploy(), &[], 2, Holds::default()).with_overrides(&recorded, 2_000);
    let json = json!(row);
    assert_eq!(
        json["overridden_by"],
        json!([{"id": "ovr-1", "by": "arn:aws:sts::111122223333:assumed-role/oncall/ann", "reason": "INC-9: the fix", "until": 1_796_000_400, "kinds": ["freezes"]}]),
        "another pipeline's and an expired one are not its"
    );
    let table = render_table(&[row], false);
    assert!(
        table.contains("override ovr-1 until 2026-11-30 01:00 UTC (freezes)"),
        "{table}"
    );
}

#[test]
fn a_stage_held_by_a_change_calendar_names_it_and_when_it_opens() {
    let calendar = |name: &str, opens_at| pipeguard_core::hold::HeldCalendar {
        name: name.into(),
        region: "us-east-1".into(),
        account: "111122223333".into(),
        opens_at,
    };
    let hold = Hold {
        calendars: vec![
            calendar("year-end", Some(1_796_000_400)),
            calendar("open-now", Some(1_000)),
        ],
        ..Hold::default()
    };
    let row = Row::of(
        "web-app",
        &failed_deploy(),
        &[],
        2,
        holds_of(&hold, Ok(&[]), FreezesKnown::Unreadable("not read here")),
    );
    let json = json!(row);
    assert_eq!(
        json["holders"][0],
        json!({"kind": "calendar", "id": "year-end", "account": "111122223333", "holds": true, "until": 1_796_000_400,
               "description": "Change Calendar year-end (us-east-1, account 111122223333), until 2026-11-30 01:00 UTC"})
    );
    assert_eq!(json["holders"][1]["holds"], false, "its opening has passed");
    let table = render_table(&[row], false);
    assert!(
        table.contains(
            "Change Calendar year-end (us-east-1, account 111122223333), until 2026-11-30 01:00 UTC"
        ),
        "{table}"
    );
}
