//! The service's own signals as the emulator keeps them: CloudWatch alarms and SSM Change
//! Calendars (and other SSM documents, which GetCalendarState refuses), each in an account and a
//! region, set through the admin interface.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// An alarm's kind: DescribeAlarms answers each kind in a list of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmType {
    /// A metric alarm (DescribeAlarms' default).
    MetricAlarm,
    /// A composite alarm, answered only when asked for.
    CompositeAlarm,
}

impl AlarmType {
    /// The name DescribeAlarms' `AlarmTypes` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MetricAlarm => "MetricAlarm",
            Self::CompositeAlarm => "CompositeAlarm",
        }
    }
}

/// An alarm's state (`StateValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    /// `OK`.
    Ok,
    /// `ALARM`.
    Alarm,
    /// `INSUFFICIENT_DATA`, a new alarm's state.
    InsufficientData,
}

impl AlarmState {
    /// The value as CloudWatch writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// A CloudWatch alarm, keyed in [`super::State::alarms`] by (account, region, name).
#[derive(Debug, Clone, Serialize)]
pub struct Alarm {
    /// `AlarmName`.
    pub name: String,
    /// The account it belongs to.
    pub account: String,
    /// The region it lives in.
    pub region: String,
    /// Metric or composite.
    #[serde(rename = "type")]
    pub alarm_type: AlarmType,
    /// `StateValue`.
    pub state: AlarmState,
    /// `StateReason`.
    pub reason: String,
    /// `StateUpdatedTimestamp` (epoch seconds): the last change of its state or reason.
    pub state_updated: f64,
    /// `StateTransitionedTimestamp` (epoch seconds): the last change of its state.
    pub state_transitioned: f64,
}

impl Alarm {
    /// `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:cloudwatch:{}:{}:alarm:{}",
            self.region, self.account, self.name
        )
    }
}

/// A Change Calendar's state (`State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CalendarState {
    /// Changes may proceed.
    Open,
    /// Changes may not proceed.
    Closed,
}

impl CalendarState {
    /// The value as Systems Manager writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Closed => "CLOSED",
        }
    }

    fn flipped(self) -> Self {
        match self {
            Self::Open => Self::Closed,
            Self::Closed => Self::Open,
        }
    }
}

/// The document type of a Change Calendar; any other type is not one.
pub const CHANGE_CALENDAR: &str = "ChangeCalendar";

/// An SSM document, keyed in [`super::State::calendars`] by (account, region, name): a Change
/// Calendar with its state now, or a document of another type.
#[derive(Debug, Clone, Serialize)]
pub struct Calendar {
    /// The document's name.
    pub name: String,
    /// The account it belongs to.
    pub account: String,
    /// The region it lives in.
    pub region: String,
    /// `ChangeCalendar`, or another SSM document type (`Command`, `Automation`, ...).
    pub document_type: String,
    /// Its state now.
    pub state: CalendarState,
    /// When its state next changes (epoch seconds), if it is known.
    pub next_transition: Option<f64>,
}

impl Calendar {
    /// `arn:aws:ssm:<region>:<account>:document/<name>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:ssm:{}:{}:document/{}",
            self.region, self.account, self.name
        )
    }

    /// Whether GetCalendarState may read it.
    pub fn is_change_calendar(&self) -> bool {
        self.document_type == CHANGE_CALENDAR
    }

    /// Its state at `at` (now when absent) and its next transition after it. The emulator knows
    /// one transition: at or after it the state is the other one and the one after is unknown.
    pub fn state_at(&self, at: Option<f64>) -> (CalendarState, Option<f64>) {
        match (at, self.next_transition) {
            (Some(at), Some(next)) if at >= next => (self.state.flipped(), None),
            _ => (self.state, self.next_transition),
        }
    }
}

/// Alarms or calendars as the admin interface lists them: each as stored, with its ARN.
pub fn listed<'a, T: Serialize + 'a>(
    resources: impl Iterator<Item = &'a T>,
    arn: impl Fn(&T) -> String,
) -> Value {
    Value::Array(
        resources
            .map(|resource| {
                let mut shown = serde_json::to_value(resource).unwrap_or_default();
                shown["arn"] = json!(arn(resource));
                shown
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(state: CalendarState, next_transition: Option<f64>) -> Calendar {
        Calendar {
            name: "deploys".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            document_type: CHANGE_CALENDAR.into(),
            state,
            next_transition,
        }
    }

    #[test]
    fn a_calendar_flips_at_its_next_transition_and_not_before() {
        let closed = calendar(CalendarState::Closed, Some(2_000.0));
        assert_eq!(closed.state_at(None), (CalendarState::Closed, Some(2_000.0)));
        assert_eq!(
            closed.state_at(Some(1_999.0)),
            (CalendarState::Closed, Some(2_000.0))
        );
        assert_eq!(closed.state_at(Some(2_000.0)), (CalendarState::Open, None));
        let open = calendar(CalendarState::Open, None);
        assert_eq!(open.state_at(Some(9e9)), (CalendarState::Open, None));
        assert_eq!(
            closed.arn(),
            "arn:aws:ssm:eu-west-1:123456789012:document/deploys"
        );
    }
}
