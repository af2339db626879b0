//! How the SDK retries the calls whose effect must not happen twice.

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason,
};
use aws_smithy_types::retry::ErrorKind;

/// The SDK's retries for a call whose effect must not happen twice: only after throttling, which
/// AWS answers before acting. After a timeout, a dropped connection or a 5xx the call may have
/// taken effect, so it is not repeated. Runs after the SDK's classifiers and vetoes their other
/// verdicts.
#[derive(Debug)]
pub(crate) struct OnlyThrottlingRetried;

impl ClassifyRetry for OnlyThrottlingRetried {
    fn classify_retry(&self, _: &InterceptorContext) -> RetryAction {
        RetryAction::NoActionIndicated
    }

    fn classify_retry_v2(&self, _: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        match previous {
            RetryAction::NoActionIndicated
            | RetryAction::RetryIndicated(RetryReason::RetryableError {
                kind: ErrorKind::ThrottlingError,
                ..
            }) => RetryAction::NoActionIndicated,
            _ => RetryAction::RetryForbidden,
        }
    }

    fn name(&self) -> &'static str {
        "only throttling retried"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}
