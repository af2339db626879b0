//! Systems Manager through the real SDK: GetCalendarState over Change Calendars named by name or
//! ARN, alone or together, now or at a given time; its errors as the SDK types them; faults; and
//! the "Calendar State Change" events the admin interface's state changes send.

mod common;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::CalendarState;
use common::{admin, pending};
use local_aws::Emulator;
use serde_json::{Value, json};

const WORKLOAD: &str = "222233334444";

fn calendar(emulator: &Emulator, calendar: Value) -> Value {
    admin(emulator, "POST", "/_admin/ssm/calendars", calendar)
}

/// An emulator with an open calendar, a closed one that opens at noon on 2030-01-01, a
/// document that is not a calendar, and a closed calendar of the same name in eu-west-1.
async fn with_calendars() -> (Emulator, aws_sdk_ssm::Client) {
    let emulator = Emulator::start().await.unwrap();
    calendar(&emulator, json!({"name": "business-hours"}));
    calendar(
        &emulator,
        json!({"name": "year-end-freeze", "state": "CLOSED", "next_transition_time": "2030-01-01T12:00:00Z"}),
    );
    calendar(
        &emulator,
        json!({"name": "restart-runbook", "document_type": "Command"}),
    );
    calendar(
        &emulator,
        json!({"name": "business-hours", "region": "eu-west-1", "state": "CLOSED"}),
    );
    let ssm = client!(aws_sdk_ssm, emulator.url());
    (emulator, ssm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_answers_its_state_and_next_transition() {
    let (emulator, ssm) = with_calendars().await;
    let open = ssm
        .get_calendar_state()
        .calendar_names("business-hours")
        .send()
        .await
        .unwrap();
    assert_eq!(open.state(), Some(&CalendarState::Open));
    assert_eq!(open.next_transition_time(), None);
    let at_time = open.at_time().unwrap();
    assert!(
        at_time.ends_with('Z') && at_time.len() == 20,
        "now, in ISO 8601: {at_time}"
    );

    let closed = ssm
        .get_calendar_state()
        .calendar_names("arn:aws:ssm:us-east-1:123456789012:document/year-end-freeze")
        .send()
        .await
        .unwrap();
    assert_eq!(closed.state(), Some(&CalendarState::Closed));
    assert_eq!(closed.next_transition_time(), Some("2030-01-01T12:00:00Z"));

    let europe = aws_sdk_ssm::Client::from_conf(
        sdk_config!(aws_sdk_ssm, emulator.url())
            .region(aws_sdk_ssm::config::Region::new("eu-west-1"))
            .build(),
    );
    let there = europe
        .get_calendar_state()
        .calendar_names("business-hours")
        .send()
        .await
        .unwrap();
    assert_eq!(
        there.state(),
        Some(&CalendarState::Closed),
        "a name is looked up in the region the call is signed for"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendars_together_are_closed_if_any_is_and_at_time_moves_past_a_transition() {
    let (emulator, ssm) = with_calendars().await;
    let together = ssm
        .get_calendar_state()
        .calendar_names("business-hours")
        .calendar_names("year-end-freeze")
        .send()
        .await
        .unwrap();
    assert_eq!(together.state(), Some(&CalendarState::Closed));
    assert_eq!(together.next_transition_time(), Some("2030-01-01T12:00:00Z"));
    calendar(
        &emulator,
        json!({"name": "quarter-end", "state": "OPEN", "next_transition_time": "2030-03-31T00:00:00Z"}),
    );
    let closed_first = ssm
        .get_calendar_state()
        .calendar_names("year-end-freeze")
        .calendar_names("quarter-end")
        .send()
        .await
        .unwrap();
    assert_eq!(closed_first.state(), Some(&CalendarState::Closed), "in any order");
    assert_eq!(
        closed_first.next_transition_time(),
        Some("2030-01-01T12:00:00Z"),
        "the earliest of their transitions"
    );

    let before = ssm
        .get_calendar_state()
        .calendar_names("year-end-freeze")
        .at_time("2030-01-01T11:59:59Z")
        .send()
        .await
        .unwrap();
    assert_eq!(before.state(), Some(&CalendarState::Closed));
    assert_eq!(before.at_time(), Some("2030-01-01T11:59:59Z"));
    let after = ssm
        .get_calendar_state()
        .calendar_names("year-end-freeze")
        .calendar_names("business-hours")
        .at_time("2030-01-01T13:00:00+01:00")
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.state(),
        Some(&CalendarState::Open),
        "noon UTC is the transition"
    );
    assert_eq!(after.at_time(), Some("2030-01-01T12:00:00Z"));
    assert_eq!(after.next_transition_time(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_documents_and_other_document_types_are_typed_errors() {
    let (_emulator, ssm) = with_calendars().await;
    let missing = ssm
        .get_calendar_state()
        .calendar_names("business-hours")
        .calendar_names("no-such-calendar")
        .send()
        .await
        .unwrap_err();
    assert_service_error!(missing, is_invalid_document);
    assert!(
        missing.message().unwrap().contains("no-such-calendar"),
        "{missing:?}"
    );
    let elsewhere = ssm
        .get_calendar_state()
        .calendar_names("arn:aws:ssm:us-east-1:222233334444:document/business-hours")
        .send()
        .await
        .unwrap_err();
    assert_service_error!(elsewhere, is_invalid_document);
    let runbook = ssm
        .get_calendar_state()
        .calendar_names("restart-runbook")
        .send()
        .await
        .unwrap_err();
    assert_service_error!(runbook, is_invalid_document_type);

    let no_names = ssm.get_calendar_state().send().await.unwrap_err();
    assert_eq!(no_names.code(), Some("ValidationException"));
    let bad_time = ssm
        .get_calendar_state()
        .calendar_names("business-hours")
        .at_time("next tuesday")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_time.code(), Some("ValidationException"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_recorded_and_faulted_as_ssm() {
    let (emulator, ssm) = with_calendars().await;
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "ssm", "operation": "GetCalendarState", "kind": "throttle", "count": 1}),
    );
    ssm.get_calendar_state()
        .calendar_names("business-hours")
        .send()
        .await
        .unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "ssm", "kind": "server-error"}),
    );
    let failed = ssm
        .get_calendar_state()
        .calendar_names("business-hours")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failed.code(), Some("InternalFailure"));
    let calls = admin(&emulator, "GET", "/_admin/calls", json!({}));
    let recorded: Vec<(&Value, &Value)> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|call| (&call["operation"], &call["fault"]))
        .collect();
    assert_eq!(
        recorded[..2],
        [
            (&json!("GetCalendarState"), &json!("throttle")),
            (&json!("GetCalendarState"), &Value::Null)
        ]
    );
    assert!(
        calls
            .as_array()
            .unwrap()
            .iter()
            .all(|call| call["service"] == "ssm")
    );
    assert!(recorded[2..].iter().all(|call| call.1 == &json!("server-error")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_state_change_sends_one_event_and_no_change_sends_none() {
    let emulator = Emulator::start().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/rules",
        json!({"source": "aws.ssm", "function": "watcher"}),
    );
    admin(
        &emulator,
        "POST",
        "/_admin/rules",
        json!({"source": "aws.ssm", "detail_type": "Calendar State Change", "state": "OPEN", "function": "resumer"}),
    );
    let created = calendar(
        &emulator,
        json!({"name": "freeze", "state": "CLOSED", "next_transition_time": "2030-01-01T12:00:00Z"}),
    );
    assert_eq!(created["changed"], false);
    let same = calendar(&emulator, json!({"name": "freeze", "state": "CLOSED"}));
    assert_eq!(same["changed"], false);
    let opened = calendar(
        &emulator,
        json!({"name": "freeze", "state": "OPEN", "next_transition_time": "2030-02-01T00:00:00Z"}),
    );
    assert_eq!(opened["changed"], true);
    calendar(
        &emulator,
        json!({"name": "freeze", "region": "eu-west-1", "account": WORKLOAD, "state": "OPEN"}),
    );
    calendar(
        &emulator,
        json!({"name": "freeze", "region": "eu-west-1", "account": WORKLOAD, "state": "CLOSED"}),
    );

    let events = pending(&emulator, "watcher");
    let states: Vec<&Value> = events.iter().map(|event| &event["detail"]["state"]).collect();
    assert_eq!(states, [&json!("OPEN"), &json!("CLOSED")]);
    let opened = &events[0];
    assert_eq!(opened["source"], "aws.ssm");
    assert_eq!(opened["detail-type"], "Calendar State Change");
    assert_eq!(
        (&opened["account"], &opened["region"]),
        (&json!("123456789012"), &json!("us-east-1"))
    );
    assert_eq!(
        opened["resources"],
        json!(["arn:aws:ssm:us-east-1:123456789012:document/freeze"])
    );
    assert_eq!(opened["detail"]["nextTransitionTime"], "2030-02-01T00:00:00Z");
    assert!(opened["detail"]["atTime"].as_str().unwrap().ends_with('Z'));
    let closed = &events[1];
    assert_eq!(
        (&closed["account"], &closed["region"]),
        (&json!(WORKLOAD), &json!("eu-west-1"))
    );
    assert!(closed["detail"].get("nextTransitionTime").is_none());

    assert_eq!(
        pending(&emulator, "resumer").len(),
        1,
        "a rule's state selects the changes to it"
    );
}
