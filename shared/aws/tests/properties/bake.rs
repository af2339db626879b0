//! The bake's readers: `bake_minutes` in UserParameters reads within 1..=MAX_BAKE_MINUTES (1395) or is an error
//! naming it, and a continuation token reads as a bake only when the gate wrote a bake's.
//! (`bake_minutes` also joins the fuzzed UserParameters seed in `settings`.)

use crate::config;
use pipeguard_core::gate::{GateDefaults, MAX_BAKE_MINUTES, WaitState};
use pipeguard_core::testing::env_of;
use proptest::prelude::*;
use serde_json::json;

proptest! {
    #![proptest_config(config())]

    /// Any number (or no number) given as `bake_minutes` reads as itself within 1..=MAX_BAKE_MINUTES, and
    /// otherwise is an error naming `bake_minutes`.
    #[test]
    fn bake_minutes_reads_within_its_limits_or_names_itself(
        minutes in prop_oneof![
            3 => (0u64..=1500).prop_map(|minutes| json!(minutes)),
            1 => any::<i64>().prop_map(|minutes| json!(minutes)),
            1 => prop_oneof![Just(json!("30")), Just(json!(30.5)), Just(json!(null)), Just(json!(true))],
        ],
    ) {
        let defaults = GateDefaults::from_env(env_of(&[("AWS_REGION", "us-east-1")]))
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let user_parameters = json!({"bake_minutes": minutes}).to_string();
        match defaults.for_action(Some(&user_parameters)) {
            Ok(policy) => {
                let read = policy.bake_minutes.map(u64::from);
                // null reads as not given.
                prop_assert_eq!(read, minutes.as_u64());
                prop_assert!(read.is_none_or(|read| (1..=u64::from(MAX_BAKE_MINUTES)).contains(&read)));
            }
            Err(error) => {
                prop_assert_eq!(&error.setting, "UserParameters field `bake_minutes`", "{}", error);
                prop_assert!(!error.reason.trim().is_empty());
                prop_assert!(minutes.as_u64().is_none_or(|given| !(1..=u64::from(MAX_BAKE_MINUTES)).contains(&given)));
            }
        }
    }

    /// A bake's token reads back as the same bake; a hold's never reads as a bake; any other
    /// text with `"bake"` in it reads as a token the gate wrote only if it is one.
    #[test]
    fn a_token_is_a_bake_only_when_it_was_written_as_one(
        since in any::<i64>(),
        held_by in prop::collection::vec("[ -~]{0,40}", 0..5),
        bake in prop_oneof![Just(json!(true)), Just(json!(false)), Just(json!("true")), Just(json!(1)), Just(json!(null))],
    ) {
        let baked = WaitState::bake(since);
        prop_assert_eq!(WaitState::decode(&baked.encode()), Ok(baked));
        let held = WaitState::new(since, held_by.clone());
        prop_assert!(WaitState::decode(&held.encode()).is_ok_and(|state| !state.is_bake()));
        let written = json!({"v": 1, "since": since, "held_by": held_by, "bake": bake}).to_string();
        if let Ok(state) = WaitState::decode(&written) {
            prop_assert_eq!(state.is_bake(), bake == json!(true));
        }
    }
}
