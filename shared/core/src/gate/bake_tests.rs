use super::*;
use crate::alarm::{AlarmKind, AlarmPlace, AlarmReading, AlarmReadings, AlarmState};
use crate::freeze::{Freeze, RecordedFreezes};
use crate::gate::{BAKE_FAILED, Blocker, GateDefaults, decide_overridden, read_job};
use crate::health::{
    EventCategory, EventStatus, HealthCallError, HealthEvent, HealthSource, HealthUnavailable,
};
use crate::hold::Hold;
use crate::job::JobEvent;
use crate::job::{FailureKind, JobResult};
use crate::overrides::{Override, OverrideKind, RecordedOverrides};
use crate::pipeline::{ExecutionStatus, RunningExecution};
use crate::selection::PipelineSelection;

const NOW: i64 = 1_763_800_000;
const OWN: &str = "111111111111";
const BAKING_30: &str = r#"{"alarms": ["web-5xx"], "bake_minutes": 30}"#;

fn policy(user_parameters: &str) -> GatePolicy {
    GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()))
        .unwrap()
        .for_action(Some(user_parameters))
        .unwrap()
        .with_own_account(OWN)
}

fn web_5xx(state: AlarmState) -> AlarmReading {
    AlarmReading {
        name: "web-5xx".into(),
        arn: format!("arn:aws:cloudwatch:us-east-1:{OWN}:alarm:web-5xx"),
        place: AlarmPlace {
            region: "us-east-1".into(),
            account: OWN.into(),
        },
        kind: AlarmKind::Metric,
        state,
        reason: "Threshold Crossed: 3 datapoints were greater than the threshold (1.0).".into(),
        since: Some(NOW - 120),
    }
}

fn ec2_issue() -> HealthEvent {
    HealthEvent {
        arn: "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/1".into(),
        service: "EC2".into(),
        event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
        category: EventCategory::Issue,
        region: "us-east-1".into(),
        status: EventStatus::Open,
        account: None,
        start_time: Some(NOW - 300),
    }
}

/// What a poll of the bake observes: AWS Health's events and the alarm's state, with a freeze
/// and a running conflicting pipeline that a gate before the deploy would stop on.
fn observe(events: Vec<HealthEvent>, alarm: AlarmState) -> Observations {
    Observations {
        health: Ok(HealthReport {
            source: HealthSource::Api,
            caveat: None,
            events,
        }),
        running: Ok(vec![RunningExecution {
            pipeline: "db-migrations".into(),
            execution_id: "exec-9".into(),
            status: ExecutionStatus::InProgress,
        }]),
        freezes: Some(Ok(RecordedFreezes {
            freezes: vec![Freeze {
                id: "frz-1".into(),
                by: "arn:aws:iam::111111111111:user/ann".into(),
                reason: "year-end".into(),
                since: NOW - 3600,
                until: Some(NOW + 3600),
                coverage: PipelineSelection::Everything,
                unfrozen: None,
            }],
            unreadable: vec![],
        })),
        alarms: Some(Ok(AlarmReadings {
            own: AlarmPlace {
                region: "us-east-1".into(),
                account: OWN.into(),
            },
            alarms: vec![web_5xx(alarm)],
        })),
        calendars: None,
        wait: None,
        pipeline: Some("web-app".into()),
        now: NOW,
    }
}

fn health_down() -> Result<HealthReport, HealthUnavailable> {
    Err(HealthUnavailable::of(vec![(
        "health.us-east-1.amazonaws.com".into(),
        HealthCallError::Timeout,
    )]))
}

/// The bake's answer at NOW for a bake that began `minutes_ago` (None: this is its first poll).
fn baked(policy: &GatePolicy, observations: Observations, minutes_ago: Option<i64>) -> GateOutcome {
    let state = minutes_ago.map(|minutes| WaitState::bake(NOW - minutes * 60));
    judge(
        policy,
        policy.bake_minutes.unwrap(),
        state,
        super::poll(policy, observations),
        NOW,
    )
}

#[test]
fn the_first_poll_records_the_bakes_start_in_the_token_and_goes_on() {
    let outcome = baked(&policy(BAKING_30), observe(vec![], AlarmState::Ok), None);
    assert_eq!(outcome.label(), "BAKING");
    let JobResult::InProgress {
        summary,
        continuation_token,
    } = render_outcome(&outcome)
    else {
        panic!("{outcome:?}")
    };
    let state = WaitState::decode(&continuation_token).unwrap();
    assert!(state.is_bake());
    assert_eq!(state.since, NOW);
    assert!(
        summary.contains("baked 0 of 30 minutes; alarms clear"),
        "{summary}"
    );
}

#[test]
fn a_bake_passes_once_its_signals_stayed_clear_for_bake_minutes_ignoring_freezes_and_locks() {
    let policy = policy(
        r#"{"alarms": ["web-5xx"], "bake_minutes": 30, "block_while_running": ["db-migrations"], "windows": ["Mon-Fri 03:00-04:00 UTC"]}"#,
    );
    let early = baked(&policy, observe(vec![], AlarmState::Ok), Some(29));
    assert_eq!(early.label(), "BAKING");
    let outcome = baked(&policy, observe(vec![], AlarmState::Ok), Some(31));
    assert_eq!(outcome.label(), "PASS");
    let JobResult::Success {
        summary,
        output_variables,
    } = render_outcome(&outcome)
    else {
        panic!("{outcome:?}")
    };
    assert!(summary.starts_with("Baked 31 of 30 minutes"), "{summary}");
    assert!(output_variables.contains(&("baked_minutes".into(), "31".into())));
    assert!(output_variables.contains(&("verdict".into(), "PASS".into())));
    assert_eq!(crate::gate::notice(&outcome, "web-app"), None);
}

#[test]
fn an_alarm_that_fires_fails_the_bake_at_once_naming_it_and_when_without_a_hold() {
    // on_block wait does not make a bake hold: it goes on or fails.
    let policy = policy(r#"{"alarms": ["web-5xx"], "bake_minutes": 30, "on_block": "wait"}"#);
    let outcome = baked(&policy, observe(vec![], AlarmState::Alarm), Some(12));
    assert_eq!(outcome.label(), BAKE_FAILED);
    let JobResult::Failure { kind, message } = render_outcome(&outcome) else {
        panic!("{outcome:?}")
    };
    assert_eq!(kind, FailureKind::JobFailed);
    assert!(message.starts_with("BAKE_FAILED: CloudWatch alarm web-5xx (us-east-1) fired during the bake, seen at 2025-11-22 08:26 UTC after 12 of 30 minutes"), "{message}");
    for part in [
        "web-5xx in us-east-1, account 111111111111 is ALARM since",
        "Threshold Crossed",
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }
    // stage-retry must not hold the stage and resume it when the alarm clears: it is rolled back.
    assert_eq!(Hold::read(&message), None);
    let notice = crate::gate::notice(&outcome, "web-app").unwrap();
    assert!(notice.subject.contains("web-app bake failed"), "{notice:?}");
}

#[test]
fn an_aws_health_event_of_its_regions_fails_the_bake() {
    let outcome = baked(
        &policy(BAKING_30),
        observe(vec![ec2_issue()], AlarmState::Ok),
        Some(5),
    );
    let GateOutcome::Bake(BakeOutcome::Failed { fired, .. }) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(fired, &vec![Blocker::HealthEvent(ec2_issue())]);
}

#[test]
fn a_signal_that_cannot_be_read_goes_on_baking_never_passes_and_fails_unrolled_after_the_grace() {
    let mut down = observe(vec![], AlarmState::Ok);
    down.health = health_down();
    let during = baked(&policy(BAKING_30), down.clone(), Some(10));
    assert_eq!(during.label(), "BAKING");
    assert!(during.needs_a_person());
    // Past its end, an unread signal does not let it pass.
    let due = baked(&policy(BAKING_30), down.clone(), Some(30));
    assert_eq!(due.label(), "BAKING");
    let given_up = baked(&policy(BAKING_30), down, Some(30 + UNREAD_GRACE_MINUTES));
    assert_eq!(given_up.label(), "HEALTH_UNAVAILABLE");
}

#[test]
fn a_change_calendar_that_cannot_be_read_goes_on_baking_as_the_other_signals_do() {
    let policy = policy(r#"{"alarms": ["web-5xx"], "change_calendars": ["year-end"], "bake_minutes": 30}"#);
    let mut down = observe(vec![], AlarmState::Ok);
    down.calendars = Some(Err(crate::calendar::CalendarsUnavailable {
        name: "year-end".into(),
        place: crate::calendar::CalendarPlace {
            region: "us-east-1".into(),
            account: OWN.into(),
        },
        error: crate::calendar::CalendarCallError::Timeout,
        known: crate::calendar::CalendarReadings {
            own: crate::calendar::CalendarPlace {
                region: "us-east-1".into(),
                account: OWN.into(),
            },
            calendars: vec![],
        },
    }));
    assert_eq!(baked(&policy, down.clone(), Some(10)).label(), "BAKING");
    let given_up = baked(&policy, down, Some(30 + UNREAD_GRACE_MINUTES));
    assert_eq!(given_up.label(), "CALENDARS_UNAVAILABLE");
}

#[test]
fn an_alarm_that_fires_while_aws_health_is_down_still_fails_the_bake() {
    let mut down = observe(vec![], AlarmState::Alarm);
    down.health = health_down();
    assert_eq!(baked(&policy(BAKING_30), down, Some(3)).label(), BAKE_FAILED);
}

#[test]
fn fail_open_bakes_through_an_unread_signal_and_says_so() {
    let policy = policy(r#"{"alarms": ["web-5xx"], "bake_minutes": 30, "on_health_error": "fail-open"}"#);
    let mut down = observe(vec![], AlarmState::Ok);
    down.health = health_down();
    assert_eq!(baked(&policy, down, Some(30)).label(), "PASS_HEALTH_UNCHECKED");
}

#[test]
fn a_watched_alarm_that_does_not_exist_is_a_configuration_error_not_a_bake() {
    let policy = policy(r#"{"alarms": ["web-5xx", "typo"], "bake_minutes": 30}"#);
    assert_eq!(
        baked(&policy, observe(vec![], AlarmState::Ok), Some(3)).label(),
        "MISCONFIGURED"
    );
}

fn overridden(kinds: &[OverrideKind], minutes_ago: i64) -> GateOutcome {
    overridden_with(observe(vec![], AlarmState::Alarm), kinds, minutes_ago)
}

fn overridden_with(observations: Observations, kinds: &[OverrideKind], minutes_ago: i64) -> GateOutcome {
    let policy = policy(BAKING_30);
    let signals = signals(&policy);
    let polled = super::poll(&policy, observations.clone());
    let recorded = RecordedOverrides {
        overrides: vec![Override {
            id: "ovr-1".into(),
            pipeline: "web-app".into(),
            by: "arn:aws:iam::111111111111:user/ann".into(),
            reason: "INC-9: hotfix for checkout".into(),
            since: NOW - 600,
            until: NOW + 3600,
            kinds: kinds.to_vec(),
            ended: None,
        }],
        unreadable: vec![],
    };
    let polled = decide_overridden(&signals, observed(observations), polled, &recorded, "web-app");
    judge(
        &policy,
        30,
        Some(WaitState::bake(NOW - minutes_ago * 60)),
        polled,
        NOW,
    )
}

#[test]
fn an_override_of_the_alarms_keeps_an_incident_fix_from_being_failed_by_its_own_alarm() {
    assert_eq!(overridden(&[OverrideKind::Alarms], 12).label(), "BAKING");
    let passed = overridden(&[OverrideKind::Alarms], 30);
    assert_eq!(passed.label(), "PASS_OVERRIDDEN");
    let JobResult::Success { output_variables, .. } = render_outcome(&passed) else {
        panic!("{passed:?}")
    };
    assert!(output_variables.contains(&("baked_minutes".into(), "30".into())));
    let notice = crate::gate::notice(&passed, "web-app").unwrap();
    assert!(notice.subject.contains("break glass used"), "{notice:?}");
    // An override of something else passes nothing over: the bake fails.
    assert_eq!(overridden(&[OverrideKind::Health], 12).label(), BAKE_FAILED);
    // An override of the alarms alone does not let the bake pass while AWS Health is unread.
    let mut down = observe(vec![], AlarmState::Alarm);
    down.health = health_down();
    assert_eq!(
        overridden_with(down.clone(), &[OverrideKind::Alarms], 30).label(),
        "BAKING"
    );
    let both = [OverrideKind::Alarms, OverrideKind::Health];
    assert_eq!(overridden_with(down, &both, 30).label(), "PASS_OVERRIDDEN");
}

#[test]
fn a_token_of_the_other_kind_is_not_taken() {
    let defaults = GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()));
    let job = |parameters: &str, token: String| JobEvent {
        job_id: "job-1".into(),
        account_id: OWN.into(),
        user_parameters: Some(parameters.into()),
        continuation_token: Some(token),
    };
    let bake_token = WaitState::bake(NOW).encode();
    let hold_token = WaitState::new(NOW, vec![]).encode();
    let (_, state) = read_job(&defaults, &job(BAKING_30, bake_token.clone())).unwrap();
    assert!(state.is_some_and(|state| state.is_bake()));
    assert_eq!(
        read_job(&defaults, &job("{}", bake_token)).unwrap_err().label(),
        "UNREADABLE_TOKEN"
    );
    assert_eq!(
        read_job(&defaults, &job(BAKING_30, hold_token))
            .unwrap_err()
            .label(),
        "UNREADABLE_TOKEN"
    );
    // A hold's token written before bakes existed still reads as a hold.
    let old = r#"{"v":1,"since":1763800000,"held_by":["x"]}"#;
    let (_, state) = read_job(&defaults, &job("{}", old.into())).unwrap();
    assert!(state.is_some_and(|state| !state.is_bake()));
}

#[test]
fn bake_minutes_reads_from_1_to_1395_per_action_only() {
    let defaults = GateDefaults::from_env(|name| match name {
        "AWS_REGION" => Some("us-east-1".to_owned()),
        "GATE_BAKE_MINUTES" => Some("30".to_owned()),
        _ => None,
    })
    .unwrap();
    assert_eq!(defaults.for_action(Some("{}")).unwrap().bake_minutes, None);
    for (given, read) in [("1", Some(1)), ("1395", Some(1395))] {
        let parameters = format!(r#"{{"bake_minutes": {given}}}"#);
        assert_eq!(defaults.for_action(Some(&parameters)).unwrap().bake_minutes, read);
    }
    for refused in ["0", "1396", "1440"] {
        let parameters = format!(r#"{{"bake_minutes": {refused}}}"#);
        let error = defaults.for_action(Some(&parameters)).unwrap_err();
        assert_eq!(error.setting, "UserParameters field `bake_minutes`");
    }
}

fn render_outcome(outcome: &GateOutcome) -> JobResult {
    crate::gate::render(outcome)
}

#[test]
fn a_rollback_execution_is_not_baked_it_passes_at_once_saying_why() {
    let outcome = rollback_not_baked("r-1".into());
    assert_eq!(outcome.label(), "PASS_ROLLBACK_NOT_BAKED");
    let JobResult::Success {
        summary,
        output_variables,
    } = render_outcome(&outcome)
    else {
        panic!("{outcome:?}")
    };
    assert!(
        summary.starts_with("Not baked: execution r-1 is a rollback"),
        "{summary}"
    );
    assert!(output_variables.contains(&("baked_minutes".into(), "0".into())));
    assert!(!outcome.needs_a_person());
}
