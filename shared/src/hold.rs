//! The hold marker: a machine-readable line the health gate ends a failure message with when AWS
//! Health events blocked the deployment, and that stage-retry (and whatever else resumes held
//! stages) reads back from the action's `errorDetails.message` in GetPipelineState. This module
//! owns both sides of that contract; nothing else writes or parses it.
//!
//! The line is `pipeguard:hold:v1 {"events":[{"arn":...,"region":...}],"source":"api"}`. The message is used
//! rather than `failureDetails.externalExecutionId` because AWS does not document that the latter
//! reaches GetPipelineState (see AWS-FACTS.md), while the message does.

use crate::health::HealthSource;
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

/// Gates before 0.2 named the events only in the text; readable until the release after it.
fn legacy(message: &str) -> Option<Hold> {
    let is_arn_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-' | '.');
    let mut events: Vec<HeldBy> = Vec::new();
    for token in message.split(|c: char| !is_arn_char(c)) {
        let mut fields = token.split(':');
        if fields.next() != Some("arn") || fields.nth(1) != Some("health") {
            continue;
        }
        let arn = token.trim_end_matches('.').to_owned();
        let region = fields.next().unwrap_or_default().to_owned();
        if !events.iter().any(|seen| seen.arn == arn) {
            events.push(HeldBy { arn, region });
        }
    }
    Some(Hold::new(events, None))
}

#[cfg(test)]
#[path = "hold_tests.rs"]
mod tests;
