//! Text helpers for AWS fields with length limits.

use serde::Serialize;

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
