//! Which pipelines a command is about, as people say it (`--prefix`, or names), and as the core
//! selects them.

use clap::Args;
use pipeguard_core::selection::PipelineSelection;

/// Which pipelines: a name prefix, or names; all of them when neither is given.
#[derive(Args)]
pub struct Selection {
    /// Only pipelines whose names start with this
    #[arg(long, conflicts_with = "pipelines")]
    pub prefix: Option<String>,
    /// Pipelines by name
    pub pipelines: Vec<String>,
}

impl From<Selection> for PipelineSelection {
    fn from(selection: Selection) -> Self {
        Self::of(selection.pipelines, selection.prefix)
    }
}
