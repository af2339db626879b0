//! AWS Health over Smithy RPC v2 CBOR: DescribeEvents with the filters pipeguard uses, the
//! API's limits (10 values per list filter, 10 to 100 results a page) and pagination.

use crate::Shared;
use crate::wire::{AwsError, page};
use serde_json::{Value, json};
use std::sync::Arc;

const MAX_FILTER_VALUES: usize = 10;

pub fn handle(shared: &Arc<Shared>, operation: &str, input: &Value) -> Result<Value, AwsError> {
    match operation {
        "DescribeEvents" => describe_events(shared, input),
        other => Err(AwsError::new(
            400,
            "UnknownOperationException",
            format!("{other} is not emulated"),
        )),
    }
}

/// A list filter: absent means anything; present must hold 1 to 10 values.
fn list_filter<'a>(filter: &'a Value, name: &str) -> Result<Option<Vec<&'a str>>, AwsError> {
    let Some(values) = filter.get(name).and_then(Value::as_array) else {
        return Ok(None);
    };
    if values.is_empty() || values.len() > MAX_FILTER_VALUES {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value at 'filter.{name}' failed to satisfy constraint: Member must have length between 1 and {MAX_FILTER_VALUES}"
        )));
    }
    Ok(Some(values.iter().filter_map(Value::as_str).collect()))
}

fn describe_events(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    let filter = input.get("filter").cloned().unwrap_or(json!({}));
    let checks = [
        ("eventArns", "arn"),
        ("eventTypeCodes", "eventTypeCode"),
        ("services", "service"),
        ("regions", "region"),
        ("eventTypeCategories", "eventTypeCategory"),
        ("eventStatusCodes", "statusCode"),
    ];
    let mut filters = Vec::new();
    for (filter_name, field) in checks {
        if let Some(values) = list_filter(&filter, filter_name)? {
            filters.push((field, values));
        }
    }
    let mut events: Vec<Value> = shared
        .state()
        .health_events
        .iter()
        .map(|event| serde_json::to_value(event).unwrap_or_default())
        .filter(|event| {
            filters.iter().all(|(field, values)| {
                event
                    .get(*field)
                    .and_then(Value::as_str)
                    .is_some_and(|value| values.contains(&value))
            })
        })
        .map(|mut event| {
            if let Some(object) = event.as_object_mut() {
                object.retain(|_, value| !value.is_null());
                object.insert("eventScopeCode".into(), json!("PUBLIC"));
            }
            event
        })
        .collect();
    let updated = |event: &Value| {
        event
            .get("lastUpdatedTime")
            .and_then(Value::as_f64)
            .unwrap_or_default()
    };
    events.sort_by(|a, b| updated(b).total_cmp(&updated(a)));
    let (events, next) = page(events, input, 10..=100, 10, "InvalidPaginationToken")?;
    let mut output = json!({"events": events});
    if let Some(next) = next {
        output["nextToken"] = json!(next);
    }
    Ok(output)
}
