//! The reader of override items (issue 26): whatever a person or a neighbour wrote into the
//! overrides' partition reads as an override pipeguard could have granted, or as an unreadable
//! one that passes nothing; never a panic.

use crate::config;
use crate::freezes::{attribute, changed};
use crate::json::{huge_text, short_text};
use pipeguard_core::overrides::{MAX_OVERRIDE_SECS, OverrideKind, read_override};
use pipeguard_core::record::{Attribute, Item};
use proptest::prelude::*;

const NOW: i64 = 1_796_000_000;

/// An override's item as pipeguard writes it: health and freezes, for an hour.
fn written() -> Item {
    let text = |value: &str| Attribute::Text(value.to_owned());
    Item::from([
        ("pipeline".to_owned(), text("web-app")),
        (
            "granted_by".to_owned(),
            text("arn:aws:sts::111122223333:assumed-role/oncall/ann"),
        ),
        ("reason".to_owned(), text("INC-9: the fix for checkout")),
        ("since".to_owned(), Attribute::Number(NOW.to_string())),
        ("until".to_owned(), Attribute::Number((NOW + 3600).to_string())),
        (
            "kinds".to_owned(),
            Attribute::List(vec![text("health"), text("freezes")]),
        ),
    ])
}

const FIELDS: [&str; 8] = [
    "pipeline",
    "granted_by",
    "reason",
    "since",
    "until",
    "kinds",
    "ended_at",
    "ended_by",
];

/// The written item with up to four fields removed or set to anything (kinds among any names).
fn item() -> impl Strategy<Value = Item> {
    let kinds = prop::collection::vec(
        prop_oneof![
            prop::sample::select(OverrideKind::ALL.map(OverrideKind::name).to_vec())
                .prop_map(|name| Attribute::Text(name.to_owned())),
            attribute(),
        ],
        0..8,
    )
    .prop_map(Attribute::List);
    changed(written(), &FIELDS, prop_oneof![attribute(), kinds])
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![3 => Just("ovr-1".to_owned()), 1 => short_text(), 1 => huge_text()]
}

proptest! {
    #![proptest_config(config())]

    /// Any item reads as an override within the rules a new one follows (a reason of one line
    /// of at most 500 characters, until after since and at most a day later, known kinds, no
    /// kind twice), or as unreadable with its key and why; its line has no control character.
    #[test]
    fn any_item_reads_as_an_override_within_the_rules_or_passes_nothing(key in key(), item in item()) {
        match read_override(&key, &item) {
            Ok(granted) => {
                prop_assert_eq!(&granted.id, &key);
                prop_assert!(granted.reason.chars().count() <= 500);
                prop_assert!(!granted.reason.chars().any(char::is_control));
                prop_assert!(granted.since < granted.until && granted.until - granted.since <= MAX_OVERRIDE_SECS);
                prop_assert!(!granted.kinds.is_empty());
                prop_assert!(granted.kinds.windows(2).all(|pair| pair[0] < pair[1]));
                prop_assert!(!granted.describe().chars().any(char::is_control));
            }
            Err(unreadable) => {
                prop_assert_eq!(&unreadable.key, &key);
                prop_assert!(!unreadable.why.is_empty());
            }
        }
    }

    /// An item without its pipeline, who granted it, why, since, until or kinds never reads as
    /// an override: nothing a hand leaves out lets a deploy through.
    #[test]
    fn an_item_missing_a_required_field_passes_nothing(
        item in item(),
        missing in prop::sample::select(vec!["pipeline", "granted_by", "reason", "since", "until", "kinds"]),
    ) {
        let mut item = item;
        item.remove(missing);
        let read = read_override("ovr-1", &item);
        prop_assert!(read.is_err(), "{:?}", read);
    }
}
