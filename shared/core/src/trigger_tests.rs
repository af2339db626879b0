use super::*;
use crate::health::EventCategory;
use serde_json::{Value, json};

/// The receiving function's clock in these tests: after every time in the fixtures.
const NOW: i64 = 1_800_000_000;

fn parse(payload: &Value) -> Vec<Trigger> {
    parse_invocation(payload, NOW)
}

fn only(triggers: Vec<Trigger>) -> Trigger {
    assert_eq!(triggers.len(), 1, "{triggers:?}");
    triggers.into_iter().next().unwrap()
}

fn fixture(name: &str) -> Value {
    let text = match name {
        "eventbridge" => include_str!("../../../tests/events/eventbridge-action-failed.json"),
        "sns" => include_str!("../../../tests/events/sns-stage-failed.json"),
        "health" => include_str!("../../../tests/events/health-event-closed.json"),
        _ => unreachable!("no fixture {name}"),
    };
    serde_json::from_str(text).unwrap()
}

#[test]
fn reads_an_eventbridge_action_failure() {
    let Trigger::Pipeline(change) = only(parse(&fixture("eventbridge"))) else {
        panic!("wrong trigger")
    };
    assert_eq!(change.level, ChangeLevel::Action);
    assert_eq!(change.pipeline, "web-app");
    assert_eq!(change.execution_id, "c5d3a0c2-1111-2222-3333-444455556666");
    assert_eq!(change.state, ChangeState::Failed);
    assert_eq!(change.stage.as_deref(), Some("Deploy"));
    assert_eq!(change.action.as_deref(), Some("ApplyStack"));
}

#[test]
fn reads_a_notification_rule_message_through_sns_with_float_versions() {
    let Trigger::Pipeline(change) = only(parse(&fixture("sns"))) else {
        panic!("wrong trigger")
    };
    assert_eq!(change.level, ChangeLevel::Stage);
    assert_eq!(change.stage.as_deref(), Some("Deploy"));
    assert_eq!(change.failed_stage.as_deref(), Some("Deploy"));
    assert_eq!(change.state, ChangeState::Failed);
}

#[test]
fn reads_an_aws_health_status_change() {
    let Trigger::Health(record) = only(parse(&fixture("health"))) else {
        panic!("wrong trigger")
    };
    let event = &record.event;
    assert_eq!(event.status, EventStatus::Closed);
    assert!(event.arn.ends_with("_7f35c8ae"));
    assert_eq!(
        (event.service.as_str(), event.region.as_str(), &event.category),
        ("EC2", "us-east-1", &EventCategory::Issue)
    );
    assert_eq!(
        event.start_time,
        Some(1_794_996_000),
        "Wed, 18 Nov 2026 10:00:00 GMT"
    );
    assert_eq!(record.end_time, Some(1_795_175_880));
    assert_eq!(record.last_updated, 1_795_175_940);
    assert_eq!(record.scope, EventScope::Public);
    assert_eq!(
        record.communication_id,
        "01b0993207d81a09dcd552ebd1e633e36cf1f09a-1"
    );
    assert!(!record.backup);
}

#[test]
fn every_sns_record_is_a_trigger() {
    let mut event = fixture("sns");
    let record = event["Records"][0].clone();
    event["Records"].as_array_mut().unwrap().push(record);
    assert_eq!(parse(&event).len(), 2);
}

#[test]
fn garbage_is_ignored_with_a_reason_never_an_error() {
    let cases = [
        json!({}),
        json!("text"),
        json!({"source": "aws.s3", "detail-type": "Object Created", "detail": {}}),
        json!({"source": "aws.codepipeline", "detail-type": "CodePipeline Stage Execution State Change", "detail": {"pipeline": 3}}),
        json!({"source": "aws.health", "detail-type": "AWS Health Event", "detail": {}}),
        json!({"Records": [{"Sns": {"Message": "not json"}}]}),
        json!({"Records": [{"Sns": {}}]}),
    ];
    for case in cases {
        let triggers = parse(&case);
        assert!(!triggers.is_empty(), "{case}");
        for trigger in triggers {
            match trigger {
                Trigger::Ignored { reason } => assert!(!reason.is_empty()),
                other => panic!("{case}: expected Ignored, got {other:?}"),
            }
        }
    }
}

#[test]
fn a_pipeline_failure_through_sns_names_its_failed_stage() {
    let mut event = fixture("sns");
    let message = event["Records"][0]["Sns"]["Message"].as_str().unwrap().replace(
        "CodePipeline Stage Execution State Change",
        "CodePipeline Pipeline Execution State Change",
    );
    let mut message: Value = serde_json::from_str(&message).unwrap();
    message["detail"].as_object_mut().unwrap().remove("stage");
    event["Records"][0]["Sns"]["Message"] = json!(message.to_string());
    let Trigger::Pipeline(change) = only(parse(&event)) else {
        panic!("wrong trigger")
    };
    assert_eq!(change.level, ChangeLevel::Pipeline);
    assert_eq!(change.stage, None);
    assert_eq!(change.named_stage(), Some("Deploy"));
}

#[test]
fn an_eventbridge_event_delivered_through_sns_is_read_too() {
    let mut event = fixture("sns");
    event["Records"][0]["Sns"]["Message"] = json!(fixture("eventbridge").to_string());
    let Trigger::Pipeline(change) = only(parse(&event)) else {
        panic!("wrong trigger")
    };
    assert_eq!(
        (change.level, change.pipeline.as_str()),
        (ChangeLevel::Action, "web-app")
    );
}

#[test]
fn a_backup_regions_copy_and_an_rfc_3339_time_are_read() {
    let mut event = fixture("health");
    event["detail"]["backupEvent"] = json!(true);
    event["detail"]["lastUpdatedTime"] = json!("2026-11-20T11:59:00Z");
    let Trigger::Health(record) = only(parse(&event)) else {
        panic!("wrong trigger")
    };
    assert!(record.backup);
    assert_eq!(record.last_updated, 1_795_175_940);
}

#[test]
fn a_health_event_that_cannot_be_recorded_is_skipped_with_the_reason() {
    let cases = [
        ("eventArn", json!(""), "no eventArn"),
        ("statusCode", json!("resolved"), "statusCode `resolved`"),
        (
            "lastUpdatedTime",
            json!("yesterday"),
            "lastUpdatedTime `yesterday` is not a time",
        ),
        ("lastUpdatedTime", Value::Null, "no lastUpdatedTime"),
        ("startTime", json!("soon"), "startTime `soon`"),
        ("eventRegion", Value::Null, "no eventRegion"),
        ("service", json!(7), "invalid type"),
    ];
    for (field, value, expected) in cases {
        let mut event = fixture("health");
        event["detail"][field] = value;
        match only(parse(&event)) {
            Trigger::Ignored { reason } => assert!(reason.contains(expected), "{field}: {reason}"),
            other => panic!("{field}: expected Ignored, got {other:?}"),
        }
    }
}

#[test]
fn the_sweep_schedule_is_a_trigger() {
    let scheduled = json!({"version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-22T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/pipeguard-sweep"], "detail": {}});
    assert_eq!(only(parse(&scheduled)), Trigger::Sweep);
}

#[test]
fn an_unfreeze_is_a_trigger_naming_its_freeze() {
    let unfrozen = json!({"version": "0", "id": "x", "detail-type": UNFROZEN_DETAIL_TYPE, "source": PIPEGUARD_SOURCE,
        "account": "123456789012", "time": "2026-11-22T10:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"freeze_id": "frz-abc"}});
    assert_eq!(
        only(parse(&unfrozen)),
        Trigger::Unfrozen {
            freeze_id: "frz-abc".into()
        }
    );
    let mut without_id = unfrozen;
    without_id["detail"] = json!({"freeze_id": " "});
    assert!(
        matches!(only(parse(&without_id)), Trigger::Ignored { reason } if reason.contains("without a freeze_id"))
    );
}

#[test]
fn one_unreadable_sns_record_loses_none_of_the_others() {
    let mut event = fixture("sns");
    let good = event["Records"][0].clone();
    let mut not_json = good.clone();
    not_json["Sns"]["Message"] = json!("not json");
    event["Records"] = json!([json!({"Sns": {"Message": "{}"}}), good, not_json]);
    let triggers = parse(&event);
    assert_eq!(triggers.len(), 3);
    assert!(
        matches!(&triggers[0], Trigger::Ignored { reason } if reason.contains("SNS record")),
        "{triggers:?}"
    );
    assert!(matches!(&triggers[1], Trigger::Pipeline(_)), "{triggers:?}");
    assert!(
        matches!(&triggers[2], Trigger::Ignored { reason } if reason.contains("SNS message is not JSON")),
        "{triggers:?}"
    );
}

/// The sample AWS Health event, with its envelope's account and its scope as given (None: left
/// out).
fn health_event_of(account: Option<&str>, scope: Option<&str>) -> Value {
    let mut event = fixture("health");
    match account {
        Some(account) => event["account"] = json!(account),
        None => {
            event.as_object_mut().unwrap().remove("account");
        }
    }
    match scope {
        Some(scope) => event["detail"]["eventScopeCode"] = json!(scope),
        None => {
            event["detail"].as_object_mut().unwrap().remove("eventScopeCode");
        }
    }
    event
}

#[test]
fn an_account_specific_event_is_the_account_its_envelope_names() {
    let Trigger::Health(record) = only(parse(&health_event_of(
        Some("222233334444"),
        Some("ACCOUNT_SPECIFIC"),
    ))) else {
        panic!("not read")
    };
    assert_eq!(record.event.account.as_deref(), Some("222233334444"));
    assert_eq!(record.scope, EventScope::AccountSpecific);
    let Trigger::Health(public) = only(parse(&health_event_of(Some("222233334444"), Some("PUBLIC")))) else {
        panic!("not read")
    };
    assert_eq!(public.event.account, None, "a public event is every account's");
}

#[test]
fn an_event_of_no_said_none_or_unknown_scope_is_never_taken_for_a_public_one() {
    for scope in [None, Some("NONE"), Some("ORGANIZATION_WIDE")] {
        let Trigger::Health(record) = only(parse(&health_event_of(Some("222233334444"), scope))) else {
            panic!("{scope:?} not read")
        };
        assert_eq!(record.event.account.as_deref(), Some("222233334444"), "{scope:?}");
    }
}

#[test]
fn an_aws_health_event_without_a_readable_account_is_skipped_never_recorded_as_public() {
    for (account, why) in [
        (None, "no account"),
        (Some(""), "no account"),
        (Some("2222-3333-4444"), "not a 12-digit"),
        (Some("22223333444"), "not a 12-digit"),
    ] {
        let Trigger::Ignored { reason } = only(parse(&health_event_of(account, Some("PUBLIC")))) else {
            panic!("{account:?} was read")
        };
        assert!(reason.contains(why), "{account:?}: {reason}");
    }
}

/// `event` as an SNS delivery whose message is the event, as an EventBridge rule that targets
/// a topic (or anyone allowed to publish to it) sends it.
fn inside_sns(event: &Value) -> Value {
    let mut delivery = fixture("sns");
    delivery["Records"][0]["Sns"]["Message"] = json!(event.to_string());
    delivery
}

fn refusal(triggers: Vec<Trigger>) -> Refusal {
    match only(triggers) {
        Trigger::Refused(refusal) => refusal,
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn a_granted_override_is_a_trigger_naming_its_id_and_pipeline() {
    let granted = json!({"version": "0", "id": "x", "detail-type": OVERRIDE_GRANTED_DETAIL_TYPE, "source": PIPEGUARD_SOURCE,
        "account": "123456789012", "time": "2026-11-22T10:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"override_id": "ovr-1", "pipeline": "web-app", "kinds": ["freezes", "health"]}});
    assert_eq!(
        only(parse(&granted)),
        Trigger::OverrideGranted {
            override_id: "ovr-1".into(),
            pipeline: "web-app".into(),
        }
    );
    for detail in [
        json!({"override_id": "ovr-1", "pipeline": " ", "kinds": ["health"]}),
        json!({"override_id": "", "pipeline": "web-app"}),
        json!({"pipeline": "web-app", "kinds": ["health"]}),
    ] {
        let mut event = granted.clone();
        event["detail"] = detail.clone();
        assert!(
            matches!(only(parse(&event)), Trigger::Ignored { reason } if reason.contains("does not read")),
            "{detail}"
        );
    }
    let refused = refusal(parse(&inside_sns(&granted)));
    assert_eq!(refused.kind, RefusalKind::NotFromEventBridge);
}

#[test]
fn an_alarm_change_names_the_alarm_where_it_lives_and_its_new_state() {
    let changed: Value =
        serde_json::from_str(include_str!("../../../tests/events/alarm-state-change.json")).unwrap();
    assert_eq!(
        only(parse(&changed)),
        Trigger::AlarmChanged {
            alarm: crate::hold::HeldAlarm {
                name: "web-5xx".into(),
                region: "us-east-1".into(),
                account: "123456789012".into(),
            },
            state: "OK".into(),
        }
    );
    let mut no_region = changed.clone();
    no_region["region"] = json!("pipeguard#freezes");
    assert!(matches!(only(parse(&no_region)), Trigger::Ignored { .. }));
    let mut no_name = changed.clone();
    no_name["detail"] = json!({"state": {"value": "OK"}});
    assert!(matches!(only(parse(&no_name)), Trigger::Ignored { reason } if reason.contains("does not read")));
    assert_eq!(
        refusal(parse(&inside_sns(&changed))).kind,
        RefusalKind::NotFromEventBridge,
        "anyone who may publish to the topic could write one"
    );
}

#[test]
fn a_calendar_change_names_the_calendar_where_it_lives_and_its_new_state() {
    let changed: Value =
        serde_json::from_str(include_str!("../../../tests/events/calendar-state-change.json")).unwrap();
    assert_eq!(
        only(parse(&changed)),
        Trigger::CalendarChanged {
            calendar: crate::hold::HeldCalendar {
                name: "year-end-freeze".into(),
                region: "us-east-1".into(),
                account: "123456789012".into(),
                opens_at: None,
            },
            state: "OPEN".into(),
        }
    );
    let mut other_account = changed.clone();
    other_account["account"] = json!("222233334444");
    assert!(
        matches!(only(parse(&other_account)), Trigger::Ignored { reason } if reason.contains("not of the account and region")),
        "a calendar's ARN must be the sender's own"
    );
    let mut no_calendar = changed.clone();
    no_calendar["resources"] = json!([]);
    assert!(
        matches!(only(parse(&no_calendar)), Trigger::Ignored { reason } if reason.contains("names no calendar"))
    );
    let mut not_a_document = changed.clone();
    not_a_document["resources"] = json!(["arn:aws:ssm:us-east-1:123456789012:parameter/year-end-freeze"]);
    assert!(matches!(only(parse(&not_a_document)), Trigger::Ignored { .. }));
    let mut no_state = changed.clone();
    no_state["detail"] = json!({"atTime": "2026-12-20T00:00:00Z"});
    assert!(
        matches!(only(parse(&no_state)), Trigger::Ignored { reason } if reason.contains("does not read"))
    );
    assert_eq!(
        refusal(parse(&inside_sns(&changed))).kind,
        RefusalKind::NotFromEventBridge,
        "a forged calendar change: anyone who may publish to the topic could write one"
    );
}

#[test]
fn aws_health_events_schedules_and_unfreezes_inside_sns_messages_are_refused() {
    let scheduled = json!({"source": "aws.events", "detail-type": "Scheduled Event", "account": "111122223333", "detail": {}});
    let unfrozen = json!({"source": PIPEGUARD_SOURCE, "detail-type": UNFROZEN_DETAIL_TYPE, "account": "111122223333", "detail": {"freeze_id": "f-1"}});
    let mut closed_far_ahead = fixture("health");
    closed_far_ahead["detail"]["lastUpdatedTime"] = json!("Thu, 01 Jan 2099 00:00:00 GMT");
    for event in [fixture("health"), closed_far_ahead, scheduled, unfrozen] {
        let refused = refusal(parse(&inside_sns(&event)));
        assert_eq!(refused.kind, RefusalKind::NotFromEventBridge, "{event}");
        assert!(refused.reason.contains("SNS"), "{}", refused.reason);
        // In the notification rule's shape (`detailType`) too.
        let mut renamed = event.clone();
        let object = renamed.as_object_mut().unwrap();
        let detail_type = object.remove("detail-type").unwrap();
        object.insert("detailType".into(), detail_type);
        assert_eq!(
            refusal(parse(&inside_sns(&renamed))).kind,
            RefusalKind::NotFromEventBridge
        );
    }
    // The same events, as EventBridge delivers them, are taken.
    assert!(matches!(only(parse(&fixture("health"))), Trigger::Health(_)));
}

#[test]
fn a_codepipeline_event_inside_an_sns_message_is_still_read() {
    let change = fixture("eventbridge");
    assert_eq!(parse(&inside_sns(&change)), parse(&change));
    assert!(matches!(only(parse(&inside_sns(&change))), Trigger::Pipeline(_)));
}

#[test]
fn an_aws_health_update_dated_ahead_of_the_clock_is_refused_and_one_just_within_is_read() {
    let at = |seconds: i64| {
        let mut event = fixture("health");
        let time = chrono::DateTime::from_timestamp(seconds, 0).unwrap();
        event["detail"]["lastUpdatedTime"] = json!(time.to_rfc2822());
        event
    };
    let refused = refusal(parse_invocation(&at(NOW + MAX_SECONDS_AHEAD + 1), NOW));
    assert_eq!(refused.kind, RefusalKind::FromTheFuture);
    assert!(refused.reason.contains("301 seconds ahead"), "{}", refused.reason);
    let Trigger::Health(record) = only(parse_invocation(&at(NOW + MAX_SECONDS_AHEAD), NOW)) else {
        panic!("an update within the allowed skew was not read")
    };
    assert_eq!(record.last_updated, NOW + MAX_SECONDS_AHEAD);
}

#[test]
fn an_aws_health_event_whose_region_is_no_region_is_refused() {
    for region in [
        "pipeguard#freezes",
        "US-EAST-1",
        "us-east-1 ",
        "global#x",
        "../us-east-1",
        "east-1",
    ] {
        let mut event = fixture("health");
        event["detail"]["eventRegion"] = json!(region);
        let refused = refusal(parse(&event));
        assert_eq!(refused.kind, RefusalKind::NotARegion, "{region}");
    }
    for region in ["global", "us-gov-west-1", "cn-north-1", "eu-central-2"] {
        let mut event = fixture("health");
        event["detail"]["eventRegion"] = json!(region);
        assert!(matches!(only(parse(&event)), Trigger::Health(_)), "{region}");
    }
}

#[test]
fn other_services_notifications_on_a_shared_topic_are_ignored_not_refused() {
    let build = json!({"source": "aws.codebuild", "detail-type": "CodeBuild Build State Change", "account": "123456789012", "detail": {}});
    assert!(
        matches!(only(parse(&inside_sns(&build))), Trigger::Ignored { .. }),
        "a CodeBuild notification on the same topic is no forgery"
    );
}
