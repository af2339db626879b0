use super::*;

#[test]
fn scripted_outcomes_parse() {
    assert_eq!(ScriptOutcome::parse("succeed"), ScriptOutcome::Succeed);
    assert_eq!(
        ScriptOutcome::parse("fail:JobFailed:Rate exceeded: slow down"),
        ScriptOutcome::Fail {
            code: "JobFailed".into(),
            message: "Rate exceeded: slow down".into()
        }
    );
    assert!(matches!(ScriptOutcome::parse("fail"), ScriptOutcome::Fail { code, .. } if code == "JobFailed"));
}

#[test]
fn counted_faults_are_used_up_and_scoped() {
    let mut state = State::new();
    state.faults.push(Fault {
        service: "health".into(),
        operation: "DescribeEvents".into(),
        kind: FaultKind::Throttle,
        ms: 0,
        endpoint: Some(0),
        count: Some(3),
        caller: Some("health-gate".into()),
    });
    assert!(
        state
            .take_fault("health", "DescribeEvents", 1, "health-gate")
            .is_none(),
        "other endpoint"
    );
    assert!(
        state
            .take_fault("codepipeline", "DescribeEvents", 0, "health-gate")
            .is_none(),
        "other service"
    );
    assert!(
        state
            .take_fault("health", "DescribeEvents", 0, "pipeguard-cli")
            .is_none(),
        "other caller"
    );
    for _ in 0..3 {
        assert!(
            state
                .take_fault("health", "DescribeEvents", 0, "health-gate")
                .is_some()
        );
    }
    assert!(
        state
            .take_fault("health", "DescribeEvents", 0, "health-gate")
            .is_none(),
        "used up"
    );
}

#[test]
fn ids_are_unique() {
    let mut state = State::new();
    assert_ne!(state.id(), state.id());
}
