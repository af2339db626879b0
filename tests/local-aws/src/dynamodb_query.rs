//! DynamoDB's Query, of a table or of a global secondary index: one partition, in sort key
//! order (an index's: its sort key, then the table's key), a page ending at `Limit` items read
//! or at 1 MB read, the filter applied to what was read, and the read units it consumed.

use crate::Shared;
use crate::dynamodb::{attribute_map, choice, expression, flag, only_emulated, table_name, table_not_found};
use crate::dynamodb_capacity::{Consumed, Kind, Report, read_units};
use crate::dynamodb_expr::{Condition, Placeholders};
use crate::dynamodb_index::{Position, Projection, check_name};
use crate::dynamodb_item::{self, invalid};
use crate::wire::AwsError;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::sync::Arc;

/// A Query page ends once it has read this much (DynamoDB's 1 MB).
const PAGE_BYTES: usize = 1024 * 1024;

/// What one page read: the items the filter kept, how many it read and their size, and the
/// last one read when the page ended before the partition did.
pub(crate) struct Page<'t> {
    pub items: Vec<Value>,
    pub scanned: usize,
    pub bytes: usize,
    pub last: Option<Cow<'t, Map<String, Value>>>,
}

/// Reads candidates in order until `limit` items or 1 MB have been read; the filter applies to
/// what was read, so both count an item the filter drops. A Scan has no key condition.
pub(crate) fn read_page<'t>(
    candidates: impl Iterator<Item = Cow<'t, Map<String, Value>>>,
    key_condition: Option<&Condition>,
    filter: Option<&Condition>,
    limit: Option<usize>,
) -> Page<'t> {
    let mut page = Page {
        items: Vec::new(),
        scanned: 0,
        bytes: 0,
        last: None,
    };
    for item in candidates.filter(|item| key_condition.is_none_or(|condition| condition.matches(item))) {
        page.scanned += 1;
        page.bytes += dynamodb_item::item_size(&item);
        if filter.is_none_or(|filter| filter.matches(&item)) {
            page.items.push(Value::Object(item.clone().into_owned()));
        }
        // DynamoDB gives a LastEvaluatedKey whenever the page filled up, even if nothing follows.
        if limit == Some(page.scanned) || page.bytes >= PAGE_BYTES {
            page.last = Some(item);
            break;
        }
    }
    page
}

/// A request's `Limit`: at least 1 when given.
pub(crate) fn limit(input: &Value) -> Result<Option<usize>, AwsError> {
    match input.get("Limit") {
        None => Ok(None),
        Some(limit) => Ok(Some(limit.as_u64().filter(|limit| *limit >= 1).ok_or_else(|| {
            AwsError::validation(format!(
                "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            ))
        })? as usize)),
    }
}

pub fn query(
    shared: &Arc<Shared>,
    input: &Value,
    consumed: &mut Option<Consumed>,
) -> Result<Value, AwsError> {
    only_emulated(
        "Query",
        input,
        &[
            "TableName",
            "IndexName",
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
    let index_name = match input.get("IndexName") {
        None => None,
        Some(Value::String(index)) => {
            check_name(index, "indexName")?;
            Some(index.as_str())
        }
        Some(other) => {
            return Err(AwsError::validation(format!(
                "IndexName must be a string, not {other}"
            )));
        }
    };
    let select = choice(
        input,
        "Select",
        &["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "COUNT"],
        if index_name.is_some() {
            "ALL_PROJECTED_ATTRIBUTES"
        } else {
            "ALL_ATTRIBUTES"
        },
    )?;
    let report = Report::of(input)?;
    let limit = limit(input)?;
    let forward = flag(input, "ScanIndexForward")?.unwrap_or(true);
    let consistent = flag(input, "ConsistentRead")?.unwrap_or(false);
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
    let (page, last_key, indexes) = match index_name {
        None => {
            if select == "ALL_PROJECTED_ATTRIBUTES" {
                return Err(AwsError::validation(
                    "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
                ));
            }
            let partition = table.schema.partition_of(&key_condition, &name)?;
            if let Some(filter) = &filter {
                table.schema.check_filter(filter)?;
            }
            let start = start
                .map(|start| table.start_key(start, &partition, &key_condition))
                .transpose()?;
            let candidates = table
                .partition(&partition, forward, start.as_ref())
                .map(|(_, item)| Cow::Borrowed(item));
            let page = read_page(candidates, Some(&key_condition), filter.as_ref(), limit);
            let last_key = page.last.as_ref().map(|last| table.schema.key_item(last));
            (page, last_key, None)
        }
        Some(index_name) => {
            let index = table.index(index_name).ok_or_else(|| {
                AwsError::validation(format!(
                    "The table does not have the specified index: {index_name}"
                ))
            })?;
            if consistent {
                return Err(AwsError::validation(
                    "Consistent reads are not supported on global secondary indexes",
                ));
            }
            if !index.is_active() {
                return Err(AwsError::validation(format!(
                    "Cannot read from backfilling global secondary index: {index_name}"
                )));
            }
            if select == "ALL_ATTRIBUTES" && index.projection != Projection::All {
                return Err(invalid(format!(
                    "Select type ALL_ATTRIBUTES is not supported for global secondary index {index_name} because its projection type is not ALL"
                )));
            }
            let partition = index.schema.partition_of(&key_condition, index_name)?;
            if let Some(filter) = &filter {
                index.schema.check_filter(filter)?;
            }
            let start: Option<Position> = start
                .map(|start| {
                    let invalid_start = || {
                        AwsError::validation(
                            "The provided starting key is invalid: The provided key element does not match the schema",
                        )
                    };
                    let expected: std::collections::BTreeSet<&str> = table
                        .schema
                        .attributes()
                        .chain(index.schema.attributes())
                        .map(|attribute| attribute.name.as_str())
                        .collect();
                    if start.len() != expected.len() || !start.keys().all(|name| expected.contains(name.as_str())) {
                        return Err(invalid_start());
                    }
                    let table_key = table.key_of_item(start).map_err(|_| invalid_start())?;
                    let (hash, range) = index.key_of(start).ok().flatten().ok_or_else(invalid_start)?;
                    if hash != partition {
                        return Err(AwsError::validation(
                            "The provided starting key is outside query boundaries based on provided conditions",
                        ));
                    }
                    if !key_condition.matches(start) {
                        return Err(AwsError::validation(
                            "The provided starting key does not match the range key predicate",
                        ));
                    }
                    Ok((range, table_key))
                })
                .transpose()?;
            let candidates = index
                .partition(&partition, forward, start.as_ref())
                .filter_map(|(_, table_key)| table.items().get(table_key))
                .map(|item| match index.projection {
                    Projection::All => Cow::Borrowed(item),
                    _ => Cow::Owned(index.project(item, &table.schema)),
                });
            let page = read_page(candidates, Some(&key_condition), filter.as_ref(), limit);
            let last_key = page.last.as_ref().map(|last| {
                let mut key = table.schema.key_item(last);
                key.extend(index.schema.key_item(last));
                key
            });
            (page, last_key, Some(index_name))
        }
    };
    let units = read_units(page.bytes, consistent);
    let read = Consumed {
        table: name,
        kind: Kind::Read,
        table_units: indexes.is_none().then_some(units),
        indexes: indexes
            .map(|index| (index.to_owned(), units))
            .into_iter()
            .collect(),
    };
    let mut output = json!({"Count": page.items.len(), "ScannedCount": page.scanned});
    if select != "COUNT" {
        output["Items"] = Value::Array(page.items);
    }
    if let Some(last_key) = last_key {
        output["LastEvaluatedKey"] = Value::Object(last_key);
    }
    read.report(report, &mut output);
    *consumed = Some(read);
    Ok(output)
}
