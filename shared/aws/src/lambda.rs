//! A function's life in Lambda: built once at cold start, then serving invocations (`serve`, the
//! body of every function's `main`); facts about the current invocation, and how one that cannot
//! finish fails.

use crate::codepipeline::{PipelineCallError, ReportError};
use crate::env::Environment;
use crate::event_store::StoreError;
use crate::freeze_store::FreezeStoreError;
use crate::override_store::OverrideStoreError;
use aws_config::SdkConfig;
use lambda_runtime::{Diagnostic, LambdaEvent};
use pipeguard_core::config::SettingError;
use pipeguard_core::health::{HealthUnavailable, is_account_id};
use pipeguard_core::job::JobEventError;
use pipeguard_core::trigger::Refusal;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// One of pipeguard's Lambda functions: what it is called and how it is built and invoked.
pub trait Function: Send + Sync + Sized + 'static {
    /// The function's name, as its metrics' `Function` dimension and the template call it.
    const NAME: &'static str;

    /// Builds everything the function keeps between invocations, once per cold start.
    fn from_env(config: &SdkConfig, env: &Environment) -> impl Future<Output = Self>;

    /// Handles one invocation.
    fn handle(
        self: Arc<Self>,
        event: LambdaEvent<Value>,
    ) -> impl Future<Output = Result<(), InvocationError>> + Send;
}

/// Every function's `main`: logs set up, the environment read and the function built once, then
/// every invocation served, each failed one counted (`counted`).
pub async fn serve<F: Function>() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let env = Environment::of_process();
    let config = crate::http::load_config(&env).await;
    let function = Arc::new(F::from_env(&config, &env).await);
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        let function = Arc::clone(&function);
        async move { counted(F::NAME, function.handle(event).await) }
    }))
    .await
}

/// Why an invocation failed. Lambda delivers its event again, and in the end to the
/// dead-letter queue, so nothing is lost; `errorType` in Lambda's logs says which this was.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The function's environment is invalid: every event fails until it is fixed.
    #[error(transparent)]
    Configuration(#[from] SettingError),
    /// A CodePipeline call failed; the redelivered event asks again.
    #[error(transparent)]
    CodePipeline(#[from] PipelineCallError),
    /// A job's result could not be reported; the redelivered job is answered again.
    #[error(transparent)]
    JobResult(#[from] ReportError),
    /// Not a CodePipeline job, or one without an id to answer.
    #[error(transparent)]
    NotAJob(#[from] JobEventError),
    /// An AWS Health event could not be recorded; the redelivered event is recorded then.
    #[error(transparent)]
    EventStore(#[from] StoreError),
    /// The invocation did not say which account the function runs in (its ARN names none).
    #[error("the invocation's function ARN `{0}` names no AWS account")]
    UnknownAccount(String),
    /// Whether held stages may resume could not be asked.
    #[error("AWS Health could not be asked whether held stages may resume: {0}")]
    Health(#[from] HealthUnavailable),
    /// The freezes could not be read to tell whether held stages may resume.
    #[error(transparent)]
    Freezes(#[from] FreezeStoreError),
    /// The overrides could not be read to tell whether a granted one is in force.
    #[error(transparent)]
    Overrides(#[from] OverrideStoreError),
}

impl InvocationError {
    /// What failed, in one word: Lambda's `errorType` and the metric's dimension.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Configuration(_) => "ConfigurationError",
            Self::CodePipeline(_) => "CodePipelineCallFailed",
            Self::JobResult(_) => "JobResultNotReported",
            Self::NotAJob(_) => "NotACodePipelineJob",
            Self::EventStore(_) => "EventStoreCallFailed",
            Self::Health(_) => "HealthUnavailable",
            Self::Freezes(_) => "FreezeStoreCallFailed",
            Self::Overrides(_) => "OverrideStoreCallFailed",
            Self::UnknownAccount(_) => "UnknownAccount",
        }
    }
}

impl From<InvocationError> for Diagnostic {
    fn from(error: InvocationError) -> Self {
        Diagnostic {
            error_type: error.error_type().into(),
            error_message: error.to_string(),
        }
    }
}

/// The account a function runs in, from its ARN (`arn:aws:lambda:<region>:<account>:function:
/// <name>`, which Lambda gives every invocation); None for anything else.
pub fn account_of(function_arn: &str) -> Option<String> {
    let fields: Vec<&str> = function_arn.split(':').collect();
    match fields.as_slice() {
        ["arn", _partition, "lambda", _region, account, "function", ..] if is_account_id(account) => {
            Some((*account).to_owned())
        }
        _ => None,
    }
}

/// A function's settings, read once at cold start. An invalid one is logged now, once; every
/// invocation then fails with it (so events wait in the dead-letter queue rather than being
/// dropped) until it is fixed.
pub fn settings_at_cold_start<T>(what: &str, read: Result<T, SettingError>) -> Result<T, SettingError> {
    if let Err(error) = &read {
        tracing::error!(%error, "invalid {what} configuration in the environment; every invocation will fail with it");
    }
    read
}

/// Counts a failed invocation (`metrics`) before handing the result back to Lambda.
pub fn counted<T>(function: &str, result: Result<T, InvocationError>) -> Result<T, InvocationError> {
    if let Err(error) = &result {
        crate::metrics::invocation_failed(function, error.error_type());
    }
    result
}

/// An event refused for who sent it (`trigger::Refusal`): logged as a warning and counted
/// (`Refused`, by kind), so a forged or stray signal is seen, never acted on.
pub fn refused(function: &str, refusal: &Refusal) {
    tracing::warn!(kind = refusal.kind.label(), reason = %refusal.reason, "event refused");
    crate::metrics::refused(function, refusal.kind.label());
}

/// Time until the invocation's deadline (milliseconds since the epoch), or None when the
/// runtime gave none (tests, local runs).
pub fn time_left(deadline_ms: u64) -> Option<Duration> {
    if deadline_ms == 0 {
        return None;
    }
    let now_ms = u64::try_from(crate::clock::unix_millis()).unwrap_or(u64::MAX);
    Some(Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
}

#[cfg(test)]
#[path = "lambda_tests.rs"]
mod tests;
