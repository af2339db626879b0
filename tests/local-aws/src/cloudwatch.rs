//! Amazon CloudWatch, as aws-sdk-cloudwatch speaks it (Smithy RPC v2 CBOR, with the Query
//! protocol's error codes): DescribeAlarms over the caller's alarms in the region its call is
//! signed for. The admin interface creates alarms and sets their state; each change of state is
//! announced as CloudWatch announces it, a "CloudWatch Alarm State Change" event.

use crate::Shared;
use crate::notify::{self, ResourceEvent};
use crate::state::{ACCOUNT, Alarm, AlarmState, AlarmType, REGION, is_account_id, now};
use crate::wire::{AwsError, page};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::Arc;

/// DescribeAlarms takes up to 100 names, and answers 1 to 100 alarms a page.
const MAX_NAMES: usize = 100;
const MAX_RECORDS: i64 = 100;
/// AWS does not document the page size when `MaxRecords` is absent: the emulator's choice.
const DEFAULT_RECORDS: i64 = 50;
/// Alarm names are 1 to 255 characters.
const MAX_NAME_LENGTH: usize = 255;
/// The filters the emulator does not keep the data for: refused, never ignored.
const UNSUPPORTED: [&str; 3] = ["ChildrenOfAlarmName", "ParentsOfAlarmName", "ActionPrefix"];
/// The reason of a new alarm that was never evaluated, as CloudWatch writes it.
const INITIAL_REASON: &str = "Unchecked: Initial alarm creation";

pub fn handle(
    shared: &Arc<Shared>,
    operation: &str,
    input: &Value,
    region: &str,
    account: &str,
) -> Result<Value, AwsError> {
    match operation {
        "DescribeAlarms" => describe_alarms(shared, input, region, account),
        other => Err(AwsError::new(
            400,
            "UnknownOperationException",
            format!("{other} is not emulated by local-aws (DescribeAlarms only)"),
        )),
    }
}

/// CloudWatch's constraint errors (Query code `ValidationError`).
fn validation(member: &str, value: &str, constraint: &str) -> AwsError {
    AwsError::new(
        400,
        "ValidationError",
        format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        ),
    )
}

/// An optional list of strings; an empty list is no list, as the Query protocol never sent one.
fn strings<'a>(input: &'a Value, member: &str) -> Result<Option<Vec<&'a str>>, AwsError> {
    let Some(values) = input.get(member).filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    let list: Option<Vec<&str>> = values
        .as_array()
        .and_then(|items| items.iter().map(Value::as_str).collect());
    match list {
        Some(list) if list.is_empty() => Ok(None),
        Some(list) => Ok(Some(list)),
        None => Err(validation(
            member,
            &values.to_string(),
            "Member must be a list of strings",
        )),
    }
}

/// Which alarm types a call asks for: metric alarms only unless it names others (AWS's default).
fn alarm_types(input: &Value) -> Result<Vec<AlarmType>, AwsError> {
    let Some(names) = strings(input, "AlarmTypes")? else {
        return Ok(vec![AlarmType::MetricAlarm]);
    };
    names
        .into_iter()
        .map(|name| match name {
            "MetricAlarm" => Ok(AlarmType::MetricAlarm),
            "CompositeAlarm" => Ok(AlarmType::CompositeAlarm),
            other => Err(validation(
                "alarmTypes",
                other,
                "Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]",
            )),
        })
        .collect()
}

fn state_value(input: &Value) -> Result<Option<AlarmState>, AwsError> {
    match input.get("StateValue").and_then(Value::as_str) {
        None => Ok(None),
        Some("OK") => Ok(Some(AlarmState::Ok)),
        Some("ALARM") => Ok(Some(AlarmState::Alarm)),
        Some("INSUFFICIENT_DATA") => Ok(Some(AlarmState::InsufficientData)),
        Some(other) => Err(validation(
            "stateValue",
            other,
            "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]",
        )),
    }
}

/// An alarm as DescribeAlarms answers it (`MetricAlarm` and `CompositeAlarm` share these).
fn alarm_json(alarm: &Alarm) -> Value {
    json!({
        "AlarmName": alarm.name,
        "AlarmArn": alarm.arn(),
        "StateValue": alarm.state.as_str(),
        "StateReason": alarm.reason,
        "StateUpdatedTimestamp": alarm.state_updated,
        "StateTransitionedTimestamp": alarm.state_transitioned,
    })
}

fn describe_alarms(
    shared: &Arc<Shared>,
    input: &Value,
    region: &str,
    account: &str,
) -> Result<Value, AwsError> {
    if let Some(member) = UNSUPPORTED.iter().find(|member| input.get(**member).is_some()) {
        return Err(AwsError::new(
            400,
            "ValidationError",
            format!(
                "{member} is not emulated by local-aws (AlarmNames, AlarmNamePrefix, AlarmTypes, StateValue, MaxRecords and NextToken are)"
            ),
        ));
    }
    let names = strings(input, "AlarmNames")?;
    if let Some(names) = &names {
        if names.len() > MAX_NAMES {
            return Err(validation(
                "alarmNames",
                &format!("[{} names]", names.len()),
                &format!("Member must have length less than or equal to {MAX_NAMES}"),
            ));
        }
        if let Some(bad) = names
            .iter()
            .find(|name| name.is_empty() || name.chars().count() > MAX_NAME_LENGTH)
        {
            return Err(validation(
                "alarmNames",
                bad,
                &format!("Member must have length between 1 and {MAX_NAME_LENGTH}"),
            ));
        }
    }
    let prefix = input.get("AlarmNamePrefix").and_then(Value::as_str);
    if names.is_some() && prefix.is_some() {
        return Err(AwsError::new(
            400,
            "InvalidParameterCombination",
            "AlarmNamePrefix and AlarmNames cannot be given together.",
        ));
    }
    let types = alarm_types(input)?;
    let wanted_state = state_value(input)?;
    let size = input
        .get("MaxRecords")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_RECORDS);
    if !(1..=MAX_RECORDS).contains(&size) {
        return Err(validation(
            "maxRecords",
            &size.to_string(),
            &format!("Member must have value between 1 and {MAX_RECORDS}"),
        ));
    }
    let state = shared.state();
    let matching: Vec<&Alarm> = state
        .alarms
        .values()
        .filter(|alarm| alarm.account == account && alarm.region == region)
        .filter(|alarm| types.contains(&alarm.alarm_type))
        .filter(|alarm| {
            names
                .as_ref()
                .is_none_or(|names| names.contains(&alarm.name.as_str()))
        })
        .filter(|alarm| prefix.is_none_or(|prefix| alarm.name.starts_with(prefix)))
        .filter(|alarm| wanted_state.is_none_or(|wanted| alarm.state == wanted))
        .collect();
    // One page over both kinds, in name order; each alarm is then answered in its kind's list.
    let kinds: BTreeMap<String, AlarmType> = matching
        .iter()
        .map(|alarm| (alarm.name.clone(), alarm.alarm_type))
        .collect();
    let paging = json!({"maxResults": size, "nextToken": input.get("NextToken")});
    let (alarms, next) = page(
        matching.into_iter().map(alarm_json).collect(),
        &paging,
        1..=MAX_RECORDS,
        DEFAULT_RECORDS,
        "InvalidNextToken",
    )?;
    let (mut metric, mut composite) = (Vec::new(), Vec::new());
    for alarm in alarms {
        let kind = alarm["AlarmName"].as_str().and_then(|name| kinds.get(name));
        match kind {
            Some(AlarmType::CompositeAlarm) => composite.push(alarm),
            _ => metric.push(alarm),
        }
    }
    let mut output = json!({"MetricAlarms": metric, "CompositeAlarms": composite});
    if let Some(next) = next {
        output["NextToken"] = json!(next);
    }
    Ok(output)
}

/// An alarm as the admin interface creates or changes it; what is left out keeps its value
/// (a new alarm: a metric alarm in `INSUFFICIENT_DATA`, in the emulator's account and region).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmSpec {
    name: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default, rename = "type")]
    alarm_type: Option<AlarmType>,
    #[serde(default)]
    state: Option<AlarmState>,
    #[serde(default)]
    reason: Option<String>,
}

/// What setting an alarm did: the alarm now, and its state before if that changed.
#[derive(Debug)]
pub struct AlarmChange {
    pub alarm: Alarm,
    pub previous: Option<(AlarmState, String, f64)>,
}

fn bad_request(message: String) -> AwsError {
    AwsError::new(400, "BadRequest", message)
}

/// Creates or changes an alarm in `alarms` at time `at`. A state other than the alarm's is a
/// transition (both timestamps move); the same state, or none, changes at most the reason.
pub fn apply(
    alarms: &mut BTreeMap<crate::state::ResourceKey, Alarm>,
    spec: AlarmSpec,
    at: f64,
) -> Result<AlarmChange, AwsError> {
    if spec.name.is_empty() || spec.name.chars().count() > MAX_NAME_LENGTH {
        return Err(bad_request(format!(
            "an alarm's name is 1 to {MAX_NAME_LENGTH} characters, not {:?}",
            spec.name
        )));
    }
    let account = spec.account.unwrap_or_else(|| ACCOUNT.to_owned());
    if !is_account_id(&account) {
        return Err(bad_request(format!(
            "account {account:?} is not a 12-digit account id"
        )));
    }
    let region = spec.region.unwrap_or_else(|| REGION.to_owned());
    if region.is_empty() || region.contains([':', '/']) || region.contains(char::is_whitespace) {
        return Err(bad_request(format!("region {region:?} is not a region name")));
    }
    let key = (account.clone(), region.clone(), spec.name.clone());
    let alarm = match alarms.entry(key) {
        Entry::Occupied(existing) => existing.into_mut(),
        Entry::Vacant(vacant) => {
            let state = spec.state.unwrap_or(AlarmState::InsufficientData);
            let reason = spec.reason.unwrap_or_else(|| match state {
                AlarmState::InsufficientData => INITIAL_REASON.to_owned(),
                other => format!("Set to {} through the local-aws admin interface", other.as_str()),
            });
            let alarm = Alarm {
                name: spec.name,
                account,
                region,
                alarm_type: spec.alarm_type.unwrap_or(AlarmType::MetricAlarm),
                state,
                reason,
                state_updated: at,
                state_transitioned: at,
            };
            vacant.insert(alarm.clone());
            return Ok(AlarmChange {
                alarm,
                previous: None,
            });
        }
    };
    if let Some(wanted) = spec.alarm_type.filter(|wanted| *wanted != alarm.alarm_type) {
        return Err(bad_request(format!(
            "alarm {} is a {}: it cannot become a {}",
            alarm.name,
            alarm.alarm_type.as_str(),
            wanted.as_str()
        )));
    }
    let mut previous = None;
    match spec.state.filter(|state| *state != alarm.state) {
        Some(state) => {
            previous = Some((alarm.state, alarm.reason.clone(), alarm.state_updated));
            alarm.reason = spec.reason.unwrap_or_else(|| {
                format!("Set to {} through the local-aws admin interface", state.as_str())
            });
            alarm.state = state;
            alarm.state_updated = at;
            alarm.state_transitioned = at;
        }
        None => {
            if let Some(reason) = spec.reason.filter(|reason| *reason != alarm.reason) {
                alarm.reason = reason;
                alarm.state_updated = at;
            }
        }
    }
    Ok(AlarmChange {
        alarm: alarm.clone(),
        previous,
    })
}

/// CloudWatch's times in its events: `2019-10-02T17:04:40.989+0000`.
fn event_time(epoch: f64) -> String {
    let seconds = notify::iso_time(epoch);
    let millis = ((epoch.max(0.0).fract() * 1000.0).round() as u32).min(999);
    format!("{}.{millis:03}+0000", seconds.trim_end_matches('Z'))
}

/// `POST /_admin/cloudwatch/alarms`: creates or changes an alarm; a change of its state is
/// announced to the rules for `aws.cloudwatch`.
pub fn set_alarm(shared: &Arc<Shared>, body: Value) -> Result<Value, AwsError> {
    let spec: AlarmSpec =
        serde_json::from_value(body).map_err(|error| bad_request(format!("invalid alarm: {error}")))?;
    let change = {
        let mut state = shared.state();
        let change = apply(&mut state.alarms, spec, now())?;
        let alarm = &change.alarm;
        let text = match &change.previous {
            Some((previous, ..)) => format!(
                "CloudWatch: alarm {} ({}, {}) {} -> {}",
                alarm.name,
                alarm.region,
                alarm.account,
                previous.as_str(),
                alarm.state.as_str()
            ),
            None => format!(
                "CloudWatch: alarm {} ({}, {}) is {}",
                alarm.name,
                alarm.region,
                alarm.account,
                alarm.state.as_str()
            ),
        };
        state.record(text);
        change
    };
    let alarm = &change.alarm;
    if let Some((previous, previous_reason, previous_time)) = &change.previous {
        let configuration = match alarm.alarm_type {
            AlarmType::MetricAlarm => json!({"metrics": []}),
            AlarmType::CompositeAlarm => json!({"alarmRule": ""}),
        };
        notify::announce_resource(
            shared,
            ResourceEvent {
                source: "aws.cloudwatch",
                detail_type: "CloudWatch Alarm State Change",
                account: alarm.account.clone(),
                region: alarm.region.clone(),
                arn: alarm.arn(),
                state: alarm.state.as_str(),
                detail: json!({
                    "alarmName": alarm.name,
                    "state": {"value": alarm.state.as_str(), "reason": alarm.reason, "timestamp": event_time(alarm.state_updated)},
                    "previousState": {"value": previous.as_str(), "reason": previous_reason, "timestamp": event_time(*previous_time)},
                    "configuration": configuration,
                }),
            },
        );
    }
    Ok(json!({"arn": alarm.arn(), "state": alarm.state.as_str(), "changed": change.previous.is_some()}))
}

/// `GET /_admin/cloudwatch/alarms`: every alarm, of every account and region.
pub fn alarms(shared: &Arc<Shared>) -> Value {
    crate::state::listed(shared.state().alarms.values(), Alarm::arn)
}

#[cfg(test)]
#[path = "cloudwatch_tests.rs"]
mod tests;
