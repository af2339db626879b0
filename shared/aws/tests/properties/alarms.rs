//! The gate's `alarms` setting: `GATE_ALARMS` reads as its entries, each once, or names the
//! first that does not read. (The other alarm settings join the fuzzed readers in `settings`.)

use crate::config;
use pipeguard_core::alarm::WatchedAlarm;
use pipeguard_core::gate::GateDefaults;
use pipeguard_core::testing::env_of;
use proptest::prelude::*;

/// One entry of `alarms`: a name, a prefix, an alarm ARN, or something near one (never a comma,
/// which separates them in `GATE_ALARMS`, nor a leading `[`, which makes it JSON).
fn alarm_entry() -> impl Strategy<Value = String> {
    let name = "[a-zA-Z0-9 ._:/*\\-][a-zA-Z0-9 ._:/*\\-]{0,20}";
    let region = prop::sample::select(vec!["us-east-1", "eu-west-1", "global", "useast1", ""]);
    let account = prop::sample::select(vec!["222233334444", "1111", "", "22223333444x"]);
    let service = prop::sample::select(vec!["cloudwatch", "sns", ""]);
    let resource = prop::sample::select(vec!["alarm", "dashboard"]);
    prop_oneof![
        3 => name.prop_map(|name| name.trim_start_matches('[').to_owned()),
        1 => Just("*".to_owned()),
        1 => Just("\u{1b}[31m".to_owned()),
        2 => (service, region, account, resource, name).prop_map(|(service, region, account, resource, name)| {
            format!("arn:aws:{service}:{region}:{account}:{resource}:{name}")
        }),
    ]
}

/// A `GATE_ALARMS` value: comma-separated entries.
pub fn alarms_setting() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(alarm_entry(), 0..6),
        prop::sample::select(vec![",", ", ", " ,", ",,"]),
    )
        .prop_map(|(entries, separator)| entries.join(separator))
}

proptest! {
    #![proptest_config(config())]

    /// `GATE_ALARMS` reads as each of its comma-separated entries, each once, or as an error
    /// naming the first that does not read, by its place.
    #[test]
    fn gate_alarms_is_its_entries_or_names_the_first_bad_one(value in alarms_setting()) {
        let items: Vec<&str> = value.split(',').map(str::trim).filter(|item| !item.is_empty()).collect();
        let first_bad = items.iter().position(|item| WatchedAlarm::parse(item).is_err());
        let read = GateDefaults::from_env(env_of(&[("AWS_REGION", "us-east-1"), ("GATE_ALARMS", value.as_str())]))
            .and_then(|defaults| defaults.for_action(None));
        match (read, first_bad) {
            (Ok(policy), None) => {
                let mut expected: Vec<WatchedAlarm> = Vec::new();
                for item in &items {
                    let entry = WatchedAlarm::parse(item).map_err(TestCaseError::fail)?;
                    if !expected.contains(&entry) {
                        expected.push(entry);
                    }
                }
                prop_assert_eq!(policy.alarms, expected);
            }
            (Err(error), Some(place)) => {
                prop_assert_eq!(error.setting, format!("environment variable GATE_ALARMS[{place}]"));
                prop_assert!(!error.reason.is_empty());
            }
            (read, first_bad) => prop_assert!(false, "{value:?} read as {read:?}; its first bad entry: {first_bad:?}"),
        }
    }
}
