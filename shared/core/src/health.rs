//! AWS Health events as plain data, and why AWS Health could not be asked. The shell's
//! `pipeguard_aws::HealthSources` asks the API (`HealthApi`) and the event store.

use crate::names::{aws_names, closed_names};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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

aws_names!(
    /// Whom an AWS Health event concerns (`eventScopeCode`).
    EventScope {
        /// Every account in the region sees the same event.
        Public = "PUBLIC",
        /// The event concerns the resources of particular accounts; one ARN may be reported to
        /// several accounts.
        AccountSpecific = "ACCOUNT_SPECIFIC",
        /// Neither public nor about an account's resources.
        None = "NONE",
    }
);

impl EventScope {
    /// Whether the event is every account's. Only a scope AWS calls public is: any other (one
    /// not said, `NONE`, one unknown to this release) is the account's that reported it, never
    /// everyone's, which would block every pipeline whatever accounts it deploys into.
    pub fn is_public(&self) -> bool {
        *self == Self::Public
    }
}

/// Whether `text` is an AWS account id: twelve digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, ... or `global` (AWS Health's region for global
/// services such as IAM and CloudFront).
pub fn is_region_code(value: &str) -> bool {
    if value == "global" {
        return true;
    }
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts
            .last()
            .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
}

/// The event store's sort key for an event (its ARN): one item per public event whatever
/// accounts report it, one per account for any other. The stack's own account
/// keeps the bare ARN, the key of every item written before the store knew accounts, so an
/// upgraded stack reads and updates those items in place.
pub fn store_key(arn: &str, account: Option<&str>, own_account: &str) -> String {
    match account {
        Some(account) if account != own_account => format!("{arn}#{account}"),
        _ => arn.to_owned(),
    }
}

/// One AWS Health event, as plain data for the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthEvent {
    /// The event's ARN.
    pub arn: String,
    /// The AWS Health service code (`EC2`, `LAMBDA`, ...).
    pub service: String,
    /// The event type code (`AWS_EC2_OPERATIONAL_ISSUE`, ...).
    pub event_type_code: String,
    /// The event type category.
    pub category: EventCategory,
    /// The region it affects, or `global` for global services.
    pub region: String,
    /// Open, upcoming or closed.
    pub status: EventStatus,
    /// The account the event concerns; None for a public event, which every account sees.
    pub account: Option<String>,
    /// Seconds since the Unix epoch.
    pub start_time: Option<i64>,
}

/// Why one endpoint (or the event store) could not answer. The shell reads it off the SDK's
/// error; the core keeps it as plain text, for the gate's message and its fallback rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthCallError {
    /// The account has no Business, Enterprise On-Ramp or Enterprise support plan.
    #[error(
        "SubscriptionRequiredException: the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise support plan"
    )]
    SubscriptionRequired,
    /// Throttled, and still after the SDK's retries.
    #[error("throttled after retries ({0})")]
    Throttled(String),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// The endpoint could not be reached.
    #[error("endpoint unreachable ({0})")]
    Unreachable(String),
    /// The service answered with an error.
    #[error("{code}: {message}")]
    Service {
        /// The error code.
        code: String,
        /// The error message.
        message: String,
    },
    /// The answer could not be read.
    #[error("unreadable response ({0})")]
    BadResponse(String),
    /// The event store could not be read.
    #[error("{0}")]
    Store(String),
    /// AWS Health's organizational view cannot be asked from here: it is not enabled, or this
    /// account is neither the organization's management account nor a Health delegated
    /// administrator (or IAM denies the call). The same on every endpoint.
    #[error("the organizational view cannot be asked: {0}")]
    OrganizationView(String),
}

impl HealthCallError {
    /// Whether every endpoint would answer the same: a missing support plan, or an
    /// organizational view this account may not ask. Asking the other endpoint is no use.
    pub fn is_same_everywhere(&self) -> bool {
        matches!(self, Self::SubscriptionRequired | Self::OrganizationView(_))
    }
}

/// AWS Health could not be asked: what each endpoint tried said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct HealthUnavailable {
    /// Each endpoint (or store) asked, and what it said.
    pub attempts: Vec<(String, HealthCallError)>,
    /// The events a source did answer with before another could not (the own account's, when
    /// the organizational view could not be asked): they block even when the policy fails open.
    pub known: Vec<HealthEvent>,
}

impl HealthUnavailable {
    /// No source answered: what each said.
    pub fn of(attempts: Vec<(String, HealthCallError)>) -> Self {
        Self {
            attempts,
            known: Vec::new(),
        }
    }

    /// The organizational view could not be asked from this account (the cause), rather than
    /// being out of reach for a while.
    pub fn organization_view_refused(&self) -> Option<&str> {
        self.attempts.iter().find_map(|(_, error)| match error {
            HealthCallError::OrganizationView(cause) => Some(cause.as_str()),
            _ => None,
        })
    }

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

closed_names!(
    /// Where the gate learned of AWS Health events (the hold marker carries it by its name).
    HealthSource {
        /// The AWS Health API (DescribeEvents): needs a Business, Enterprise On-Ramp or
        /// Enterprise support plan.
        Api = "api",
        /// The event store, fed by the AWS Health events EventBridge delivers to every account.
        Events = "events",
    }
);

impl Serialize for HealthSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HealthSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name)
            .ok_or_else(|| D::Error::custom(format!("`{name}` is not one of {}", Self::one_of())))
    }
}

impl HealthSource {
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
    /// Which source answered.
    pub source: HealthSource,
    /// Why this source answered and not the one the policy prefers, when that happened (the
    /// organizational view could not be asked, say).
    pub caveat: Option<String>,
    /// Every event it holds for the policy's regions (and, from the API, services).
    pub events: Vec<HealthEvent>,
}

/// One update of an AWS Health event, as EventBridge delivers it: what the event store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthRecord {
    /// The event as of this update.
    pub event: HealthEvent,
    /// When the event ended, in seconds since the Unix epoch.
    pub end_time: Option<i64>,
    /// When AWS last updated it, in seconds since the Unix epoch: orders the updates.
    pub last_updated: i64,
    /// Whom the event concerns.
    pub scope: EventScope,
    /// Identifies this update; with `last_updated`, orders the updates of one event.
    pub communication_id: String,
    /// A copy AWS also sends to a backup region; it carries the same update.
    pub backup: bool,
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
