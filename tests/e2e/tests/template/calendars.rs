//! The service's Change Calendars, as the template sets the gate up for them: off for a stack
//! upgraded in place, the default reaching the gate as `GATE_CHANGE_CALENDARS`, exactly
//! GetCalendarState on this account's documents to read them, the resume rule only when asked
//! for, and an alarm on the gate when it cannot read them.

use super::{functions, granted, reference, statements, template};
use e2e::Local;
use pipeguard_core::gate::GateDefaults;
use serde_json::json;
use serde_norway::Value as Yaml;
use std::time::Duration;

/// For the IAM check: a deploy whose gate watches an OPEN Change Calendar, so that the gate asks
/// Systems Manager (GetCalendarState) and passes.
pub async fn a_gated_deploy_asks_for_its_calendar(local: &Local, timeout: Duration) {
    local.admin(
        "POST",
        "/_admin/ssm/calendars",
        json!({"name": "year-end", "state": "OPEN"}),
    );
    local.gated_pipeline(
        "gated-by-calendars",
        r#"{"change_calendars": ["year-end"]}"#,
        &["succeed"],
    );
    let watching = local.start_execution("gated-by-calendars");
    local.reaches(&watching, "Succeeded", timeout).await;
}

#[test]
fn the_gates_calendars_are_off_by_default_and_reach_it_as_a_gate_variable() {
    let template = template();
    let gate = &functions(&template)["HealthGateFunction"];
    for parameter in ["GateChangeCalendars", "ResumeOnCalendarPrefix"] {
        assert_eq!(
            template["Parameters"][parameter]["Default"], "",
            "{parameter}: a stack upgraded in place must watch no calendar"
        );
    }
    assert_eq!(
        reference(&gate["Properties"]["Environment"]["Variables"]["GATE_CHANGE_CALENDARS"]),
        Some("GateChangeCalendars")
    );
    let read = |calendars: &str| {
        GateDefaults::from_env(|name| match name {
            "AWS_REGION" => Some("us-east-1".to_owned()),
            "GATE_CHANGE_CALENDARS" => Some(calendars.to_owned()),
            _ => None,
        })
        .and_then(|defaults| defaults.for_action(None))
    };
    assert!(
        read("").unwrap().change_calendars.is_empty(),
        "the default watches none"
    );
    assert_eq!(
        read("year-end,arn:aws:ssm:eu-west-1:111122223333:document/release-train")
            .unwrap()
            .change_calendars
            .len(),
        2
    );
}

#[test]
fn the_gate_alone_reads_calendars_with_get_calendar_state_on_this_accounts_documents() {
    let template = template();
    assert!(granted(&template)["health-gate"].contains("ssm:GetCalendarState"));
    let mut seen = 0;
    for (name, function) in functions(&template) {
        for statement in statements(&function) {
            if !format!("{:?}", statement["Action"]).contains("ssm:") {
                continue;
            }
            seen += 1;
            assert_eq!(name, "HealthGateFunction", "{statement:?}");
            let actions: Vec<&str> = statement["Action"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(Yaml::as_str)
                .collect();
            assert_eq!(actions, ["ssm:GetCalendarState"], "{name}");
            let resource = match &statement["Resource"] {
                Yaml::Tagged(tagged) if tagged.tag == "Sub" => tagged.value.as_str().unwrap_or_default(),
                other => panic!("{name}: not scoped by !Sub to the account: {other:?}"),
            };
            assert_eq!(
                resource, "arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:document/*",
                "{name}: this account's documents, in any region"
            );
        }
    }
    assert_eq!(seen, 1, "one statement");
}

#[test]
fn the_resume_rule_is_made_only_when_a_prefix_is_given() {
    let template = template();
    for resource in [
        "StageRetryFunctionCalendarOpened",
        "StageRetryFunctionCalendarOpenedPermission",
    ] {
        assert_eq!(
            template["Resources"][resource]["Condition"], "ResumesOnCalendars",
            "{resource}"
        );
    }
    let condition = format!("{:?}", template["Conditions"]["ResumesOnCalendars"]);
    assert!(condition.contains("ResumeOnCalendarPrefix"), "{condition}");
}

#[test]
fn calendars_the_gate_cannot_read_are_alarmed_on() {
    let template = template();
    let alarm = &template["Resources"]["GateCalendarsUnreadableAlarm"]["Properties"];
    assert_eq!(alarm["Namespace"], pipeguard_aws::metrics::NAMESPACE);
    let dimensions = format!("{:?}", alarm["Dimensions"]);
    assert!(dimensions.contains("CALENDARS_UNAVAILABLE"), "{dimensions}");
    assert!(dimensions.contains("health-gate"), "{dimensions}");
}
