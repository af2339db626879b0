//! stage-retry: retries failed CodePipeline stages that are worth retrying, once per failure and
//! within a bounded number of attempts, and resumes pipelines the health gate held back once the
//! AWS Health event that blocked them closes.

mod handler;
mod resume;

use std::sync::Arc;

// The functions wait on AWS, one invocation at a time: one thread serves them.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let retrier = Arc::new(handler::Retrier::from_env().await);
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        let retrier = Arc::clone(&retrier);
        async move { pipeguard::lambda::counted("stage-retry", retrier.handle(event).await) }
    }))
    .await
}
