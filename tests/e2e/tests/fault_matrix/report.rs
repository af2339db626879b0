//! The matrix as people read it, and what a cell that panicked said.

use super::{Cell, Fault};

/// What a cell that panicked said (its panic message, when it has one).
pub fn panic_text(panicked: tokio::task::JoinError) -> String {
    match panicked.try_into_panic() {
        Ok(payload) => payload
            .downcast::<String>()
            .map(|text| *text)
            .unwrap_or_else(|_| "panicked".to_owned()),
        Err(error) => error.to_string(),
    }
}

/// function × call (scenario) × fault → held / broken: one row per call, in `CALLS` order.
pub fn matrix(cells: &[Cell], outcomes: &[Result<(), String>]) -> String {
    let mut table = format!(
        "| function | call (scenario) | {} |\n| --- | --- |{}\n",
        Fault::ALL.map(Fault::label).join(" | "),
        " --- |".repeat(Fault::ALL.len())
    );
    for (row, marks) in cells
        .chunks(Fault::ALL.len())
        .zip(outcomes.chunks(Fault::ALL.len()))
    {
        let marks: Vec<&str> = marks
            .iter()
            .map(|outcome| if outcome.is_ok() { "held" } else { "BROKEN" })
            .collect();
        let cell = row[0];
        table.push_str(&format!(
            "| {} | {} ({:?}) | {} |\n",
            cell.scenario.function(),
            cell.call(),
            cell.scenario,
            marks.join(" | ")
        ));
    }
    table
}
