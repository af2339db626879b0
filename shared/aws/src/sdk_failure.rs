//! How an SDK call failed, before each service says it in the core's words: the one place that
//! reads an `SdkError`'s kind (no answer in time, an endpoint not reached, an answer that does
//! not read, or the service's own refusal with its code).

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::fmt;

/// The kind of a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SdkFailure {
    /// No answer in time.
    Timeout,
    /// The endpoint could not be reached (with the SDK's words).
    Unreachable(String),
    /// The answer could not be read, or the request not built (with the SDK's words).
    BadResponse(String),
    /// The service answered with an error.
    Refused {
        /// Its code (`UnknownError` when it gave none).
        code: String,
        /// Its message (`no message` when it gave none).
        message: String,
    },
}

impl SdkFailure {
    /// The kind of `error`.
    pub(crate) fn of<E, R>(error: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        match error {
            SdkError::TimeoutError(_) => Self::Timeout,
            SdkError::DispatchFailure(failure) if failure.is_timeout() => Self::Timeout,
            SdkError::DispatchFailure(_) => Self::Unreachable(DisplayErrorContext(error).to_string()),
            SdkError::ResponseError(_) | SdkError::ConstructionFailure(_) => {
                Self::BadResponse(DisplayErrorContext(error).to_string())
            }
            _ => Self::Refused {
                code: error.code().unwrap_or("UnknownError").to_owned(),
                message: error.message().unwrap_or("no message").to_owned(),
            },
        }
    }
}
