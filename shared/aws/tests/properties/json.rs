//! Arbitrary JSON, and mutations of real-shaped JSON: a field removed, a value replaced by null,
//! a boolean, a number, a string, an array or an object, a huge string, odd unicode, a deeply
//! nested value, the value inside an array, or the value's own JSON text (a double-encoded
//! payload).

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value};

/// Field names the readers look for, so that arbitrary JSON sometimes has their shape.
const KNOWN_KEYS: [&str; 24] = [
    "CodePipeline.job",
    "id",
    "data",
    "actionConfiguration",
    "configuration",
    "UserParameters",
    "continuationToken",
    "artifactCredentials",
    "Records",
    "Sns",
    "Message",
    "source",
    "detail-type",
    "detailType",
    "detail",
    "pipeline",
    "execution-id",
    "state",
    "stage",
    "eventArn",
    "statusCode",
    "eventRegion",
    "lastUpdatedTime",
    "events",
];

/// Text that trips readers: empty, blank, control characters, bidi overrides, a byte-order
/// mark, combining marks, astral characters, quotes and backslashes, JSON and number look-alikes.
const ODD_TEXT: [&str; 24] = [
    "",
    " ",
    "\t\n",
    "\u{0}",
    "\u{202e}gnp.exe",
    "\u{feff}us-east-1",
    "e\u{301}\u{301}\u{301}",
    "😀",
    "\u{10ffff}",
    "ǅ",
    "\r\n",
    "\"",
    "\\",
    "null",
    "{",
    "[",
    "true",
    "0",
    "-1",
    "1e400",
    "01",
    "4294967296",
    "\u{2028}",
    "ＡＢＣ",
];

pub fn odd_text() -> impl Strategy<Value = String> {
    prop::sample::select(ODD_TEXT.to_vec()).prop_map(str::to_owned)
}

/// Tens of thousands of characters, of one or several bytes each.
pub fn huge_text() -> impl Strategy<Value = String> {
    (
        10_000usize..60_000,
        prop::sample::select(vec!["a", "é", "😀", "\u{0}", "\\\"", " "]),
    )
        .prop_map(|(count, unit)| unit.repeat(count))
}

/// Short strings: arbitrary characters, odd text, or a known key.
pub fn short_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        2 => odd_text(),
        1 => prop::sample::select(KNOWN_KEYS.to_vec()).prop_map(str::to_owned),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(KNOWN_KEYS.to_vec()).prop_map(str::to_owned),
        short_text(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // NaN and infinities become null, as serde_json makes them.
        any::<f64>().prop_map(Value::from),
        short_text().prop_map(Value::String),
    ]
}

/// Any JSON value, a few levels deep.
pub fn arbitrary_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A value nested hundreds of levels deep in arrays or objects.
pub fn deep_json() -> impl Strategy<Value = Value> {
    (1usize..300, any::<bool>(), leaf()).prop_map(|(depth, arrays, leaf)| {
        (0..depth).fold(leaf, |inner, _| {
            if arrays {
                Value::Array(vec![inner])
            } else {
                Value::Object(Map::from_iter([("a".to_owned(), inner)]))
            }
        })
    })
}

/// What takes a value's place.
pub fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => leaf(),
        2 => arbitrary_json(),
        1 => huge_text().prop_map(Value::String),
        1 => deep_json(),
    ]
}

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    At(usize),
}

/// What a mutation does at its path.
#[derive(Debug, Clone)]
pub enum Change {
    Remove,
    Replace(Value),
    /// The value's own JSON text, as a string: a payload encoded twice.
    Stringify,
    /// The value as the only element of an array.
    Wrap,
}

/// A mutation: at which of the value's paths (chosen when applied, among the paths of the
/// value as it is then), and what it does there.
#[derive(Debug, Clone)]
pub struct Mutation {
    at: Index,
    change: Change,
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    let change = prop_oneof![
        3 => Just(Change::Remove),
        6 => replacement().prop_map(Change::Replace),
        2 => Just(Change::Stringify),
        2 => Just(Change::Wrap),
    ];
    (any::<Index>(), change).prop_map(|(at, change)| Mutation { at, change })
}

/// A seed after mutations, and the paths they changed.
#[derive(Debug, Clone)]
pub struct Mutated {
    pub value: Value,
    pub touched: Vec<Vec<Step>>,
}

impl Mutated {
    /// Whether a mutation changed the value at `path` (there, or above it).
    pub fn touched(&self, path: &[&str]) -> bool {
        self.touched.iter().any(|changed| {
            changed.len() <= path.len()
                && changed
                    .iter()
                    .zip(path)
                    .all(|(step, name)| *step == Step::Key((*name).to_owned()))
        })
    }
}

/// One to three mutations of `seed`.
pub fn mutated(seed: Value) -> impl Strategy<Value = Mutated> {
    prop::collection::vec(mutation(), 1..=3).prop_map(move |mutations| {
        let mut value = seed.clone();
        let touched = mutations
            .iter()
            .map(|mutation| apply(&mut value, mutation))
            .collect();
        Mutated { value, touched }
    })
}

/// Every path in `value`, the root (the empty path) first.
pub fn paths(value: &Value) -> Vec<Vec<Step>> {
    let mut all = vec![Vec::new()];
    let mut index = 0;
    while index < all.len() {
        let path = all[index].clone();
        match at(value, &path) {
            Some(Value::Object(fields)) => {
                all.extend(fields.keys().map(|key| extend(&path, Step::Key(key.clone()))));
            }
            Some(Value::Array(items)) => all.extend((0..items.len()).map(|i| extend(&path, Step::At(i)))),
            _ => {}
        }
        index += 1;
    }
    all
}

fn extend(path: &[Step], step: Step) -> Vec<Step> {
    let mut longer = path.to_vec();
    longer.push(step);
    longer
}

fn at<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.get(key),
        Step::At(index) => value.get(index),
    })
}

fn at_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.get_mut(key),
        Step::At(index) => value.get_mut(index),
    })
}

/// Applies `mutation`, returning the path it changed.
pub fn apply(value: &mut Value, mutation: &Mutation) -> Vec<Step> {
    let all = paths(value);
    let path = mutation.at.get(&all).clone();
    match &mutation.change {
        Change::Remove => match path.split_last() {
            None => *value = Value::Null,
            Some((last, parent)) => match (at_mut(value, parent), last) {
                (Some(Value::Object(fields)), Step::Key(key)) => {
                    fields.remove(key);
                }
                (Some(Value::Array(items)), Step::At(index)) => {
                    items.remove(*index);
                }
                _ => unreachable!("a path from paths() names a field or an element"),
            },
        },
        change => {
            if let Some(target) = at_mut(value, &path) {
                let old = target.take();
                *target = match change {
                    Change::Replace(new) => new.clone(),
                    Change::Stringify => Value::String(old.to_string()),
                    Change::Wrap => Value::Array(vec![old]),
                    Change::Remove => unreachable!("handled above"),
                };
            }
        }
    }
    path
}

/// A JSON pointer's string value.
pub fn text_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}
