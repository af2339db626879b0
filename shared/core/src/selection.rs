//! Which pipelines something is about: every one, those named, or those whose names start with
//! a prefix. The one model of the pipelines a freeze covers, the pipelines stage-retry looks
//! through for held stages, and the pipelines a command of the command line is about.

use crate::text::printable;

/// Which pipelines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PipelineSelection {
    /// Every pipeline.
    #[default]
    Everything,
    /// These pipelines, by name.
    Names(Vec<String>),
    /// The pipelines whose names start with this.
    Prefix(String),
}

impl PipelineSelection {
    /// The selection of settings that take names and a prefix: the names when any are given,
    /// else the prefix when one is, else every pipeline.
    pub fn of(names: Vec<String>, prefix: Option<String>) -> Self {
        match (names.is_empty(), prefix) {
            (false, _) => Self::Names(names),
            (true, Some(prefix)) => Self::Prefix(prefix),
            (true, None) => Self::Everything,
        }
    }

    /// Whether it selects the pipeline named `pipeline`.
    pub fn selects(&self, pipeline: &str) -> bool {
        match self {
            Self::Everything => true,
            Self::Names(names) => names.iter().any(|name| name == pipeline),
            Self::Prefix(prefix) => pipeline.starts_with(prefix.as_str()),
        }
    }

    /// For people: "every pipeline", "pipelines starting with prod-", "pipelines a, b".
    pub fn describe(&self) -> String {
        match self {
            Self::Everything => "every pipeline".into(),
            Self::Prefix(prefix) => format!("pipelines starting with {}", printable(prefix)),
            Self::Names(names) => format!("pipelines {}", printable(&names.join(", "))),
        }
    }

    /// Whether `select_from` needs the names of the pipelines that exist: not when the
    /// pipelines are named, so that a caller lists them only when it must.
    pub fn needs_existing(&self) -> bool {
        !matches!(self, Self::Names(_))
    }

    /// The pipelines selected among those that exist, sorted. Names given are taken as given,
    /// in their order, without asking whether they exist: the calls made with them say so when
    /// one does not.
    pub fn select_from(&self, existing: Vec<String>) -> Vec<String> {
        if let Self::Names(names) = self {
            return names.clone();
        }
        let mut selected: Vec<String> = existing.into_iter().filter(|name| self.selects(name)).collect();
        selected.sort();
        selected
    }
}

#[cfg(test)]
#[path = "selection_tests.rs"]
mod tests;
