//! The reader of freeze items (issue 30): whatever a person or a neighbour wrote into the
//! freezes' partition reads as a freeze pipeguard could have written, or as an unreadable freeze
//! that holds what it might cover until ended by hand; never a panic, and never dropped.

use crate::config;
use crate::json::{huge_text, short_text};
use pipeguard_core::freeze::{Attribute, Item, read_freeze};
use proptest::prelude::*;

const NOW: i64 = 1_796_000_000;

/// A freeze's item as pipeguard writes it: by prefix, for two hours.
fn written() -> Item {
    pipeguard_core::testing::written_freeze(NOW)
}

const FIELDS: [&str; 8] = [
    "frozen_by",
    "reason",
    "since",
    "until",
    "prefix",
    "pipelines",
    "unfrozen_at",
    "unfrozen_by",
];

/// Any attribute a table can hold, as the core types it.
pub(crate) fn attribute() -> impl Strategy<Value = Attribute> {
    let leaf = prop_oneof![
        short_text().prop_map(Attribute::Text),
        huge_text().prop_map(Attribute::Text),
        any::<i64>().prop_map(|number| Attribute::Number(number.to_string())),
        prop::sample::select(vec!["1.5", "1e9", "-0", "99999999999999999999", ""])
            .prop_map(|number| Attribute::Number(number.to_owned())),
        Just(Attribute::Other),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Attribute::List)
    })
}

/// The written item with up to four fields removed or set to anything.
fn item() -> impl Strategy<Value = Item> {
    changed(written(), &FIELDS, attribute())
}

/// `written` with up to four of its `fields` removed or set to any of `values`: a record's item
/// (a freeze's, an override's) as a hand or a neighbour may have left it.
pub(crate) fn changed(
    written: Item,
    fields: &[&'static str],
    values: impl Strategy<Value = Attribute>,
) -> impl Strategy<Value = Item> {
    prop::collection::vec(
        (prop::sample::select(fields.to_vec()), prop::option::of(values)),
        0..4,
    )
    .prop_map(move |changes| {
        let mut item = written.clone();
        for (name, value) in changes {
            match value {
                Some(value) => item.insert(name.to_owned(), value),
                None => item.remove(name),
            };
        }
        item
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("frz-1".to_owned()),
        1 => short_text(),
        1 => huge_text(),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Any item reads as a freeze within the rules a new one follows, or as an unreadable freeze
    /// with its key and why, which holds an unknown pipeline until ended by hand; its line has no
    /// control character in it.
    #[test]
    fn any_item_reads_as_a_freeze_within_the_rules_or_an_unreadable_one_that_holds(key in key(), item in item()) {
        match read_freeze(&key, &item) {
            Ok(freeze) => {
                prop_assert_eq!(&freeze.id, &key);
                prop_assert!(freeze.reason.chars().count() <= 500);
                prop_assert!(!freeze.reason.chars().any(char::is_control));
                prop_assert!(freeze.until.is_none_or(|until| until > freeze.since));
                prop_assert!(!freeze.describe().chars().any(char::is_control));
            }
            Err(unreadable) => {
                prop_assert_eq!(&unreadable.key, &key);
                prop_assert!(!unreadable.why.is_empty());
                prop_assert!(!unreadable.describe().chars().any(char::is_control));
                prop_assert_eq!(unreadable.holds(None), unreadable.unfrozen.is_none());
            }
        }
    }

    /// An item without who froze, why or since never reads as a freeze: nothing a hand leaves
    /// out ends a freeze unseen.
    #[test]
    fn an_item_missing_a_required_field_is_unreadable(
        item in item(),
        missing in prop::sample::select(vec!["frozen_by", "reason", "since"]),
    ) {
        let mut item = item;
        item.remove(missing);
        let read = read_freeze("frz-1", &item);
        prop_assert!(read.is_err(), "{:?}", read);
    }
}
