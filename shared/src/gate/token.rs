//! The continuation token the gate hands CodePipeline while it holds a deployment. CodePipeline
//! gives it back on the next invocation; it is all the gate needs to resume, so the gate keeps
//! no state of its own.

use serde::{Deserialize, Serialize};

/// CodePipeline's limit on `continuationToken`.
const MAX_TOKEN_CHARS: usize = 2048;
const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitState {
    v: u32,
    /// When the hold began, in seconds since the Unix epoch.
    pub since: i64,
    /// What held the deployment when the hold began (event ARNs, pipeline names), for the
    /// message sent when it is released. Dropped from the end if the token would be too long.
    pub held_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the continuation token CodePipeline passed back is not one this gate wrote ({0})")]
pub struct TokenError(String);

impl WaitState {
    pub fn new(since: i64, held_by: Vec<String>) -> Self {
        Self {
            v: VERSION,
            since,
            held_by,
        }
    }

    pub fn encode(&self) -> String {
        let mut state = self.clone();
        loop {
            // Serializing a struct of strings and integers cannot fail.
            let token = serde_json::to_string(&state).unwrap_or_default();
            if token.chars().count() <= MAX_TOKEN_CHARS || state.held_by.is_empty() {
                return token;
            }
            state.held_by.pop();
        }
    }

    pub fn decode(token: &str) -> Result<Self, TokenError> {
        let state: Self = serde_json::from_str(token).map_err(|error| TokenError(error.to_string()))?;
        if state.v != VERSION {
            return Err(TokenError(format!("version {} is not {VERSION}", state.v)));
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let state = WaitState::new(
            1_763_800_000,
            vec!["arn:aws:health:us-east-1::event/EC2/X/1".into(), "cleanup".into()],
        );
        assert_eq!(WaitState::decode(&state.encode()), Ok(state));
    }

    #[test]
    fn stays_within_codepipeline_limit_by_dropping_reasons() {
        let held_by: Vec<String> = (0..100)
            .map(|i| format!("arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/{i:040}"))
            .collect();
        let token = WaitState::new(1, held_by).encode();
        assert!(token.chars().count() <= MAX_TOKEN_CHARS);
        let decoded = WaitState::decode(&token).unwrap();
        assert_eq!(decoded.since, 1);
        assert!(!decoded.held_by.is_empty() && decoded.held_by.len() < 100);
    }

    #[test]
    fn rejects_foreign_or_corrupt_tokens() {
        assert!(WaitState::decode("not json").is_err());
        assert!(WaitState::decode(r#"{"v":2,"since":1,"held_by":[]}"#).is_err());
        assert!(WaitState::decode(r#"{"since":1}"#).is_err());
    }
}
