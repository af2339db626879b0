//! The admin interface's seeding of a DynamoDB table (`POST /_admin/dynamodb/seed`): many items
//! written in one call, given whole or generated from a template, through the write path
//! PutItem takes (checked the same way, the indexes kept), so a benchmark can fill a table with
//! hundreds of thousands of items in seconds. Seeding consumes no capacity and is no AWS call.

use crate::Shared;
use crate::dynamodb_item;
use crate::wire::AwsError;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// A seeding request: `items` as given, or `count` items from `template`, numbered from
/// `start` (0 by default).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    table: String,
    items: Option<Vec<Map<String, Value>>>,
    count: Option<u64>,
    template: Option<Map<String, Value>>,
    #[serde(default)]
    start: u64,
}

fn bad(message: impl Into<String>) -> AwsError {
    AwsError::new(400, "BadRequest", message)
}

/// Writes the items, all checked before any is written: one that PutItem would refuse refuses
/// the whole request, naming it.
pub fn seed(shared: &Arc<Shared>, body: Value) -> Result<Value, AwsError> {
    let seed: Seed =
        serde_json::from_value(body).map_err(|error| bad(format!("invalid seeding request: {error}")))?;
    let items: Vec<Map<String, Value>> = match (seed.items, seed.count, seed.template) {
        (Some(items), None, None) => items,
        (None, Some(count), Some(template)) => (seed.start..seed.start + count)
            .map(|number| expand_item(&template, number))
            .collect::<Result<_, _>>()?,
        _ => return Err(bad("give either items, or count and template")),
    };
    let mut state = shared.state();
    let table = state
        .tables
        .get_mut(&seed.table)
        .ok_or_else(|| AwsError::new(404, "NotFound", format!("DynamoDB table {}", seed.table)))?;
    let checked = items
        .into_iter()
        .enumerate()
        .map(|(position, item)| {
            dynamodb_item::validate_item(&item)
                .and_then(|()| table.check_item(&item))
                .map(|key| (key, item))
                .map_err(|error| bad(format!("item {position}: {}: {}", error.code, error.message)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let written = checked.len();
    for (key, item) in checked {
        table.put(key, item);
    }
    let stored = table.items().len();
    state.record(format!(
        "DynamoDB: {written} items seeded into table {}",
        seed.table
    ));
    Ok(json!({"written": written, "item_count": stored}))
}

/// The template with every string's placeholders replaced for item `number`.
fn expand_item(template: &Map<String, Value>, number: u64) -> Result<Map<String, Value>, AwsError> {
    template
        .iter()
        .map(|(name, value)| Ok((name.clone(), expand_value(value, number)?)))
        .collect()
}

fn expand_value(value: &Value, number: u64) -> Result<Value, AwsError> {
    Ok(match value {
        Value::String(text) => Value::String(expand(text, number)?),
        Value::Array(values) => Value::Array(
            values
                .iter()
                .map(|value| expand_value(value, number))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(expand_item(map, number)?),
        other => other.clone(),
    })
}

/// Replaces each `{i}`, `{i:0W}`, `{i%M}` or `{i%M:0W}` in `text`: the item's number, or it
/// modulo M, zero-padded to W digits. Other braces are left as they are.
pub fn expand(text: &str, number: u64) -> Result<String, AwsError> {
    let mut expanded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("{i") {
        expanded.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| bad(format!("unclosed placeholder in {text:?}")))?;
        let (modulo, width) = placeholder(&after[..end])
            .ok_or_else(|| bad(format!("bad placeholder {{i{}}} in {text:?}", &after[..end])))?;
        let value = modulo.map_or(number, |modulo| number % modulo);
        expanded.push_str(&format!("{value:0width$}"));
        rest = &after[end + 1..];
    }
    expanded.push_str(rest);
    Ok(expanded)
}

/// What follows `{i` in a placeholder: an optional `%M` (M at least 1) and an optional `:0W`.
fn placeholder(spec: &str) -> Option<(Option<u64>, usize)> {
    let (modulo, width) = match spec.split_once(':') {
        Some((modulo, width)) => (modulo, Some(width)),
        None => (spec, None),
    };
    let modulo = match modulo {
        "" => None,
        modulo => Some(
            modulo
                .strip_prefix('%')?
                .parse::<u64>()
                .ok()
                .filter(|m| *m >= 1)?,
        ),
    };
    let width = match width {
        None => 0,
        Some(width) => width
            .strip_prefix('0')?
            .parse::<usize>()
            .ok()
            .filter(|w| *w <= 40)?,
    };
    Some((modulo, width))
}

#[cfg(test)]
#[path = "dynamodb_seed_tests.rs"]
mod tests;
