//! EventBridge's event patterns, as far as pipeguard's templates write them (exact values,
//! `prefix`, nested fields, `!Ref` and `!Sub` of parameters), so that a test can ask which rules an event reaches. Anything else a
//! pattern might say fails the test loudly rather than matching or not by accident.

use serde_json::Value as Json;
use serde_norway::Value as Yaml;
use std::collections::BTreeMap;

/// A template value as JSON, with each `!Ref` to a parameter or pseudo parameter replaced by its
/// value in `parameters`.
pub fn resolve(value: &Yaml, parameters: &BTreeMap<String, String>) -> Json {
    let referenced = |name: &str| {
        let value = parameters
            .get(name)
            .unwrap_or_else(|| panic!("!Ref {name}: no value given for it"));
        Json::from(value.as_str())
    };
    match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(value) => Json::from(*value),
        Yaml::Number(number) => number
            .as_i64()
            .map(Json::from)
            .or_else(|| number.as_f64().map(Json::from))
            .unwrap_or_else(|| panic!("a number JSON cannot hold: {number}")),
        Yaml::String(text) => Json::from(text.as_str()),
        Yaml::Sequence(values) => values.iter().map(|value| resolve(value, parameters)).collect(),
        Yaml::Tagged(tagged) if tagged.tag == "Ref" => referenced(tagged.value.as_str().unwrap_or_default()),
        Yaml::Tagged(tagged) if tagged.tag == "Sub" => Json::from(substituted(
            tagged
                .value
                .as_str()
                .unwrap_or_else(|| panic!("!Sub of a list: {tagged:?}")),
            parameters,
        )),
        Yaml::Tagged(tagged) => panic!(
            "!{}: an intrinsic function this test does not resolve",
            tagged.tag
        ),
        Yaml::Mapping(map) => match map.get("Ref").and_then(Yaml::as_str) {
            Some(name) if map.len() == 1 => referenced(name),
            _ => map
                .iter()
                .map(|(key, value)| {
                    let key = key
                        .as_str()
                        .unwrap_or_else(|| panic!("a key that is not text: {key:?}"));
                    (key.to_owned(), resolve(value, parameters))
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
        },
    }
}

/// A `!Sub` string with each `${Name}` replaced by its value in `parameters`.
fn substituted(text: &str, parameters: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .unwrap_or_else(|| panic!("!Sub {text}: an unclosed ${{"));
        let name = &after[..end];
        out.push_str(
            parameters
                .get(name)
                .unwrap_or_else(|| panic!("!Sub {text}: no value given for {name}")),
        );
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether EventBridge would match `event` with `pattern`: every field the pattern names is in
/// the event, with one of the values listed (or, for a nested pattern, matching it).
pub fn matches(pattern: &Json, event: &Json) -> bool {
    let fields = pattern
        .as_object()
        .unwrap_or_else(|| panic!("a pattern is an object: {pattern}"));
    fields.iter().all(|(field, wanted)| {
        let value = &event[field];
        match wanted {
            Json::Object(_) => value.is_object() && matches(wanted, value),
            Json::Array(alternatives) => {
                // An array in the event matches when any of its values does.
                let values: Vec<&Json> = match value {
                    Json::Array(values) => values.iter().collect(),
                    Json::Null => Vec::new(),
                    single => vec![single],
                };
                values.iter().any(|value| {
                    alternatives
                        .iter()
                        .any(|alternative| matches_one(alternative, value))
                })
            }
            other => panic!("{field}: a pattern lists the values it matches, not {other}"),
        }
    })
}

fn matches_one(alternative: &Json, value: &Json) -> bool {
    match alternative {
        Json::Object(operator) => match operator.get("prefix") {
            Some(Json::String(prefix)) if operator.len() == 1 => value
                .as_str()
                .is_some_and(|value| value.starts_with(prefix.as_str())),
            _ => panic!("a content filter this test does not evaluate: {alternative}"),
        },
        exact => exact == value,
    }
}
