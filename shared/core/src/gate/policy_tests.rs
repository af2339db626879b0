use super::*;
use crate::testing::env_of as env;

fn defaults() -> GateDefaults {
    GateDefaults::from_env(env(&[("AWS_REGION", "eu-west-1")])).unwrap()
}

/// The UserParameters field an error names, and its reason.
fn field_error(result: Result<GatePolicy, SettingError>) -> (String, String) {
    match result {
        Err(SettingError { setting, reason }) => match setting.strip_prefix("UserParameters field ") {
            Some(field) => (field.trim_matches('`').to_owned(), reason),
            None => panic!("expected a UserParameters field error, got {setting}: {reason}"),
        },
        Ok(policy) => panic!("expected an error, got {policy:?}"),
    }
}

#[test]
fn built_in_defaults_watch_the_own_region_for_open_issues_and_fail() {
    let policy = defaults().for_action(None).unwrap();
    assert_eq!(policy.regions, ["eu-west-1"]);
    assert!(policy.services.is_empty());
    assert_eq!(policy.categories, [EventCategory::Issue]);
    assert_eq!(policy.statuses, [EventStatus::Open]);
    assert!(policy.ignore_event_types.is_empty());
    assert_eq!(policy.on_block, OnBlock::Fail);
    assert_eq!(policy.max_wait_minutes, 60);
    assert_eq!(policy.on_health_error, OnHealthError::FailClosed);
    assert!(policy.block_while_running.is_empty());
    assert!(policy.alarms.is_empty(), "no alarm watched unless named");
    assert_eq!(policy.alarm_states, [AlarmState::Alarm]);
}

#[test]
fn environment_sets_every_field() {
    let defaults = GateDefaults::from_env(env(&[
        ("AWS_REGION", "eu-west-1"),
        ("GATE_REGIONS", "us-east-1, us-west-2,us-east-1"),
        ("GATE_SERVICES", "ec2,LAMBDA"),
        ("GATE_CATEGORIES", "issue,scheduledChange"),
        ("GATE_STATUSES", "open,upcoming"),
        (
            "GATE_IGNORE_EVENT_TYPES",
            "AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED",
        ),
        ("GATE_ON_BLOCK", "wait"),
        ("GATE_MAX_WAIT_MINUTES", "90"),
        ("GATE_ON_HEALTH_ERROR", "fail-open"),
        ("GATE_BLOCK_WHILE_RUNNING", "cleanup,db-migrate"),
    ]))
    .unwrap();
    let policy = defaults.for_action(None).unwrap();
    assert_eq!(
        policy.regions,
        ["us-east-1", "us-west-2"],
        "deduplicated, order kept"
    );
    assert_eq!(policy.services, ["EC2", "LAMBDA"]);
    assert_eq!(
        policy.categories,
        [EventCategory::Issue, EventCategory::ScheduledChange]
    );
    assert_eq!(policy.statuses, [EventStatus::Open, EventStatus::Upcoming]);
    assert_eq!(
        policy.ignore_event_types,
        ["AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED"]
    );
    assert_eq!(policy.on_block, OnBlock::Wait);
    assert_eq!(policy.max_wait_minutes, 90);
    assert_eq!(policy.on_health_error, OnHealthError::FailOpen);
    assert_eq!(policy.block_while_running, ["cleanup", "db-migrate"]);
}

#[test]
fn environment_errors_name_the_variable() {
    let cases = [
        ("GATE_ON_BLOCK", "pause", "GATE_ON_BLOCK"),
        ("GATE_MAX_WAIT_MINUTES", "soon", "GATE_MAX_WAIT_MINUTES"),
        ("GATE_MAX_WAIT_MINUTES", "0", "GATE_MAX_WAIT_MINUTES"),
        ("GATE_REGIONS", "us-east-1,mars", "GATE_REGIONS[1]"),
        ("GATE_ON_HEALTH_ERROR", "ignore", "GATE_ON_HEALTH_ERROR"),
    ];
    for (name, value, expected_field) in cases {
        let result = GateDefaults::from_env(env(&[("AWS_REGION", "eu-west-1"), (name, value)]));
        match result {
            Err(SettingError { setting, .. }) => {
                assert_eq!(
                    setting,
                    format!("environment variable {expected_field}"),
                    "for {name}={value}"
                );
            }
            other => panic!("{name}={value}: expected an error, got {other:?}"),
        }
    }
}

#[test]
fn blank_variables_mean_the_default_as_cloudformation_passes_empty_parameters() {
    let defaults = GateDefaults::from_env(env(&[
        ("AWS_REGION", "eu-west-1"),
        ("GATE_REGIONS", ""),
        ("GATE_SERVICES", " "),
    ]))
    .unwrap();
    assert_eq!(defaults.for_action(None).unwrap().regions, ["eu-west-1"]);
    assert!(defaults.for_action(None).unwrap().services.is_empty());
}

#[test]
fn no_region_anywhere_is_an_error() {
    let error = GateDefaults::from_env(env(&[])).unwrap_err();
    assert_eq!(error.setting, "environment variable GATE_REGIONS");
    assert!(error.reason.contains("no region"), "{error}");
    assert!(GateDefaults::from_env(env(&[("GATE_REGIONS", "us-east-1")])).is_ok());
}

#[test]
fn plain_user_parameters_are_a_region_list_like_the_aws_sample() {
    let policy = defaults().for_action(Some(" us-east-1 , eu-central-1 ")).unwrap();
    assert_eq!(policy.regions, ["us-east-1", "eu-central-1"]);
    assert_eq!(policy.on_block, OnBlock::Fail, "other fields keep their defaults");
}

#[test]
fn plain_user_parameters_with_a_bad_region_name_it() {
    let (field, reason) = field_error(defaults().for_action(Some("us-east-1,,eu-west-1")));
    assert_eq!(field, "regions[1]");
    assert!(reason.contains("``"), "{reason}");
}

#[test]
fn json_user_parameters_override_each_field() {
    let policy = defaults()
        .for_action(Some(
            r#"{"regions": ["us-east-1", "global"], "services": ["s3"], "categories": ["issue", "investigation"],
                "statuses": ["upcoming"], "ignore_event_types": ["aws_s3_operational_notification"],
                "on_block": "wait", "max_wait_minutes": 1410, "on_health_error": "fail-open",
                "block_while_running": ["cleanup"]}"#,
        ))
        .unwrap();
    assert_eq!(policy.regions, ["us-east-1", "global"]);
    assert_eq!(policy.services, ["S3"]);
    assert_eq!(
        policy.categories,
        [EventCategory::Issue, EventCategory::Investigation]
    );
    assert_eq!(policy.statuses, [EventStatus::Upcoming]);
    assert_eq!(policy.ignore_event_types, ["AWS_S3_OPERATIONAL_NOTIFICATION"]);
    assert_eq!(policy.on_block, OnBlock::Wait);
    assert_eq!(policy.max_wait_minutes, MAX_WAIT_MINUTES_LIMIT);
    assert_eq!(policy.on_health_error, OnHealthError::FailOpen);
    assert_eq!(policy.block_while_running, ["cleanup"]);
}

#[test]
fn empty_services_means_every_service() {
    let defaults =
        GateDefaults::from_env(env(&[("AWS_REGION", "eu-west-1"), ("GATE_SERVICES", "EC2")])).unwrap();
    assert!(
        defaults
            .for_action(Some(r#"{"services": []}"#))
            .unwrap()
            .services
            .is_empty()
    );
}

#[test]
fn every_bad_json_value_names_its_field() {
    let cases = [
        (r#"{"regions": []}"#, "regions"),
        (r#"{"regions": ["us-east-1", "US-EAST-1"]}"#, "regions[1]"),
        (r#"{"regions": ["us-east-1a"]}"#, "regions[0]"),
        (r#"{"regions": "us-east-1"}"#, "regions"),
        (r#"{"services": ["EC2", "e c2"]}"#, "services[1]"),
        (r#"{"categories": []}"#, "categories"),
        (r#"{"categories": ["outage"]}"#, "categories[0]"),
        (r#"{"statuses": []}"#, "statuses"),
        (r#"{"statuses": ["open", "closed"]}"#, "statuses[1]"),
        (r#"{"statuses": ["pending"]}"#, "statuses[0]"),
        (r#"{"ignore_event_types": ["X"]}"#, "ignore_event_types[0]"),
        (r#"{"on_block": "retry"}"#, "on_block"),
        (r#"{"max_wait_minutes": 0}"#, "max_wait_minutes"),
        (r#"{"max_wait_minutes": 1441}"#, "max_wait_minutes"),
        (r#"{"max_wait_minutes": -5}"#, "max_wait_minutes"),
        (r#"{"max_wait_minutes": "60"}"#, "max_wait_minutes"),
        (r#"{"on_health_error": "open"}"#, "on_health_error"),
        (
            r#"{"block_while_running": ["bad name"]}"#,
            "block_while_running[0]",
        ),
        (
            r#"{"block_while_running": ["a","b","c","d","e","f","g","h","i","j","k"]}"#,
            "block_while_running",
        ),
    ];
    for (json, expected_field) in cases {
        let (field, reason) = field_error(defaults().for_action(Some(json)));
        assert_eq!(field, expected_field, "{json}");
        assert!(!reason.is_empty(), "{json}");
    }
}

#[test]
fn unknown_fields_are_rejected_with_their_name() {
    let error = defaults()
        .for_action(Some(r#"{"region": ["us-east-1"]}"#))
        .unwrap_err();
    assert!(error.to_string().contains("region"), "{error}");
    assert!(error.to_string().contains("unknown field"), "{error}");
}

#[test]
fn malformed_json_and_non_objects_are_rejected() {
    for text in [
        r#"{"regions": ["us-east-1"]"#,
        r#"["us-east-1"]"#,
        r#""us-east-1""#,
    ] {
        match defaults().for_action(Some(text)) {
            Err(SettingError { setting, reason }) => {
                assert_eq!(setting, "UserParameters", "{text}");
                assert!(!reason.is_empty());
            }
            other => panic!("{text}: expected a malformed UserParameters error, got {other:?}"),
        }
    }
}

#[test]
fn error_messages_say_where_and_what() {
    let error = defaults()
        .for_action(Some(r#"{"on_block": "retry"}"#))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "UserParameters field `on_block`: `retry` is not one of fail, wait"
    );
}

#[test]
fn the_health_source_is_auto_unless_set_and_events_needs_the_store() {
    assert_eq!(
        defaults().for_action(None).unwrap().health_source,
        SourceChoice::Auto
    );
    let with_store = GateDefaults::from_env(env(&[
        ("AWS_REGION", "eu-west-1"),
        ("HEALTH_EVENTS_TABLE", "pipeguard-health-events"),
        ("GATE_HEALTH_SOURCE", "events"),
    ]))
    .unwrap();
    assert_eq!(
        with_store.for_action(None).unwrap().health_source,
        SourceChoice::Events
    );
    assert_eq!(
        with_store
            .for_action(Some(r#"{"health_source": "api"}"#))
            .unwrap()
            .health_source,
        SourceChoice::Api
    );
    let error = GateDefaults::from_env(env(&[
        ("AWS_REGION", "eu-west-1"),
        ("GATE_HEALTH_SOURCE", "events"),
    ]))
    .unwrap_err();
    assert_eq!(error.setting, "environment variable GATE_HEALTH_SOURCE");
    assert!(error.reason.contains("HEALTH_EVENTS_TABLE"), "{error}");
    let (field, reason) = field_error(defaults().for_action(Some(r#"{"health_source": "events"}"#)));
    assert_eq!(field, "health_source");
    assert!(reason.contains("HEALTH_EVENTS_TABLE"), "{reason}");
    let (field, reason) = field_error(defaults().for_action(Some(r#"{"health_source": "store"}"#)));
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("health_source", "`store` is not one of api, events, auto")
    );
}

#[test]
fn accounts_are_twelve_digit_ids_each_named_by_its_place_and_at_most_fifty() {
    let policy = defaults()
        .for_action(Some(
            r#"{"accounts": ["222233334444", "222233334444", "333344445555"]}"#,
        ))
        .unwrap();
    assert_eq!(
        policy.accounts,
        ["222233334444", "333344445555"],
        "deduplicated, order kept"
    );
    assert_eq!(
        field_error(defaults().for_action(Some(r#"{"accounts": ["222233334444", "2222-3333-4444"]}"#))).0,
        "accounts[1]"
    );
    assert_eq!(
        field_error(defaults().for_action(Some(r#"{"accounts": []}"#))).0,
        "accounts"
    );
    let many: Vec<String> = (0..51)
        .map(|n| format!("{:012}", 100_000_000_000u64 + n))
        .collect();
    let (field, reason) =
        field_error(defaults().for_action(Some(&serde_json::json!({ "accounts": many }).to_string())));
    assert_eq!(field, "accounts");
    assert!(reason.contains("at most 50"), "{reason}");
}

#[test]
fn gate_accounts_sets_the_default_and_the_own_account_fills_in_when_none_is_named() {
    let named = GateDefaults::from_env(env(&[
        ("AWS_REGION", "eu-west-1"),
        ("GATE_ACCOUNTS", "222233334444, 333344445555"),
    ]))
    .unwrap();
    assert_eq!(
        named
            .for_action(None)
            .unwrap()
            .with_own_account("111111111111")
            .accounts,
        ["222233334444", "333344445555"]
    );
    assert_eq!(
        defaults()
            .for_action(None)
            .unwrap()
            .with_own_account("111111111111")
            .accounts,
        ["111111111111"]
    );
    let bad =
        GateDefaults::from_env(env(&[("AWS_REGION", "eu-west-1"), ("GATE_ACCOUNTS", "12")])).unwrap_err();
    assert_eq!(bad.setting, "environment variable GATE_ACCOUNTS[0]");
}

#[test]
fn every_kind_in_the_tables_is_named_as_aws_health_writes_it() {
    for (category, _) in EVENT_CATEGORIES {
        assert_eq!(
            kind_named(EVENT_CATEGORIES, category.as_str()).as_ref(),
            Ok(category)
        );
    }
    for (status, meaning) in EVENT_STATUSES {
        let named = kind_named(EVENT_STATUSES, status.as_str());
        match meaning {
            Meaning::Blocks => assert_eq!(named.as_ref(), Ok(status)),
            Meaning::NeverBlocks(why) => assert_eq!(named, Err(format!("`{status}` {why}"))),
        }
    }
    assert_eq!(
        kind_named(EVENT_STATUSES, "Open"),
        Err("`Open` is not one of open, upcoming".to_owned()),
        "names match exactly, and the error lists only those that block"
    );
}

#[test]
fn alarms_come_from_the_environment_for_every_pipeline_and_an_action_overrides_them() {
    let defaults = GateDefaults::from_env(env(&[
        ("AWS_REGION", "eu-west-1"),
        (
            "GATE_ALARMS",
            "web-5xx, web-*,arn:aws:cloudwatch:us-east-1:111111111111:alarm:edge",
        ),
        ("GATE_ALARM_STATES", "ALARM,INSUFFICIENT_DATA"),
    ]))
    .unwrap();
    let policy = defaults.for_action(None).unwrap();
    let watched: Vec<&crate::alarm::AlarmPattern> =
        policy.alarms.iter().map(|entry| &entry.pattern).collect();
    assert_eq!(
        watched,
        [
            &crate::alarm::AlarmPattern::Exact("web-5xx".into()),
            &crate::alarm::AlarmPattern::Prefix("web-".into()),
            &crate::alarm::AlarmPattern::Exact("edge".into()),
        ]
    );
    assert_eq!(
        policy.alarm_states,
        [AlarmState::Alarm, AlarmState::InsufficientData]
    );
    let action = defaults
        .for_action(Some(
            r#"{"alarms": ["api, v2 errors"], "alarm_states": ["ALARM"]}"#,
        ))
        .unwrap();
    assert_eq!(action.alarms, [WatchedAlarm::parse("api, v2 errors").unwrap()]);
    assert_eq!(action.alarm_states, [AlarmState::Alarm]);
    let off = defaults.for_action(Some(r#"{"alarms": []}"#)).unwrap();
    assert!(off.alarms.is_empty(), "an action may watch none");
}

#[test]
fn gate_alarms_may_be_a_json_array_for_names_with_commas() {
    let read = |value: &str| {
        GateDefaults::from_env(env(&[("AWS_REGION", "eu-west-1"), ("GATE_ALARMS", value)]))
            .map(|defaults| defaults.for_action(None).unwrap().alarms)
    };
    assert_eq!(
        read(r#"["api, v2 errors", "web-*"]"#).unwrap(),
        [
            WatchedAlarm::parse("api, v2 errors").unwrap(),
            WatchedAlarm::parse("web-*").unwrap()
        ]
    );
    let error = read(r#"["api, v2"#).unwrap_err();
    assert_eq!(error.setting, "environment variable GATE_ALARMS");
    assert!(
        error.reason.contains("not a JSON array of strings"),
        "{}",
        error.reason
    );
}

#[test]
fn a_bad_alarm_or_state_is_named_by_its_place() {
    let (field, reason) = field_error(defaults().for_action(Some(r#"{"alarms": ["web-5xx", "*"]}"#)));
    assert_eq!(field, "alarms[1]");
    assert!(reason.contains("would watch every alarm"), "{reason}");
    let (field, reason) = field_error(defaults().for_action(Some(r#"{"alarm_states": ["ALARM", "OK"]}"#)));
    assert_eq!(field, "alarm_states[1]");
    assert!(reason.contains("clear state"), "{reason}");
    let (field, reason) = field_error(defaults().for_action(Some(r#"{"alarm_states": []}"#)));
    assert_eq!(field, "alarm_states");
    assert!(reason.contains("at least one state"), "{reason}");
    let (field, _) = field_error(defaults().for_action(Some(r#"{"alarms": "web-5xx"}"#)));
    assert_eq!(field, "alarms");
    let error =
        GateDefaults::from_env(env(&[("AWS_REGION", "eu-west-1"), ("GATE_ALARM_STATES", "OK")])).unwrap_err();
    assert_eq!(error.setting, "environment variable GATE_ALARM_STATES[0]");
}

#[test]
fn change_calendars_come_from_the_environment_and_an_action_overrides_them() {
    let from_env = GateDefaults::from_env(env(&[
        ("AWS_REGION", "eu-west-1"),
        (
            "GATE_CHANGE_CALENDARS",
            "year-end, arn:aws:ssm:us-east-1:111111111111:document/release-train",
        ),
    ]))
    .unwrap();
    assert_eq!(
        from_env.for_action(None).unwrap().change_calendars,
        [
            WatchedCalendar::parse("year-end").unwrap(),
            WatchedCalendar::parse("arn:aws:ssm:us-east-1:111111111111:document/release-train").unwrap(),
        ]
    );
    let action = from_env
        .for_action(Some(r#"{"change_calendars": ["black-friday"]}"#))
        .unwrap();
    assert_eq!(
        action.change_calendars,
        [WatchedCalendar::parse("black-friday").unwrap()]
    );
    let off = from_env.for_action(Some(r#"{"change_calendars": []}"#)).unwrap();
    assert!(off.change_calendars.is_empty(), "an action may watch none");
    assert!(
        defaults().for_action(None).unwrap().change_calendars.is_empty(),
        "none unless named"
    );
}

#[test]
fn a_bad_calendar_is_named_by_its_place_and_more_than_ten_are_refused() {
    let (field, reason) = field_error(defaults().for_action(Some(
        r#"{"change_calendars": ["year-end", "arn:aws:ssm:us-east-1:111111111111:parameter/x"]}"#,
    )));
    assert_eq!(field, "change_calendars[1]");
    assert!(reason.contains("not an SSM document ARN"), "{reason}");
    let eleven: Vec<String> = (0..11).map(|n| format!("calendar-{n}")).collect();
    let (field, reason) = field_error(defaults().for_action(Some(
        &serde_json::json!({ "change_calendars": eleven }).to_string(),
    )));
    assert_eq!(field, "change_calendars");
    assert!(reason.contains("GetCalendarState"), "{reason}");
    let error = GateDefaults::from_env(env(&[
        ("AWS_REGION", "eu-west-1"),
        ("GATE_CHANGE_CALENDARS", "a b"),
    ]))
    .unwrap_err();
    assert_eq!(error.setting, "environment variable GATE_CHANGE_CALENDARS[0]");
}
