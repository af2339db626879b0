//! The JSON contract: docs/cli-json.md shows each command's `--json` answer in examples, under a
//! heading that names the command. Each command's answers, as its report type writes them, have
//! the shape of its examples: the same keys at every depth, with values of the same kinds (null
//! among them). A field added, renamed, dropped or retyped without the docs fails here, and so
//! does a command without examples.

use crate::Cli;
use crate::freeze::{FreezeListing, FreezeReport, UnfreezeReport};
use crate::health::HealthReport;
use crate::overrides::{OverrideListing, OverrideReport};
use crate::retry::RetryReport;
use crate::rollback::RollbackReport;
use crate::status::{Holds, Row, StatusReport, Unreadable};
use clap::CommandFactory;
use pipeguard_core::calendar::{CalendarPlace, CalendarState, ClosedCalendar};
use pipeguard_core::freeze::{Freeze, RecordedFreezes, Unfrozen, UnreadableFreeze};
use pipeguard_core::gate::{
    AlarmCheck, Blocker, CalendarCheck, FreezeCheck, GateOutcome, HealthCheck, Scope,
};
use pipeguard_core::health::{EventCategory, EventStatus, HealthEvent, HealthSource};
use pipeguard_core::hold::{HeldBy, Hold};
use pipeguard_core::holder::{self, ALARMS_NOT_ASKED, AlarmsKnown, FreezesKnown, Known};
use pipeguard_core::overrides::{Ended as EndedEarly, Override, OverrideKind};
use pipeguard_core::pipeline::{
    ActionSnapshot, ActionStatus, ExecutionStatus, ExecutionSummary, ExecutionType, RetryMode,
    RunningExecution, StageSnapshot, StageStatus,
};
use pipeguard_core::retry::RetryVerdict;
use pipeguard_core::rollback::{Plan, RollbackVerdict};
use pipeguard_core::schedule::Closed;
use pipeguard_core::selection::PipelineSelection;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[path = "json_contract_tests/oci.rs"]
mod oci_answers;

const DOCS: &str = include_str!("../../docs/cli-json.md");

/// Heading of a command's section: "## `pipeguard COMMAND`".
const SECTION: &str = "## `pipeguard ";

/// 2026-11-30 11:00 UTC, the moment of every example.
const NOW: i64 = 1_796_036_400;

/// The `json` examples of each command's section, by command (`health`, `oci apply`, ...).
fn documented() -> BTreeMap<String, Vec<Value>> {
    let mut examples: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut command: Option<String> = None;
    let mut block: Option<String> = None;
    for (number, line) in DOCS.lines().enumerate() {
        match block.as_mut() {
            Some(text) if line.trim() == "```" => {
                let example = serde_json::from_str(text).unwrap_or_else(|error| {
                    panic!(
                        "docs/cli-json.md: the example ending on line {} is not JSON: {error}",
                        number + 1
                    )
                });
                let command = command.clone().unwrap_or_else(|| {
                    panic!(
                        "docs/cli-json.md: the example ending on line {} is under no command",
                        number + 1
                    )
                });
                examples.entry(command).or_default().push(example);
                block = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None if line.starts_with("## ") => {
                command = line
                    .strip_prefix(SECTION)
                    .and_then(|rest| rest.strip_suffix('`'))
                    .map(str::to_owned);
            }
            None if line.trim() == "```json" => block = Some(String::new()),
            None => {}
        }
    }
    assert!(block.is_none(), "docs/cli-json.md: an example is not closed");
    examples
}

/// Every command the CLI has, as `pipeguard COMMAND --help` names it.
fn commands() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for command in Cli::command().get_subcommands() {
        if command.has_subcommands() {
            for sub in command.get_subcommands() {
                names.insert(format!("{} {}", command.get_name(), sub.get_name()));
            }
        } else {
            names.insert(command.get_name().to_owned());
        }
    }
    names
}

/// Every `path: kind` in `value`: an object's fields as `.key`, an array's items as `[]`.
fn shape(value: &Value, path: &str, shapes: &mut BTreeSet<String>) {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    shapes.insert(format!("{path}: {kind}"));
    match value {
        Value::Array(items) => {
            for item in items {
                shape(item, &format!("{path}[]"), shapes);
            }
        }
        Value::Object(fields) => {
            for (key, field) in fields {
                shape(field, &format!("{path}.{key}"), shapes);
            }
        }
        _ => {}
    }
}

fn shapes(values: &[Value]) -> BTreeSet<String> {
    let mut shapes = BTreeSet::new();
    for value in values {
        shape(value, "$", &mut shapes);
    }
    shapes
}

fn json(report: &impl Serialize) -> Value {
    serde_json::to_value(report).unwrap()
}

/// Each command's answers, written by its report type, as the examples show them.
fn answers() -> BTreeMap<String, Vec<Value>> {
    [
        ("health", health()),
        ("status", status()),
        ("retry", retry()),
        ("rollback", rollback()),
        ("freeze", freeze()),
        ("unfreeze", unfreeze()),
        ("freezes", freezes()),
        ("override", override_answers()),
        ("overrides", overrides()),
        ("oci apply", oci_answers::oci_apply()),
        ("oci rollback", oci_answers::oci_rollback()),
        ("oci status", oci_answers::oci_status()),
    ]
    .into_iter()
    .map(|(command, answers)| (command.to_owned(), answers))
    .collect()
}

#[test]
fn every_command_has_examples_and_answers_checked_against_them() {
    let commands = commands();
    let documented: BTreeSet<String> = documented().into_keys().collect();
    let answered: BTreeSet<String> = answers().into_keys().collect();
    assert_eq!(
        documented, commands,
        "docs/cli-json.md has a section for each command"
    );
    assert_eq!(answered, commands, "this test writes each command's answers");
}

#[test]
fn each_commands_answers_have_the_shape_of_its_examples() {
    let documented = documented();
    for (command, answers) in answers() {
        let written = shapes(&answers);
        let shown = shapes(documented.get(&command).map_or(&[][..], Vec::as_slice));
        let unshown: Vec<&String> = written.difference(&shown).collect();
        let unwritten: Vec<&String> = shown.difference(&written).collect();
        assert!(
            unshown.is_empty() && unwritten.is_empty(),
            "`pipeguard {command} --json`: written but not in docs/cli-json.md: {unshown:#?}; in docs/cli-json.md but not written: {unwritten:#?}"
        );
    }
}

#[test]
fn a_shape_is_every_key_at_every_depth_with_the_kinds_of_its_values() {
    let shown = shapes(&[serde_json::json!({"a": [{"b": 1}, {"b": null, "c": "x"}], "d": {}})]);
    let expected = [
        "$: object",
        "$.a: array",
        "$.a[]: object",
        "$.a[].b: number",
        "$.a[].b: null",
        "$.a[].c: string",
        "$.d: object",
    ];
    assert_eq!(shown, expected.iter().map(|line| line.to_string()).collect());
}

fn health() -> Vec<Value> {
    let api = HealthCheck::Asked {
        source: HealthSource::Api,
        caveat: None,
    };
    let pass = GateOutcome::Pass {
        scope: Scope {
            regions: vec!["us-east-1".into(), "global".into()],
            services: vec![],
            locks: vec![],
            accounts: vec!["111122223333".into()],
            schedule: false,
        },
        held_minutes: None,
        health: api.clone(),
        freezes: FreezeCheck::Checked,
        released_from: vec![],
        alarms: AlarmCheck::NotWatched,
        calendars: CalendarCheck::NotWatched,
    };
    let blocked = GateOutcome::Blocked {
        blockers: vec![
            Blocker::HealthEvent(HealthEvent {
                arn: "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_7f3a".into(),
                service: "EC2".into(),
                event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
                category: EventCategory::Issue,
                region: "us-east-1".into(),
                status: EventStatus::Open,
                account: None,
                start_time: Some(NOW - 1800),
            }),
            Blocker::HealthEvent(HealthEvent {
                arn: "arn:aws:health:us-east-1:444455556666:event/RDS/AWS_RDS_OPERATIONAL_ISSUE/AWS_RDS_OPERATIONAL_ISSUE_2b1c".into(),
                service: "RDS".into(),
                event_type_code: "AWS_RDS_OPERATIONAL_ISSUE".into(),
                category: EventCategory::Issue,
                region: "us-east-1".into(),
                status: EventStatus::Open,
                account: Some("444455556666".into()),
                start_time: None,
            }),
            Blocker::RunningPipeline(RunningExecution {
                pipeline: "db-migrations".into(),
                execution_id: "5b8c1d2e-0000-4000-8000-000000000001".into(),
                status: ExecutionStatus::InProgress,
            }),
            Blocker::OutsideWindow(Closed {
                because: "Mon-Thu 09:00-16:00 Europe/Berlin".into(),
                opens_at: Some(NOW + 79_200),
            }),
            Blocker::FreezesUnread("DynamoDB Query on pipeguard-health-events: throttled".into()),
        ],
        health: api.clone(),
        at: NOW,
    };
    let frozen = GateOutcome::Blocked {
        blockers: vec![
            Blocker::Freeze(active_freeze()),
            Blocker::UnreadableFreeze(unreadable_item(None)),
        ],
        health: api,
        at: NOW,
    };
    let calendar_closed = GateOutcome::Blocked {
        blockers: vec![
            Blocker::Calendar(ClosedCalendar {
                name: "year-end-freeze".into(),
                place: CalendarPlace {
                    region: "us-east-1".into(),
                    account: "111122223333".into(),
                },
                state: CalendarState::Closed,
                opens_at: Some(NOW + 86_400),
            }),
            Blocker::CalendarsUnread(
                "Systems Manager GetCalendarState for release-train in eu-west-1, account 111122223333: timed out".into(),
            ),
        ],
        health: HealthCheck::Asked {
            source: HealthSource::Api,
            caveat: None,
        },
        at: NOW,
    };
    [pass, blocked, frozen, calendar_closed]
        .iter()
        .map(|outcome| json(&HealthReport::of(outcome, NOW)))
        .collect()
}

fn active_freeze() -> Freeze {
    Freeze {
        id: "frz-1796030000-4f2a".into(),
        by: "arn:aws:sts::111122223333:assumed-role/oncall/ann".into(),
        reason: "INC-4211: checkout errors".into(),
        since: NOW - 6400,
        until: None,
        coverage: PipelineSelection::Prefix("prod-".into()),
        unfrozen: None,
    }
}

fn ended_freeze() -> Freeze {
    Freeze {
        id: "frz-1795950000-9c1e".into(),
        by: "arn:aws:sts::111122223333:assumed-role/release/bob".into(),
        reason: "release day".into(),
        since: NOW - 86_400,
        until: Some(NOW - 14_400),
        coverage: PipelineSelection::Names(vec!["web-app".into(), "api".into()]),
        unfrozen: Some(Unfrozen {
            at: NOW - 43_200,
            by: "arn:aws:sts::111122223333:assumed-role/oncall/ann".into(),
        }),
    }
}

fn unreadable_item(unfrozen: Option<Unfrozen>) -> UnreadableFreeze {
    UnreadableFreeze {
        key: "INC-7".into(),
        why: "since is missing".into(),
        coverage: PipelineSelection::Everything,
        unfrozen,
    }
}

fn status() -> Vec<Value> {
    let failed_gate = [StageSnapshot {
        name: "Gate".into(),
        execution_id: Some("0f9e8d7c-0000-4000-8000-000000000003".into()),
        status: Some(StageStatus::Failed),
        attempts_used: 0,
        actions: vec![ActionSnapshot {
            name: "HealthGate".into(),
            status: Some(ActionStatus::Failed),
            error_code: Some("JobFailed".into()),
            error_message: Some("Deployment blocked: 1 open AWS Health event in us-east-1".into()),
        }],
        ..StageSnapshot::default()
    }];
    let execution = |id: &str, status, execution_type, rollback_target: Option<&str>| ExecutionSummary {
        id: id.into(),
        status,
        execution_type,
        rollback_target: rollback_target.map(str::to_owned),
        source_revisions: vec![],
    };
    let held = |arn: &str, account: Option<&str>| HeldBy {
        arn: arn.into(),
        region: "us-east-1".into(),
        account: account.map(str::to_owned),
    };
    let hold = Hold {
        events: vec![
            held(
                "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_7f3a",
                None,
            ),
            held(
                "arn:aws:health:us-east-1:444455556666:event/RDS/AWS_RDS_MAINTENANCE_SCHEDULED/AWS_RDS_MAINTENANCE_SCHEDULED_2b1c",
                Some("444455556666"),
            ),
        ],
        freezes: vec!["frz-1796030000-4f2a".into(), "INC-7".into()],
        opens_at: Some(NOW + 79_200),
        ..Hold::default()
    };
    let recorded = RecordedFreezes {
        freezes: vec![active_freeze()],
        unreadable: vec![unreadable_item(None)],
    };
    let known = Known {
        // No answer for the second event: its `open` is null.
        events_closed: Ok(&[false]),
        release: None,
        freezes: FreezesKnown::Read(&recorded),
        alarms: AlarmsKnown::NotAsked(ALARMS_NOT_ASKED),
        overrides: &[],
    };
    let mut web_holds = Holds::default();
    web_holds.add(&holder::holders_now(&hold, &known, "web-app", NOW));
    let web = Row::of(
        "web-app",
        &failed_gate,
        &[execution(
            "0f9e8d7c-0000-4000-8000-000000000003",
            ExecutionStatus::Failed,
            ExecutionType::Standard,
            None,
        )],
        2,
        web_holds,
    );
    let web = web.with_overrides(
        &pipeguard_core::overrides::RecordedOverrides {
            overrides: vec![granted_override()],
            unreadable: vec![],
        },
        NOW,
    );
    let infra = Row::of(
        "infra",
        &[],
        &[
            execution(
                "8a7b6c5d-0000-4000-8000-000000000028",
                ExecutionStatus::Succeeded,
                ExecutionType::Rollback,
                Some("1c2d3e4f-0000-4000-8000-000000000020"),
            ),
            execution(
                "1c2d3e4f-0000-4000-8000-000000000020",
                ExecutionStatus::Succeeded,
                ExecutionType::Standard,
                None,
            ),
        ],
        2,
        Holds::default(),
    );
    let gone = Row::unreadable(
        "web-old",
        Unreadable::NotFound(
            "PipelineNotFoundException: Account '111122223333' does not have a pipeline with name 'web-old'"
                .into(),
        ),
    );
    vec![json(&StatusReport(vec![web, infra, gone]))]
}

fn retry() -> Vec<Value> {
    let mode = RetryMode::FailedActions;
    let [mut retried, mut dry_run] = [RetryReport::new(false), RetryReport::new(true)];
    retried.push("flaky", "Deploy", Ok(RetryVerdict::Retried { attempt: 1, mode }));
    dry_run.push(
        "flaky",
        "Deploy",
        Ok(RetryVerdict::WouldRetry { attempt: 1, mode }),
    );
    for report in [&mut retried, &mut dry_run] {
        report.push(
            "broken",
            "Deploy",
            Ok(RetryVerdict::Skipped(
                "ConfigurationError is not retried (Apply: ConfigurationError template invalid)".into(),
            )),
        );
        report.push(
            "spent",
            "Deploy",
            Ok(RetryVerdict::Exhausted {
                attempts: 2,
                allowed: 2,
                last_errors: vec!["Apply: JobFailed quota".into()],
            }),
        );
        report.push(
            "legacy",
            "-",
            Err("GetPipelineState of legacy failed: AccessDeniedException: not authorized".into()),
        );
    }
    vec![json(&retried), json(&dry_run)]
}

fn rollback() -> Vec<Value> {
    let plan = || Plan {
        apply: None,
        target: ExecutionSummary {
            id: "1c2d3e4f-0000-4000-8000-000000000020".into(),
            status: ExecutionStatus::Succeeded,
            execution_type: ExecutionType::Standard,
            rollback_target: None,
            source_revisions: vec![],
        },
    };
    let from = "9d8c7b6a-0000-4000-8000-000000000031";
    [
        RollbackVerdict::DryRun(Box::new(plan())),
        RollbackVerdict::RolledBack {
            plan: Box::new(plan()),
            rollback_execution: "2e3f4a5b-0000-4000-8000-000000000032".into(),
        },
    ]
    .iter()
    .map(|verdict| json(&RollbackReport::of("infra".into(), "Apply".into(), from.into(), verdict).unwrap()))
    .collect()
}

fn freeze() -> Vec<Value> {
    let frozen = active_freeze();
    let active = RecordedFreezes {
        freezes: vec![frozen.clone()],
        unreadable: vec![unreadable_item(None)],
    };
    vec![json(&FreezeReport::of(&frozen, &active, NOW))]
}

fn unfreeze() -> Vec<Value> {
    let unfrozen = Unfrozen {
        at: NOW,
        by: "arn:aws:sts::111122223333:assumed-role/oncall/ann".into(),
    };
    let ended = RecordedFreezes {
        freezes: vec![Freeze {
            unfrozen: Some(unfrozen.clone()),
            ..active_freeze()
        }],
        unreadable: vec![unreadable_item(Some(unfrozen))],
    };
    let report = UnfreezeReport::of(
        &ended,
        vec!["frz-1796030000-4f2a".into()],
        vec!["freeze INC-7 ended, but stage-retry could not be told at once (PutEvents refused the event (ThrottlingException)): its sweep resumes what the freeze held on its schedule".into()],
        NOW,
    );
    vec![json(&report)]
}

fn freezes() -> Vec<Value> {
    let recorded = RecordedFreezes {
        freezes: vec![active_freeze(), ended_freeze()],
        unreadable: vec![unreadable_item(None)],
    };
    vec![json(&FreezeListing::of(&recorded, NOW))]
}

fn granted_override() -> Override {
    Override {
        id: "ovr-k3j9x2ab".into(),
        pipeline: "web-app".into(),
        by: "arn:aws:sts::111122223333:assumed-role/oncall/ann".into(),
        reason: "INC-4242: the fix for checkout errors".into(),
        since: NOW,
        until: NOW + 3600,
        kinds: vec![OverrideKind::Health, OverrideKind::Freezes],
        ended: None,
    }
}

fn override_answers() -> Vec<Value> {
    let granted = granted_override();
    let ended = Override {
        ended: Some(EndedEarly {
            at: NOW + 900,
            by: "arn:aws:sts::111122223333:assumed-role/oncall/ann".into(),
        }),
        ..granted.clone()
    };
    vec![
        json(&OverrideReport::of(&granted, NOW, vec![])),
        json(&OverrideListing::of(&[ended], NOW + 900)),
    ]
}

fn overrides() -> Vec<Value> {
    vec![
        json(&OverrideListing::of(&[granted_override()], NOW)),
        json(&OverrideListing::of(&[], NOW)),
    ]
}
