//! Amazon DynamoDB over AWS JSON 1.0: CreateTable, DescribeTable, PutItem, GetItem and Query,
//! with DynamoDB's validation and errors. A table is usable as soon as it is created; items are
//! kept as the JSON they came in, in primary-key order. A parameter the emulator does not speak
//! is refused with a ValidationException naming it, never ignored, since ignoring it could
//! change what the request means.

use crate::Shared;
use crate::dynamodb_expr::{self, Condition, Placeholders};
use crate::dynamodb_item::{self, Scalar};
use crate::dynamodb_table::Table;
use crate::state::{ACCOUNT, REGION, State};
use crate::wire::AwsError;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub fn handle(shared: &Arc<Shared>, operation: &str, input: &Value) -> Result<Value, AwsError> {
    if !input.is_object() {
        return Err(AwsError::new(
            400,
            "SerializationException",
            "the request body must be a JSON object",
        ));
    }
    match operation {
        "CreateTable" => create_table(shared, input),
        "DescribeTable" => describe_table(shared, input),
        "PutItem" => put_item(shared, input),
        "GetItem" => get_item(shared, input),
        "Query" => query(shared, input),
        other => Err(AwsError::new(
            400,
            "UnknownOperationException",
            format!("{other} is not emulated by local-aws"),
        )),
    }
}

/// The table a request names and the string partition key value it reads or writes, for a fault
/// aimed at one read of a table; `None` for what the request does not name (or names wrongly:
/// such a call is refused all the same, faulted or not).
pub fn aim(state: &State, operation: &str, body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(input) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let Ok(name) = table_name(&input) else {
        return (None, None);
    };
    let partition = state.tables.get(&name).and_then(|table| {
        let key = match operation {
            "Query" => {
                let mut placeholders = Placeholders::from_request(&input).ok()?;
                let condition = expression(&input, "KeyConditionExpression", &mut placeholders).ok()??;
                table.partition_of(&condition).ok()?
            }
            "GetItem" => table.key_of(attribute_map(&input, "Key").ok()??).ok()?.0,
            "PutItem" => table.key_of_item(attribute_map(&input, "Item").ok()??).ok()?.0,
            _ => return None,
        };
        match key {
            Scalar::S(text) => Some(text),
            Scalar::N(_) | Scalar::B(_) => None,
        }
    });
    (Some(name), partition)
}

/// Every item of a table, in key order, for the admin interface.
pub fn table_items(shared: &Arc<Shared>, name: &str) -> Option<Vec<Value>> {
    let state = shared.state();
    let table = state.tables.get(name)?;
    Some(table.items.values().cloned().map(Value::Object).collect())
}

/// DynamoDB's error for a required parameter that is absent (`parameter` as its model names it).
pub fn missing(parameter: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value null at '{parameter}' failed to satisfy constraint: Member must not be null"
    ))
}

fn table_not_found(name: &str) -> AwsError {
    AwsError::new(
        400,
        "ResourceNotFoundException",
        format!("Requested resource not found: Table: {name} not found"),
    )
}

/// Refuses the first parameter the operation's emulation does not speak.
fn only_emulated(operation: &str, input: &Value, emulated: &[&str]) -> Result<(), AwsError> {
    let unknown = input
        .as_object()
        .into_iter()
        .flat_map(Map::keys)
        .find(|parameter| !emulated.contains(&parameter.as_str()));
    match unknown {
        Some(parameter) => Err(AwsError::validation(format!(
            "{operation}: the parameter {parameter} is not emulated by local-aws"
        ))),
        None => Ok(()),
    }
}

/// An enumerated parameter of which the emulator speaks only `emulated`.
fn choice<'i>(
    input: &'i Value,
    parameter: &str,
    emulated: &[&str],
    default: &'static str,
) -> Result<&'i str, AwsError> {
    match input.get(parameter) {
        None => Ok(default),
        Some(Value::String(value)) if emulated.contains(&value.as_str()) => Ok(value),
        Some(other) => Err(AwsError::validation(format!(
            "{parameter} {other} is not emulated by local-aws; it speaks {}",
            emulated.join(", ")
        ))),
    }
}

fn flag(input: &Value, parameter: &str) -> Result<Option<bool>, AwsError> {
    match input.get(parameter) {
        None => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(other) => Err(AwsError::validation(format!(
            "{parameter} must be a boolean, not {other}"
        ))),
    }
}

/// The table a request names, by name or ARN.
fn table_name(input: &Value) -> Result<String, AwsError> {
    let given = input
        .get("TableName")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("tableName"))?;
    let name = given
        .strip_prefix(&format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"))
        .unwrap_or(given);
    let constraint = if !(3..=255).contains(&name.len()) {
        "Member must have length between 3 and 255"
    } else if !name
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b"_.-".contains(&byte))
    {
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    } else {
        return Ok(name.to_owned());
    };
    Err(AwsError::validation(format!(
        "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: {constraint}"
    )))
}

/// A map of attribute values (an item or a key), each checked.
fn attribute_map<'i>(input: &'i Value, parameter: &str) -> Result<Option<&'i Map<String, Value>>, AwsError> {
    match input.get(parameter) {
        None => Ok(None),
        Some(Value::Object(map)) => {
            dynamodb_item::validate_item(map)?;
            Ok(Some(map))
        }
        Some(other) => Err(AwsError::validation(format!(
            "{parameter} must be a map, not {other}"
        ))),
    }
}

/// One of the request's expressions, parsed, if given.
fn expression(
    input: &Value,
    parameter: &str,
    placeholders: &mut Placeholders,
) -> Result<Option<Condition>, AwsError> {
    match input.get(parameter) {
        None => Ok(None),
        Some(Value::String(text)) => dynamodb_expr::parse(text, parameter, placeholders).map(Some),
        Some(other) => Err(AwsError::validation(format!(
            "{parameter} must be a string, not {other}"
        ))),
    }
}

fn create_table(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    only_emulated(
        "CreateTable",
        input,
        &[
            "TableName",
            "KeySchema",
            "AttributeDefinitions",
            "BillingMode",
            "ProvisionedThroughput",
        ],
    )?;
    let name = table_name(input)?;
    let mut state = shared.state();
    let table = Table::define(&name, input, state.id())?;
    if state.tables.contains_key(&name) {
        return Err(AwsError::new(
            400,
            "ResourceInUseException",
            format!("Table already exists: {name}"),
        ));
    }
    // DynamoDB answers CREATING; here the table is usable at once and DescribeTable says ACTIVE.
    let description = table.description("CREATING");
    state.record(format!("DynamoDB: table {name} created"));
    state.tables.insert(name, table);
    Ok(json!({"TableDescription": description}))
}

fn describe_table(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    only_emulated("DescribeTable", input, &["TableName"])?;
    let name = table_name(input)?;
    let state = shared.state();
    let table = state.tables.get(&name).ok_or_else(|| table_not_found(&name))?;
    Ok(json!({"Table": table.description("ACTIVE")}))
}

fn put_item(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    only_emulated(
        "PutItem",
        input,
        &[
            "TableName",
            "Item",
            "ConditionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "ReturnValues",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
            "ReturnValuesOnConditionCheckFailure",
        ],
    )?;
    let name = table_name(input)?;
    let item = attribute_map(input, "Item")?.ok_or_else(|| missing("item"))?;
    let return_old = choice(input, "ReturnValues", &["NONE", "ALL_OLD"], "NONE")? == "ALL_OLD";
    choice(input, "ReturnConsumedCapacity", &["NONE"], "NONE")?;
    choice(input, "ReturnItemCollectionMetrics", &["NONE"], "NONE")?;
    choice(input, "ReturnValuesOnConditionCheckFailure", &["NONE"], "NONE")?;
    let mut placeholders = Placeholders::from_request(input)?;
    let condition = expression(input, "ConditionExpression", &mut placeholders)?;
    placeholders.finish()?;
    if dynamodb_item::item_size(item) > dynamodb_item::MAX_ITEM_BYTES {
        return Err(AwsError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    let mut state = shared.state();
    let table = state
        .tables
        .get_mut(&name)
        .ok_or_else(|| table_not_found(&name))?;
    let key = table.key_of_item(item)?;
    let nothing = Map::new();
    let current = table.items.get(&key).unwrap_or(&nothing);
    if condition.is_some_and(|condition| !condition.matches(current)) {
        return Err(AwsError::new(
            400,
            "ConditionalCheckFailedException",
            "The conditional request failed",
        ));
    }
    let old = table.items.insert(key, item.clone());
    Ok(match old {
        Some(old) if return_old => json!({"Attributes": old}),
        _ => json!({}),
    })
}

fn get_item(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    only_emulated(
        "GetItem",
        input,
        &["TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity"],
    )?;
    let name = table_name(input)?;
    let key = attribute_map(input, "Key")?.ok_or_else(|| missing("key"))?;
    flag(input, "ConsistentRead")?;
    choice(input, "ReturnConsumedCapacity", &["NONE"], "NONE")?;
    let state = shared.state();
    let table = state.tables.get(&name).ok_or_else(|| table_not_found(&name))?;
    Ok(match table.items.get(&table.key_of(key)?) {
        Some(item) => json!({"Item": item}),
        None => json!({}),
    })
}

fn query(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    only_emulated(
        "Query",
        input,
        &[
            "TableName",
            "KeyConditionExpression",
            "FilterExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "Limit",
            "ExclusiveStartKey",
            "ScanIndexForward",
            "ConsistentRead",
            "Select",
            "ReturnConsumedCapacity",
        ],
    )?;
    let name = table_name(input)?;
    let count_only = choice(input, "Select", &["ALL_ATTRIBUTES", "COUNT"], "ALL_ATTRIBUTES")? == "COUNT";
    choice(input, "ReturnConsumedCapacity", &["NONE"], "NONE")?;
    let limit = match input.get("Limit") {
        None => None,
        Some(limit) => Some(limit.as_u64().filter(|limit| *limit >= 1).ok_or_else(|| {
            AwsError::validation(format!(
                "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            ))
        })? as usize),
    };
    let forward = flag(input, "ScanIndexForward")?.unwrap_or(true);
    flag(input, "ConsistentRead")?;
    let start = attribute_map(input, "ExclusiveStartKey")?;
    let mut placeholders = Placeholders::from_request(input)?;
    let key_condition = expression(input, "KeyConditionExpression", &mut placeholders)?.ok_or_else(|| {
        AwsError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        )
    })?;
    let filter = expression(input, "FilterExpression", &mut placeholders)?;
    placeholders.finish()?;

    let state = shared.state();
    let table = state.tables.get(&name).ok_or_else(|| table_not_found(&name))?;
    let partition = table.partition_of(&key_condition)?;
    if let Some(filter) = &filter {
        table.check_filter(filter)?;
    }
    let start = start
        .map(|start| table.start_key(start, &partition, &key_condition))
        .transpose()?;
    let candidates = table.partition(&partition, forward);
    let after_start = candidates.into_iter().filter(|(key, _)| match &start {
        None => true,
        Some(start) if forward => *key > start,
        Some(start) => *key < start,
    });
    // Limit counts the items read, before the filter; the page ends there.
    let (mut items, mut scanned, mut last) = (Vec::new(), 0, None);
    for (_, item) in after_start.filter(|(_, item)| key_condition.matches(item)) {
        if limit.is_some_and(|limit| scanned == limit) {
            break;
        }
        scanned += 1;
        last = Some(item);
        if filter.as_ref().is_none_or(|filter| filter.matches(item)) {
            items.push(Value::Object(item.clone()));
        }
    }
    let mut output = json!({"Count": items.len(), "ScannedCount": scanned});
    if !count_only {
        output["Items"] = Value::Array(items);
    }
    // DynamoDB gives a LastEvaluatedKey whenever the page filled up, even if nothing follows.
    if let Some(last) = last.filter(|_| limit == Some(scanned)) {
        output["LastEvaluatedKey"] = Value::Object(table.key_item(last));
    }
    Ok(output)
}
