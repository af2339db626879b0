//! The SNS deliveries and EventBridge events stage-retry and apply-rollback read, AWS Health
//! events among them: every payload gives one trigger per record (one for an EventBridge event),
//! each a change, a Health record, the sweep, or ignored or refused with a reason. Nothing but a
//! CodePipeline change is taken from inside an SNS message, and no AWS Health update is
//! recorded with a region that is no region or a time ahead of the clock.

use crate::json::{arbitrary_json, mutated, text_at};
use crate::{config, sample};
use pipeguard_core::calendar::WatchedCalendar;
use pipeguard_core::health::{EventStatus, is_account_id, is_region_code};
use pipeguard_core::trigger::{
    MAX_SECONDS_AHEAD, OVERRIDE_GRANTED_DETAIL_TYPE, PIPEGUARD_SOURCE, RefusalKind, Trigger,
    UNFROZEN_DETAIL_TYPE, parse_invocation,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const EVENTBRIDGE: &str = include_str!("../../../../tests/events/eventbridge-action-failed.json");
const SNS: &str = include_str!("../../../../tests/events/sns-stage-failed.json");
const HEALTH: &str = include_str!("../../../../tests/events/health-event-closed.json");
/// What `pipeguard unfreeze` puts on the default bus, as EventBridge delivers it.
const FREEZE_ENDED: &str = include_str!("../../../../tests/events/freeze-ended.json");
/// A CloudWatch alarm back to OK, as EventBridge delivers it.
const ALARM_CHANGED: &str = include_str!("../../../../tests/events/alarm-state-change.json");
/// A Change Calendar turning OPEN, as EventBridge delivers it.
const CALENDAR_CHANGED: &str = include_str!("../../../../tests/events/calendar-state-change.json");
/// What `pipeguard override` puts on the default bus, as EventBridge delivers it.
const OVERRIDE_GRANTED: &str = include_str!("../../../../tests/events/override-granted.json");

/// The receiving function's clock: after every time in the samples.
const NOW: i64 = 1_800_000_000;

fn seeds() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(sample(EVENTBRIDGE)),
        Just(sample(SNS)),
        Just(sample(HEALTH)),
        Just(sample(FREEZE_ENDED)),
        Just(sample(OVERRIDE_GRANTED)),
        Just(sample(ALARM_CHANGED)),
        Just(sample(CALENDAR_CHANGED)),
    ]
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
        mutated(sample(FREEZE_ENDED)).prop_map(|mutated| mutated.value),
        mutated(sample(OVERRIDE_GRANTED)).prop_map(|mutated| mutated.value),
        mutated(sample(ALARM_CHANGED)).prop_map(|mutated| mutated.value),
        mutated(sample(CALENDAR_CHANGED)).prop_map(|mutated| mutated.value),
    ]
    .prop_map(|message| delivered_by_sns(&message))
}

/// One trigger per SNS record, or one for anything else; every trigger is whole, and only a
/// CodePipeline change comes out of an SNS message.
fn check_triggers(payload: &Value) -> Result<Vec<Trigger>, TestCaseError> {
    let triggers = parse_invocation(payload, NOW);
    let through_sns = payload.get("Records").is_some();
    let expected = match payload.get("Records").and_then(Value::as_array) {
        Some(records) if !records.is_empty() => records.len(),
        _ => 1,
    };
    prop_assert_eq!(triggers.len(), expected, "{:?}", triggers);
    for trigger in &triggers {
        match trigger {
            Trigger::Ignored { reason } => prop_assert!(!reason.trim().is_empty()),
            Trigger::Refused(refusal) => prop_assert!(!refusal.reason.trim().is_empty()),
            Trigger::Health(record) => {
                prop_assert!(!through_sns, "{record:?} taken from an SNS message");
                prop_assert!(!record.event.arn.trim().is_empty(), "{record:?}");
                prop_assert!(is_region_code(&record.event.region), "{record:?}");
                prop_assert!(record.last_updated <= NOW + MAX_SECONDS_AHEAD, "{record:?}");
                prop_assert!(
                    !matches!(record.event.status, EventStatus::Other(_)),
                    "{record:?}"
                );
            }
            Trigger::Unfrozen { freeze_id } => {
                prop_assert!(!through_sns, "an unfreeze taken from an SNS message");
                prop_assert!(!freeze_id.trim().is_empty());
            }
            Trigger::AlarmChanged { alarm, .. } => {
                prop_assert!(!through_sns, "an alarm's change taken from an SNS message");
                prop_assert!(
                    is_region_code(&alarm.region) && is_account_id(&alarm.account),
                    "{alarm:?}"
                );
            }
            Trigger::CalendarChanged { calendar, .. } => {
                prop_assert!(!through_sns, "a calendar's change taken from an SNS message");
                prop_assert!(
                    is_region_code(&calendar.region)
                        && is_account_id(&calendar.account)
                        && WatchedCalendar::parse(&calendar.name).is_ok()
                        && calendar.opens_at.is_none(),
                    "{calendar:?}"
                );
                prop_assert_eq!(
                    Some(calendar.account.as_str()),
                    text_at(payload, "/account"),
                    "the sender's own calendar"
                );
            }
            Trigger::OverrideGranted {
                override_id,
                pipeline,
            } => {
                prop_assert!(!through_sns, "an override taken from an SNS message");
                prop_assert!(!override_id.trim().is_empty() && !pipeline.trim().is_empty());
            }
            Trigger::Sweep => prop_assert!(!through_sns, "a sweep taken from an SNS message"),
            Trigger::Pipeline(_) => {}
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
        [Trigger::Unfrozen { freeze_id }] if event.get("Records").is_none() => {
            prop_assert_eq!(text_at(event, "/source"), Some(PIPEGUARD_SOURCE));
            prop_assert_eq!(text_at(event, "/detail-type"), Some(UNFROZEN_DETAIL_TYPE));
            prop_assert_eq!(
                Some(freeze_id.as_str()),
                text_at(event, "/detail/freeze_id").map(str::trim)
            );
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

/// A freeze id as `pipeguard freeze` makes it, or any text: padded, blank, odd.
fn freeze_id() -> impl Strategy<Value = String> {
    prop_oneof![
        "frz-[0-9a-f]{6}",
        "[ \t]{0,2}[a-z0-9-]{0,12}[ \t\n]{0,2}",
        crate::json::short_text(),
    ]
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

    /// The end of a freeze, whatever its `freeze_id`: an unfreeze of that id, trimmed, or, when
    /// it is blank, ignored for want of one.
    #[test]
    fn a_freeze_ended_event_is_an_unfreeze_of_its_id(id in freeze_id()) {
        let mut event = sample(FREEZE_ENDED);
        event["detail"]["freeze_id"] = Value::String(id.clone());
        match (&check_triggers(&event)?[..], id.trim()) {
            ([Trigger::Ignored { reason }], "") => prop_assert!(reason.contains("freeze_id"), "{reason}"),
            ([Trigger::Unfrozen { freeze_id }], id) if !id.is_empty() => prop_assert_eq!(freeze_id.as_str(), id),
            (other, _) => prop_assert!(false, "{id:?} read as {other:?}"),
        }
    }

    /// The end of a freeze, mutated: an unfreeze only while the source, the detail-type and a
    /// non-blank `freeze_id` text are still there, and of that id; anything else ignored or
    /// refused with a reason (`check_triggers`), never an unfreeze of another freeze or of none.
    #[test]
    fn a_mutated_freeze_ended_event_unfreezes_its_id_or_nothing(event in mutated(sample(FREEZE_ENDED))) {
        let event = event.value;
        let triggers = check_triggers(&event)?;
        let id = text_at(&event, "/detail/freeze_id").map(str::trim).filter(|id| !id.is_empty());
        let ended = text_at(&event, "/source") == Some(PIPEGUARD_SOURCE)
            && text_at(&event, "/detail-type") == Some(UNFROZEN_DETAIL_TYPE);
        for trigger in &triggers {
            match trigger {
                Trigger::Unfrozen { freeze_id } => {
                    prop_assert!(ended && event.get("Records").is_none(), "{event} read as {trigger:?}");
                    prop_assert_eq!(Some(freeze_id.as_str()), id);
                }
                Trigger::Ignored { .. } | Trigger::Refused(_) => {}
                other => prop_assert!(false, "{event} read as {other:?}"),
            }
        }
    }

    /// A granted override, mutated: a look-up of that id for that pipeline only while the
    /// source, the detail-type and a non-blank id and pipeline are still there; anything else
    /// ignored or refused with a reason.
    #[test]
    fn a_mutated_override_event_resumes_its_pipeline_or_nothing(event in mutated(sample(OVERRIDE_GRANTED))) {
        let event = event.value;
        let granted = text_at(&event, "/source") == Some(PIPEGUARD_SOURCE)
            && text_at(&event, "/detail-type") == Some(OVERRIDE_GRANTED_DETAIL_TYPE);
        for trigger in &check_triggers(&event)? {
            match trigger {
                Trigger::OverrideGranted { override_id, pipeline } => {
                    prop_assert!(granted && event.get("Records").is_none(), "{event} read as {trigger:?}");
                    prop_assert_eq!(Some(pipeline.as_str()), text_at(&event, "/detail/pipeline"));
                    prop_assert_eq!(Some(override_id.as_str()), text_at(&event, "/detail/override_id"));
                }
                Trigger::Ignored { .. } | Trigger::Refused(_) => {}
                other => prop_assert!(false, "{event} read as {other:?}"),
            }
        }
    }

    /// A CodePipeline event delivered through SNS reads as the same event delivered by
    /// EventBridge; any other event through SNS is refused or ignored.
    #[test]
    fn an_event_reads_the_same_through_sns(event in prop_oneof![mutated_event(), arbitrary_json()]) {
        let round_trips = serde_json::from_str::<Value>(&event.to_string()).ok().as_ref() == Some(&event);
        if event.get("Records").is_none() && event.get("detailType").is_none() && round_trips {
            let through_sns = parse_invocation(&delivered_by_sns(&event), NOW);
            if text_at(&event, "/source") == Some("aws.codepipeline") {
                prop_assert_eq!(through_sns, parse_invocation(&event, NOW));
            } else {
                prop_assert!(
                    matches!(through_sns[..], [Trigger::Refused(_) | Trigger::Ignored { .. }]),
                    "{:?}", through_sns
                );
            }
        }
    }

    /// An AWS Health update is recorded only when it is dated at most `MAX_SECONDS_AHEAD`
    /// ahead of the clock, wherever the clock stands.
    #[test]
    fn an_update_ahead_of_the_clock_is_refused(now in 0i64..253_402_000_000, ahead in -100_000i64..100_000) {
        let mut event = sample(HEALTH);
        let updated = (now + ahead).max(0);
        let time = chrono::DateTime::from_timestamp(updated, 0).unwrap_or_default();
        event["detail"]["lastUpdatedTime"] = Value::String(time.to_rfc3339());
        match &parse_invocation(&event, now)[..] {
            [Trigger::Health(record)] => prop_assert!(record.last_updated <= now + MAX_SECONDS_AHEAD),
            [Trigger::Refused(refusal)] => {
                prop_assert_eq!(refusal.kind, RefusalKind::FromTheFuture);
                prop_assert!(updated > now + MAX_SECONDS_AHEAD);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// An AWS Health event is recorded under its `eventRegion` only when that is a region.
    #[test]
    fn an_event_region_is_a_region_or_refused(region in prop_oneof![
        any::<String>(),
        "[a-z]{2}(-[a-z]{2,9}){1,2}-[0-9]{1,2}",
        Just("pipeguard#freezes".to_owned()),
        Just("global".to_owned()),
    ]) {
        let mut event = sample(HEALTH);
        event["detail"]["eventRegion"] = Value::String(region.clone());
        match &check_triggers(&event)?[..] {
            [Trigger::Health(record)] => prop_assert_eq!(&record.event.region, &region),
            [Trigger::Refused(refusal)] => {
                prop_assert_eq!(refusal.kind, RefusalKind::NotARegion);
                prop_assert!(!is_region_code(&region));
            }
            [Trigger::Ignored { reason }] => {
                prop_assert!(region.trim().is_empty(), "{region:?}: {reason}");
            }
            other => prop_assert!(false, "{:?}", other),
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
            ([Trigger::Refused(refusal)], Some(second)) => {
                prop_assert_eq!(field, "lastUpdatedTime");
                prop_assert_eq!(refusal.kind, RefusalKind::FromTheFuture);
                prop_assert!(second > NOW + MAX_SECONDS_AHEAD);
            }
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
        let triggers = parse_invocation(&sample(text), NOW);
        assert!(
            matches!(triggers[..], [Trigger::Pipeline(_) | Trigger::Health(_)]),
            "{triggers:?}"
        );
    }
    assert_eq!(
        parse_invocation(&sample(FREEZE_ENDED), NOW),
        [Trigger::Unfrozen {
            freeze_id: "frz-7f3a9c".into()
        }]
    );
}
