//! The notice people get when held stages resume: which, how long each was held, and by what.

use crate::freeze::{Freeze, by_whom};
use crate::notice::Notice;
use crate::text::printable;

/// A held stage that resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// The pipeline.
    pub pipeline: String,
    /// The stage.
    pub stage: String,
    /// How long it was held, when its hold marker says when the hold began.
    pub held_minutes: Option<i64>,
    /// The freezes that held it, as recorded: who froze, and why.
    pub freezes: Vec<Freeze>,
}

impl Released {
    /// A stage resumed at `now`, held since `since`.
    pub fn new(pipeline: &str, stage: &str, since: Option<i64>, now: i64, freezes: Vec<Freeze>) -> Self {
        Self {
            pipeline: pipeline.to_owned(),
            stage: stage.to_owned(),
            held_minutes: since.map(|since| now.saturating_sub(since).max(0) / 60),
            freezes,
        }
    }

    fn describe(&self) -> String {
        let held = self
            .held_minutes
            .map_or_else(String::new, |minutes| format!(": held for {minutes} minutes"));
        let by = by_whom(&self.freezes);
        format!("{}, stage {}{held}{by}", self.pipeline, self.stage)
    }
}

/// One notice for every stage one trigger (`because`) resumed; none when it resumed none.
pub fn release_notice(released: &[Released], because: &str) -> Option<Notice> {
    let subject = match released {
        [] => return None,
        [one] => format!("pipeguard: {} released", one.pipeline),
        many => format!("pipeguard: {} deployments released", many.len()),
    };
    let listing = released
        .iter()
        .map(|released| format!("- {}", released.describe()))
        .collect::<Vec<_>>()
        .join("\n");
    let notice = Notice::new(
        &subject,
        &format!(
            "These held deployments have resumed ({}); the gate checks them again as they start:\n{listing}",
            printable(because)
        ),
    );
    Some(match released {
        [one] => notice.about(&one.pipeline),
        _ => notice,
    })
}

#[cfg(test)]
#[path = "release_tests.rs"]
mod tests;
