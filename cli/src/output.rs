//! How the command line prints: each command's answer is one `Report`, which `emit` prints as
//! one line of JSON for machines (its shape documented in docs/cli-json.md) or as text for
//! people; colour only on a terminal and never with `NO_COLOR`, tables that line up; text from
//! outside (AWS, the table, events) never with a control character in it
//! (`pipeguard_core::text`).

use crate::ended::Problem;
use pipeguard_core::text::{json_printable, printable};
use serde::Serialize;
use serde_json::Value;
use std::io::IsTerminal;

/// A command's answer: with `--json` its serialization, else its text.
pub trait Report: Serialize {
    /// For people: the answer's lines on standard output (none when there is nothing to say),
    /// painted when `colour`.
    fn text(&self, colour: bool) -> String;

    /// For people: what went wrong, on standard error; the JSON carries it in the answer.
    fn problems(&self) -> &[String] {
        &[]
    }
}

/// Prints a command's answer: one line of JSON when `json`, else its text and its problems.
pub fn emit(report: &impl Report, json: bool) -> Result<(), Problem> {
    if json {
        let value = serde_json::to_value(report)
            .map_err(|error| Problem::Failed(format!("the answer could not be written as JSON: {error}")))?;
        println!("{}", json_line(&sorted(value)));
        return Ok(());
    }
    let text = report.text(colour_enabled());
    if !text.is_empty() {
        println!("{text}");
    }
    for problem in report.problems() {
        eprintln!("pipeguard: {}", printable(problem));
    }
    Ok(())
}

/// `value` with every object's keys in alphabetical order, so that every answer's keys come in
/// one order whatever the order of its fields, and whichever map serde_json was built with (a
/// crate of the same build may turn on its `preserve_order`, which keeps insertion order).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(String, Value)> = object.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.cmp(b));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, sorted(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// `value` as one line of JSON with no control character in it, for every JSON answer.
fn json_line(value: &Value) -> String {
    json_printable(&value.to_string()).into_owned()
}

/// A table on a terminal; JSON when asked for, or when the output is not a terminal, unless a
/// table is asked for.
pub fn wants_table(json: bool, table: bool) -> bool {
    !json && (table || std::io::stdout().is_terminal())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Waiting,
    Plain,
}

/// Colour on a terminal whose user did not set `NO_COLOR` (https://no-color.org).
fn colour_enabled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

pub fn paint(text: &str, tone: Tone, colour: bool) -> String {
    let code = match tone {
        Tone::Good => "32",
        Tone::Bad => "31",
        Tone::Waiting => "33",
        Tone::Plain => return text.to_owned(),
    };
    if colour {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_owned()
    }
}

/// Columns padded to their widest cell; a cell is its text (its control characters escaped) and
/// its tone.
pub fn table(headers: &[&str], rows: &[Vec<(String, Tone)>], colour: bool) -> String {
    let rows: Vec<Vec<(String, Tone)>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|(text, tone)| (printable(text).into_owned(), *tone))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|header| header.chars().count()).collect();
    for row in &rows {
        for (column, (text, _)) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(column) {
                *width = (*width).max(text.chars().count());
            }
        }
    }
    let line = |cells: Vec<(String, Tone)>| {
        let last = cells.len().saturating_sub(1);
        cells
            .into_iter()
            .enumerate()
            .map(|(column, (text, tone))| {
                let padding = if column == last {
                    0
                } else {
                    widths[column].saturating_sub(text.chars().count())
                };
                format!("{}{}", paint(&text, tone, colour), " ".repeat(padding))
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = vec![line(
        headers
            .iter()
            .map(|header| (header.to_string(), Tone::Plain))
            .collect(),
    )];
    out.extend(rows.into_iter().map(line));
    out.join("\n")
}

#[cfg(test)]
#[path = "output_tests.rs"]
mod tests;
