//! A key schema, a table's or a global secondary index's: its partition (hash) key and optional
//! sort (range) key, how CreateTable and UpdateTable name them, and how a KeyConditionExpression
//! is checked against them.

use crate::dynamodb::missing;
use crate::dynamodb_expr::{Comparator, Condition, Operand};
use crate::dynamodb_item::{self, Scalar, invalid};
use crate::wire::AwsError;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A key attribute: its name and scalar type (`S`, `N` or `B`).
#[derive(Debug, Clone)]
pub struct KeyAttribute {
    pub name: String,
    pub kind: String,
}

/// The attribute types AttributeDefinitions declares, by attribute name.
pub type Definitions = BTreeMap<String, String>;

/// A partition key and an optional sort key.
#[derive(Debug, Clone)]
pub struct KeySchema {
    pub hash: KeyAttribute,
    pub range: Option<KeyAttribute>,
}

impl KeySchema {
    /// A `KeySchema` parameter (`parameter` as DynamoDB's errors name it), each attribute
    /// declared in `definitions`.
    pub fn parse(
        schema: Option<&Value>,
        parameter: &str,
        definitions: &Definitions,
    ) -> Result<Self, AwsError> {
        let schema = schema
            .and_then(Value::as_array)
            .ok_or_else(|| missing(parameter))?;
        let elements: Vec<(&str, &str)> = schema
            .iter()
            .map(|element| {
                Some((
                    element.get("AttributeName")?.as_str()?,
                    element.get("KeyType")?.as_str()?,
                ))
            })
            .collect::<Option<_>>()
            .ok_or_else(|| missing(&format!("{parameter}.member.attributeName")))?;
        let (hash, range) = match elements.as_slice() {
            [(hash, "HASH")] => (*hash, None),
            [(hash, "HASH"), (range, "RANGE")] if hash == range => {
                return Err(invalid(
                    "Both the Hash Key and the Range Key element in the KeySchema have the same name",
                ));
            }
            [(hash, "HASH"), (range, "RANGE")] => (*hash, Some(*range)),
            [] | [_, _, _, ..] => {
                return Err(AwsError::validation(format!(
                    "1 validation error detected: Value at '{parameter}' failed to satisfy constraint: Member must have length between 1 and 2"
                )));
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
            let kind = definitions.get(attribute).ok_or_else(|| {
                invalid(format!(
                    "Some index key attributes are not defined in AttributeDefinitions. Keys: [{attribute}], AttributeDefinitions: [{}]",
                    definitions.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
            Ok::<_, AwsError>(KeyAttribute {
                name: attribute.to_owned(),
                kind: kind.clone(),
            })
        };
        Ok(Self {
            hash: key_attribute(hash)?,
            range: range.map(key_attribute).transpose()?,
        })
    }

    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.hash).chain(&self.range)
    }

    /// The schema as DescribeTable gives it.
    pub fn description(&self) -> Vec<Value> {
        let mut schema = vec![json!({"AttributeName": self.hash.name, "KeyType": "HASH"})];
        if let Some(range) = &self.range {
            schema.push(json!({"AttributeName": range.name, "KeyType": "RANGE"}));
        }
        schema
    }

    /// The key attributes of an item that has them, as `LastEvaluatedKey` gives them.
    pub fn key_item(&self, item: &Map<String, Value>) -> Map<String, Value> {
        self.attributes()
            .filter_map(|attribute| Some((attribute.name.clone(), item.get(&attribute.name)?.clone())))
            .collect()
    }

    /// Checks a KeyConditionExpression against this schema (`owner` names the table or index
    /// in errors) and returns the partition it reads: equality on the partition key, and at
    /// most one condition on the sort key.
    pub fn partition_of(&self, condition: &Condition, owner: &str) -> Result<Scalar, AwsError> {
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
                .attributes()
                .find(|key| key.name == *attribute)
                .ok_or_else(|| {
                    AwsError::validation(format!(
                        "Query key condition not supported: {attribute} is not a key attribute of {owner}"
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

    /// DynamoDB filters only on attributes outside the key being queried.
    pub fn check_filter(&self, filter: &Condition) -> Result<(), AwsError> {
        let read = filter.attributes();
        match self.attributes().find(|key| read.contains(key.name.as_str())) {
            Some(key) => Err(AwsError::validation(format!(
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
                key.name
            ))),
            None => Ok(()),
        }
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

/// AttributeDefinitions, checked: each an `S`, `N` or `B`, no name twice.
pub fn definitions(input: &Value) -> Result<Definitions, AwsError> {
    let given = input
        .get("AttributeDefinitions")
        .and_then(Value::as_array)
        .ok_or_else(|| missing("attributeDefinitions"))?;
    let mut types = Definitions::new();
    for definition in given {
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
        if types.insert(attribute.to_owned(), kind.to_owned()).is_some() {
            return Err(AwsError::validation(
                "Cannot have two attributes with the same name",
            ));
        }
    }
    Ok(types)
}
