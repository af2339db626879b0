//! The gate's `change_calendars` setting: `GATE_CHANGE_CALENDARS` reads as its entries, each
//! once, or names the first that does not read. (The setting joins the fuzzed readers in
//! `settings` too; the calendar's event, in `triggers`.)

use crate::config;
use pipeguard_core::calendar::WatchedCalendar;
use pipeguard_core::gate::GateDefaults;
use pipeguard_core::testing::env_of;
use proptest::prelude::*;

/// One entry of `change_calendars`: a name, a document ARN, or something near one (never a
/// comma, which separates them in `GATE_CHANGE_CALENDARS`).
fn calendar_entry() -> impl Strategy<Value = String> {
    let name = "[a-zA-Z0-9 ._:/*\\-]{0,20}";
    let region = prop::sample::select(vec!["us-east-1", "eu-west-1", "global", "useast1", ""]);
    let account = prop::sample::select(vec!["222233334444", "1111", "", "22223333444x"]);
    let service = prop::sample::select(vec!["ssm", "cloudwatch", ""]);
    let resource = prop::sample::select(vec!["document/", "parameter/", "document:", ""]);
    prop_oneof![
        3 => name.prop_map(|name| name.to_owned()),
        1 => Just("\u{1b}[31m".to_owned()),
        1 => Just("x".repeat(129)),
        2 => (service, region, account, resource, name).prop_map(|(service, region, account, resource, name)| {
            format!("arn:aws:{service}:{region}:{account}:{resource}{name}")
        }),
    ]
}

/// A `GATE_CHANGE_CALENDARS` value: comma-separated entries, never more than the gate takes.
pub fn calendars_setting() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(calendar_entry(), 0..6),
        prop::sample::select(vec![",", ", ", " ,", ",,"]),
    )
        .prop_map(|(entries, separator)| entries.join(separator))
}

proptest! {
    #![proptest_config(config())]

    /// `GATE_CHANGE_CALENDARS` reads as each of its comma-separated entries, each once, or as an
    /// error naming the first that does not read, by its place.
    #[test]
    fn gate_change_calendars_is_its_entries_or_names_the_first_bad_one(value in calendars_setting()) {
        let items: Vec<&str> = value.split(',').map(str::trim).filter(|item| !item.is_empty()).collect();
        let first_bad = items.iter().position(|item| WatchedCalendar::parse(item).is_err());
        let read = GateDefaults::from_env(env_of(&[("AWS_REGION", "us-east-1"), ("GATE_CHANGE_CALENDARS", value.as_str())]))
            .and_then(|defaults| defaults.for_action(None));
        match (read, first_bad) {
            (Ok(policy), None) => {
                let mut expected: Vec<WatchedCalendar> = Vec::new();
                for item in &items {
                    let entry = WatchedCalendar::parse(item).map_err(TestCaseError::fail)?;
                    if !expected.contains(&entry) {
                        expected.push(entry);
                    }
                }
                prop_assert_eq!(policy.change_calendars, expected);
            }
            (Err(error), Some(place)) => {
                prop_assert_eq!(error.setting, format!("environment variable GATE_CHANGE_CALENDARS[{place}]"));
                prop_assert!(!error.reason.is_empty());
            }
            (read, first_bad) => prop_assert!(false, "{value:?} read as {read:?}; its first bad entry: {first_bad:?}"),
        }
    }
}
