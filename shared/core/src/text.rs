//! Text helpers for AWS fields with length limits, and for printing text from outside.

use serde::Serialize;
use std::borrow::Cow;

/// What ends a text that was cut.
pub const TRUNCATION_MARK: &str = "… [truncated]";

/// Cuts `text` to at most `max_chars` characters (AWS counts characters, not bytes), ending
/// with a visible mark when anything was cut. Cutting on a `char` keeps the UTF-8 valid.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mark_len = TRUNCATION_MARK.chars().count();
    if max_chars <= mark_len {
        return text.chars().take(max_chars).collect();
    }
    let mut cut: String = text.chars().take(max_chars - mark_len).collect();
    cut.push_str(TRUNCATION_MARK);
    cut
}

/// `text` with every control character escaped (`\n`, `\t`, `\r`, others as `\u{1b}`), for
/// every printer of text pipeguard did not write itself (freezes' reasons and authors, pipeline
/// names, AWS Health descriptions, AWS's error messages): no escape sequence it holds reaches a
/// terminal or a notice, and no line break in it forges a line of its own.
pub fn printable(text: &str) -> Cow<'_, str> {
    escaped(text, false)
}

/// `text` as `printable` makes it, but for its line breaks, which stay: for the error output of
/// a build or a deploy quoted whole in a notice, where its lines are for reading.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escaped(text, true)
}

fn escaped(text: &str, keep_lines: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && !(keep_lines && c == '\n')) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' if keep_lines => escaped.push('\n'),
            '\n' => escaped.push_str("\\n"),
            '\t' => escaped.push_str("\\t"),
            '\r' => escaped.push_str("\\r"),
            c if c.is_control() => escaped.extend(c.escape_unicode()),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// A JSON text with the control characters JSON lets stand in its strings (DEL and the C1
/// controls, U+007F to U+009F: U+009B begins an escape sequence on some terminals) written as
/// `\u` escapes, which read back the same; serde escapes the others.
pub fn json_printable(json: &str) -> Cow<'_, str> {
    if !json.chars().any(char::is_control) {
        return Cow::Borrowed(json);
    }
    let mut escaped = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if ('\u{7f}'..='\u{9f}').contains(&c) {
            escaped.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

/// `value` as JSON, put into its line by `line`, in at most `max_chars` characters:
/// `drop_one` takes something from the value (and says whether it could) until the line fits or
/// nothing is left to take, for the fields of AWS's answers that machines read back (the gate's
/// continuation token, the hold marker).
pub fn json_within<T: Serialize + Clone>(
    value: &T,
    max_chars: usize,
    line: impl Fn(String) -> String,
    mut drop_one: impl FnMut(&mut T) -> bool,
) -> String {
    let mut value = value.clone();
    loop {
        // A value of strings, numbers and lists always serializes.
        let text = line(serde_json::to_string(&value).unwrap_or_default());
        if text.chars().count() <= max_chars || !drop_one(&mut value) {
            return text;
        }
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
