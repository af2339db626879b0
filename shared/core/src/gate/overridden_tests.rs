use super::*;
use crate::freeze::Freeze;
use crate::gate::HealthCheck;
use crate::health::HealthSource;
use crate::job::JobResult;
use crate::overrides::Ended;
use crate::pipeline::ConflictCheckError;
use crate::schedule::Closed;
use crate::selection::PipelineSelection;

const NOW: i64 = 1_796_036_400;
const ANN: &str = "arn:aws:sts::111122223333:assumed-role/oncall/ann";

fn scope() -> Scope {
    Scope {
        regions: vec!["us-east-1".into()],
        services: vec![],
        locks: vec![],
        accounts: vec!["111122223333".into()],
        schedule: true,
    }
}

fn frozen() -> Blocker {
    Blocker::Freeze(Freeze {
        id: "frz-1".into(),
        by: "arn:aws:sts::111122223333:assumed-role/oncall/bob".into(),
        reason: "INC-4211: checkout errors".into(),
        since: NOW - 600,
        until: None,
        coverage: PipelineSelection::Everything,
        unfrozen: None,
    })
}

fn outside_window() -> Blocker {
    Blocker::OutsideWindow(Closed {
        because: "Mon-Fri 09:00-17:00 Europe/Berlin".into(),
        opens_at: Some(NOW + 3600),
    })
}

fn blocked(blockers: Vec<Blocker>) -> GateOutcome {
    GateOutcome::Blocked {
        blockers,
        health: HealthCheck::Asked {
            source: HealthSource::Api,
            caveat: None,
        },
        at: NOW,
    }
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

fn recorded(overrides: Vec<Override>) -> RecordedOverrides {
    RecordedOverrides {
        overrides,
        unreadable: vec![],
    }
}

fn apply(outcome: GateOutcome, overrides: Vec<Override>) -> GateOutcome {
    overridden(outcome, &scope(), &recorded(overrides), "web-app", NOW)
}

#[test]
fn overrides_that_cover_every_blocker_pass_the_deploy_and_say_who_why_until_and_over_what() {
    let freezes = granted("ovr-1", "web-app", &[OverrideKind::Freezes]);
    let windows = granted(
        "ovr-2",
        "web-app",
        &[OverrideKind::Windows, OverrideKind::Freezes],
    );
    let outcome = apply(
        blocked(vec![frozen(), outside_window()]),
        vec![freezes.clone(), windows.clone()],
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
    assert_eq!(overrides, &[freezes, windows], "each override used, once");
    assert_eq!(passed_over.len(), 2);
    assert!(passed_over[0].contains("frz-1"), "{passed_over:?}");
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
            "Passed on override ovr-1 by {ANN}: \"INC-9: hotfix for checkout\" (until 2026-11-30 12:00 UTC; passes over freezes) and override ovr-2"
        )),
        "{summary}"
    );
    assert!(summary.contains("Mon-Fri 09:00-17:00 Europe/Berlin"), "{summary}");
    assert!(output_variables.contains(&("verdict".to_owned(), "PASS_OVERRIDDEN".to_owned())));
    assert!(output_variables.contains(&("overridden_by".to_owned(), "ovr-1,ovr-2".to_owned())));
    assert!(output_variables.contains(&("blocking_events".to_owned(), "0".to_owned())));
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
    let outcome = blocked(vec![frozen(), outside_window()]);
    let freezes_only = granted("ovr-1", "web-app", &[OverrideKind::Freezes]);
    assert_eq!(apply(outcome.clone(), vec![freezes_only]), outcome);
}

#[test]
fn an_override_of_another_pipeline_not_yet_begun_expired_or_ended_passes_nothing() {
    let outcome = blocked(vec![frozen()]);
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
        apply(outcome.clone(), vec![other, later, expired, ended]),
        outcome
    );
}

#[test]
fn a_signal_that_could_not_be_read_is_passed_over_by_its_kind_and_the_gates_own_faults_never() {
    let health = granted("ovr-1", "web-app", &[OverrideKind::Health]);
    let unavailable = GateOutcome::HealthUnavailable {
        cause: "DescribeEvents: throttled".into(),
    };
    assert!(unavailable.may_be_overridden());
    assert_eq!(
        apply(unavailable, vec![health.clone()]).label(),
        "PASS_OVERRIDDEN"
    );
    let freezes_unread = GateOutcome::FreezesUnavailable {
        cause: "table pipeguard-events".into(),
    };
    assert_eq!(
        apply(freezes_unread.clone(), vec![health.clone()]),
        freezes_unread
    );
    let lock = GateOutcome::ConflictCheckFailed(ConflictCheckError::Unavailable {
        pipeline: "infra".into(),
        cause: "throttled".into(),
    });
    let locks = granted("ovr-2", "web-app", &[OverrideKind::Locks]);
    assert_eq!(apply(lock, vec![locks]).label(), "PASS_OVERRIDDEN");
    let every = granted("ovr-3", "web-app", &OverrideKind::ALL);
    for own_fault in [
        GateOutcome::Misconfigured("UserParameters: bad JSON".into()),
        GateOutcome::UnreadableToken("not ours".into()),
        GateOutcome::OutOfTime { budget_secs: 20 },
        GateOutcome::Crashed("panic".into()),
        GateOutcome::ConflictCheckFailed(ConflictCheckError::PipelineNotFound("infra".into())),
    ] {
        assert!(!own_fault.may_be_overridden(), "{own_fault:?}");
        assert_eq!(apply(own_fault.clone(), vec![every.clone()]), own_fault);
    }
}
