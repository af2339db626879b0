//! Hold markers from the gate's actions only, resumes bounded, and freezes held by reference.

use super::*;

#[test]
fn a_hold_marker_copied_into_another_actions_message_holds_nothing() {
    // A build whose log ends with the gate's marker line, copied: its failure is judged as any
    // other (retried here), never held or resumed for, and the copy is refused.
    let copied = failed_stage(
        0,
        vec![action(
            "Build",
            "Failed",
            Some("JobFailed"),
            Some(&blocked_by(ARN)),
        )],
    );
    assert!(carries_marker(&copied));
    assert!(
        matches!(
            decided(&RetryPolicy::default(), "e1", &copied),
            RetryDecision::Retry { .. }
        ),
        "judged as an ordinary failure"
    );
    let stages = [copied];
    assert!(held_in(&stages, None).is_empty(), "never resumed as held");
    let refused = copied_markers(&stages[0], &gates(&stages));
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].kind, RefusalKind::NotFromTheGate);
    assert!(
        refused[0].reason.contains("action Build"),
        "{}",
        refused[0].reason
    );
    // The gate's own action, in the same stage, still holds it.
    let both = failed_stage(
        0,
        vec![
            action(
                "Build",
                "Failed",
                Some("JobFailed"),
                Some(&blocked_by("arn:copied")),
            ),
            action("HealthGate", "Failed", Some("JobFailed"), Some(&blocked_by(ARN))),
        ],
    );
    let RetryDecision::Held(hold) = decided(&RetryPolicy::default(), "e1", &both) else {
        panic!("the gate's marker holds")
    };
    assert_eq!(hold.arns().collect::<Vec<_>>(), [ARN], "only the gate's events");
}

#[test]
fn a_gate_action_is_known_by_the_function_it_invokes_in_every_form() {
    let stack_gates =
        GateFunctions::from_env(|_| Some(format!("arn:aws:lambda:us-east-1:123456789012:function:{GATE}")))
            .unwrap();
    for (function, is_gate) in [
        (GATE.to_owned(), true),
        (format!("{GATE}:live"), true),
        (
            format!("arn:aws:lambda:us-east-1:123456789012:function:{GATE}:3"),
            true,
        ),
        (format!("123456789012:function:{GATE}"), true),
        (
            format!("arn:aws:lambda:us-east-1:999999999999:function:{GATE}"),
            false,
        ),
        (
            format!("arn:aws:lambda:eu-west-1:123456789012:function:{GATE}"),
            false,
        ),
        ("pipeguard-Other".to_owned(), false),
        (format!("{GATE}x"), false),
        ("".to_owned(), false),
    ] {
        assert_eq!(stack_gates.includes(&function), is_gate, "{function}");
    }
    let unset = GateFunctions::from_env(|_| None).unwrap();
    assert!(
        unset.is_empty() && !unset.includes(GATE),
        "unset, no function is a gate"
    );
    let error = GateFunctions::from_env(|_| Some("not a function!".into())).unwrap_err();
    assert!(error.to_string().contains("GATE_FUNCTIONS"), "{error}");
}

#[test]
fn a_stage_is_resumed_at_most_max_resumes_times_beyond_its_retries_then_people_are_told() {
    let message = blocked_by(ARN);
    let stage = |attempts_used| {
        failed_stage(
            attempts_used,
            vec![action("HealthGate", "Failed", Some("JobFailed"), Some(&message))],
        )
    };
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let bound = 3 + MAX_RESUMES;
    // Retries the policy made before the hold do not eat into the resumes.
    for attempts_used in [0, 3, bound - 1] {
        assert!(matches!(
            decided(&policy, "e1", &stage(attempts_used)),
            RetryDecision::Held(_)
        ));
        assert!(!resumes_used_up(&policy, &stage(attempts_used)));
    }
    let RetryDecision::Exhausted {
        attempts,
        allowed,
        last_errors,
    } = decided(&policy, "e1", &stage(bound))
    else {
        panic!("not exhausted")
    };
    assert_eq!((attempts, allowed), (bound, bound));
    assert!(
        !last_errors[0].contains("pipeguard:hold"),
        "people read the message without its marker: {last_errors:?}"
    );
    assert!(
        resumes_used_up(&policy, &stage(bound)),
        "the sweep resumes it no more"
    );
}

#[test]
fn freezes_a_marker_had_no_room_for_hold_by_reference_until_none_holds_the_pipeline() {
    let ids: Vec<String> = (0..400).map(|n| format!("frz-{n:04}-0123456789abcdef")).collect();
    let hold = Hold {
        freezes: ids.clone(),
        since: Some(100),
        ..Hold::default()
    };
    let marker = hold.marker();
    let read = Hold::read(&format!("blocked\n{marker}")).expect("the marker still reads");
    assert!(read.more_freezes > 0 && read.freezes.len() + read.more_freezes == ids.len());
    // A freeze the marker does not name, still active, holds the stage; ended, it does not.
    let unnamed = ids.last().unwrap();
    assert!(!read.freezes.contains(unnamed));
    let active = RecordedFreezes::from(vec![frozen(unnamed, 100, None)]);
    assert_eq!(
        still_holding(&read, &[], None, FreezesKnown::Read(&active), "web-app", 200),
        [format!("freeze {unnamed} (\"INC-1\")")]
    );
    let ended = RecordedFreezes::from(vec![frozen(unnamed, 100, Some(150))]);
    assert!(still_holding(&read, &[], None, FreezesKnown::Read(&ended), "web-app", 200).is_empty());
    assert!(
        !still_holding(
            &read,
            &[],
            None,
            FreezesKnown::Unreadable(NO_TABLE),
            "web-app",
            200
        )
        .is_empty()
    );
    // Any unfreeze may be the one that ends it.
    let message = format!("blocked\n{marker}");
    let stages = [failed_stage(
        0,
        vec![action("HealthGate", "Failed", Some("JobFailed"), Some(&message))],
    )];
    assert_eq!(held_in(&stages, Some(Release::Unfrozen(unnamed))).len(), 1);
}

#[test]
fn alarms_in_the_gates_markers_hold_the_stage_each_once() {
    let alarm = |name: &str| crate::hold::HeldAlarm {
        name: name.into(),
        region: "us-east-1".into(),
        account: "111122223333".into(),
    };
    let marked = |alarms: Vec<crate::hold::HeldAlarm>| {
        let hold = Hold {
            alarms,
            ..Hold::default()
        };
        format!("Deployment blocked by CloudWatch alarms\n{}", hold.marker())
    };
    let stage = failed_stage(
        0,
        vec![
            action(
                "HealthGate",
                "Failed",
                Some("JobFailed"),
                Some(&marked(vec![alarm("web-5xx"), alarm("web-latency")])),
            ),
            action(
                "HealthGate2",
                "Failed",
                Some("JobFailed"),
                Some(&marked(vec![alarm("web-5xx")])),
            ),
        ],
    );
    let RetryDecision::Held(hold) = decided(&RetryPolicy::default(), "e1", &stage) else {
        panic!("the gate's alarms hold the stage")
    };
    assert_eq!(hold.alarms, [alarm("web-5xx"), alarm("web-latency")]);
}
