use super::*;
use crate::freeze::{Freeze, RecordedFreezes};
use crate::hold::{EventRef, GateFunctions, HeldBy};
use crate::holder::{ALARMS_NOT_ASKED, AlarmsKnown, FreezesKnown, HolderState, Known, holders_now};

/// Why the freezes are not known, in these tests.
const NO_TABLE: &str = "the freezes cannot be read here";

/// What still holds web-app's stage, each as people read it: what stage-retry waits for.
fn still_holding(
    hold: &Hold,
    closed: &[bool],
    release: Option<Release>,
    freezes: FreezesKnown,
    pipeline: &str,
    now: i64,
) -> Vec<String> {
    let known = Known {
        events_closed: Ok(closed),
        release,
        freezes,
        alarms: AlarmsKnown::NotAsked(ALARMS_NOT_ASKED),
        overrides: &[],
    };
    holders_now(hold, &known, pipeline, now)
        .iter()
        .filter(|state| state.still_holds())
        .map(HolderState::describe)
        .collect()
}

/// An event every account sees, or one of no particular account.
fn event(arn: &str) -> EventRef<'_> {
    EventRef { arn, account: None }
}
use crate::pipeline::{ActionSnapshot, ActionStatus, DeclaredAction, StageStatus};

/// The stack's gate in these tests.
const GATE: &str = "pipeguard-HealthGate-1AB2";

/// The stages' actions as their pipeline declares them: an action whose name says `Gate` invokes
/// the stack's gate, every other one is no Lambda invoke action.
fn gates(stages: &[StageSnapshot]) -> GateActions {
    let declared: Vec<DeclaredAction> = stages
        .iter()
        .flat_map(|stage| {
            stage.actions.iter().map(|action| DeclaredAction {
                stage: stage.name.clone(),
                name: action.name.clone(),
                invokes: action.name.contains("Gate").then(|| GATE.to_owned()),
            })
        })
        .collect();
    let stack_gates = GateFunctions::from_env(|_| Some(GATE.to_owned())).unwrap();
    GateActions::of(&declared, &stack_gates)
}

/// `decide`, with the gate actions of the stage's pipeline.
fn decided(policy: &RetryPolicy, execution_id: &str, stage: &StageSnapshot) -> RetryDecision {
    decide(policy, execution_id, stage, &gates(std::slice::from_ref(stage)))
}

/// `held_stages`, with the gate actions of the stages' pipeline.
fn held_in<'a>(stages: &'a [StageSnapshot], release: Option<Release>) -> Vec<(&'a StageSnapshot, Hold)> {
    held_stages(stages, release, &gates(stages))
}

const ARN: &str =
    "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_abc";

fn action(name: &str, status: &str, code: Option<&str>, message: Option<&str>) -> ActionSnapshot {
    ActionSnapshot {
        name: name.into(),
        status: Some(ActionStatus::from(status)),
        error_code: code.map(str::to_owned),
        error_message: message.map(str::to_owned),
    }
}

fn failed_stage(attempts_used: u32, actions: Vec<ActionSnapshot>) -> StageSnapshot {
    StageSnapshot {
        name: "Deploy".into(),
        execution_id: Some("e1".into()),
        status: Some(StageStatus::Failed),
        execution_type: None,
        attempts_used,
        actions,
    }
}

fn flaky() -> StageSnapshot {
    failed_stage(
        0,
        vec![
            action("Migrate", "Succeeded", None, None),
            action("Apply", "Failed", Some("JobFailed"), Some("Rate exceeded")),
        ],
    )
}

#[test]
fn a_transient_failure_is_retried_with_the_policy_mode() {
    let decision = decided(&RetryPolicy::default(), "e1", &flaky());
    assert_eq!(
        decision,
        RetryDecision::Retry {
            mode: RetryMode::FailedActions,
            attempt: 1,
            delay_seconds: 0
        }
    );
}

#[test]
fn a_failed_bake_is_never_retried_for_apply_rollback_rolls_it_back() {
    let baked = failed_stage(
        0,
        vec![
            action("Apply", "Succeeded", None, None),
            action(
                "BakeGate",
                "Failed",
                Some("JobFailed"),
                Some("BAKE_FAILED: CloudWatch alarm web-5xx (us-east-1) fired during the bake"),
            ),
        ],
    );
    let RetryDecision::Skip(reason) = decided(&RetryPolicy::default(), "e1", &baked) else {
        panic!("a failed bake was retried")
    };
    assert!(reason.contains("failed its bake"), "{reason}");
}

#[test]
fn bake_failed_in_the_message_of_an_action_that_is_no_gate_is_judged_as_any_failure() {
    let printed = failed_stage(
        0,
        vec![action(
            "Build",
            "Failed",
            Some("JobFailed"),
            Some("BAKE_FAILED: a log line a build printed"),
        )],
    );
    if let RetryDecision::Skip(reason) = decided(&RetryPolicy::default(), "e1", &printed) {
        assert!(!reason.contains("failed its bake"), "{reason}");
    }
}

#[test]
fn attempts_count_from_codepipeline_and_run_out() {
    let mut stage = flaky();
    stage.attempts_used = 1;
    assert!(matches!(
        decided(&RetryPolicy::default(), "e1", &stage),
        RetryDecision::Retry { attempt: 2, .. }
    ));
    stage.attempts_used = 2;
    let RetryDecision::Exhausted {
        attempts,
        allowed,
        last_errors,
    } = decided(&RetryPolicy::default(), "e1", &stage)
    else {
        panic!()
    };
    assert_eq!((attempts, allowed), (2, 2));
    assert_eq!(last_errors, ["Apply: JobFailed Rate exceeded"]);
    let never = RetryPolicy {
        max_attempts: 0,
        ..RetryPolicy::default()
    };
    assert!(matches!(
        decided(&never, "e1", &flaky()),
        RetryDecision::Exhausted { attempts: 0, .. }
    ));
}

#[test]
fn a_superseded_or_already_retried_stage_is_left_alone() {
    assert!(
        matches!(decided(&RetryPolicy::default(), "e0", &flaky()), RetryDecision::Skip(reason) if reason.starts_with("superseded"))
    );
    let mut running = flaky();
    running.status = Some(StageStatus::InProgress);
    assert!(
        matches!(decided(&RetryPolicy::default(), "e1", &running), RetryDecision::Skip(reason) if reason.contains("is InProgress"))
    );
}

#[test]
fn configuration_and_permission_errors_are_never_retried() {
    for code in ["ConfigurationError", "PermissionError"] {
        let stage = failed_stage(0, vec![action("Apply", "Failed", Some(code), Some("bad"))]);
        assert!(
            matches!(decided(&RetryPolicy::default(), "e1", &stage), RetryDecision::Skip(reason) if reason.contains(code)),
            "{code}"
        );
    }
}

#[test]
fn the_policy_chooses_stages_actions_and_codes() {
    let only_build = RetryPolicy {
        stages: vec!["Build".into()],
        ..RetryPolicy::default()
    };
    assert!(matches!(
        decided(&only_build, "e1", &flaky()),
        RetryDecision::Skip(_)
    ));
    let never_deploy = RetryPolicy {
        never_stages: vec!["Deploy".into()],
        ..RetryPolicy::default()
    };
    assert!(matches!(
        decided(&never_deploy, "e1", &flaky()),
        RetryDecision::Skip(_)
    ));
    let never_apply = RetryPolicy {
        never_actions: vec!["Apply".into()],
        ..RetryPolicy::default()
    };
    assert!(matches!(
        decided(&never_apply, "e1", &flaky()),
        RetryDecision::Skip(_)
    ));
    let only_other_action = RetryPolicy {
        actions: vec!["Test".into()],
        ..RetryPolicy::default()
    };
    assert!(matches!(
        decided(&only_other_action, "e1", &flaky()),
        RetryDecision::Skip(_)
    ));
    let only_system = RetryPolicy {
        error_codes: vec!["SystemUnavailable".into()],
        ..RetryPolicy::default()
    };
    assert!(
        matches!(decided(&only_system, "e1", &flaky()), RetryDecision::Skip(reason) if reason.contains("error_codes"))
    );
    let all = RetryPolicy {
        retry_mode: RetryMode::AllActions,
        delay_seconds: 5,
        ..RetryPolicy::default()
    };
    assert_eq!(
        decided(&all, "e1", &flaky()),
        RetryDecision::Retry {
            mode: RetryMode::AllActions,
            attempt: 1,
            delay_seconds: 5
        }
    );
}

#[test]
fn a_stage_failed_without_a_failed_action_is_not_retried() {
    let stage = failed_stage(0, vec![action("Apply", "Succeeded", None, None)]);
    assert!(matches!(
        decided(&RetryPolicy::default(), "e1", &stage),
        RetryDecision::Skip(_)
    ));
}

/// A failure message as the gate writes it for one AWS Health event.
fn blocked_by(arn: &str) -> String {
    let hold = crate::hold::Hold::new(
        vec![crate::hold::HeldBy {
            arn: arn.into(),
            region: "us-east-1".into(),
            account: None,
        }],
        None,
    );
    format!(
        "Deployment blocked by 1 AWS Health event:\n- AWS Health open issue: EC2 in us-east-1, since x ({arn})\n{}",
        hold.marker()
    )
}

#[test]
fn a_stage_the_gate_failed_waits_for_its_health_events() {
    let message = blocked_by(ARN);
    let stage = failed_stage(
        0,
        vec![action("HealthGate", "Failed", Some("JobFailed"), Some(&message))],
    );
    let RetryDecision::Held(hold) = decided(&RetryPolicy::default(), "e1", &stage) else {
        panic!("not held")
    };
    assert_eq!(hold.arns().collect::<Vec<_>>(), [ARN]);
    let mut exhausted = stage.clone();
    exhausted.attempts_used = 5;
    assert!(
        matches!(
            decided(&RetryPolicy::default(), "e1", &exhausted),
            RetryDecision::Held(_)
        ),
        "a hold is not a retry"
    );
}

#[test]
fn stages_held_by_an_event_are_found_for_resuming() {
    let gate = failed_stage(
        0,
        vec![action(
            "HealthGate",
            "Failed",
            Some("JobFailed"),
            Some(&blocked_by(ARN)),
        )],
    );
    let other = flaky();
    let mut resolved = gate.clone();
    resolved.status = Some(StageStatus::Succeeded);
    let stages = vec![gate.clone(), other, resolved];
    let held: Vec<&StageSnapshot> = held_in(&stages, Some(Release::EventClosed(event(ARN))))
        .into_iter()
        .map(|(stage, _)| stage)
        .collect();
    assert_eq!(held, [&gate]);
    assert!(
        held_in(
            &stages,
            Some(Release::EventClosed(event(
                "arn:aws:health:us-east-1::event/EC2/OTHER"
            )))
        )
        .is_empty()
    );
    assert_eq!(held_in(&stages, None).len(), 1, "every held stage");
}

#[test]
fn a_stage_held_by_the_gates_marker_waits_for_every_event_it_names() {
    let other = "arn:aws:health:global::event/IAM/AWS_IAM_OPERATIONAL_ISSUE/x";
    let marker = crate::hold::Hold::new(
        vec![
            crate::hold::HeldBy {
                arn: ARN.into(),
                region: "us-east-1".into(),
                account: None,
            },
            crate::hold::HeldBy {
                arn: other.into(),
                region: "global".into(),
                account: None,
            },
        ],
        None,
    )
    .marker();
    let message = format!("Deployment blocked by 2 AWS Health events:\n- ...\n{marker}");
    let stage = failed_stage(
        0,
        vec![action("HealthGate", "Failed", Some("JobFailed"), Some(&message))],
    );
    let RetryDecision::Held(hold) = decided(&RetryPolicy::default(), "e1", &stage) else {
        panic!("not held")
    };
    assert_eq!(hold.arns().collect::<Vec<_>>(), [ARN, other]);
    assert_eq!(hold.events[1].region, "global");
    let stages = [stage];
    assert_eq!(
        held_in(&stages, Some(Release::EventClosed(event(other)))).len(),
        1
    );
    assert_eq!(held_in(&stages, None)[0].1, hold);
}

/// Found by the property tests: the counts of events two markers left out were summed
/// unchecked, and a marker can say any count (a panic in a debug build).
#[test]
fn the_counts_two_markers_left_out_add_up_without_overflow() {
    let message = format!(
        "blocked\npipeguard:hold:v1 {{\"events\":[{{\"arn\":\"{ARN}\",\"region\":\"us-east-1\"}}],\"more\":{}}}",
        usize::MAX
    );
    let stages = [failed_stage(
        0,
        vec![
            action("GateA", "Failed", Some("JobFailed"), Some(&message)),
            action("GateB", "Failed", Some("JobFailed"), Some(&message)),
        ],
    )];
    let held = held_in(&stages, None);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].1.more, usize::MAX);
    assert_eq!(held[0].1.arns().collect::<Vec<_>>(), [ARN]);
}

fn may_resume(hold: &Hold, closed: &[bool], release: Option<Release>, freezes: &[Freeze], now: i64) -> bool {
    let recorded = RecordedFreezes::from(freezes.to_vec());
    still_holding(
        hold,
        closed,
        release,
        FreezesKnown::Read(&recorded),
        "web-app",
        now,
    )
    .is_empty()
}

#[test]
fn a_held_stage_resumes_only_once_every_event_that_held_it_has_closed() {
    let hold = crate::hold::Hold::new(
        vec![
            crate::hold::HeldBy {
                arn: "a".into(),
                region: "us-east-1".into(),
                account: None,
            },
            crate::hold::HeldBy {
                arn: "b".into(),
                region: "us-east-1".into(),
                account: None,
            },
        ],
        None,
    );
    assert!(may_resume(&hold, &[true, true], None, &[], 0));
    assert!(!may_resume(&hold, &[true, false], None, &[], 0));
    assert!(
        may_resume(
            &hold,
            &[true, false],
            Some(Release::EventClosed(event("b"))),
            &[],
            0
        ),
        "b just closed"
    );
    assert!(!may_resume(
        &hold,
        &[false, false],
        Some(Release::EventClosed(event("b"))),
        &[],
        0
    ));
    assert!(
        !may_resume(&hold, &[true], None, &[], 0),
        "every event must be answered for"
    );
    assert_eq!(
        still_holding(
            &hold,
            &[true, false],
            None,
            FreezesKnown::Read(&RecordedFreezes::default()),
            "web-app",
            0
        ),
        ["b"],
        "what still holds it, as people read it"
    );
}

fn frozen(id: &str, since: i64, until: Option<i64>) -> Freeze {
    Freeze {
        id: id.into(),
        by: "arn:aws:iam::111111111111:user/ic".into(),
        reason: "INC-1".into(),
        since,
        until,
        coverage: crate::selection::PipelineSelection::Everything,
        unfrozen: None,
    }
}

#[test]
fn a_stage_held_by_freezes_resumes_when_every_one_has_ended() {
    let hold = Hold {
        freezes: vec!["f1".into(), "f2".into()],
        since: Some(100),
        ..Hold::default()
    };
    let mut unfrozen = frozen("f1", 100, None);
    unfrozen.unfrozen = Some(crate::freeze::Unfrozen {
        at: 200,
        by: "arn:aws:iam::111111111111:user/ic".into(),
    });
    let until_300 = frozen("f2", 100, Some(300));
    let freezes = [unfrozen.clone(), until_300.clone()];
    let recorded = RecordedFreezes::from(freezes.to_vec());
    assert_eq!(
        still_holding(&hold, &[], None, FreezesKnown::Read(&recorded), "web-app", 250),
        ["freeze f2 (\"INC-1\"), until 1970-01-01 00:05 UTC"]
    );
    assert_eq!(
        still_holding(
            &hold,
            &[],
            None,
            FreezesKnown::Unreadable(NO_TABLE),
            "web-app",
            250
        ),
        [
            "freeze f1: unknown (the freezes cannot be read here)",
            "freeze f2: unknown (the freezes cannot be read here)"
        ],
        "without the table, a freeze is not taken for ended"
    );
    let mut prod_only = until_300;
    prod_only.coverage = crate::selection::PipelineSelection::Prefix("prod-".into());
    assert!(
        may_resume(&hold, &[], None, &[unfrozen.clone(), prod_only], 250),
        "a freeze that held web-app only because the gate could not learn its name"
    );
    assert!(
        may_resume(&hold, &[], None, &freezes, 300),
        "f2 reached its until"
    );
    assert!(
        may_resume(&hold, &[], Some(Release::Unfrozen("f1")), &[unfrozen], 250),
        "a freeze the table no longer has ended long ago"
    );
    assert!(!may_resume(&hold, &[], None, &[frozen("f1", 100, None)], 250));
}

#[test]
fn a_stage_held_by_a_freeze_whose_item_no_longer_reads_stays_held_until_it_is_ended_by_hand() {
    let hold = Hold {
        freezes: vec!["f1".into()],
        since: Some(100),
        ..Hold::default()
    };
    let mut broken = crate::freeze::UnreadableFreeze {
        key: "f1".into(),
        why: "reason is missing".into(),
        coverage: crate::selection::PipelineSelection::Everything,
        unfrozen: None,
    };
    let read = |broken: &crate::freeze::UnreadableFreeze| RecordedFreezes {
        freezes: vec![],
        unreadable: vec![broken.clone()],
    };
    assert_eq!(
        still_holding(
            &hold,
            &[],
            None,
            FreezesKnown::Read(&read(&broken)),
            "web-app",
            250
        ),
        ["freeze f1 (unreadable: reason is missing)"]
    );
    broken.unfrozen = Some(crate::freeze::Unfrozen {
        at: 200,
        by: "arn:aws:iam::111111111111:user/ic".into(),
    });
    assert!(
        still_holding(
            &hold,
            &[],
            None,
            FreezesKnown::Read(&read(&broken)),
            "web-app",
            250
        )
        .is_empty()
    );
}

#[test]
fn a_stage_held_by_the_schedule_resumes_when_it_opens() {
    let hold = Hold {
        opens_at: Some(1000),
        ..Hold::default()
    };
    assert_eq!(
        still_holding(
            &hold,
            &[],
            None,
            FreezesKnown::Read(&RecordedFreezes::default()),
            "web-app",
            999
        ),
        ["the deployment schedule, until 1970-01-01 00:16 UTC"]
    );
    assert!(may_resume(&hold, &[], None, &[], 1000));
}

#[test]
fn stages_held_by_a_freeze_are_found_when_it_is_unfrozen() {
    let marker = Hold {
        freezes: vec!["f1".into()],
        since: Some(100),
        ..Hold::default()
    }
    .marker();
    let stages = [failed_stage(
        0,
        vec![action(
            "HealthGate",
            "Failed",
            Some("JobFailed"),
            Some(&format!("Deployment blocked by 1 freeze\n{marker}")),
        )],
    )];
    assert_eq!(held_in(&stages, Some(Release::Unfrozen("f1"))).len(), 1);
    assert!(held_in(&stages, Some(Release::Unfrozen("f2"))).is_empty());
    let RetryDecision::Held(hold) = decided(&RetryPolicy::default(), "e1", &stages[0]) else {
        panic!("not held")
    };
    assert_eq!((hold.freezes, hold.since), (vec!["f1".to_owned()], Some(100)));
}

#[test]
fn the_events_still_open_are_those_not_closed() {
    let hold = crate::hold::Hold::new(
        ["a", "b", "c"]
            .map(|arn| crate::hold::HeldBy {
                arn: arn.into(),
                region: "us-east-1".into(),
                account: None,
            })
            .to_vec(),
        None,
    );
    let arns = |open: Vec<&HeldBy>| open.into_iter().map(|held| held.arn.clone()).collect::<Vec<_>>();
    assert_eq!(arns(hold.still_open(&[true, false, false])), ["b", "c"]);
    assert!(hold.still_open(&[true, true, true]).is_empty());
}

/// Hold markers from the gate's actions only, resumes bounded, holds by reference.
#[path = "decide_marker_tests.rs"]
mod marker;
