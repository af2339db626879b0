//! Amazon EventBridge over AWS JSON 1.1: PutEvents to the default bus, each entry delivered to
//! the rules for its source and detail type (`/_admin/rules`). What pipeguard puts: the event
//! `pipeguard unfreeze` announces to stage-retry.

use crate::wire::AwsError;
use crate::{Shared, notify};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn handle(shared: &Arc<Shared>, operation: &str, input: &Value) -> Result<Value, AwsError> {
    if operation != "PutEvents" {
        return Err(AwsError::new(
            400,
            "UnknownOperationException",
            format!("{operation} is not emulated by local-aws (PutEvents only)"),
        ));
    }
    let entries = input["Entries"]
        .as_array()
        .filter(|entries| (1..=10).contains(&entries.len()))
        .ok_or_else(|| AwsError::validation("Entries must hold 1 to 10 entries"))?;
    let mut answers = Vec::new();
    for entry in entries {
        let bus = entry["EventBusName"].as_str().unwrap_or("default");
        let (Some(source), Some(detail_type), Some(detail)) = (
            entry["Source"].as_str(),
            entry["DetailType"].as_str(),
            entry["Detail"].as_str(),
        ) else {
            answers.push(json!({"ErrorCode": "InvalidArgument", "ErrorMessage": "Source, DetailType and Detail are required"}));
            continue;
        };
        if bus != "default" || source.starts_with("aws.") {
            answers.push(json!({"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source or bus."}));
            continue;
        }
        match serde_json::from_str::<Value>(detail) {
            Ok(detail) if detail.is_object() => {
                answers.push(json!({"EventId": notify::put_event(shared, source, detail_type, detail)}));
            }
            _ => {
                answers.push(json!({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}))
            }
        }
    }
    let failed = answers
        .iter()
        .filter(|answer| answer.get("ErrorCode").is_some())
        .count();
    Ok(json!({"FailedEntryCount": failed, "Entries": answers}))
}
