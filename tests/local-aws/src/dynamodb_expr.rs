//! DynamoDB's condition expression language, the part the emulator speaks. ConditionExpression,
//! FilterExpression and KeyConditionExpression are all written in it: top-level attributes by
//! name or `#name`, `:values`, `= <> < <= > >=`, `BETWEEN`, `IN`, `AND`, `OR`, `NOT`,
//! parentheses, and `attribute_exists`, `attribute_not_exists` and `begins_with`. Anything else
//! DynamoDB knows (document paths, `contains`, `size`, `attribute_type`) is answered with a
//! ValidationException saying it is not emulated, never guessed at.

mod parse;

use crate::dynamodb_item::{self, Scalar};
use crate::wire::AwsError;
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::BTreeSet;

pub use parse::parse;

/// What a comparison compares: a top-level attribute of the item, or a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Attribute(String),
    Value(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparator {
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Equal => "=",
            Self::NotEqual => "<>",
            Self::Less => "<",
            Self::LessOrEqual => "<=",
            Self::Greater => ">",
            Self::GreaterOrEqual => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    AttributeExists(String),
    AttributeNotExists(String),
    BeginsWith(Operand, Operand),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    /// Whether the item (empty when there is none) satisfies the condition. An operand naming
    /// a missing attribute makes every comparison false except `<>`, which DynamoDB defines as
    /// "not equal" and so holds for a missing attribute.
    pub fn matches(&self, item: &Map<String, Value>) -> bool {
        let resolve = |operand| resolve(operand, item);
        match self {
            Self::Compare(left, Comparator::NotEqual, right) => {
                !Self::Compare(left.clone(), Comparator::Equal, right.clone()).matches(item)
            }
            Self::Compare(left, comparator, right) => {
                let (Some(left), Some(right)) = (resolve(left), resolve(right)) else {
                    return false;
                };
                let order = || dynamodb_item::order(left, right);
                match comparator {
                    Comparator::Equal | Comparator::NotEqual => dynamodb_item::equal(left, right),
                    Comparator::Less => order() == Some(Ordering::Less),
                    Comparator::LessOrEqual => matches!(order(), Some(Ordering::Less | Ordering::Equal)),
                    Comparator::Greater => order() == Some(Ordering::Greater),
                    Comparator::GreaterOrEqual => {
                        matches!(order(), Some(Ordering::Greater | Ordering::Equal))
                    }
                }
            }
            Self::Between(operand, low, high) => match (resolve(operand), resolve(low), resolve(high)) {
                (Some(value), Some(low), Some(high)) => {
                    let at_most = |left, right| {
                        matches!(
                            dynamodb_item::order(left, right),
                            Some(Ordering::Less | Ordering::Equal)
                        )
                    };
                    at_most(low, value) && at_most(value, high)
                }
                _ => false,
            },
            Self::In(operand, candidates) => resolve(operand).is_some_and(|value| {
                candidates
                    .iter()
                    .filter_map(resolve)
                    .any(|candidate| dynamodb_item::equal(value, candidate))
            }),
            Self::AttributeExists(name) => item.contains_key(name),
            Self::AttributeNotExists(name) => !item.contains_key(name),
            Self::BeginsWith(operand, prefix) => {
                match (
                    resolve(operand).and_then(Scalar::of),
                    resolve(prefix).and_then(Scalar::of),
                ) {
                    (Some(value), Some(prefix)) => value.begins_with(&prefix),
                    _ => false,
                }
            }
            Self::And(left, right) => left.matches(item) && right.matches(item),
            Self::Or(left, right) => left.matches(item) || right.matches(item),
            Self::Not(inner) => !inner.matches(item),
        }
    }

    /// The attributes the condition reads.
    pub fn attributes(&self) -> BTreeSet<&str> {
        let mut names = BTreeSet::new();
        self.collect_attributes(&mut names);
        names
    }

    fn collect_attributes<'a>(&'a self, names: &mut BTreeSet<&'a str>) {
        let mut operand = |operand: &'a Operand| {
            if let Operand::Attribute(name) = operand {
                names.insert(name.as_str());
            }
        };
        match self {
            Self::Compare(left, _, right) | Self::BeginsWith(left, right) => {
                operand(left);
                operand(right);
            }
            Self::Between(value, low, high) => [value, low, high].into_iter().for_each(operand),
            Self::In(value, candidates) => std::iter::once(value).chain(candidates).for_each(operand),
            Self::AttributeExists(name) | Self::AttributeNotExists(name) => {
                names.insert(name.as_str());
            }
            Self::And(left, right) | Self::Or(left, right) => {
                left.collect_attributes(names);
                right.collect_attributes(names);
            }
            Self::Not(inner) => inner.collect_attributes(names),
        }
    }
}

fn resolve<'v>(operand: &'v Operand, item: &'v Map<String, Value>) -> Option<&'v Value> {
    match operand {
        Operand::Attribute(name) => item.get(name),
        Operand::Value(value) => Some(value),
    }
}

/// A request's ExpressionAttributeNames and ExpressionAttributeValues, and which of them its
/// expressions used: DynamoDB rejects a reference to an undefined one and a defined one that
/// no expression uses.
#[derive(Debug)]
pub struct Placeholders<'a> {
    names: Option<&'a Map<String, Value>>,
    values: Option<&'a Map<String, Value>>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
    /// Whether the request had any expression at all.
    parsed: bool,
}

impl<'a> Placeholders<'a> {
    pub fn from_request(input: &'a Value) -> Result<Self, AwsError> {
        let map = |parameter: &str| -> Result<Option<&'a Map<String, Value>>, AwsError> {
            match input.get(parameter) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Object(map)) if map.is_empty() => {
                    Err(AwsError::validation(format!("{parameter} must not be empty")))
                }
                Some(Value::Object(map)) => Ok(Some(map)),
                Some(_) => Err(AwsError::validation(format!("{parameter} must be a map"))),
            }
        };
        let (names, values) = (
            map("ExpressionAttributeNames")?,
            map("ExpressionAttributeValues")?,
        );
        for (placeholder, name) in names.into_iter().flatten() {
            if name.as_str().is_none_or(str::is_empty) {
                return Err(AwsError::validation(format!(
                    "ExpressionAttributeNames contains invalid value: Empty attribute name for key {placeholder}"
                )));
            }
        }
        for (placeholder, value) in values.into_iter().flatten() {
            dynamodb_item::validate(value).map_err(|error| {
                AwsError::validation(format!(
                    "ExpressionAttributeValues contains invalid value: {} for key {placeholder}",
                    error.message
                ))
            })?;
        }
        Ok(Self {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
            parsed: false,
        })
    }

    /// Checks, once every expression of the request is parsed, that each placeholder was used.
    pub fn finish(self) -> Result<(), AwsError> {
        for (parameter, defined, used) in [
            ("ExpressionAttributeNames", self.names, &self.used_names),
            ("ExpressionAttributeValues", self.values, &self.used_values),
        ] {
            let Some(defined) = defined else {
                continue;
            };
            if !self.parsed {
                return Err(AwsError::validation(format!(
                    "{parameter} can only be specified when using expressions"
                )));
            }
            let unused: Vec<&str> = defined
                .keys()
                .map(String::as_str)
                .filter(|key| !used.contains(*key))
                .collect();
            if !unused.is_empty() {
                return Err(AwsError::validation(format!(
                    "Value provided in {parameter} unused in expressions: keys: {{{}}}",
                    unused.join(", ")
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "dynamodb_expr_tests.rs"]
mod tests;
