use super::*;
use crate::freeze::{Freeze, FreezesUnread, RecordedFreezes};
use crate::gate::GateDefaults;
use crate::health::{EventCategory, EventStatus, HealthCallError, HealthEvent, HealthUnavailable};
use crate::job::JobResult;
use crate::overrides::Ended;
use crate::pipeline::{ExecutionStatus, RunningExecution};
use crate::selection::PipelineSelection;

const NOW: i64 = 1_796_036_400;
const ANN: &str = "arn:aws:sts::111122223333:assumed-role/oncall/ann";

fn policy(user_parameters: &str) -> GatePolicy {
    GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()))
        .unwrap()
        .for_action(Some(user_parameters))
        .unwrap()
        .with_own_account("111122223333")
}

fn frozen() -> Freeze {
    Freeze {
        id: "frz-1".into(),
        by: "arn:aws:sts::111122223333:assumed-role/oncall/bob".into(),
        reason: "INC-4211: checkout errors".into(),
        since: NOW - 600,
        until: None,
        coverage: PipelineSelection::Everything,
        unfrozen: None,
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
        start_time: Some(NOW - 60),
    }
}

/// AWS Health answered with `events`, the freezes are `freezes`, nothing runs.
fn observed(events: Vec<HealthEvent>, freezes: Vec<Freeze>) -> Observations {
    Observations {
        health: Ok(HealthReport {
            source: HealthSource::Api,
            caveat: None,
            events,
        }),
        running: Ok(vec![]),
        alarms: None,
        calendars: None,
        freezes: Some(Ok(RecordedFreezes::from(freezes))),
        wait: None,
        pipeline: Some("web-app".into()),
        now: NOW,
    }
}

fn health_unavailable() -> Result<HealthReport, HealthUnavailable> {
    Err(HealthUnavailable::of(vec![(
        "AWS Health".into(),
        HealthCallError::Timeout,
    )]))
}

fn granted(id: &str, pipeline: &str, kinds: &[OverrideKind]) -> Override {
    Override {
        id: id.into(),
        pipeline: pipeline.into(),
        by: ANN.into(),
        reason: "INC-9: hotfix for checkout".into(),
        since: NOW - 60,
        until: NOW + 3600,
        kinds: kinds.to_vec(),
        ended: None,
    }
}

/// The gate's answer for web-app under `policy`, from `observations`, with `overrides` in force.
fn decided(policy: &GatePolicy, observations: Observations, overrides: Vec<Override>) -> GateOutcome {
    let outcome = decide(policy, observations.clone());
    let recorded = RecordedOverrides {
        overrides,
        unreadable: vec![],
    };
    decide_overridden(policy, observations, outcome, &recorded, "web-app")
}

#[test]
fn overrides_that_cover_every_blocker_pass_the_deploy_and_say_who_why_until_and_over_what() {
    let health = granted("ovr-1", "web-app", &[OverrideKind::Health]);
    let freezes = granted("ovr-2", "web-app", &[OverrideKind::Freezes, OverrideKind::Health]);
    let outcome = decided(
        &policy(""),
        observed(vec![ec2_issue()], vec![frozen()]),
        vec![health.clone(), freezes.clone()],
    );
    let GateOutcome::PassOverridden {
        overrides,
        passed_over,
        health_source,
        ..
    } = &outcome
    else {
        panic!("not passed: {outcome:?}")
    };
    assert_eq!(overrides, &[health, freezes], "each override used, once");
    assert_eq!(passed_over.len(), 2, "{passed_over:?}");
    assert!(passed_over[1].contains("frz-1"), "{passed_over:?}");
    assert_eq!(*health_source, "api");
    assert_eq!(outcome.label(), "PASS_OVERRIDDEN");
    let JobResult::Success {
        summary,
        output_variables,
    } = crate::gate::render(&outcome)
    else {
        panic!("not a success")
    };
    assert!(
        summary.starts_with(&format!(
            "Passed on override ovr-1 by {ANN}: \"INC-9: hotfix for checkout\" (until 2026-11-30 12:00 UTC; passes over health) and override ovr-2"
        )),
        "{summary}"
    );
    assert!(summary.contains("AWS_EC2_OPERATIONAL_ISSUE"), "{summary}");
    for variable in [
        ("verdict", "PASS_OVERRIDDEN"),
        ("overridden_by", "ovr-1,ovr-2"),
        ("blocking_events", "1"),
        ("freezes", "overridden"),
    ] {
        assert!(
            output_variables.contains(&(variable.0.to_owned(), variable.1.to_owned())),
            "{variable:?}: {output_variables:?}"
        );
    }
    let notice = crate::gate::notice(&outcome, "web-app").expect("break glass is always told");
    assert_eq!(notice.subject, "pipeguard: break glass used on web-app");
    assert!(
        notice.body.contains(ANN) && notice.body.contains("INC-9: hotfix for checkout"),
        "{}",
        notice.body
    );
}

#[test]
fn an_override_that_covers_only_part_of_what_blocks_passes_nothing() {
    let observations = observed(vec![ec2_issue()], vec![frozen()]);
    let freezes_only = granted("ovr-1", "web-app", &[OverrideKind::Freezes]);
    assert_eq!(
        decided(&policy(""), observations.clone(), vec![freezes_only]),
        decide(&policy(""), observations)
    );
}

#[test]
fn an_override_of_another_pipeline_not_yet_begun_expired_or_ended_passes_nothing() {
    let observations = observed(vec![], vec![frozen()]);
    let other = granted("ovr-1", "web-api", &OverrideKind::ALL);
    let mut later = granted("ovr-2", "web-app", &OverrideKind::ALL);
    later.since = NOW + 1;
    let mut expired = granted("ovr-3", "web-app", &OverrideKind::ALL);
    expired.until = NOW;
    let mut ended = granted("ovr-4", "web-app", &OverrideKind::ALL);
    ended.ended = Some(Ended {
        at: NOW - 1,
        by: ANN.into(),
    });
    assert_eq!(
        decided(
            &policy(""),
            observations.clone(),
            vec![other, later, expired, ended]
        )
        .label(),
        "FROZEN"
    );
}

#[test]
fn a_signal_that_could_not_be_read_is_passed_over_only_with_what_its_failure_kept_from_view() {
    // AWS Health cannot be asked (fail-closed stops before the freezes), and a freeze holds:
    // an override of AWS Health alone must not let the deploy through the freeze.
    let mut frozen_and_unasked = observed(vec![], vec![frozen()]);
    frozen_and_unasked.health = health_unavailable();
    let health_only = granted("ovr-1", "web-app", &[OverrideKind::Health]);
    let outcome = decided(&policy(""), frozen_and_unasked.clone(), vec![health_only.clone()]);
    assert_eq!(outcome.label(), "HEALTH_UNAVAILABLE", "{outcome:?}");
    let both = granted("ovr-2", "web-app", &[OverrideKind::Health, OverrideKind::Freezes]);
    let outcome = decided(&policy(""), frozen_and_unasked, vec![both]);
    let GateOutcome::PassOverridden {
        passed_over,
        health_source,
        ..
    } = &outcome
    else {
        panic!("not passed: {outcome:?}")
    };
    assert!(
        passed_over[0].starts_with("AWS Health could not be asked: AWS Health: timed out"),
        "{passed_over:?}"
    );
    assert!(passed_over[1].contains("frz-1"), "{passed_over:?}");
    assert_eq!(*health_source, "none");

    // Alone, AWS Health's outage is passed over by an override of AWS Health.
    let mut unasked = observed(vec![], vec![]);
    unasked.health = health_unavailable();
    assert_eq!(
        decided(&policy(""), unasked, vec![health_only]).label(),
        "PASS_OVERRIDDEN"
    );

    // A lock that could not be checked hides nothing when the events are read, but they block.
    let mut lock_unchecked = observed(vec![ec2_issue()], vec![]);
    lock_unchecked.running = Err(ConflictCheckError::Unavailable {
        pipeline: "infra".into(),
        cause: "throttled".into(),
    });
    let locks = granted("ovr-3", "web-app", &[OverrideKind::Locks]);
    let locked = policy(r#"{"block_while_running": ["infra"]}"#);
    assert_eq!(
        decided(&locked, lock_unchecked.clone(), vec![locks.clone()]).label(),
        "LOCK_UNCHECKED",
        "the open event still blocks"
    );
    let mut and_health = locks;
    and_health.kinds.push(OverrideKind::Health);
    assert_eq!(
        decided(&locked, lock_unchecked, vec![and_health]).label(),
        "PASS_OVERRIDDEN"
    );

    // The freezes that could not be read, beside a running pipeline.
    let mut unread = observed(vec![], vec![]);
    unread.freezes = Some(Err(FreezesUnread("table t: throttled".into())));
    unread.running = Ok(vec![RunningExecution {
        pipeline: "infra".into(),
        execution_id: "e-1".into(),
        status: ExecutionStatus::InProgress,
    }]);
    let freezes = granted("ovr-4", "web-app", &[OverrideKind::Freezes]);
    assert_ne!(
        decided(&locked, unread.clone(), vec![freezes.clone()]).label(),
        "PASS_OVERRIDDEN"
    );
    let mut and_locks = freezes;
    and_locks.kinds.push(OverrideKind::Locks);
    assert_eq!(
        decided(&locked, unread, vec![and_locks]).label(),
        "PASS_OVERRIDDEN"
    );
}

#[test]
fn the_gates_own_faults_are_never_passed_over() {
    let every = granted("ovr-3", "web-app", &OverrideKind::ALL);
    for own_fault in [
        GateOutcome::Misconfigured("UserParameters: bad JSON".into()),
        GateOutcome::UnreadableToken("not ours".into()),
        GateOutcome::OutOfTime { budget_secs: 20 },
        GateOutcome::Crashed("panic".into()),
        GateOutcome::ConflictCheckFailed(ConflictCheckError::PipelineNotFound("infra".into())),
    ] {
        assert!(!own_fault.may_be_overridden(), "{own_fault:?}");
        let recorded = RecordedOverrides {
            overrides: vec![every.clone()],
            unreadable: vec![],
        };
        let decided = decide_overridden(
            &policy(""),
            observed(vec![], vec![]),
            own_fault.clone(),
            &recorded,
            "web-app",
        );
        assert_eq!(decided, own_fault);
    }
}

#[test]
fn a_configuration_error_an_unread_signal_kept_from_view_is_the_answer_not_a_pass() {
    // The lock names the gate's own pipeline, which was not known when AWS Health failed.
    let mut unasked = observed(vec![], vec![]);
    unasked.health = health_unavailable();
    unasked.pipeline = None;
    let locked_on_itself = policy(r#"{"block_while_running": ["web-app"]}"#);
    let outcome = decided(
        &locked_on_itself,
        unasked,
        vec![granted("ovr-1", "web-app", &OverrideKind::ALL)],
    );
    assert_eq!(outcome.label(), "MISCONFIGURED", "{outcome:?}");
}

#[test]
fn a_failure_marks_what_else_blocked_beside_its_holders() {
    let running = RunningExecution {
        pipeline: "infra".into(),
        execution_id: "e-1".into(),
        status: ExecutionStatus::InProgress,
    };
    let mut frozen_while_infra_runs = observed(vec![], vec![frozen()]);
    frozen_while_infra_runs.running = Ok(vec![running]);
    let outcome = decide(
        &policy(r#"{"block_while_running": ["infra"]}"#),
        frozen_while_infra_runs,
    );
    let JobResult::Failure { message, .. } = crate::gate::render(&outcome) else {
        panic!("{outcome:?}")
    };
    let hold = crate::hold::Hold::read(&message).expect("a marker");
    assert_eq!(
        (hold.freezes, hold.also),
        (vec!["frz-1".to_owned()], vec!["locks".to_owned()])
    );
}
