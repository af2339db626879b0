//! The service's own alarms, as the template sets the gate up for them: off for a stack upgraded
//! in place, the defaults reaching the gate as `GATE_*` variables, exactly DescribeAlarms to read
//! them (for the gate, and for stage-retry to learn that a held alarm cleared), and an alarm on
//! the gate when it cannot.

use super::{functions, granted, plain, reference, statements, template};
use pipeguard_core::gate::GateDefaults;
use serde_norway::Value as Yaml;

#[test]
fn the_gates_alarm_settings_are_off_by_default_and_reach_it_as_gate_variables() {
    let template = template();
    let gate = &functions(&template)["HealthGateFunction"];
    for (parameter, variable) in [
        ("GateAlarms", "GATE_ALARMS"),
        ("GateAlarmStates", "GATE_ALARM_STATES"),
        ("GateAlarmsRole", "GATE_ALARMS_ROLE"),
    ] {
        assert_eq!(
            template["Parameters"][parameter]["Default"], "",
            "{parameter}: a stack upgraded in place must watch no alarm"
        );
        assert_eq!(
            reference(&gate["Properties"]["Environment"]["Variables"][variable]),
            Some(parameter),
            "{variable}"
        );
    }
    let read = |alarms: &str, states: &str| {
        GateDefaults::from_env(|name| match name {
            "AWS_REGION" => Some("us-east-1".to_owned()),
            "GATE_ALARMS" => Some(alarms.to_owned()),
            "GATE_ALARM_STATES" => Some(states.to_owned()),
            _ => None,
        })
        .and_then(|defaults| defaults.for_action(None))
    };
    let defaulted = read("", "").unwrap();
    assert!(defaulted.alarms.is_empty(), "the defaults watch no alarm");
    for state in template["Parameters"]["GateAlarmStates"]["AllowedValues"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Yaml::as_str)
    {
        read("web-5xx", state).unwrap_or_else(|error| panic!("GateAlarmStates `{state}`: {error}"));
    }
}

#[test]
fn the_gate_and_stage_retry_alone_read_alarms_with_describe_alarms_on_every_resource() {
    let template = template();
    assert!(granted(&template)["health-gate"].contains("cloudwatch:DescribeAlarms"));
    assert!(granted(&template)["stage-retry"].contains("cloudwatch:DescribeAlarms"));
    for (name, function) in functions(&template) {
        for statement in statements(&function) {
            if !format!("{:?}", statement["Action"]).contains("cloudwatch:") {
                continue;
            }
            assert!(
                ["HealthGateFunction", "StageRetryFunction"].contains(&name.as_str()),
                "{name}: {statement:?}"
            );
            let actions: Vec<&str> = statement["Action"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(Yaml::as_str)
                .collect();
            assert_eq!(actions, ["cloudwatch:DescribeAlarms"], "{name}");
            // Composite alarms are answered only to a permission scoped to "*".
            assert_eq!(plain(&statement["Resource"]), Some("*"), "{name}");
        }
    }
}

#[test]
fn alarms_the_gate_cannot_read_are_alarmed_on() {
    let template = template();
    let alarm = &template["Resources"]["GateAlarmsUnreadableAlarm"]["Properties"];
    assert_eq!(alarm["Namespace"], pipeguard_aws::metrics::NAMESPACE);
    let dimensions = format!("{:?}", alarm["Dimensions"]);
    assert!(dimensions.contains("ALARMS_UNAVAILABLE"), "{dimensions}");
    assert!(dimensions.contains("health-gate"), "{dimensions}");
}

#[test]
fn the_gate_may_assume_only_the_named_alarms_reader_role_and_only_when_one_is_named() {
    let template = template();
    assert_eq!(
        template["Conditions"]["ReadsOtherAccountsAlarms"],
        serde_norway::from_str::<Yaml>(r#"!Not [!Equals [!Ref GateAlarmsRole, ""]]"#).unwrap()
    );
    let gate = &functions(&template)["HealthGateFunction"];
    let conditional: Vec<&Yaml> = gate["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|policy| policy["Statement"].as_sequence().into_iter().flatten())
        .filter(|statement| format!("{statement:?}").contains("sts:AssumeRole"))
        .collect();
    assert_eq!(conditional.len(), 1, "{conditional:?}");
    let Yaml::Tagged(only_if) = conditional[0] else {
        panic!(
            "AssumeRole is granted whether or not a role is named: {:?}",
            conditional[0]
        )
    };
    assert_eq!(only_if.tag, "If");
    assert_eq!(only_if.value[0], "ReadsOtherAccountsAlarms");
    assert_eq!(
        format!("{:?}", only_if.value[1]["Resource"]),
        format!(
            "{:?}",
            serde_norway::from_str::<Yaml>(r#"!Sub "arn:${AWS::Partition}:iam::*:role/${GateAlarmsRole}""#)
                .unwrap()
        )
    );
}

#[test]
fn a_member_accounts_alarms_reader_reads_alarms_only_for_pipeguards_account_once_per_account() {
    let forwarder = super::yaml("infra/health-forwarder.yaml");
    let role = &forwarder["Resources"]["AlarmsReaderRole"];
    assert_eq!(role["Condition"], "ReadsAlarmsForPipeguard");
    let condition = format!("{:?}", forwarder["Conditions"]["ReadsAlarmsForPipeguard"]);
    for part in ["AlarmsReaderRoleName", "PipeguardRegion", "InAnotherAccount"] {
        assert!(
            condition.contains(part),
            "only in pipeguard's region, for another account: {condition}"
        );
    }
    assert_eq!(
        reference(&role["Properties"]["RoleName"]),
        Some("AlarmsReaderRoleName")
    );
    let trust = format!("{:?}", role["Properties"]["AssumeRolePolicyDocument"]);
    assert!(trust.contains("${PipeguardAccountId}:root"), "{trust}");
    let actions: Vec<String> = role["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|policy| {
            policy["PolicyDocument"]["Statement"]
                .as_sequence()
                .into_iter()
                .flatten()
        })
        .map(|statement| format!("{:?}", statement["Action"]))
        .collect();
    assert_eq!(actions, [r#"String("cloudwatch:DescribeAlarms")"#]);
}
