//! The continuation token the gate hands CodePipeline while it holds a deployment, or bakes one.
//! CodePipeline gives it back on the next invocation; it is all the gate needs to resume, so the
//! gate keeps no state of its own.

use crate::text::json_within;
use serde::{Deserialize, Serialize};

/// CodePipeline's limit on `continuationToken`.
const MAX_TOKEN_CHARS: usize = 2048;
const VERSION: u32 = 1;

/// A hold in progress: what the gate writes into the continuation token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitState {
    v: u32,
    /// When the hold began, in seconds since the Unix epoch.
    pub since: i64,
    /// What held the deployment when the hold began (event ARNs, pipeline names), for the
    /// message sent when it is released. Dropped from the end if the token would be too long.
    pub held_by: Vec<String>,
    /// Whether this is a bake (`bake_minutes`) that began at `since`, not a hold. Absent from
    /// the tokens of holds, so that those written before bakes existed still read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    bake: bool,
}

/// A continuation token the gate cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the continuation token CodePipeline passed back is not one this gate wrote ({0})")]
pub struct TokenError(String);

impl WaitState {
    /// A hold that began at `since`, held by `held_by`.
    pub fn new(since: i64, held_by: Vec<String>) -> Self {
        Self {
            v: VERSION,
            since,
            held_by,
            bake: false,
        }
    }

    /// A bake that began at `since`.
    pub fn bake(since: i64) -> Self {
        Self {
            bake: true,
            ..Self::new(since, Vec::new())
        }
    }

    /// Whether this is a bake rather than a hold.
    pub fn is_bake(&self) -> bool {
        self.bake
    }

    /// The token: the state as JSON, within CodePipeline's limit.
    pub fn encode(&self) -> String {
        json_within(
            self,
            MAX_TOKEN_CHARS,
            |json| json,
            |state| state.held_by.pop().is_some(),
        )
    }

    /// The state a token the gate wrote holds.
    pub fn decode(token: &str) -> Result<Self, TokenError> {
        let state: Self = serde_json::from_str(token).map_err(|error| TokenError(error.to_string()))?;
        if state.v != VERSION {
            return Err(TokenError(format!("version {} is not {VERSION}", state.v)));
        }
        Ok(state)
    }
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
