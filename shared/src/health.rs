//! AWS Health events as plain data, and why AWS Health could not be asked. The API calls are in
//! `aws::health`.

use crate::names::aws_names;
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
        }
    }
}

/// AWS Health could not be asked: what each endpoint tried said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct HealthUnavailable {
    pub attempts: Vec<(String, HealthCallError)>,
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
