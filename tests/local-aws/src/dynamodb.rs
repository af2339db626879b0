//! Amazon DynamoDB over AWS JSON 1.0: CreateTable (with global secondary indexes), UpdateTable
//! (one index created), DescribeTable, PutItem, GetItem and Query (dynamodb_query.rs), with
//! DynamoDB's validation, errors and consumed capacity. A table is usable as soon as it is
//! created; items are kept as the JSON they came in, in primary-key order. A parameter the
//! emulator does not speak is refused with a ValidationException naming it, never ignored,
//! since ignoring it could change what the request means.

use crate::Shared;
use crate::dynamodb_capacity::{Consumed, Kind, Report, read_units, write_units};
use crate::dynamodb_expr::{self, Condition, Placeholders};
use crate::dynamodb_index::check_name;
use crate::dynamodb_item::{self, Scalar};
use crate::dynamodb_table::Table;
use crate::state::{ACCOUNT, REGION, State, now};
use crate::wire::AwsError;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// A DynamoDB call's answer, and the capacity it consumed (also when it failed, as a failed
/// conditional write does), for the record of calls.
pub struct Metered {
    pub result: Result<Value, AwsError>,
    pub consumed: Option<Consumed>,
}

pub fn handle(shared: &Arc<Shared>, operation: &str, input: &Value) -> Result<Value, AwsError> {
    handle_metered(shared, operation, input).result
}

pub fn handle_metered(shared: &Arc<Shared>, operation: &str, input: &Value) -> Metered {
    let mut consumed = None;
    let result = if input.is_object() {
        match operation {
            "CreateTable" => create_table(shared, input),
            "UpdateTable" => update_table(shared, input),
            "DescribeTable" => describe_table(shared, input),
            "PutItem" => put_item(shared, input, &mut consumed),
            "GetItem" => get_item(shared, input, &mut consumed),
            "Query" => crate::dynamodb_query::query(shared, input, &mut consumed),
            "Scan" => crate::dynamodb_scan::scan(shared, input, &mut consumed),
            other => Err(AwsError::new(
                400,
                "UnknownOperationException",
                format!("{other} is not emulated by local-aws"),
            )),
        }
    } else {
        Err(AwsError::new(
            400,
            "SerializationException",
            "the request body must be a JSON object",
        ))
    };
    Metered { result, consumed }
}

/// The table a request names and the string partition key value it reads or writes (for a
/// Query of an index, the index's partition key value), for a fault aimed at one read of a table; `None` for what the request does not name (or names wrongly:
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
                let schema = match input.get("IndexName") {
                    None => &table.schema,
                    Some(index) => &table.index(index.as_str()?)?.schema,
                };
                schema.partition_of(&condition, &name).ok()?
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
    Some(table.items().values().cloned().map(Value::Object).collect())
}

/// DynamoDB's error for a required parameter that is absent (`parameter` as its model names it).
pub fn missing(parameter: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value null at '{parameter}' failed to satisfy constraint: Member must not be null"
    ))
}

pub fn table_not_found(name: &str) -> AwsError {
    AwsError::new(
        400,
        "ResourceNotFoundException",
        format!("Requested resource not found: Table: {name} not found"),
    )
}

/// Refuses the first parameter the operation's emulation does not speak.
pub fn only_emulated(operation: &str, input: &Value, emulated: &[&str]) -> Result<(), AwsError> {
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
pub fn choice<'i>(
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

pub fn flag(input: &Value, parameter: &str) -> Result<Option<bool>, AwsError> {
    match input.get(parameter) {
        None => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(other) => Err(AwsError::validation(format!(
            "{parameter} must be a boolean, not {other}"
        ))),
    }
}

/// The table a request names, by name or ARN.
pub fn table_name(input: &Value) -> Result<String, AwsError> {
    let given = input
        .get("TableName")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("tableName"))?;
    let name = given
        .strip_prefix(&format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"))
        .unwrap_or(given);
    check_name(name, "tableName")?;
    Ok(name.to_owned())
}

/// A map of attribute values (an item or a key), each checked.
pub fn attribute_map<'i>(
    input: &'i Value,
    parameter: &str,
) -> Result<Option<&'i Map<String, Value>>, AwsError> {
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
pub fn expression(
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
            "GlobalSecondaryIndexes",
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

/// One global secondary index created (`GlobalSecondaryIndexUpdates` with one `Create`): the
/// answer says it is CREATING, as DynamoDB's does; it is ACTIVE once the admin setting
/// `dynamodb_index_backfill_ms` has passed (at once by default).
fn update_table(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    only_emulated(
        "UpdateTable",
        input,
        &["TableName", "AttributeDefinitions", "GlobalSecondaryIndexUpdates"],
    )?;
    let name = table_name(input)?;
    let mut state = shared.state();
    let active_at = now() + state.dynamodb_index_backfill_ms as f64 / 1000.0;
    let table = state
        .tables
        .get_mut(&name)
        .ok_or_else(|| table_not_found(&name))?;
    let index = table.add_index(input, active_at)?.name.clone();
    let mut description = table.description("UPDATING");
    if let Some(created) = description["GlobalSecondaryIndexes"]
        .as_array_mut()
        .and_then(|indexes| {
            indexes
                .iter_mut()
                .find(|listed| listed["IndexName"] == index.as_str())
        })
    {
        created["IndexStatus"] = json!("CREATING");
        created["Backfilling"] = json!(false);
    }
    state.record(format!("DynamoDB: index {index} of table {name} created"));
    Ok(json!({"TableDescription": description}))
}

fn describe_table(shared: &Arc<Shared>, input: &Value) -> Result<Value, AwsError> {
    only_emulated("DescribeTable", input, &["TableName"])?;
    let name = table_name(input)?;
    let state = shared.state();
    let table = state.tables.get(&name).ok_or_else(|| table_not_found(&name))?;
    Ok(json!({"Table": table.description("ACTIVE")}))
}

fn put_item(shared: &Arc<Shared>, input: &Value, consumed: &mut Option<Consumed>) -> Result<Value, AwsError> {
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
    let report = Report::of(input)?;
    choice(input, "ReturnItemCollectionMetrics", &["NONE"], "NONE")?;
    choice(input, "ReturnValuesOnConditionCheckFailure", &["NONE"], "NONE")?;
    let mut placeholders = Placeholders::from_request(input)?;
    let condition = expression(input, "ConditionExpression", &mut placeholders)?;
    placeholders.finish()?;
    let mut state = shared.state();
    let table = state
        .tables
        .get_mut(&name)
        .ok_or_else(|| table_not_found(&name))?;
    let key = table.check_item(item)?;
    let current = table.items().get(&key);
    // A write consumes units for the larger of the item it replaces and the new one, even
    // when its condition fails.
    let size = dynamodb_item::item_size(item).max(current.map_or(0, dynamodb_item::item_size));
    let mut written = Consumed {
        table: name,
        kind: Kind::Write,
        table_units: Some(write_units(size)),
        indexes: Vec::new(),
    };
    let nothing = Map::new();
    if condition.is_some_and(|condition| !condition.matches(current.unwrap_or(&nothing))) {
        *consumed = Some(written);
        return Err(AwsError::new(
            400,
            "ConditionalCheckFailedException",
            "The conditional request failed",
        ));
    }
    let outcome = table.put(key, item.clone());
    written.indexes = outcome.index_units;
    let mut output = match outcome.old {
        Some(old) if return_old => json!({"Attributes": old}),
        _ => json!({}),
    };
    written.report(report, &mut output);
    *consumed = Some(written);
    Ok(output)
}

fn get_item(shared: &Arc<Shared>, input: &Value, consumed: &mut Option<Consumed>) -> Result<Value, AwsError> {
    only_emulated(
        "GetItem",
        input,
        &["TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity"],
    )?;
    let name = table_name(input)?;
    let key = attribute_map(input, "Key")?.ok_or_else(|| missing("key"))?;
    let consistent = flag(input, "ConsistentRead")?.unwrap_or(false);
    let report = Report::of(input)?;
    let state = shared.state();
    let table = state.tables.get(&name).ok_or_else(|| table_not_found(&name))?;
    let item = table.items().get(&table.key_of(key)?);
    let read = Consumed {
        table: name,
        kind: Kind::Read,
        table_units: Some(read_units(item.map_or(0, dynamodb_item::item_size), consistent)),
        indexes: Vec::new(),
    };
    let mut output = match item {
        Some(item) => json!({"Item": item}),
        None => json!({}),
    };
    read.report(report, &mut output);
    *consumed = Some(read);
    Ok(output)
}
