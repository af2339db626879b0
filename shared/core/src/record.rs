//! What the records people write in the stack's table (freezes, overrides) share: their items'
//! attributes as the table typed them and how one is read, and the spans and times people give
//! on the command line (`--for 2h`, `--until 2026-12-01T18:00:00Z`), each record kind setting its
//! own bounds.

use chrono::DateTime;
use std::collections::HashMap;

/// The longest a reason may be: enough for an incident title and a link.
pub const MAX_REASON_CHARS: usize = 500;

/// One attribute of a record's item, as the table typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// A string.
    Text(String),
    /// A number, as DynamoDB writes it.
    Number(String),
    /// A list.
    List(Vec<Attribute>),
    /// Any other type (a map, a set, a boolean, binary, null).
    Other,
}

/// A record's item but for its key: attributes by name.
pub type Item = HashMap<String, Attribute>;

/// The text attribute `name`: one line, not empty; None when it is missing and not `required`.
pub(crate) fn text_attribute(item: &Item, name: &str, required: bool) -> Result<Option<String>, String> {
    match item.get(name) {
        None if required => Err(format!("{name} is missing")),
        None => Ok(None),
        Some(Attribute::Text(text)) => one_line(name, text).map(|()| Some(text.clone())),
        Some(_) => Err(format!("{name} is not a string")),
    }
}

/// Whether `text` is one line of text, not empty, `name` saying which in the error.
pub(crate) fn one_line(name: &str, text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        Err(format!("{name} is empty"))
    } else if text.chars().any(char::is_control) {
        Err(format!("{name} has control characters"))
    } else {
        Ok(())
    }
}

/// The number attribute `name` in whole seconds; None when it is missing and not `required`.
pub(crate) fn whole_attribute(item: &Item, name: &str, required: bool) -> Result<Option<i64>, String> {
    match item.get(name) {
        None if required => Err(format!("{name} is missing")),
        None => Ok(None),
        Some(Attribute::Number(number)) => number
            .parse()
            .map(Some)
            .map_err(|_| format!("{name} is not a whole number of seconds")),
        Some(_) => Err(format!("{name} is not a number")),
    }
}

/// Seconds in `90m`, `2h`, `1d`, `1h30m`: whole numbers of days, hours and minutes, largest
/// first, each unit once; why not, when it is not one.
pub fn parse_span(text: &str) -> Result<i64, &'static str> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("it is empty");
    }
    let units = [('d', 24 * 3600), ('h', 3600), ('m', 60)];
    let mut next_unit = 0;
    let mut seconds: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err("each part is a number and a unit: d, h or m");
        }
        let number: i64 = rest[..digits].parse().map_err(|_| "the number is too large")?;
        let unit = rest[digits..]
            .chars()
            .next()
            .ok_or("a number needs a unit: d, h or m")?;
        let position = units[next_unit..]
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or("units are d, h and m, largest first, each once")?;
        let (_, per_unit) = units[next_unit + position];
        seconds = number
            .checked_mul(per_unit)
            .and_then(|part| seconds.checked_add(part))
            .ok_or("it is too long")?;
        next_unit += position + 1;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Ok(seconds)
}

/// Seconds since the Unix epoch of an RFC 3339 time (`2026-12-01T18:00:00Z`,
/// `2026-12-01T19:00:00+01:00`), given as `--until`.
pub fn parse_until(text: &str) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|time| time.timestamp())
        .map_err(|error| {
            format!("--until `{text}` is not an RFC 3339 time such as 2026-12-01T18:00:00Z ({error})")
        })
}

/// Whether `reason` is one a record may give: not blank (`when_blank` says why one is needed),
/// one line without control characters, at most 500 characters.
pub(crate) fn check_reason(reason: &str, when_blank: &str) -> Result<(), String> {
    if reason.trim().is_empty() {
        return Err(when_blank.to_owned());
    }
    if reason.chars().any(char::is_control) {
        return Err("the reason must be one line of text, without control characters".into());
    }
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(format!(
            "the reason is {chars} characters; at most {MAX_REASON_CHARS}"
        ));
    }
    Ok(())
}
