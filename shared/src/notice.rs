//! Messages for people: what pipeguard did and why, published by `aws::sns` to email or chat.

use crate::text::truncate_chars;

/// SNS subjects are at most 100 characters of printable ASCII on one line.
const MAX_SUBJECT_CHARS: usize = 100;
/// SNS messages are at most 256 KB; staying well below leaves room for the envelope.
const MAX_BODY_CHARS: usize = 60_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub subject: String,
    pub body: String,
}

impl Notice {
    pub fn new(subject: &str, body: &str) -> Self {
        let mut printable: String = subject
            .chars()
            .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
            .collect();
        if printable.len() > MAX_SUBJECT_CHARS {
            printable.truncate(MAX_SUBJECT_CHARS - 3);
            printable.push_str("...");
        }
        Self {
            subject: printable,
            body: truncate_chars(body, MAX_BODY_CHARS),
        }
    }
}

#[cfg(test)]
#[path = "notice_tests.rs"]
mod tests;
