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

fn gate(operation: &'static str, endpoint: usize) -> Target<'static> {
    Target {
        service: "health",
        operation,
        endpoint,
        caller: "health-gate",
        ..Target::default()
    }
}

fn fault(value: serde_json::Value) -> Fault {
    serde_json::from_value(value).unwrap()
}

#[test]
fn counted_faults_are_used_up_and_scoped() {
    let mut state = State::new();
    state.faults.push(fault(serde_json::json!({
        "service": "health", "operation": "DescribeEvents", "kind": "throttle",
        "endpoint": 0, "count": 3, "caller": "health-gate"
    })));
    assert!(
        state.take_fault(&gate("DescribeEvents", 1)).is_none(),
        "other endpoint"
    );
    let other_service = Target {
        service: "codepipeline",
        ..gate("DescribeEvents", 0)
    };
    assert!(state.take_fault(&other_service).is_none(), "other service");
    let other_caller = Target {
        caller: "pipeguard-cli",
        ..gate("DescribeEvents", 0)
    };
    assert!(state.take_fault(&other_caller).is_none(), "other caller");
    for _ in 0..3 {
        assert!(state.take_fault(&gate("DescribeEvents", 0)).is_some());
    }
    assert!(state.take_fault(&gate("DescribeEvents", 0)).is_none(), "used up");
}

#[test]
fn a_fault_naming_a_table_and_a_partition_hits_only_calls_that_name_both() {
    let aimed = fault(serde_json::json!({
        "service": "dynamodb", "operation": "Query", "kind": "server-error",
        "table": "events", "partition": "pipeguard#freezes"
    }));
    let call = |table: Option<&'static str>, partition: Option<&'static str>| Target {
        service: "dynamodb",
        operation: "Query",
        caller: "health-gate",
        table,
        partition,
        ..Target::default()
    };
    assert!(aimed.hits(&call(Some("events"), Some("pipeguard#freezes"))));
    assert!(
        !aimed.hits(&call(Some("events"), Some("us-east-1"))),
        "other partition"
    );
    assert!(
        !aimed.hits(&call(Some("other"), Some("pipeguard#freezes"))),
        "other table"
    );
    assert!(!aimed.hits(&call(Some("events"), None)), "no partition named");
    assert!(!aimed.hits(&call(None, None)), "no table named");
    let whole_table =
        fault(serde_json::json!({"service": "dynamodb", "kind": "throttle", "table": "events"}));
    assert!(whole_table.hits(&call(Some("events"), None)));
    assert!(whole_table.hits(&call(Some("events"), Some("us-east-1"))));
    assert!(!whole_table.hits(&call(None, None)));
}

#[test]
fn faults_that_could_never_hit_what_they_name_are_refused() {
    let refused = [
        (
            serde_json::json!({"service": "health", "table": "events"}),
            "only with service \"dynamodb\"",
        ),
        (
            serde_json::json!({"service": "*", "partition": "p"}),
            "only with service \"dynamodb\"",
        ),
        (
            serde_json::json!({"service": "dynamodb", "table": "ab"}),
            "not a DynamoDB table name",
        ),
        (
            serde_json::json!({"service": "dynamodb", "table": "a table"}),
            "not a DynamoDB table name",
        ),
        (
            serde_json::json!({"service": "dynamodb", "partition": ""}),
            "must not be empty",
        ),
        (
            serde_json::json!({"service": "dynamodb", "operation": "DescribeTable", "partition": "p"}),
            "DescribeTable names no partition",
        ),
    ];
    for (mut spec, expected) in refused {
        spec["kind"] = serde_json::json!("throttle");
        let why = fault(spec.clone()).check().unwrap_err();
        assert!(why.contains(expected), "{spec}: {why}");
    }
    let fine = serde_json::json!({"service": "dynamodb", "operation": "GetItem", "kind": "drop",
                                  "table": "pipeguard-health-events", "partition": "us-east-1"});
    assert_eq!(fault(fine).check(), Ok(()));
    let misspelt = serde_json::json!({"service": "dynamodb", "kind": "drop", "tabel": "events"});
    let error = serde_json::from_value::<Fault>(misspelt).unwrap_err();
    assert!(error.to_string().contains("unknown field `tabel`"), "{error}");
}

#[test]
fn ids_are_unique() {
    let mut state = State::new();
    assert_ne!(state.id(), state.id());
}
