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
use crate::text::TRUNCATION_MARK;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "pipeguard:hold:v";
const VERSION: u32 = 1;
/// Long enough for a dozen events, short enough to leave most of CodePipeline's 5000-character
/// message to the text people read.
const MAX_MARKER_CHARS: usize = 2000;

/// An AWS Health event that holds a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBy {
    pub arn: String,
    /// The region the event affects (`global` for global services).
    pub region: String,
}

/// Which AWS Health events hold a stage the gate failed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Hold {
    pub events: Vec<HeldBy>,
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
    pub fn new(events: Vec<HeldBy>, source: Option<HealthSource>) -> Self {
        Self {
            events,
            source,
            more: 0,
        }
    }

    /// The marker line, dropping events from the end (and counting them in `more`) when they
    /// would not fit.
    pub fn marker(&self) -> String {
        let mut hold = self.clone();
        loop {
            // A struct of strings and integers always serializes.
            let line = format!(
                "{PREFIX}{VERSION} {}",
                serde_json::to_string(&hold).unwrap_or_default()
            );
            if line.chars().count() <= MAX_MARKER_CHARS || hold.events.is_empty() {
                return line;
            }
            hold.events.pop();
            hold.more += 1;
        }
    }

    /// The hold a failure message names: its marker line (the last one, if several), or, for
    /// messages written before the marker existed, every AWS Health ARN in the text.
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
            .or_else(|| legacy(message))
            .filter(|hold| !hold.events.is_empty())
    }

    pub fn arns(&self) -> impl Iterator<Item = &str> {
        self.events.iter().map(|event| event.arn.as_str())
    }
}

/// Gates released before the marker named the events only in the text: their failures are read
/// for one more release, then this goes.
fn legacy(message: &str) -> Option<Hold> {
    let is_arn_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-' | '.');
    let mut events: Vec<HeldBy> = Vec::new();
    let mut rest = message;
    while let Some(start) = rest.find("arn:") {
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| !is_arn_char(c))
            .unwrap_or(candidate.len());
        // An ARN the 5,000-character limit cut is followed by the truncation mark.
        let cut = candidate[end..].starts_with(TRUNCATION_MARK);
        let token = candidate[..end].trim_end_matches('.');
        rest = &candidate[end..];
        if let Some(region) = health_event_region(token).filter(|_| !cut)
            && !events.iter().any(|seen| seen.arn == token)
        {
            events.push(HeldBy {
                arn: token.to_owned(),
                region: region.to_owned(),
            });
        }
    }
    Some(Hold::new(events, None))
}

/// The region of a whole AWS Health event ARN, `arn:<partition>:health:<region>::event/<service>/
/// <event type code>/<id>`; None for anything else.
fn health_event_region(arn: &str) -> Option<&str> {
    let mut fields = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("health"), Some(region), Some(""), Some(resource)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    let parts: Vec<&str> = resource.split('/').collect();
    (parts.len() == 4 && parts[0] == "event" && parts[1..].iter().all(|part| !part.is_empty()))
        .then_some(region)
}

#[cfg(test)]
#[path = "hold_tests.rs"]
mod tests;
