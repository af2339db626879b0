//! STS: which account the caller's credentials belong to, for the command line (the functions
//! learn theirs from the invocation).

use aws_sdk_sts::error::DisplayErrorContext;

/// The caller's account could not be learned.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not learn the caller's AWS account (STS GetCallerIdentity): {}",
    DisplayErrorContext(cause)
)]
pub struct CallerAccountError {
    /// What the SDK answered, typed for matching. The message gives it with its chain, so it is
    /// not also the error's `source()`, which would print it twice.
    pub cause: Box<aws_sdk_sts::Error>,
}

/// The account of the credentials in `config` (GetCallerIdentity needs no permission).
pub async fn caller_account(config: &aws_config::SdkConfig) -> Result<String, CallerAccountError> {
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|error| CallerAccountError {
            cause: Box::new(error.into()),
        })?;
    Ok(identity.account().unwrap_or_default().to_owned())
}
