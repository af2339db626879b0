//! Text helpers for AWS fields with length limits.

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

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
