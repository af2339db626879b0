//! STS: whose the caller's credentials are, for the command line (the functions learn their
//! account from the invocation): the account, and the identity a freeze records as who froze.

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

/// Whose credentials a caller signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The account.
    pub account: String,
    /// The identity's ARN (a user, or an assumed role's session).
    pub arn: String,
}

/// Whose the credentials in `config` are (GetCallerIdentity needs no permission).
pub async fn caller_identity(config: &aws_config::SdkConfig) -> Result<CallerIdentity, CallerAccountError> {
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|error| CallerAccountError {
            cause: Box::new(error.into()),
        })?;
    Ok(CallerIdentity {
        account: identity.account().unwrap_or_default().to_owned(),
        arn: identity.arn().unwrap_or_default().to_owned(),
    })
}
