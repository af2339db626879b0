//! A DynamoDB table: its definition as CreateTable gives it (with its global secondary
//! indexes), how requests name keys against it, its description, and its items in primary-key
//! order. Every write goes through [`Table::put`], which keeps the indexes.

use crate::dynamodb_capacity::write_units;
use crate::dynamodb_index::{Index, IndexKey};
use crate::dynamodb_item::{self, Scalar, invalid};
use crate::dynamodb_schema::{self, Definitions, KeySchema};
use crate::state::{ACCOUNT, REGION, now};
use crate::wire::AwsError;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

/// A table's primary key: the partition (hash) key, and the sort (range) key if it has one.
pub type PrimaryKey = (Scalar, Option<Scalar>);

/// DynamoDB's answer to a second index created while one is (DynamoDB's LimitExceededException,
/// not a ValidationException).
fn one_index_at_a_time() -> AwsError {
    AwsError::new(
        400,
        "LimitExceededException",
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
    )
}

#[derive(Debug)]
pub struct Table {
    name: String,
    id: String,
    pub schema: KeySchema,
    definitions: Definitions,
    /// Read and write capacity for a PROVISIONED table; none when it is PAY_PER_REQUEST.
    provisioned: Option<(i64, i64)>,
    created: f64,
    /// Its global secondary indexes, in the order they were created.
    pub indexes: Vec<Index>,
    /// The items, each as the JSON it came in; written through [`Table::put`] alone.
    items: BTreeMap<PrimaryKey, Map<String, Value>>,
    /// The size of the items, kept as they change, so DescribeTable costs no scan.
    size_bytes: usize,
}

/// What one write changed: the item it replaced, and the write units each index it touched
/// consumed.
pub struct Written {
    pub old: Option<Map<String, Value>>,
    pub index_units: Vec<(String, f64)>,
}

impl Table {
    /// A table as CreateTable defines it, checked as DynamoDB checks it.
    pub fn define(name: &str, input: &Value, id: String) -> Result<Self, AwsError> {
        let definitions = dynamodb_schema::definitions(input)?;
        let schema = KeySchema::parse(input.get("KeySchema"), "keySchema", &definitions)?;
        let provisioned = billing(input)?;
        let mut indexes: Vec<Index> = Vec::new();
        if let Some(specs) = input.get("GlobalSecondaryIndexes") {
            let specs = specs
                .as_array()
                .filter(|specs| !specs.is_empty())
                .ok_or_else(|| invalid("GlobalSecondaryIndexes must be a non-empty list"))?;
            for spec in specs {
                let index = Index::define(spec, &definitions, provisioned.is_some(), now())?;
                if indexes.iter().any(|other| other.name == index.name) {
                    return Err(invalid(format!("Duplicate index name: {}", index.name)));
                }
                indexes.push(index);
            }
        }
        let used: BTreeSet<&str> = schema
            .attributes()
            .chain(indexes.iter().flat_map(|index| index.schema.attributes()))
            .map(|attribute| attribute.name.as_str())
            .collect();
        if used.len() != definitions.len() {
            return Err(invalid(
                "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            schema,
            definitions,
            provisioned,
            created: now(),
            indexes,
            items: BTreeMap::new(),
            size_bytes: 0,
        })
    }

    /// UpdateTable's `GlobalSecondaryIndexUpdates` with one `Create`: the index, backfilled
    /// from the items now in the table (an item whose index key has the wrong type is left
    /// out, as DynamoDB's backfill leaves out and reports a violation), ACTIVE at `active_at`.
    pub fn add_index(&mut self, input: &Value, active_at: f64) -> Result<&Index, AwsError> {
        let updates = input
            .get("GlobalSecondaryIndexUpdates")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                AwsError::validation("UpdateTable: local-aws emulates GlobalSecondaryIndexUpdates alone")
            })?;
        let spec = match updates.as_slice() {
            [update] => update
                .get("Create")
                .filter(|_| update.as_object().is_some_and(|fields| fields.len() == 1)),
            [] => return Err(invalid("GlobalSecondaryIndexUpdates must not be empty")),
            _ => return Err(one_index_at_a_time()),
        }
        .ok_or_else(|| {
            AwsError::validation(
                "GlobalSecondaryIndexUpdates: only Create is emulated by local-aws (not Update or Delete)",
            )
        })?;
        if self.indexes.iter().any(|index| !index.is_active()) {
            return Err(one_index_at_a_time());
        }
        let mut definitions = self.definitions.clone();
        if input.get("AttributeDefinitions").is_some() {
            for (name, kind) in dynamodb_schema::definitions(input)? {
                match definitions.get(&name) {
                    Some(defined) if *defined != kind => {
                        return Err(invalid(format!(
                            "Cannot change the type of attribute {name} from {defined} to {kind}"
                        )));
                    }
                    _ => {
                        definitions.insert(name, kind);
                    }
                }
            }
        }
        let mut index = Index::define(spec, &definitions, self.provisioned.is_some(), active_at)?;
        if self.indexes.iter().any(|other| other.name == index.name) {
            return Err(AwsError::validation(
                "Attempting to create an index which already exists",
            ));
        }
        for (key, item) in &self.items {
            if let Ok(Some(index_key)) = index.key_of(item) {
                index.insert(index_key, key.clone(), index.projected_size(item, &self.schema));
            }
        }
        self.definitions = definitions;
        self.indexes.push(index);
        Ok(&self.indexes[self.indexes.len() - 1])
    }

    /// The items, in primary-key order.
    pub fn items(&self) -> &BTreeMap<PrimaryKey, Map<String, Value>> {
        &self.items
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|index| index.name == name)
    }

    /// Checks an item being written as DynamoDB does, its table key and every index key it
    /// has, and returns its primary key. Nothing is written before every check passes.
    pub fn check_item(&self, item: &Map<String, Value>) -> Result<PrimaryKey, AwsError> {
        if dynamodb_item::item_size(item) > dynamodb_item::MAX_ITEM_BYTES {
            return Err(AwsError::validation(
                "Item size has exceeded the maximum allowed size",
            ));
        }
        let key = self.key_of_item(item)?;
        for index in &self.indexes {
            index.key_of(item)?;
        }
        Ok(key)
    }

    /// Writes a checked item ([`Table::check_item`]) and keeps every index. An index consumes
    /// write units as DynamoDB documents: one write to add or remove its entry, two when the
    /// index key changes, one when only the projected attributes change, none otherwise.
    pub fn put(&mut self, key: PrimaryKey, item: Map<String, Value>) -> Written {
        let mut index_units = Vec::new();
        let old = self.items.get(&key);
        for index in &mut self.indexes {
            let entry = |item: Option<&Map<String, Value>>| {
                let item = item?;
                let index_key: IndexKey = index.key_of(item).ok()??;
                let projected = index.project(item, &self.schema);
                Some((index_key, dynamodb_item::item_size(&projected), projected))
            };
            let (before, after) = (entry(old), entry(Some(&item)));
            let units = match (&before, &after) {
                (None, None) => 0.0,
                (Some((_, size, _)), None) | (None, Some((_, size, _))) => write_units(*size),
                (Some((old_key, old_size, old_entry)), Some((new_key, new_size, new_entry))) => {
                    if old_key != new_key {
                        write_units(*old_size) + write_units(*new_size)
                    } else if old_entry != new_entry {
                        write_units((*old_size).max(*new_size))
                    } else {
                        0.0
                    }
                }
            };
            if let Some((index_key, size, _)) = before {
                index.remove(index_key, key.clone(), size);
            }
            if let Some((index_key, size, _)) = after {
                index.insert(index_key, key.clone(), size);
            }
            if units > 0.0 {
                index_units.push((index.name.clone(), units));
            }
        }
        self.size_bytes += dynamodb_item::item_size(&item);
        let old = self.items.insert(key, item);
        self.size_bytes -= old.as_ref().map_or(0, dynamodb_item::item_size);
        Written { old, index_units }
    }

    /// The primary key of an item being written.
    pub fn key_of_item(&self, item: &Map<String, Value>) -> Result<PrimaryKey, AwsError> {
        let mut pieces = self.schema.attributes().map(|attribute| {
            let value = item
                .get(&attribute.name)
                .ok_or_else(|| invalid(format!("Missing the key {} in the item", attribute.name)))?;
            let scalar = Scalar::of(value).filter(|scalar| scalar.kind() == attribute.kind);
            let scalar = scalar.ok_or_else(|| {
                let actual = dynamodb_item::single(value).map_or("?", |(kind, _)| kind);
                invalid(format!(
                    "Type mismatch for key {} expected: {} actual: {actual}",
                    attribute.name, attribute.kind
                ))
            })?;
            if scalar.is_empty() {
                return Err(AwsError::validation(format!(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty value. Key: {}",
                    attribute.name
                )));
            }
            Ok(scalar)
        });
        let hash = pieces
            .next()
            .unwrap_or_else(|| Err(invalid("the table has no key")))?;
        Ok((hash, pieces.next().transpose()?))
    }

    /// The primary key a request names (`Key`, `ExclusiveStartKey`): exactly the key attributes.
    pub fn key_of(&self, key: &Map<String, Value>) -> Result<PrimaryKey, AwsError> {
        let mismatch = || AwsError::validation("The provided key element does not match the schema");
        if key.len() != self.schema.attributes().count() {
            return Err(mismatch());
        }
        self.key_of_item(key).map_err(|_| mismatch())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn arn(&self) -> String {
        format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{}", self.name)
    }

    /// The table as DescribeTable (`status` ACTIVE) or CreateTable (CREATING) answers it; an
    /// index still being backfilled makes an ACTIVE table UPDATING.
    pub fn description(&self, status: &str) -> Value {
        let definitions: Vec<Value> = self
            .definitions
            .iter()
            .map(|(name, kind)| json!({"AttributeName": name, "AttributeType": kind}))
            .collect();
        let (read, write) = self.provisioned.unwrap_or_default();
        let mut billing = json!({"BillingMode": "PROVISIONED"});
        if self.provisioned.is_none() {
            billing =
                json!({"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": self.created});
        }
        let updating = status == "ACTIVE" && self.indexes.iter().any(|index| !index.is_active());
        let mut description = json!({
            "TableName": self.name,
            "TableId": self.id,
            "TableArn": self.arn(),
            "TableStatus": if updating { "UPDATING" } else { status },
            "CreationDateTime": self.created,
            "KeySchema": self.schema.description(),
            "AttributeDefinitions": definitions,
            "ItemCount": self.items.len(),
            "TableSizeBytes": self.size_bytes,
            "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": read, "WriteCapacityUnits": write},
            "BillingModeSummary": billing,
            "DeletionProtectionEnabled": false,
        });
        if !self.indexes.is_empty() {
            let arn = self.arn();
            description["GlobalSecondaryIndexes"] = self
                .indexes
                .iter()
                .map(|index| {
                    let mut listed = index.description(&arn);
                    // A table being created has its indexes created with it.
                    if status == "CREATING" {
                        listed["IndexStatus"] = json!("CREATING");
                    }
                    listed
                })
                .collect();
        }
        description
    }

    /// The key a table query resumes after: one of this table, in the queried partition, and
    /// within the sort key condition.
    pub fn start_key(
        &self,
        start: &Map<String, Value>,
        partition: &Scalar,
        key_condition: &crate::dynamodb_expr::Condition,
    ) -> Result<PrimaryKey, AwsError> {
        let key = self.key_of(start).map_err(|error| {
            AwsError::validation(format!("The provided starting key is invalid: {}", error.message))
        })?;
        if key.0 != *partition {
            return Err(AwsError::validation(
                "The provided starting key is outside query boundaries based on provided conditions",
            ));
        }
        if !key_condition.matches(start) {
            return Err(AwsError::validation(
                "The provided starting key does not match the range key predicate",
            ));
        }
        Ok(key)
    }

    /// The items of one partition after `start` (before it, backwards), in sort key order or
    /// its reverse, read lazily: a page costs what it reads, not the partition.
    pub fn partition<'t>(
        &'t self,
        partition: &Scalar,
        forward: bool,
        start: Option<&PrimaryKey>,
    ) -> Box<dyn Iterator<Item = (&'t PrimaryKey, &'t Map<String, Value>)> + 't> {
        let first = (partition.clone(), None);
        let in_partition = {
            let partition = partition.clone();
            move |(key, _): &(&PrimaryKey, &Map<String, Value>)| key.0 == partition
        };
        if forward {
            let lower = start.map_or(Bound::Included(first), |start| Bound::Excluded(start.clone()));
            return Box::new(
                self.items
                    .range((lower, Bound::Unbounded))
                    .take_while(in_partition),
            );
        }
        let upper = match start {
            Some(start) => Bound::Excluded(start.clone()),
            None => match self.items.range(first.clone()..).take_while(&in_partition).last() {
                Some((last, _)) => Bound::Included(last.clone()),
                None => return Box::new(std::iter::empty()),
            },
        };
        Box::new(self.items.range((Bound::Included(first), upper)).rev())
    }
}

/// The capacity of a PROVISIONED table, or none for PAY_PER_REQUEST.
fn billing(input: &Value) -> Result<Option<(i64, i64)>, AwsError> {
    let throughput = input.get("ProvisionedThroughput");
    match (input.get("BillingMode").and_then(Value::as_str), throughput) {
        (Some("PAY_PER_REQUEST"), None) => Ok(None),
        (Some("PAY_PER_REQUEST"), Some(_)) => Err(invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        (None | Some("PROVISIONED"), _) => {
            let units = |name: &str| {
                throughput
                    .and_then(|throughput| throughput.get(name))
                    .and_then(Value::as_i64)
                    .filter(|units| *units >= 1)
            };
            match (units("ReadCapacityUnits"), units("WriteCapacityUnits")) {
                (Some(read), Some(write)) => Ok(Some((read, write))),
                _ => Err(invalid(
                    "ReadCapacityUnits and WriteCapacityUnits must both be specified (at least 1) when BillingMode is PROVISIONED",
                )),
            }
        }
        (Some(other), _) => Err(AwsError::validation(format!(
            "1 validation error detected: Value '{other}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
        ))),
    }
}

#[cfg(test)]
#[path = "dynamodb_table_tests.rs"]
mod tests;
