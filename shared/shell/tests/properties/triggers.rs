//! The SNS deliveries and EventBridge events stage-retry and apply-rollback read, AWS Health
//! events among them: every payload gives one trigger per record (one for an EventBridge event),
//! each a change, a Health record, the sweep, or ignored with a reason.

use crate::json::{arbitrary_json, mutated, text_at};
use crate::{config, sample};
use pipeguard_core::health::EventStatus;
use pipeguard_core::health::is_account_id;
use pipeguard_core::trigger::{Trigger, parse_invocation};
use proptest::prelude::*;
use serde_json::{Value, json};

const EVENTBRIDGE: &str = include_str!("../../../../tests/events/eventbridge-action-failed.json");
const SNS: &str = include_str!("../../../../tests/events/sns-stage-failed.json");
const HEALTH: &str = include_str!("../../../../tests/events/health-event-closed.json");

fn seeds() -> impl Strategy<Value = Value> {
    prop_oneof![Just(sample(EVENTBRIDGE)), Just(sample(SNS)), Just(sample(HEALTH))]
}

/// A seed, mutated.
fn mutated_event() -> impl Strategy<Value = Value> {
    seeds().prop_flat_map(mutated).prop_map(|mutated| mutated.value)
}

/// An SNS delivery of `message`'s JSON text.
fn delivered_by_sns(message: &Value) -> Value {
    let mut delivery = sample(SNS);
    delivery["Records"][0]["Sns"]["Message"] = Value::String(message.to_string());
    delivery
}

/// The notification-rule message the SNS sample carries, mutated, and delivered again.
fn mutated_sns_message() -> impl Strategy<Value = Value> {
    let message = text_at(&sample(SNS), "/Records/0/Sns/Message")
        .map(crate::sample)
        .unwrap_or_default();
    prop_oneof![
        mutated(message).prop_map(|mutated| mutated.value),
        mutated(sample(EVENTBRIDGE)).prop_map(|mutated| mutated.value),
        mutated(sample(HEALTH)).prop_map(|mutated| mutated.value),
    ]
    .prop_map(|message| delivered_by_sns(&message))
}

/// One trigger per SNS record, or one for anything else; every trigger is whole.
fn check_triggers(payload: &Value) -> Result<Vec<Trigger>, TestCaseError> {
    let triggers = parse_invocation(payload);
    let expected = match payload.get("Records").and_then(Value::as_array) {
        Some(records) if !records.is_empty() => records.len(),
        _ => 1,
    };
    prop_assert_eq!(triggers.len(), expected, "{:?}", triggers);
    for trigger in &triggers {
        match trigger {
            Trigger::Ignored { reason } => prop_assert!(!reason.trim().is_empty()),
            Trigger::Health(record) => {
                prop_assert!(!record.event.arn.trim().is_empty(), "{record:?}");
                prop_assert!(!record.event.region.trim().is_empty(), "{record:?}");
                prop_assert!(
                    !matches!(record.event.status, EventStatus::Other(_)),
                    "{record:?}"
                );
            }
            Trigger::Unfrozen { freeze_id } => prop_assert!(!freeze_id.trim().is_empty()),
            Trigger::Pipeline(_) | Trigger::Sweep => {}
        }
    }
    Ok(triggers)
}

/// A change or a Health record read from an EventBridge event holds what its detail said.
fn check_fields(event: &Value, triggers: &[Trigger]) -> Result<(), TestCaseError> {
    match triggers {
        [Trigger::Health(record)] if event.get("Records").is_none() => {
            prop_assert_eq!(
                Some(record.event.arn.as_str()),
                text_at(event, "/detail/eventArn")
            );
            prop_assert_eq!(
                Some(record.event.service.as_str()),
                text_at(event, "/detail/service")
            );
            prop_assert_eq!(
                Some(record.event.region.as_str()),
                text_at(event, "/detail/eventRegion")
            );
            prop_assert_eq!(
                Some(record.event.status.as_str()),
                text_at(event, "/detail/statusCode")
            );
            // Recorded only with an account the envelope names, and public only when its scope
            // says so: an event of unknown whose is never every account's.
            let envelope_account = text_at(event, "/account");
            prop_assert!(envelope_account.is_some_and(is_account_id), "{event}");
            match text_at(event, "/detail/eventScopeCode") {
                Some("PUBLIC") => prop_assert_eq!(record.event.account.as_deref(), None),
                _ => prop_assert_eq!(record.event.account.as_deref(), envelope_account),
            }
        }
        [Trigger::Pipeline(change)] if event.get("Records").is_none() => {
            prop_assert_eq!(Some(change.pipeline.as_str()), text_at(event, "/detail/pipeline"));
            prop_assert_eq!(
                Some(change.execution_id.as_str()),
                text_at(event, "/detail/execution-id")
            );
            prop_assert_eq!(Some(change.state.as_str()), text_at(event, "/detail/state"));
            prop_assert_eq!(change.stage.as_deref(), text_at(event, "/detail/stage"));
        }
        _ => {}
    }
    Ok(())
}

/// A time in the forms AWS Health sends (RFC 1123 and RFC 3339), with the second it names.
fn health_time() -> impl Strategy<Value = (String, i64)> {
    // 1970 to 9999: RFC 2822 reads years below 1000 as two- or three-digit years.
    (0i64..253_402_300_799, any::<bool>()).prop_map(|(seconds, rfc_1123)| {
        let time = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
        let text = if rfc_1123 {
            time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
        } else {
            time.to_rfc3339()
        };
        (text, time.timestamp())
    })
}

/// Text that looks like a time, or is one just out of range.
fn time_like_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z]{3}, [0-9]{1,3} [A-Za-z]{3} [0-9]{1,12} [0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3} (GMT|UT|[+-][0-9]{4}|[A-Z]{1,3})",
        "[+-]?[0-9]{1,12}-[0-9]{1,3}-[0-9]{1,3}[Tt ][0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3}(\\.[0-9]{1,12})?(Z|[+-][0-9]{2}:[0-9]{2})",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_json_is_one_trigger_per_record(payload in prop_oneof![
        arbitrary_json(),
        prop::collection::vec(arbitrary_json(), 0..5).prop_map(|records| json!({"Records": records})),
        prop::collection::vec(arbitrary_json(), 1..4)
            .prop_map(|messages| json!({"Records": messages.iter().map(|m| json!({"Sns": {"Message": m.to_string()}})).collect::<Vec<_>>()})),
    ]) {
        check_triggers(&payload)?;
    }

    #[test]
    fn mutated_samples_are_one_trigger_per_record(payload in prop_oneof![mutated_event(), mutated_sns_message()]) {
        let triggers = check_triggers(&payload)?;
        check_fields(&payload, &triggers)?;
    }

    /// An event delivered through SNS reads as the same event delivered by EventBridge.
    #[test]
    fn an_event_reads_the_same_through_sns(event in prop_oneof![mutated_event(), arbitrary_json()]) {
        let round_trips = serde_json::from_str::<Value>(&event.to_string()).ok().as_ref() == Some(&event);
        if event.get("Records").is_none() && event.get("detailType").is_none() && round_trips {
            prop_assert_eq!(parse_invocation(&delivered_by_sns(&event)), parse_invocation(&event));
        }
    }

    /// Every time AWS Health can send reads as the second it names, in each of the three time
    /// fields; anything else in them is no panic, and a bad one is named.
    #[test]
    fn health_times_read_back_or_are_named(
        field in prop::sample::select(vec!["startTime", "endTime", "lastUpdatedTime"]),
        time in prop_oneof![health_time().prop_map(|(text, second)| (text, Some(second))), time_like_text().prop_map(|text| (text, None))],
    ) {
        let (text, second) = time;
        let mut event = sample(HEALTH);
        event["detail"][field] = Value::String(text.clone());
        let triggers = check_triggers(&event)?;
        match (&triggers[..], second) {
            ([Trigger::Health(record)], Some(second)) => {
                let read = match field {
                    "startTime" => record.event.start_time,
                    "endTime" => record.end_time,
                    _ => Some(record.last_updated),
                };
                prop_assert_eq!(read, Some(second), "{}", text);
            }
            ([Trigger::Health(_)], None) => {}
            ([Trigger::Ignored { reason }], None) => {
                prop_assert!(text.trim().is_empty() || reason.contains(field), "{reason}");
            }
            (other, _) => prop_assert!(false, "{text:?} in {field} read as {other:?}"),
        }
    }
}

#[test]
fn the_unmutated_samples_are_read() {
    for text in [EVENTBRIDGE, SNS, HEALTH] {
        let triggers = parse_invocation(&sample(text));
        assert!(
            matches!(triggers[..], [Trigger::Pipeline(_) | Trigger::Health(_)]),
            "{triggers:?}"
        );
    }
}
