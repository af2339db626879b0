//! A DynamoDB table: its definition as CreateTable gives it, its key schema, how requests name
//! keys and key conditions against it, its description, and its items in primary-key order.

use crate::dynamodb::missing;
use crate::dynamodb_expr::{Comparator, Condition, Operand};
use crate::dynamodb_item::{self, Scalar, invalid};
use crate::state::{ACCOUNT, REGION, now};
use crate::wire::AwsError;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A table's primary key: the partition (hash) key, and the sort (range) key if it has one.
pub type PrimaryKey = (Scalar, Option<Scalar>);

/// A key attribute: its name and scalar type (`S`, `N` or `B`).
#[derive(Debug, Clone)]
struct KeyAttribute {
    name: String,
    kind: String,
}

#[derive(Debug)]
pub struct Table {
    name: String,
    id: String,
    hash: KeyAttribute,
    range: Option<KeyAttribute>,
    /// Read and write capacity for a PROVISIONED table; none when it is PAY_PER_REQUEST.
    provisioned: Option<(i64, i64)>,
    created: f64,
    /// The items, each as the JSON it came in.
    pub items: BTreeMap<PrimaryKey, Map<String, Value>>,
}

impl Table {
    /// A table as CreateTable defines it, checked as DynamoDB checks it.
    pub fn define(name: &str, input: &Value, id: String) -> Result<Self, AwsError> {
        let definitions = input
            .get("AttributeDefinitions")
            .and_then(Value::as_array)
            .ok_or_else(|| missing("attributeDefinitions"))?;
        let mut types = BTreeMap::new();
        for definition in definitions {
            let (Some(attribute), Some(kind)) = (
                definition.get("AttributeName").and_then(Value::as_str),
                definition.get("AttributeType").and_then(Value::as_str),
            ) else {
                return Err(missing("attributeDefinitions.member.attributeName"));
            };
            if !["S", "N", "B"].contains(&kind) {
                return Err(AwsError::validation(format!(
                    "1 validation error detected: Value '{kind}' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"
                )));
            }
            if types.insert(attribute, kind).is_some() {
                return Err(AwsError::validation(
                    "Cannot have two attributes with the same name",
                ));
            }
        }
        let schema = input
            .get("KeySchema")
            .and_then(Value::as_array)
            .ok_or_else(|| missing("keySchema"))?;
        let elements: Vec<(&str, &str)> = schema
            .iter()
            .map(|element| {
                Some((
                    element.get("AttributeName")?.as_str()?,
                    element.get("KeyType")?.as_str()?,
                ))
            })
            .collect::<Option<_>>()
            .ok_or_else(|| missing("keySchema.member.attributeName"))?;
        let (hash, range) = match elements.as_slice() {
            [(hash, "HASH")] => (*hash, None),
            [(hash, "HASH"), (range, "RANGE")] if hash == range => {
                return Err(invalid(
                    "Both the Hash Key and the Range Key element in the KeySchema have the same name",
                ));
            }
            [(hash, "HASH"), (range, "RANGE")] => (*hash, Some(*range)),
            [] | [_, _, _, ..] => {
                return Err(AwsError::validation(
                    "1 validation error detected: Value at 'keySchema' failed to satisfy constraint: Member must have length between 1 and 2",
                ));
            }
            [(_, "HASH"), _] => {
                return Err(AwsError::validation(
                    "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                ));
            }
            _ => {
                return Err(AwsError::validation(
                    "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
                ));
            }
        };
        let key_attribute = |attribute: &str| {
            let kind = types.get(attribute).ok_or_else(|| {
                invalid(format!(
                    "Some index key attributes are not defined in AttributeDefinitions. Keys: [{attribute}], AttributeDefinitions: [{}]",
                    types.keys().copied().collect::<Vec<_>>().join(", ")
                ))
            })?;
            Ok::<_, AwsError>(KeyAttribute {
                name: attribute.to_owned(),
                kind: (*kind).to_owned(),
            })
        };
        let (hash, range) = (key_attribute(hash)?, range.map(key_attribute).transpose()?);
        if types.len() != 1 + usize::from(range.is_some()) {
            return Err(invalid(
                "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            hash,
            range,
            provisioned: billing(input)?,
            created: now(),
            items: BTreeMap::new(),
        })
    }

    fn key_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.hash).chain(&self.range)
    }

    /// The primary key of an item being written.
    pub fn key_of_item(&self, item: &Map<String, Value>) -> Result<PrimaryKey, AwsError> {
        let mut pieces = self.key_attributes().map(|attribute| {
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
        if key.len() != self.key_attributes().count() {
            return Err(mismatch());
        }
        self.key_of_item(key).map_err(|_| mismatch())
    }

    /// The key attributes of an item, as `LastEvaluatedKey` gives them.
    pub fn key_item(&self, item: &Map<String, Value>) -> Map<String, Value> {
        self.key_attributes()
            .filter_map(|attribute| Some((attribute.name.clone(), item.get(&attribute.name)?.clone())))
            .collect()
    }

    pub fn description(&self, status: &str) -> Value {
        let mut key_schema = vec![json!({"AttributeName": self.hash.name, "KeyType": "HASH"})];
        let mut definitions = vec![json!({"AttributeName": self.hash.name, "AttributeType": self.hash.kind})];
        if let Some(range) = &self.range {
            key_schema.push(json!({"AttributeName": range.name, "KeyType": "RANGE"}));
            definitions.push(json!({"AttributeName": range.name, "AttributeType": range.kind}));
        }
        let (read, write) = self.provisioned.unwrap_or_default();
        let mut billing = json!({"BillingMode": "PROVISIONED"});
        if self.provisioned.is_none() {
            billing =
                json!({"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": self.created});
        }
        json!({
            "TableName": self.name,
            "TableId": self.id,
            "TableArn": format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{}", self.name),
            "TableStatus": status,
            "CreationDateTime": self.created,
            "KeySchema": key_schema,
            "AttributeDefinitions": definitions,
            "ItemCount": self.items.len(),
            "TableSizeBytes": self.items.values().map(dynamodb_item::item_size).sum::<usize>(),
            "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": read, "WriteCapacityUnits": write},
            "BillingModeSummary": billing,
            "DeletionProtectionEnabled": false,
        })
    }

    /// Checks a KeyConditionExpression against the key schema and returns the partition it
    /// reads: equality on the partition key, and at most one condition on the sort key.
    pub fn partition_of(&self, condition: &Condition) -> Result<Scalar, AwsError> {
        let mut conjuncts = Vec::new();
        conjunction(condition, &mut conjuncts);
        if conjuncts.len() > 2 {
            return Err(AwsError::validation("Conditions can be of length 1 or 2 only"));
        }
        let unsupported = |operator: &str| {
            AwsError::validation(format!(
                "Invalid operator used in KeyConditionExpression: {operator}"
            ))
        };
        let (mut hash, mut range_seen) = (None, false);
        for conjunct in conjuncts {
            let (attribute, operator, values) = match conjunct {
                Condition::Compare(Operand::Attribute(attribute), comparator, Operand::Value(value))
                    if *comparator != Comparator::NotEqual =>
                {
                    (attribute, comparator.symbol(), vec![value])
                }
                Condition::Between(
                    Operand::Attribute(attribute),
                    Operand::Value(low),
                    Operand::Value(high),
                ) => (attribute, "BETWEEN", vec![low, high]),
                Condition::BeginsWith(Operand::Attribute(attribute), Operand::Value(prefix)) => {
                    (attribute, "begins_with", vec![prefix])
                }
                Condition::Or(..) => return Err(unsupported("OR")),
                Condition::Not(_) => return Err(unsupported("NOT")),
                Condition::In(..) => return Err(unsupported("IN")),
                Condition::Compare(_, Comparator::NotEqual, _) => return Err(unsupported("<>")),
                Condition::AttributeExists(_) => return Err(unsupported("attribute_exists")),
                Condition::AttributeNotExists(_) => return Err(unsupported("attribute_not_exists")),
                _ => return Err(AwsError::validation("Query key condition not supported")),
            };
            let key = self
                .key_attributes()
                .find(|key| key.name == *attribute)
                .ok_or_else(|| {
                    AwsError::validation(format!(
                        "Query key condition not supported: {attribute} is not a key attribute of {}",
                        self.name
                    ))
                })?;
            if values
                .iter()
                .any(|value| dynamodb_item::single(value).map(|(kind, _)| kind) != Some(key.kind.as_str()))
            {
                return Err(invalid("Condition parameter type does not match schema type"));
            }
            let repeated =
                || AwsError::validation("KeyConditionExpressions must only contain one condition per key");
            if key.name == self.hash.name {
                if operator != "=" {
                    return Err(AwsError::validation("Query key condition not supported"));
                }
                if hash.is_some() {
                    return Err(repeated());
                }
                hash = values.first().and_then(|value| Scalar::of(value));
            } else {
                if range_seen {
                    return Err(repeated());
                }
                if operator == "begins_with" && key.kind == "N" {
                    return Err(AwsError::validation(
                        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                    ));
                }
                range_seen = true;
            }
        }
        hash.ok_or_else(|| {
            AwsError::validation(format!(
                "Query condition missed key schema element: {}",
                self.hash.name
            ))
        })
    }
}

impl Table {
    /// DynamoDB filters only on attributes outside the primary key.
    pub fn check_filter(&self, filter: &Condition) -> Result<(), AwsError> {
        let read = filter.attributes();
        match self.key_attributes().find(|key| read.contains(key.name.as_str())) {
            Some(key) => Err(AwsError::validation(format!(
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
                key.name
            ))),
            None => Ok(()),
        }
    }

    /// The key a query resumes after: one of this table, in the queried partition, and within
    /// the sort key condition.
    pub fn start_key(
        &self,
        start: &Map<String, Value>,
        partition: &Scalar,
        key_condition: &Condition,
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

    /// The items of one partition, in sort key order or its reverse.
    pub fn partition(&self, partition: &Scalar, forward: bool) -> Vec<(&PrimaryKey, &Map<String, Value>)> {
        let mut items: Vec<_> = self
            .items
            .range((partition.clone(), None)..)
            .take_while(|(key, _)| key.0 == *partition)
            .collect();
        if !forward {
            items.reverse();
        }
        items
    }
}

/// The conditions joined by `AND` at the top of a condition.
fn conjunction<'c>(condition: &'c Condition, conjuncts: &mut Vec<&'c Condition>) {
    match condition {
        Condition::And(left, right) => {
            conjunction(left, conjuncts);
            conjunction(right, conjuncts);
        }
        other => conjuncts.push(other),
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
