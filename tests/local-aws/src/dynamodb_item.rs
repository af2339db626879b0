//! DynamoDB attribute values in their JSON form (`{"S": ...}`, `{"N": "12"}`, ...): what makes
//! one valid, when two are equal, how scalars order (numbers numerically, strings and binaries
//! by bytes) and how large an item is.

use crate::wire::AwsError;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// DynamoDB's limit on an item, in bytes.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// A number as DynamoDB holds it: up to 38 significant digits, compared by value, so `1.0`
/// equals `1` and `10` is greater than `9`. The value is `0.digits × 10^exponent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    negative: bool,
    /// Significant digits, without leading or trailing zeros (none for zero).
    digits: Vec<u8>,
    exponent: i64,
}

impl Number {
    pub fn parse(text: &str) -> Result<Self, AwsError> {
        let invalid = || {
            AwsError::validation(format!(
                "The parameter cannot be converted to a numeric value: {text}"
            ))
        };
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, power) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, power)) => (mantissa, power.parse::<i64>().map_err(|_| invalid())?),
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = whole.bytes().chain(fraction.bytes());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits.clone().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let all: Vec<u8> = all_digits.map(|b| b - b'0').collect();
        let leading_zeros = all.iter().take_while(|digit| **digit == 0).count();
        let mut digits = all[leading_zeros..].to_vec();
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Ok(Self {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        if digits.len() > 38 {
            return Err(AwsError::validation(
                "Attempting to store more than 38 significant digits in a Number",
            ));
        }
        let exponent = whole.len() as i64 - leading_zeros as i64 + power;
        // DynamoDB's range: 1E-130 to 9.99...E+125 in magnitude.
        if exponent > 126 {
            return Err(AwsError::validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        if exponent < -129 {
            return Err(AwsError::validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ));
        }
        Ok(Self {
            negative,
            digits,
            exponent,
        })
    }

    fn sign(&self) -> i8 {
        match (self.digits.is_empty(), self.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }

    /// DynamoDB's size of a number: about one byte per two significant digits, plus one.
    fn size(&self) -> usize {
        self.digits.len().div_ceil(2) + 1
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let magnitude = || {
            self.exponent
                .cmp(&other.exponent)
                .then_with(|| self.digits.cmp(&other.digits))
        };
        match self.sign().cmp(&other.sign()) {
            Ordering::Equal if self.negative => magnitude().reverse(),
            Ordering::Equal => magnitude(),
            unequal => unequal,
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A scalar that keys and comparisons order: a string (by its UTF-8 bytes), a number (by value)
/// or a binary (by its bytes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scalar {
    S(String),
    N(Number),
    B(Vec<u8>),
}

impl Scalar {
    /// The scalar an attribute value holds, if it is an `S`, `N` or `B`.
    pub fn of(value: &Value) -> Option<Self> {
        let (kind, inner) = single(value)?;
        Self::member(kind, inner.as_str()?)
    }

    /// A scalar of the type `kind` (`S`, `N`, `B`, or a set type's member type) from its text.
    fn member(kind: &str, text: &str) -> Option<Self> {
        match kind {
            "S" | "SS" => Some(Self::S(text.to_owned())),
            "N" | "NS" => Number::parse(text).ok().map(Self::N),
            "B" | "BS" => decode_base64(text).map(Self::B),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::S(_) => "S",
            Self::N(_) => "N",
            Self::B(_) => "B",
        }
    }

    /// Whether it is empty, which a key may not be.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::S(text) => text.is_empty(),
            Self::N(_) => false,
            Self::B(bytes) => bytes.is_empty(),
        }
    }

    /// Whether `prefix` begins it: strings and binaries only, of the same type.
    pub fn begins_with(&self, prefix: &Self) -> bool {
        match (self, prefix) {
            (Self::S(text), Self::S(prefix)) => text.starts_with(prefix.as_str()),
            (Self::B(bytes), Self::B(prefix)) => bytes.starts_with(prefix),
            _ => false,
        }
    }
}

/// The type and content of an attribute value (`{"S": "x"}` is `("S", "x")`).
pub fn single(value: &Value) -> Option<(&str, &Value)> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    object.iter().next().map(|(kind, inner)| (kind.as_str(), inner))
}

/// How two values of the same scalar type order; `None` for anything else, which no
/// comparison but equality accepts.
pub fn order(left: &Value, right: &Value) -> Option<Ordering> {
    let (left, right) = (Scalar::of(left)?, Scalar::of(right)?);
    (left.kind() == right.kind()).then(|| left.cmp(&right))
}

/// DynamoDB's equality: same type and same value; numbers by value, sets in any order.
pub fn equal(left: &Value, right: &Value) -> bool {
    let (Some((left_kind, left_inner)), Some((right_kind, right_inner))) = (single(left), single(right))
    else {
        return false;
    };
    if left_kind != right_kind {
        return false;
    }
    match left_kind {
        "N" | "B" => Scalar::of(left).is_some_and(|scalar| Scalar::of(right) == Some(scalar)),
        "SS" | "NS" | "BS" => set_members(left_kind, left_inner).is_some_and(|mut left| {
            set_members(right_kind, right_inner).is_some_and(|mut right| {
                left.sort();
                right.sort();
                left == right
            })
        }),
        "L" => match (left_inner.as_array(), right_inner.as_array()) {
            (Some(left), Some(right)) => {
                left.len() == right.len() && left.iter().zip(right).all(|(l, r)| equal(l, r))
            }
            _ => false,
        },
        "M" => match (left_inner.as_object(), right_inner.as_object()) {
            (Some(left), Some(right)) => {
                left.len() == right.len()
                    && left
                        .iter()
                        .all(|(name, value)| right.get(name).is_some_and(|other| equal(value, other)))
            }
            _ => false,
        },
        _ => left_inner == right_inner,
    }
}

fn set_members(kind: &str, members: &Value) -> Option<Vec<Scalar>> {
    members
        .as_array()?
        .iter()
        .map(|member| Scalar::member(kind, member.as_str()?))
        .collect()
}

pub fn invalid(message: impl std::fmt::Display) -> AwsError {
    AwsError::validation(format!("One or more parameter values were invalid: {message}"))
}

/// Checks an attribute value as DynamoDB does before storing or comparing it.
pub fn validate(value: &Value) -> Result<(), AwsError> {
    let object = value
        .as_object()
        .filter(|object| !object.is_empty())
        .ok_or_else(|| {
            AwsError::validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            )
        })?;
    let Some((kind, inner)) = single(value) else {
        return Err(AwsError::validation(format!(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes: {}",
            object.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    };
    let malformed = || invalid(format!("malformed {kind} attribute value: {inner}"));
    match kind {
        "S" => inner.as_str().map(|_| ()).ok_or_else(malformed),
        "N" => Number::parse(inner.as_str().ok_or_else(malformed)?).map(|_| ()),
        "B" => inner
            .as_str()
            .and_then(decode_base64)
            .map(|_| ())
            .ok_or_else(malformed),
        "BOOL" => inner.as_bool().map(|_| ()).ok_or_else(malformed),
        "NULL" => match inner.as_bool() {
            Some(true) => Ok(()),
            _ => Err(invalid("Null attribute value types must have the value of true")),
        },
        "SS" | "NS" | "BS" => validate_set(kind, inner),
        "L" => inner
            .as_array()
            .ok_or_else(malformed)?
            .iter()
            .try_for_each(validate),
        "M" => inner
            .as_object()
            .ok_or_else(malformed)?
            .values()
            .try_for_each(validate),
        other => Err(AwsError::validation(format!(
            "Supplied AttributeValue has an unknown datatype: {other}"
        ))),
    }
}

fn validate_set(kind: &str, members: &Value) -> Result<(), AwsError> {
    let texts = members
        .as_array()
        .filter(|members| members.iter().all(Value::is_string))
        .ok_or_else(|| invalid(format!("malformed {kind} attribute value: {members}")))?;
    if texts.is_empty() {
        return Err(invalid(format!("An {kind} set may not be empty")));
    }
    if kind == "NS" {
        for text in texts.iter().filter_map(Value::as_str) {
            Number::parse(text)?;
        }
    }
    let mut scalars = set_members(kind, members)
        .ok_or_else(|| invalid(format!("malformed {kind} attribute value: {members}")))?;
    scalars.sort();
    if scalars.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(invalid(format!(
            "Input collection {members} contains duplicates."
        )));
    }
    Ok(())
}

/// Checks every attribute of an item.
pub fn validate_item(item: &Map<String, Value>) -> Result<(), AwsError> {
    if item.keys().any(String::is_empty) {
        return Err(invalid("An attribute name may not be empty"));
    }
    item.values().try_for_each(validate)
}

/// An item's size as DynamoDB counts it: attribute names plus values.
pub fn item_size(item: &Map<String, Value>) -> usize {
    item.iter().map(|(name, value)| attribute_size(name, value)).sum()
}

/// One attribute's share of an item's size: its name plus its value.
pub fn attribute_size(name: &str, value: &Value) -> usize {
    name.len() + value_size(value)
}

fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = single(value) else {
        return 0;
    };
    match (kind, inner) {
        ("L", Value::Array(items)) => 3 + items.iter().map(|item| 1 + value_size(item)).sum::<usize>(),
        ("M", Value::Object(map)) => {
            3 + map
                .iter()
                .map(|(name, v)| name.len() + 1 + value_size(v))
                .sum::<usize>()
        }
        ("BOOL" | "NULL", _) => 1,
        ("SS" | "NS" | "BS", members) => set_members(kind, members)
            .unwrap_or_default()
            .iter()
            .map(scalar_size)
            .sum(),
        _ => Scalar::of(value).as_ref().map_or(0, scalar_size),
    }
}

fn scalar_size(scalar: &Scalar) -> usize {
    match scalar {
        Scalar::S(text) => text.len(),
        Scalar::N(number) => number.size(),
        Scalar::B(bytes) => bytes.len(),
    }
}

/// Standard, padded base64, as the SDK sends binaries.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let unpadded = text
        .strip_suffix("==")
        .or_else(|| text.strip_suffix('='))
        .unwrap_or(text);
    let mut bytes = Vec::with_capacity(unpadded.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for symbol in unpadded.bytes() {
        let sextet = match symbol {
            b'A'..=b'Z' => symbol - b'A',
            b'a'..=b'z' => symbol - b'a' + 26,
            b'0'..=b'9' => symbol - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(bytes)
}

#[cfg(test)]
#[path = "dynamodb_item_tests.rs"]
mod tests;
