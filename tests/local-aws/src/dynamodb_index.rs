//! A global secondary index: its definition (CreateTable's `GlobalSecondaryIndexes`, or one
//! UpdateTable `Create`), its sparse entries (an item is in it only while it has every key
//! attribute of the index), its projection, and its status while it is backfilled.

use crate::dynamodb::missing;
use crate::dynamodb_item::{self, Scalar, invalid};
use crate::dynamodb_schema::{Definitions, KeySchema};
use crate::dynamodb_table::PrimaryKey;
use crate::state::now;
use crate::wire::AwsError;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

/// An index's own key: its partition key value and its sort key value, if it has a sort key.
pub type IndexKey = (Scalar, Option<Scalar>);

/// Where an entry stands in its index partition: by the index's sort key, then the table's key
/// (DynamoDB's order for items with equal index keys).
pub type Position = (Option<Scalar>, PrimaryKey);

/// Which attributes an index holds besides the keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

#[derive(Debug)]
pub struct Index {
    pub name: String,
    pub schema: KeySchema,
    pub projection: Projection,
    /// Read and write capacity when the table is PROVISIONED.
    provisioned: Option<(i64, i64)>,
    /// When its backfill ends and it becomes ACTIVE (epoch seconds).
    active_at: f64,
    /// The table keys of the items in it, by index partition.
    entries: BTreeMap<Scalar, BTreeSet<Position>>,
    count: usize,
    /// The size of its entries, kept as they change, so DescribeTable costs no scan.
    size_bytes: usize,
}

/// DynamoDB's names for tables and indexes: 3 to 255 of `[a-zA-Z0-9_.-]`.
pub fn check_name(name: &str, parameter: &str) -> Result<(), AwsError> {
    let constraint = if !(3..=255).contains(&name.len()) {
        "Member must have length between 3 and 255"
    } else if !name
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b"_.-".contains(&byte))
    {
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    } else {
        return Ok(());
    };
    Err(AwsError::validation(format!(
        "1 validation error detected: Value '{name}' at '{parameter}' failed to satisfy constraint: {constraint}"
    )))
}

impl Index {
    /// One index as CreateTable's `GlobalSecondaryIndexes` or UpdateTable's `Create` gives it;
    /// `provisioned_table` says whether the table is PROVISIONED, which the index must follow.
    pub fn define(
        spec: &Value,
        definitions: &Definitions,
        provisioned_table: bool,
        active_at: f64,
    ) -> Result<Self, AwsError> {
        let fields = spec
            .as_object()
            .ok_or_else(|| missing("globalSecondaryIndexes.member"))?;
        if let Some(unknown) = fields.keys().find(|field| {
            !["IndexName", "KeySchema", "Projection", "ProvisionedThroughput"].contains(&field.as_str())
        }) {
            return Err(AwsError::validation(format!(
                "GlobalSecondaryIndexes: the parameter {unknown} is not emulated by local-aws"
            )));
        }
        let name = spec
            .get("IndexName")
            .and_then(Value::as_str)
            .ok_or_else(|| missing("globalSecondaryIndexes.member.indexName"))?;
        check_name(name, "globalSecondaryIndexes.member.indexName")?;
        let schema = KeySchema::parse(
            spec.get("KeySchema"),
            "globalSecondaryIndexes.member.keySchema",
            definitions,
        )?;
        let projection = spec
            .get("Projection")
            .ok_or_else(|| missing("globalSecondaryIndexes.member.projection"))?;
        let non_key = projection.get("NonKeyAttributes");
        let projection = match (projection.get("ProjectionType").and_then(Value::as_str), non_key) {
            (Some("ALL"), None) => Projection::All,
            (Some("KEYS_ONLY"), None) => Projection::KeysOnly,
            (Some("INCLUDE"), Some(Value::Array(names))) if !names.is_empty() => Projection::Include(
                names
                    .iter()
                    .map(|name| name.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| invalid("NonKeyAttributes must be attribute names"))?,
            ),
            (Some("INCLUDE"), _) => {
                return Err(invalid(
                    "NonKeyAttributes must be specified when ProjectionType is INCLUDE",
                ));
            }
            (Some(kind @ ("ALL" | "KEYS_ONLY")), Some(_)) => {
                return Err(invalid(format!(
                    "ProjectionType is {kind}, but NonKeyAttributes is specified"
                )));
            }
            (other, _) => {
                return Err(AwsError::validation(format!(
                    "1 validation error detected: Value '{}' at 'globalSecondaryIndexes.member.projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]",
                    other.unwrap_or("null")
                )));
            }
        };
        let units = |field: &str| {
            spec.get("ProvisionedThroughput")
                .and_then(|throughput| throughput.get(field))
                .and_then(Value::as_i64)
                .filter(|units| *units >= 1)
        };
        let provisioned = match (provisioned_table, spec.get("ProvisionedThroughput")) {
            (false, None) => None,
            (false, Some(_)) => {
                return Err(invalid(format!(
                    "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
                )));
            }
            (true, _) => match (units("ReadCapacityUnits"), units("WriteCapacityUnits")) {
                (Some(read), Some(write)) => Some((read, write)),
                _ => {
                    return Err(invalid(format!(
                        "ProvisionedThroughput is not specified for index: {name}"
                    )));
                }
            },
        };
        Ok(Self {
            name: name.to_owned(),
            schema,
            projection,
            provisioned,
            active_at,
            entries: BTreeMap::new(),
            count: 0,
            size_bytes: 0,
        })
    }

    pub fn is_active(&self) -> bool {
        now() >= self.active_at
    }

    /// The index key of an item; `None` when it lacks one of the index's key attributes, so it
    /// is not in this sparse index. A key attribute of the wrong type, or an empty string or
    /// binary, DynamoDB refuses for the whole write.
    pub fn key_of(&self, item: &Map<String, Value>) -> Result<Option<IndexKey>, AwsError> {
        let mut scalars = Vec::with_capacity(2);
        for attribute in self.schema.attributes() {
            let Some(value) = item.get(&attribute.name) else {
                return Ok(None);
            };
            let scalar = Scalar::of(value).filter(|scalar| scalar.kind() == attribute.kind);
            let scalar = scalar.ok_or_else(|| {
                let actual = dynamodb_item::single(value).map_or("?", |(kind, _)| kind);
                invalid(format!(
                    "Type mismatch for Index Key {} Expected: {} Actual: {actual} IndexName: {}",
                    attribute.name, attribute.kind, self.name
                ))
            })?;
            if scalar.is_empty() {
                return Err(AwsError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {}, IndexKey: {}",
                    self.name, attribute.name
                )));
            }
            scalars.push(scalar);
        }
        let mut scalars = scalars.into_iter();
        Ok(scalars.next().map(|hash| (hash, scalars.next())))
    }

    /// Adds the entry of an item, of `size` bytes as it projects them.
    pub fn insert(&mut self, (hash, range): IndexKey, table_key: PrimaryKey, size: usize) {
        if self.entries.entry(hash).or_default().insert((range, table_key)) {
            self.count += 1;
            self.size_bytes += size;
        }
    }

    /// Removes the entry of an item, of `size` bytes as it projected them.
    pub fn remove(&mut self, (hash, range): IndexKey, table_key: PrimaryKey, size: usize) {
        let Some(partition) = self.entries.get_mut(&hash) else {
            return;
        };
        if partition.remove(&(range, table_key)) {
            self.count -= 1;
            self.size_bytes -= size;
        }
        if partition.is_empty() {
            self.entries.remove(&hash);
        }
    }

    /// The entries of one index partition after `start` (before it, backwards), in index
    /// order or its reverse, read lazily.
    pub fn partition<'i>(
        &'i self,
        partition: &Scalar,
        forward: bool,
        start: Option<&Position>,
    ) -> Box<dyn Iterator<Item = &'i Position> + 'i> {
        let Some(entries) = self.entries.get(partition) else {
            return Box::new(std::iter::empty());
        };
        let after = start.map_or(Bound::Unbounded, |start| Bound::Excluded(start.clone()));
        if forward {
            Box::new(entries.range((after, Bound::Unbounded)))
        } else {
            Box::new(entries.range((Bound::Unbounded, after)).rev())
        }
    }

    /// Whether the index holds this attribute of its items: the table's and the index's keys,
    /// and the projected attributes.
    fn holds(&self, name: &str, table: &KeySchema) -> bool {
        let projected = match &self.projection {
            Projection::All => true,
            Projection::KeysOnly => false,
            Projection::Include(names) => names.iter().any(|kept| kept == name),
        };
        projected
            || table.attributes().any(|key| key.name == name)
            || self.schema.attributes().any(|key| key.name == name)
    }

    /// What the index holds of an item.
    pub fn project(&self, item: &Map<String, Value>, table: &KeySchema) -> Map<String, Value> {
        item.iter()
            .filter(|(name, _)| self.holds(name, table))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// The size of what the index holds of an item, without a copy of it.
    pub fn projected_size(&self, item: &Map<String, Value>, table: &KeySchema) -> usize {
        item.iter()
            .filter(|(name, _)| self.holds(name, table))
            .map(|(name, value)| dynamodb_item::attribute_size(name, value))
            .sum()
    }

    /// The index as DescribeTable lists it.
    pub fn description(&self, table_arn: &str) -> Value {
        let projection = match &self.projection {
            Projection::All => json!({"ProjectionType": "ALL"}),
            Projection::KeysOnly => json!({"ProjectionType": "KEYS_ONLY"}),
            Projection::Include(names) => json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": names}),
        };
        let (read, write) = self.provisioned.unwrap_or_default();
        let mut description = json!({
            "IndexName": self.name,
            "KeySchema": self.schema.description(),
            "Projection": projection,
            "IndexStatus": if self.is_active() { "ACTIVE" } else { "CREATING" },
            "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": read, "WriteCapacityUnits": write},
            "IndexSizeBytes": self.size_bytes,
            "ItemCount": self.count,
            "IndexArn": format!("{table_arn}/index/{}", self.name),
        });
        if !self.is_active() {
            description["Backfilling"] = json!(true);
        }
        description
    }
}
