use super::*;

fn spec(body: Value) -> AlarmSpec {
    serde_json::from_value(body).unwrap()
}

#[test]
fn a_new_alarm_is_an_unchecked_metric_alarm_and_no_transition() {
    let mut alarms = BTreeMap::new();
    let change = apply(&mut alarms, spec(json!({"name": "api-errors"})), 10.0).unwrap();
    assert!(change.previous.is_none());
    assert_eq!(change.alarm.alarm_type, AlarmType::MetricAlarm);
    assert_eq!(change.alarm.state, AlarmState::InsufficientData);
    assert_eq!(change.alarm.reason, INITIAL_REASON);
    assert_eq!(
        change.alarm.arn(),
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-errors"
    );
}

#[test]
fn only_a_different_state_is_a_transition() {
    let mut alarms = BTreeMap::new();
    apply(&mut alarms, spec(json!({"name": "p99", "state": "OK"})), 10.0).unwrap();
    let firing = apply(
        &mut alarms,
        spec(json!({"name": "p99", "state": "ALARM", "reason": "latency"})),
        20.0,
    )
    .unwrap();
    let (previous, _, since) = firing.previous.unwrap();
    assert_eq!((previous, since), (AlarmState::Ok, 10.0));
    assert_eq!(
        (firing.alarm.state_updated, firing.alarm.state_transitioned),
        (20.0, 20.0)
    );

    let same = apply(
        &mut alarms,
        spec(json!({"name": "p99", "state": "ALARM", "reason": "still latency"})),
        30.0,
    )
    .unwrap();
    assert!(same.previous.is_none(), "the same state is no transition");
    assert_eq!(same.alarm.reason, "still latency");
    assert_eq!(
        (same.alarm.state_updated, same.alarm.state_transitioned),
        (30.0, 20.0),
        "a new reason updates the state, not its transition"
    );
}

#[test]
fn alarms_are_apart_by_account_and_region_and_keep_their_type() {
    let mut alarms = BTreeMap::new();
    apply(
        &mut alarms,
        spec(json!({"name": "a", "type": "CompositeAlarm"})),
        1.0,
    )
    .unwrap();
    apply(
        &mut alarms,
        spec(json!({"name": "a", "region": "eu-west-1", "account": "222233334444"})),
        1.0,
    )
    .unwrap();
    assert_eq!(alarms.len(), 2);
    let retyped = apply(
        &mut alarms,
        spec(json!({"name": "a", "type": "MetricAlarm"})),
        2.0,
    );
    assert_eq!(retyped.unwrap_err().code, "BadRequest");
    for bad in [
        json!({"name": ""}),
        json!({"name": "a", "account": "12345"}),
        json!({"name": "a", "region": "us east"}),
    ] {
        assert_eq!(apply(&mut alarms, spec(bad), 3.0).unwrap_err().status, 400);
    }
}

#[test]
fn event_times_have_milliseconds_and_an_offset() {
    assert_eq!(event_time(1_570_035_880.989), "2019-10-02T17:04:40.989+0000");
    assert_eq!(
        event_time(1_570_035_880.001),
        "2019-10-02T17:04:40.001+0000",
        "rounded: a float's millisecond is rarely exact"
    );
}
