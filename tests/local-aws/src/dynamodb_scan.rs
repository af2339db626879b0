//! DynamoDB's Scan of a table: every item, in the emulator's key order, a page ending at `Limit`
//! items read or at 1 MB read, the filter (which, unlike a Query's, may name key attributes)
//! applied to what was read, and the read units the page consumed. Parallel scans (`Segment`)
//! and index scans are not emulated.

use crate::Shared;
use crate::dynamodb::{attribute_map, expression, flag, only_emulated, table_name, table_not_found};
use crate::dynamodb_capacity::{Consumed, Kind, Report, read_units};
use crate::dynamodb_expr::Placeholders;
use crate::dynamodb_query::{limit, read_page};
use crate::wire::AwsError;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::ops::Bound;
use std::sync::Arc;

pub fn scan(shared: &Arc<Shared>, input: &Value, consumed: &mut Option<Consumed>) -> Result<Value, AwsError> {
    only_emulated(
        "Scan",
        input,
        &[
            "TableName",
            "FilterExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "Limit",
            "ExclusiveStartKey",
            "ConsistentRead",
            "ReturnConsumedCapacity",
        ],
    )?;
    let name = table_name(input)?;
    let report = Report::of(input)?;
    let limit = limit(input)?;
    let consistent = flag(input, "ConsistentRead")?.unwrap_or(false);
    let start = attribute_map(input, "ExclusiveStartKey")?;
    let mut placeholders = Placeholders::from_request(input)?;
    let filter = expression(input, "FilterExpression", &mut placeholders)?;
    placeholders.finish()?;

    let state = shared.state();
    let table = state.tables.get(&name).ok_or_else(|| table_not_found(&name))?;
    let after = match start {
        Some(start) => Bound::Excluded(table.key_of(start).map_err(|_| {
            AwsError::validation(
                "The provided starting key is invalid: The provided key element does not match the schema",
            )
        })?),
        None => Bound::Unbounded,
    };
    let candidates = table
        .items()
        .range((after, Bound::Unbounded))
        .map(|(_, item)| Cow::Borrowed(item));
    let page = read_page(candidates, None, filter.as_ref(), limit);
    let read = Consumed {
        table: name,
        kind: Kind::Read,
        table_units: Some(read_units(page.bytes, consistent)),
        indexes: Vec::new(),
    };
    let mut output = json!({"Count": page.items.len(), "ScannedCount": page.scanned, "Items": page.items});
    if let Some(last) = &page.last {
        output["LastEvaluatedKey"] = Value::Object(table.schema.key_item(last));
    }
    read.report(report, &mut output);
    *consumed = Some(read);
    Ok(output)
}
