//! Capacity units as DynamoDB counts them ("Capacity unit consumption for read operations" and
//! "... for write operations" in its developer guide), and `ConsumedCapacity` as it answers it.
//! A read consumes one unit per 4 KB of the items it reads (their sizes summed for a Query,
//! then rounded up), at least one, half for an eventually consistent read; a write one unit per
//! 1 KB of the larger of the old and the new item, at least one.

use crate::state::CallCapacity;
use crate::wire::AwsError;
use serde_json::{Map, Value, json};

/// The bytes one read unit reads.
const READ_UNIT_BYTES: usize = 4 * 1024;
/// The bytes one write unit writes.
const WRITE_UNIT_BYTES: usize = 1024;

/// Read units for `bytes` read by one operation: a read of nothing still consumes one unit.
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Write units for an item of `bytes` (the larger of the old and the new).
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

/// What a request asks to be told (`ReturnConsumedCapacity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    None,
    Total,
    Indexes,
}

impl Report {
    pub fn of(input: &Value) -> Result<Self, AwsError> {
        match input.get("ReturnConsumedCapacity") {
            None => Ok(Self::None),
            Some(Value::String(value)) if value == "NONE" => Ok(Self::None),
            Some(Value::String(value)) if value == "TOTAL" => Ok(Self::Total),
            Some(Value::String(value)) if value == "INDEXES" => Ok(Self::Indexes),
            Some(other) => Err(AwsError::validation(format!(
                "1 validation error detected: Value '{}' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                other.as_str().unwrap_or_default()
            ))),
        }
    }
}

/// Whether an operation consumed read or write units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// The capacity one operation consumed: on the table (none for a Query of an index, which
/// reads the index alone) and on each index it read or wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Consumed {
    pub table: String,
    pub kind: Kind,
    pub table_units: Option<f64>,
    pub indexes: Vec<(String, f64)>,
}

impl Consumed {
    pub fn total(&self) -> f64 {
        self.table_units.unwrap_or_default() + self.indexes.iter().map(|(_, units)| units).sum::<f64>()
    }

    /// The call record's figures: this operation's units, as read or write units.
    pub fn for_call(&self) -> CallCapacity {
        let total = self.total();
        let (read_units, write_units) = match self.kind {
            Kind::Read => (total, 0.0),
            Kind::Write => (0.0, total),
        };
        // A read of an index reads only it; a write's indexes are written beside the table.
        let index = match (self.kind, self.table_units) {
            (Kind::Read, None) => self.indexes.first().map(|(name, _)| name.clone()),
            _ => None,
        };
        CallCapacity {
            read_units,
            write_units,
            index,
        }
    }

    /// `ConsumedCapacity` as DynamoDB answers it: `TableName` and `CapacityUnits` (TOTAL),
    /// and with INDEXES, `Table` and `GlobalSecondaryIndexes` by name, each `{CapacityUnits}`.
    pub fn answer(&self, report: Report) -> Option<Value> {
        let units = |units: f64| json!({"CapacityUnits": units});
        let mut answer = json!({"TableName": self.table, "CapacityUnits": self.total()});
        match report {
            Report::None => return None,
            Report::Total => {}
            Report::Indexes => {
                if let Some(table) = self.table_units {
                    answer["Table"] = units(table);
                }
                if !self.indexes.is_empty() {
                    answer["GlobalSecondaryIndexes"] = Value::Object(
                        self.indexes
                            .iter()
                            .map(|(name, consumed)| (name.clone(), units(*consumed)))
                            .collect::<Map<_, _>>(),
                    );
                }
            }
        }
        Some(answer)
    }

    /// Adds `ConsumedCapacity` to an answer when the request asked for it.
    pub fn report(&self, report: Report, output: &mut Value) {
        if let Some(answer) = self.answer(report) {
            output["ConsumedCapacity"] = answer;
        }
    }
}

#[cfg(test)]
#[path = "dynamodb_capacity_tests.rs"]
mod tests;
