//! AWS Health as the emulator keeps it: its events, and the organization the caller's account
//! belongs to (the organizational view).

use super::ACCOUNT;
use serde::{Deserialize, Serialize};

/// An AWS Health event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthEvent {
    /// The event's ARN; made up when left empty. Posting an event with an existing ARN updates it.
    #[serde(default)]
    pub arn: String,
    /// The AWS service affected (e.g. `EC2`).
    pub service: String,
    /// The event type (`eventTypeCode`, e.g. `AWS_EC2_OPERATIONAL_ISSUE`).
    pub event_type_code: String,
    /// `issue` (the default), `scheduledChange`, `accountNotification` or `investigation`.
    #[serde(default = "default_event_category")]
    pub event_type_category: String,
    /// The AWS region affected.
    pub region: String,
    /// `open` (the default), `upcoming` or `closed`.
    #[serde(default = "default_event_status")]
    pub status_code: String,
    /// When the event began (epoch seconds); the time it is opened when 0.
    #[serde(default)]
    pub start_time: f64,
    /// When the event ended (epoch seconds), if it has: set when it is closed.
    #[serde(default)]
    pub end_time: Option<f64>,
    /// When the event was last opened, updated or closed (epoch seconds).
    #[serde(default)]
    pub last_updated_time: f64,
    /// How many updates of the event were announced: each is a new communication.
    #[serde(skip)]
    pub updates: u32,
    /// The accounts an account-specific event affects (sorted, without repeats); empty for a
    /// public event, which every account sees.
    #[serde(default)]
    pub accounts: Vec<String>,
}

impl HealthEvent {
    /// `PUBLIC` or `ACCOUNT_SPECIFIC`, as AWS Health's `eventScopeCode` says.
    pub fn scope(&self) -> &'static str {
        if self.accounts.is_empty() {
            "PUBLIC"
        } else {
            "ACCOUNT_SPECIFIC"
        }
    }

    /// Whether `account` sees the event in its own AWS Health: every account sees a public
    /// event, only the affected accounts an account-specific one.
    pub fn visible_to(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|affected| affected == account)
    }

    /// The event's (only) description, in English.
    pub fn description(&self) -> String {
        format!("{} {} in {}", self.service, self.status_code, self.region)
    }
}

/// Whether `text` is a 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// Whether AWS Health's organizational view is on (`EnableHealthServiceAccessForOrganization`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganizationView {
    /// On: the organizational calls answer.
    Enabled,
    /// Off (the default): DescribeEventsForOrganization and DescribeEventDetailsForOrganization are denied.
    #[default]
    Disabled,
    /// Being turned on, and not usable yet.
    Pending,
}

impl OrganizationView {
    /// The status as AWS Health names it (`healthServiceAccessStatusForOrganization`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "ENABLED",
            Self::Disabled => "DISABLED",
            Self::Pending => "PENDING",
        }
    }
}

/// What the caller's account (always [`ACCOUNT`]) is in its organization.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrganizationRole {
    /// The organization's management account (the default): every organizational call is open to it.
    #[default]
    Management,
    /// A delegated administrator of AWS Health.
    DelegatedAdmin,
    /// A plain member account: the organizational view is denied to it.
    Member,
}

/// The organization [`ACCOUNT`] belongs to, as AWS Health's organizational view sees it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Organization {
    /// The other member accounts ([`ACCOUNT`] always is one).
    pub members: Vec<String>,
    /// Whether the organizational view is on.
    pub view: OrganizationView,
    /// What [`ACCOUNT`] is in the organization, which decides the calls it may make.
    pub caller: OrganizationRole,
}

impl Organization {
    /// Whether `account` belongs to the organization: [`ACCOUNT`], or one of `members`.
    pub fn is_member(&self, account: &str) -> bool {
        account == ACCOUNT || self.members.iter().any(|member| member == account)
    }
}

fn default_event_category() -> String {
    "issue".into()
}

fn default_event_status() -> String {
    "open".into()
}
