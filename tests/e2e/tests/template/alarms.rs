//! The service's own alarms, as the template sets the gate up for them: off for a stack upgraded
//! in place, the defaults reaching the gate as `GATE_*` variables, exactly DescribeAlarms to read
//! them, and an alarm on the gate when it cannot.

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
fn the_gate_alone_reads_alarms_with_describe_alarms_on_every_resource() {
    let template = template();
    assert!(granted(&template)["health-gate"].contains("cloudwatch:DescribeAlarms"));
    for (name, function) in functions(&template) {
        for statement in statements(&function) {
            if !format!("{:?}", statement["Action"]).contains("cloudwatch:") {
                continue;
            }
            assert_eq!(name, "HealthGateFunction", "{statement:?}");
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
