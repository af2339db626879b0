//! The continuation token: what the gate writes reads back as the same hold (less the reasons
//! dropped to fit CodePipeline's limit); anything else is rejected with a message, or reads as
//! a hold the gate could have written and can act on.
//!
//! Not promised: that only byte-identical tokens are accepted. The token is JSON read by serde,
//! so the same state with its fields reordered, spaced or joined by unknown fields reads too;
//! CodePipeline hands back only what the gate wrote, so the gate asks no more than a well-formed
//! state of the current version.

use crate::config;
use crate::json::{arbitrary_json, mutated, short_text};
use pipeguard_core::freeze::RecordedFreezes;
use pipeguard_core::gate::{self, GateDefaults, GateOutcome, Observations, WaitState};
use pipeguard_core::health::{HealthEvent, HealthReport, HealthSource};
use pipeguard_core::hold::HeldBy;
use pipeguard_core::testing::env_of;
use proptest::prelude::*;
use serde_json::Value;

/// CodePipeline's limit on `continuationToken`.
const MAX_TOKEN_CHARS: usize = 2048;

/// What held a deployment: event ARNs, pipeline names, or any text at all.
fn held_by() -> impl Strategy<Value = Vec<String>> {
    let reason = prop_oneof![
        "arn:aws:health:[a-z]{2}-[a-z]{4,9}-[1-9]::event/[A-Z0-9]{2,10}/[A-Z_]{5,40}/[A-Za-z0-9_]{1,60}",
        "pipeline [A-Za-z0-9._@-]{1,100} execution [a-f0-9-]{36}",
        short_text(),
        "\\PC{0,100}",
    ];
    prop::collection::vec(reason, 0..40)
}

/// A start: any second, the ends of the range most often.
fn since() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        i64::MIN..i64::MIN + 10_000_000_000,
        i64::MAX - 10_000_000_000..=i64::MAX,
        0i64..=4_102_444_800,
    ]
}

fn state() -> impl Strategy<Value = WaitState> {
    (since(), held_by()).prop_map(|(since, held_by)| WaitState::new(since, held_by))
}

/// The length of the token for `state` if nothing were dropped.
fn full_length(state: &WaitState) -> usize {
    serde_json::to_string(state).map_or(0, |token| token.chars().count())
}

/// The decoded state is one the gate writes (the current version), and it writes it back the
/// same.
fn check_accepted(state: &WaitState) -> Result<(), TestCaseError> {
    prop_assert_eq!(&WaitState::new(state.since, state.held_by.clone()), state);
    if full_length(state) <= MAX_TOKEN_CHARS {
        prop_assert_eq!(&WaitState::decode(&state.encode()), &Ok(state.clone()));
    }
    Ok(())
}

fn check_rejected(token: &str) -> Result<(), TestCaseError> {
    match WaitState::decode(token) {
        Ok(state) => check_accepted(&state),
        Err(error) => {
            let message = error.to_string();
            prop_assert!(message.starts_with("the continuation token"), "{message}");
            prop_assert!(message.len() > "the continuation token".len() + 10, "{message}");
            Ok(())
        }
    }
}

/// A token's text, changed: cut short, a character replaced, inserted or removed.
fn edited(token: String) -> impl Strategy<Value = (String, bool)> {
    let length = token.chars().count();
    (0..=length, any::<char>(), 0u8..4).prop_map(move |(at, c, edit)| {
        let mut chars: Vec<char> = token.chars().collect();
        let cut = edit == 0 && at < length;
        match edit {
            0 => chars.truncate(at),
            1 if at < length => chars[at] = c,
            2 => chars.insert(at, c),
            _ if at < length => {
                chars.remove(at);
            }
            _ => {}
        }
        (chars.into_iter().collect(), cut)
    })
}

fn blocking_event() -> HealthEvent {
    crate::hold::health_event(&HeldBy {
        arn: "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/x".into(),
        region: "us-east-1".into(),
        account: None,
    })
}

proptest! {
    #![proptest_config(config())]

    /// What the gate writes reads back as the same hold: the same start, and its reasons but
    /// those dropped from the end, only as many as the limit needs.
    #[test]
    fn a_written_token_reads_back(state in state()) {
        let token = state.encode();
        prop_assert!(token.chars().count() <= MAX_TOKEN_CHARS);
        let read = match WaitState::decode(&token) {
            Ok(read) => read,
            Err(error) => return Err(TestCaseError::fail(format!("{error}: {token}"))),
        };
        prop_assert_eq!(read.since, state.since);
        let kept = read.held_by.len();
        prop_assert_eq!(&read.held_by[..], &state.held_by[..kept]);
        if kept < state.held_by.len() {
            let one_more = WaitState::new(state.since, state.held_by[..=kept].to_vec());
            prop_assert!(full_length(&one_more) > MAX_TOKEN_CHARS, "dropped a reason that fitted");
        }
    }

    /// Through CodePipeline and back: the token in the job event the gate is invoked with again
    /// is the hold the gate continues.
    #[test]
    fn a_written_token_is_the_hold_the_next_invocation_continues(state in state()) {
        let event = serde_json::json!({"CodePipeline.job": {"id": "j", "accountId": "111111111111", "data": {"continuationToken": state.encode()}}});
        let job = match pipeguard_core::job::JobEvent::parse(&event) {
            Ok(job) => job,
            Err(error) => return Err(TestCaseError::fail(format!("{error:?}"))),
        };
        let defaults = GateDefaults::from_env(env_of(&[("AWS_REGION", "us-east-1")]));
        let expected = WaitState::decode(&state.encode());
        match gate::read_job(&defaults, &job) {
            Ok((_, wait)) => prop_assert_eq!(wait, expected.ok()),
            Err(outcome) => prop_assert!(false, "{outcome:?}"),
        }
    }

    #[test]
    fn any_text_is_rejected_with_a_message_or_is_a_state_the_gate_writes(token in prop_oneof![
        any::<String>(),
        short_text(),
        arbitrary_json().prop_map(|value| value.to_string()),
        (any::<i64>(), any::<i64>(), held_by()).prop_map(|(v, since, held_by)| {
            serde_json::json!({"v": v, "since": since, "held_by": held_by}).to_string()
        }),
    ]) {
        check_rejected(&token)?;
    }

    /// A written token, edited: a cut one is always rejected; any other edit is rejected or reads
    /// as a state the gate writes.
    #[test]
    fn an_edited_token_is_rejected_or_a_state_the_gate_writes(
        (token, cut) in state().prop_flat_map(|state| edited(state.encode()))
    ) {
        if cut {
            prop_assert!(WaitState::decode(&token).is_err(), "{token}");
        }
        check_rejected(&token)?;
    }

    #[test]
    fn a_token_with_broken_json_is_rejected_or_a_state_the_gate_writes(
        token in state().prop_flat_map(|state| {
            let value: Value = serde_json::from_str(&state.encode()).unwrap_or_default();
            mutated(value)
        })
    ) {
        check_rejected(&token.value.to_string())?;
    }

    /// Whatever hold a token reads as, the gate decides on it: no overflow from a start in the
    /// far past or future.
    #[test]
    fn the_gate_decides_on_any_hold_a_token_reads_as(
        since in since(),
        now in 0i64..=4_102_444_800,
        blocked in any::<bool>(),
    ) {
        let defaults = GateDefaults::from_env(env_of(&[("AWS_REGION", "us-east-1")]));
        let policy = match defaults.and_then(|defaults| defaults.for_action(Some(r#"{"on_block": "wait", "max_wait_minutes": 60}"#))) {
            Ok(policy) => policy,
            Err(error) => return Err(TestCaseError::fail(error.to_string())),
        };
        let token = WaitState::new(since, vec!["reason".into()]).encode();
        let wait = WaitState::decode(&token).ok();
        let observations = Observations {
            health: Ok(HealthReport { source: HealthSource::Api, caveat: None, events: if blocked { vec![blocking_event()] } else { vec![] } }),
            running: Ok(vec![]),
            freezes: Some(Ok(RecordedFreezes::default())),
            alarms: None,
            calendars: None,
            wait,
            pipeline: None,
            now,
        };
        let outcome = gate::decide(&policy, observations);
        let waited = i128::from(now) - i128::from(since);
        match &outcome {
            GateOutcome::Pass { held_minutes, .. } => {
                prop_assert!(!blocked);
                prop_assert!(held_minutes.is_some_and(|minutes| minutes >= 0));
            }
            GateOutcome::Hold { .. } => prop_assert!(blocked && waited < 60 * 60),
            GateOutcome::GaveUp { .. } => prop_assert!(blocked && waited >= 60 * 60),
            other => prop_assert!(false, "{other:?}"),
        }
        prop_assert!(!gate::render(&outcome).text().is_empty());
    }
}
