//! The hold marker: a machine-readable line the health gate ends a failure message with when AWS
//! Health events blocked the deployment, and that stage-retry (and whatever else resumes held
//! stages) reads back from the action's `errorDetails.message` in GetPipelineState. This module
//! owns both sides of that contract; nothing else writes or parses it.
//!
//! The line is `pipeguard:hold:v1 {"events":[{"arn":...,"region":...}],"source":"api"}`. The
//! message is used rather than `failureDetails.externalExecutionId` because AWS does not
//! document that the latter reaches GetPipelineState (the team's AWS-FACTS notes), while the
//! message does.

use crate::health::HealthSource;
use crate::text::json_within;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "pipeguard:hold:v";
const VERSION: u32 = 1;
/// Long enough for a dozen events, short enough to leave most of CodePipeline's 5000-character
/// message to the text people read.
const MAX_MARKER_CHARS: usize = 2000;

/// An AWS Health event that holds a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBy {
    /// The event's ARN.
    pub arn: String,
    /// The region the event affects (`global` for global services).
    pub region: String,
    /// The account an account-specific event concerns; absent for a public event, and in
    /// markers written before markers named accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// An event as the accounts it concerns see it: its ARN, and its account when it is
/// account-specific (one ARN may be reported to several accounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The event's ARN.
    pub arn: &'a str,
    /// The account it concerns, for an account-specific event.
    pub account: Option<&'a str>,
}

impl HeldBy {
    /// Whether `event` is this one: the same ARN, in the same account. A marker that names no
    /// account (a public event, or a gate from before markers named accounts) holds by the ARN
    /// alone; resuming too early is safe, as the gate, run again, checks every event itself.
    pub fn is(&self, event: EventRef) -> bool {
        self.arn == event.arn && (self.account.is_none() || self.account.as_deref() == event.account)
    }

    /// The event as a person reads it: its ARN, and its account when it has one.
    pub fn describe(&self) -> String {
        EventRef {
            arn: &self.arn,
            account: self.account.as_deref(),
        }
        .describe()
    }
}

impl EventRef<'_> {
    /// The event as a person reads it: its ARN, and its account when it has one.
    pub fn describe(&self) -> String {
        match self.account {
            Some(account) => format!("{} (account {account})", self.arn),
            None => self.arn.to_owned(),
        }
    }
}

/// What holds a stage the gate failed: AWS Health events, freezes, a closed deployment window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Hold {
    /// The events, as many as the marker had room for.
    #[serde(default)]
    pub events: Vec<HeldBy>,
    /// The ids of the freezes that hold it; absent in markers before freezes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freezes: Vec<String>,
    /// When the deployment window that holds it opens (seconds since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<i64>,
    /// When the gate failed the stage (seconds since the Unix epoch), for how long it was held;
    /// absent in markers before freezes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Where the gate learned of them; absent in markers of gates before the event store,
    /// which asked only the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<HealthSource>,
    /// Events left out to keep the marker short.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

impl Hold {
    /// A hold by these events, learned of from `source`.
    pub fn new(events: Vec<HeldBy>, source: Option<HealthSource>) -> Self {
        Self {
            events,
            source,
            ..Self::default()
        }
    }

    /// Whether it names anything that holds the stage.
    pub fn holds_anything(&self) -> bool {
        !self.events.is_empty() || !self.freezes.is_empty() || self.opens_at.is_some()
    }

    /// The marker line, dropping events from the end (and counting them in `more`) when they
    /// would not fit: the gate, run again by a resume, checks them all itself. Freezes are never
    /// dropped (their ids are short): a resume waits for every one.
    pub fn marker(&self) -> String {
        json_within(
            self,
            MAX_MARKER_CHARS,
            |json| format!("{PREFIX}{VERSION} {json}"),
            |hold| {
                let dropped = hold.events.pop().is_some();
                hold.more += usize::from(dropped);
                dropped
            },
        )
    }

    /// The hold a failure message names: its marker line (the last one, if several) of this
    /// marker version. A message without one names no hold, whatever ARNs its text mentions.
    pub fn read(message: &str) -> Option<Self> {
        message
            .lines()
            .rev()
            .find_map(|line| line.trim().strip_prefix(PREFIX))
            .and_then(|versioned| {
                let (version, json) = versioned.split_once(' ')?;
                (version.parse() == Ok(VERSION))
                    .then(|| serde_json::from_str::<Self>(json).ok())
                    .flatten()
            })
            .filter(Self::holds_anything)
    }

    /// The ARNs of the events.
    pub fn arns(&self) -> impl Iterator<Item = &str> {
        self.events.iter().map(|event| event.arn.as_str())
    }

    /// The events still open: those `closed` (one answer per event, in order) does not say have
    /// closed, other than `just_closed`, an event known to have closed this moment.
    pub fn still_open<'a>(&'a self, closed: &[bool], just_closed: Option<EventRef>) -> Vec<&'a HeldBy> {
        self.events
            .iter()
            .zip(closed)
            .filter(|(held, closed)| !**closed && just_closed.is_none_or(|event| !held.is(event)))
            .map(|(held, _)| held)
            .collect()
    }

    /// Whether the AWS Health API may know more of these events than the store: holds the API
    /// decided, and holds whose source the marker does not say.
    pub fn asks_api(&self) -> bool {
        self.source.is_none_or(|source| source == HealthSource::Api)
    }
}

/// A failure message as people read it: without the marker lines, which are for machines.
pub fn without_marker(message: &str) -> String {
    message
        .lines()
        .filter(|line| !line.trim().starts_with(PREFIX))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
#[path = "hold_tests.rs"]
mod tests;
