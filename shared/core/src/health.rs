//! AWS Health events as plain data, and why AWS Health could not be asked. The API calls are in
//! `aws::health`.

use crate::names::aws_names;
use serde::{Deserialize, Serialize};
use std::fmt;

aws_names!(
    /// AWS Health event type categories (`eventTypeCategory`).
    EventCategory {
        Issue = "issue",
        AccountNotification = "accountNotification",
        ScheduledChange = "scheduledChange",
        Investigation = "investigation",
    }
);

aws_names!(
    /// AWS Health event status codes (`statusCode`).
    EventStatus {
        Open = "open",
        Upcoming = "upcoming",
        Closed = "closed",
    }
);

/// One AWS Health event, as plain data for the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthEvent {
    pub arn: String,
    pub service: String,
    pub event_type_code: String,
    pub category: EventCategory,
    /// The region it affects, or `global` for global services.
    pub region: String,
    pub status: EventStatus,
    /// Seconds since the Unix epoch.
    pub start_time: Option<i64>,
}

/// Why one endpoint could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCallError {
    /// The account has no Business, Enterprise On-Ramp or Enterprise support plan.
    SubscriptionRequired,
    Throttled(String),
    Timeout,
    Unreachable(String),
    Service {
        code: String,
        message: String,
    },
    BadResponse(String),
    /// The event store could not be read.
    Store(String),
}

impl fmt::Display for HealthCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SubscriptionRequired => f.write_str(
                "SubscriptionRequiredException: the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise support plan",
            ),
            Self::Throttled(message) => write!(f, "throttled after retries ({message})"),
            Self::Timeout => f.write_str("timed out"),
            Self::Unreachable(cause) => write!(f, "endpoint unreachable ({cause})"),
            Self::Service { code, message } => write!(f, "{code}: {message}"),
            Self::BadResponse(cause) => write!(f, "unreadable response ({cause})"),
            Self::Store(cause) => f.write_str(cause),
        }
    }
}

/// AWS Health could not be asked: what each endpoint tried said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct HealthUnavailable {
    pub attempts: Vec<(String, HealthCallError)>,
}

impl HealthUnavailable {
    /// The API refused for want of a support plan: the same everywhere, and the reason to ask
    /// the event store instead.
    pub fn no_support_plan(&self) -> bool {
        self.attempts
            .iter()
            .any(|(_, error)| *error == HealthCallError::SubscriptionRequired)
    }
}

impl fmt::Display for HealthUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts: Vec<String> = self
            .attempts
            .iter()
            .map(|(endpoint, error)| format!("{endpoint}: {error}"))
            .collect();
        f.write_str(&attempts.join("; "))
    }
}

/// Where the gate learned of AWS Health events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthSource {
    /// The AWS Health API (DescribeEvents): needs a Business, Enterprise On-Ramp or
    /// Enterprise support plan.
    Api,
    /// The event store, fed by the AWS Health events EventBridge delivers to every account.
    Events,
}

impl HealthSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Events => "events",
        }
    }

    /// How a person reads it, in a summary or a notice.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Api => "the AWS Health API",
            Self::Events => "AWS Health events recorded from EventBridge",
        }
    }
}

/// The events a source answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    pub source: HealthSource,
    pub events: Vec<HealthEvent>,
}

/// One update of an AWS Health event, as EventBridge delivers it: what the event store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthRecord {
    pub event: HealthEvent,
    /// Seconds since the Unix epoch.
    pub end_time: Option<i64>,
    pub last_updated: i64,
    /// `PUBLIC`, `ACCOUNT_SPECIFIC` or `NONE`.
    pub scope: String,
    /// Identifies this update; with `last_updated`, orders the updates of one event.
    pub communication_id: String,
    /// A copy AWS also sends to a backup region; it carries the same update.
    pub backup: bool,
}
