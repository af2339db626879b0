//! AWS Systems Manager over AWS JSON 1.1 (`AmazonSSM.*`): GetCalendarState over Change
//! Calendars named by name (the caller's account, in the region its call is signed for) or by
//! ARN. The admin interface sets a calendar's state and next transition, or makes a document of
//! another type; each change of a calendar's state is announced as Systems Manager announces it,
//! a "Calendar State Change" event.

use crate::Shared;
use crate::notify::{self, ResourceEvent};
use crate::state::{ACCOUNT, CHANGE_CALENDAR, Calendar, CalendarState, REGION, State, is_account_id, now};
use crate::wire::AwsError;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn handle(shared: &Arc<Shared>, operation: &str, input: &Value, region: &str) -> Result<Value, AwsError> {
    match operation {
        "GetCalendarState" => get_calendar_state(shared, input, region),
        other => Err(AwsError::new(
            400,
            "UnknownOperationException",
            format!("{other} is not emulated by local-aws (GetCalendarState only)"),
        )),
    }
}

/// Epoch seconds for an ISO 8601 time: `2026-12-07T18:00:00Z`, with optional fractional seconds,
/// and `Z`, an offset (`+01:00`, `-0500`) or no zone (UTC).
pub fn parse_iso_time(text: &str) -> Option<f64> {
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: i64 = date_parts.next()?.parse().ok()?;
    let day: i64 = date_parts.next()?.parse().ok()?;
    // Without a zone, the time is taken as UTC.
    let (clock, offset) = match time.find(['Z', '+', '-']) {
        Some(at) => time.split_at(at),
        None => (time, "Z"),
    };
    let offset_seconds = match offset {
        "Z" => 0,
        _ => {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            let hours: i64 = digits[..2].parse().ok()?;
            let minutes: i64 = digits[2..].parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let mut clock_parts = clock.splitn(3, ':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next()?.parse().ok()?;
    let second: f64 = clock_parts.next()?.parse().ok()?;
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0.0..61.0).contains(&second);
    if !valid {
        return None;
    }
    // Howard Hinnant's days-from-civil algorithm (the inverse of notify::iso_time's).
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some((days * 86_400 + hour * 3600 + minute * 60 - offset_seconds) as f64 + second)
}

fn invalid_document(name: &str) -> AwsError {
    AwsError::new(
        400,
        "InvalidDocument",
        format!("The document {name} does not exist."),
    )
}

/// The document a `CalendarNames` entry names: an ARN
/// (`arn:aws:ssm:<region>:<account>:document/<name>`), or a name in the caller's account and
/// region.
fn find<'a>(state: &'a State, wanted: &str, region: &str) -> Result<&'a Calendar, AwsError> {
    let key = match wanted.strip_prefix("arn:aws:ssm:") {
        Some(rest) => {
            let mut parts = rest.splitn(3, ':');
            match (
                parts.next(),
                parts.next(),
                parts
                    .next()
                    .and_then(|resource| resource.strip_prefix("document/")),
            ) {
                (Some(region), Some(account), Some(name)) => {
                    (account.to_owned(), region.to_owned(), name.to_owned())
                }
                _ => return Err(invalid_document(wanted)),
            }
        }
        None => (ACCOUNT.to_owned(), region.to_owned(), wanted.to_owned()),
    };
    let calendar = state
        .calendars
        .get(&key)
        .ok_or_else(|| invalid_document(wanted))?;
    if !calendar.is_change_calendar() {
        return Err(AwsError::new(
            400,
            "InvalidDocumentType",
            format!(
                "The document {wanted} is a {} document, not a {CHANGE_CALENDAR}.",
                calendar.document_type
            ),
        ));
    }
    Ok(calendar)
}

/// The state of the calendars named at `AtTime` (now when absent): CLOSED if any of them is
/// closed, as AWS documents. `NextTransitionTime` is the earliest of their next transitions,
/// the soonest the answer may change (AWS does not document it for several calendars).
fn get_calendar_state(shared: &Arc<Shared>, input: &Value, region: &str) -> Result<Value, AwsError> {
    let names: Vec<&str> = input
        .get("CalendarNames")
        .and_then(Value::as_array)
        .and_then(|names| names.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
        .filter(|names| !names.is_empty())
        .ok_or_else(|| {
            AwsError::validation(
                "1 validation error detected: Value at 'calendarNames' failed to satisfy constraint: Member must be a non-empty list of calendar names or ARNs",
            )
        })?;
    let at = match input.get("AtTime").and_then(Value::as_str) {
        None => None,
        Some(text) => Some(
            parse_iso_time(text)
                .ok_or_else(|| AwsError::validation(format!("AtTime {text:?} is not an ISO 8601 time")))?,
        ),
    };
    let state = shared.state();
    let mut combined = CalendarState::Open;
    let mut next: Option<f64> = None;
    for name in names {
        let (calendar_state, calendar_next) = find(&state, name, region)?.state_at(at);
        if calendar_state == CalendarState::Closed {
            combined = CalendarState::Closed;
        }
        next = match (next, calendar_next) {
            (Some(earliest), Some(candidate)) => Some(earliest.min(candidate)),
            (earliest, candidate) => earliest.or(candidate),
        };
    }
    let mut output = json!({
        "State": combined.as_str(),
        "AtTime": notify::iso_time(at.unwrap_or_else(now)),
    });
    if let Some(next) = next {
        output["NextTransitionTime"] = json!(notify::iso_time(next));
    }
    Ok(output)
}

/// An SSM document as the admin interface sets it, whole: a Change Calendar's state now
/// (`OPEN` unless given) and its next transition (none unless given), or a document of another
/// type, in the emulator's account and region unless named.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSpec {
    name: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    document_type: Option<String>,
    #[serde(default)]
    state: Option<CalendarState>,
    #[serde(default)]
    next_transition_time: Option<String>,
}

fn bad_request(message: String) -> AwsError {
    AwsError::new(400, "BadRequest", message)
}

fn calendar(spec: CalendarSpec) -> Result<Calendar, AwsError> {
    if spec.name.is_empty() || spec.name.contains(['/', ':']) || spec.name.contains(char::is_whitespace) {
        return Err(bad_request(format!("{:?} is not a document name", spec.name)));
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
    let document_type = spec.document_type.unwrap_or_else(|| CHANGE_CALENDAR.to_owned());
    let next_transition = spec
        .next_transition_time
        .map(|text| {
            parse_iso_time(&text)
                .ok_or_else(|| bad_request(format!("next_transition_time {text:?} is not an ISO 8601 time")))
        })
        .transpose()?;
    if document_type != CHANGE_CALENDAR && (spec.state.is_some() || next_transition.is_some()) {
        return Err(bad_request(format!(
            "a {document_type} document has no state: only a {CHANGE_CALENDAR} has one"
        )));
    }
    Ok(Calendar {
        name: spec.name,
        account,
        region,
        document_type,
        state: spec.state.unwrap_or(CalendarState::Open),
        next_transition,
    })
}

/// `POST /_admin/ssm/calendars`: sets a document; a Change Calendar whose state changes is
/// announced to the rules for `aws.ssm` (a new one, or a new document type, is not).
pub fn set_calendar(shared: &Arc<Shared>, body: Value) -> Result<Value, AwsError> {
    let spec: CalendarSpec =
        serde_json::from_value(body).map_err(|error| bad_request(format!("invalid calendar: {error}")))?;
    let calendar = calendar(spec)?;
    let changed = {
        let mut state = shared.state();
        let key = (
            calendar.account.clone(),
            calendar.region.clone(),
            calendar.name.clone(),
        );
        let previous = state.calendars.insert(key, calendar.clone());
        let changed = previous.is_some_and(|previous| {
            previous.is_change_calendar() && calendar.is_change_calendar() && previous.state != calendar.state
        });
        state.record(format!(
            "Change Calendar: {} ({}, {}) is {}",
            calendar.name,
            calendar.region,
            calendar.account,
            if calendar.is_change_calendar() {
                calendar.state.as_str()
            } else {
                calendar.document_type.as_str()
            }
        ));
        changed
    };
    if changed {
        let mut detail = json!({"state": calendar.state.as_str(), "atTime": notify::iso_time(now())});
        if let Some(next) = calendar.next_transition {
            detail["nextTransitionTime"] = json!(notify::iso_time(next));
        }
        notify::announce_resource(
            shared,
            ResourceEvent {
                source: "aws.ssm",
                detail_type: "Calendar State Change",
                account: calendar.account.clone(),
                region: calendar.region.clone(),
                arn: calendar.arn(),
                state: calendar.state.as_str(),
                detail,
            },
        );
    }
    Ok(json!({"arn": calendar.arn(), "changed": changed}))
}

/// `GET /_admin/ssm/calendars`: every document, of every account and region.
pub fn calendars(shared: &Arc<Shared>) -> Value {
    crate::state::listed(shared.state().calendars.values(), Calendar::arn)
}

#[cfg(test)]
#[path = "ssm_tests.rs"]
mod tests;
