//! health-gate: a CodePipeline Lambda invoke action that holds deployments while AWS Health
//! reports open issues where the pipeline deploys, or while a conflicting pipeline runs.

mod handler;

use std::sync::Arc;

// The functions wait on AWS, one invocation at a time: one thread serves them.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let gate = Arc::new(handler::Gate::from_env().await);
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        let gate = Arc::clone(&gate);
        async move { pipeguard::lambda::counted("health-gate", gate.handle(event).await) }
    }))
    .await
}
