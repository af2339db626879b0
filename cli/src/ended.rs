//! How a command ends: the exit code (`Ended`), or the problem that stopped it (`Problem`), which
//! `main` says once.

use pipeguard_aws::PipelineCallError;

/// How a command ended, as the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Done; for `health`, the deploy may go ahead.
    Ok = 0,
    /// `health`: blocked. Other commands: some AWS calls failed.
    Failed = 1,
    /// Bad usage or configuration: a bad flag, bad JSON, an unknown pipeline or stage, no
    /// credentials.
    Usage = 2,
    /// `health`: AWS Health or the freezes could not be read, and the policy fails closed.
    /// `oci`: OCI could not be reached, or refused the credentials.
    Unavailable = 3,
}

/// In JSON answers (`exit_code`), the number the process exits with.
impl serde::Serialize for Ended {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(*self as u8)
    }
}

/// What stopped a command, said once by `main`.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The command was asked for something that cannot be: a bad flag or setting, an unknown
    /// stage or execution, no credentials.
    #[error("{0}")]
    Usage(String),
    /// Pipelines named that this account and region do not have: said alike by every command.
    #[error("unknown pipeline: {}", .0.join(", "))]
    UnknownPipelines(Vec<String>),
    /// A CodePipeline call failed.
    #[error(transparent)]
    Call(#[from] PipelineCallError),
    /// The command could not do what it was asked, and says why.
    #[error("{0}")]
    Failed(String),
    /// The service could not be reached, or refused the credentials.
    #[error("{0}")]
    Unavailable(String),
}

impl Problem {
    /// The exit code that says this problem.
    pub fn ended(&self) -> Ended {
        match self {
            Self::Usage(_) | Self::UnknownPipelines(_) => Ended::Usage,
            Self::Call(_) | Self::Failed(_) => Ended::Failed,
            Self::Unavailable(_) => Ended::Unavailable,
        }
    }
}

impl From<pipeguard_core::config::SettingError> for Problem {
    fn from(error: pipeguard_core::config::SettingError) -> Self {
        Self::Usage(error.to_string())
    }
}
