//! apply-rollback: when an apply (deploy) action fails, rolls its stage back to the last
//! execution that succeeded in it, or says why not.

mod handler;

use std::sync::Arc;

// The functions wait on AWS, one invocation at a time: one thread serves them.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let rollbacker = Arc::new(handler::Rollbacker::from_env().await);
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        let rollbacker = Arc::clone(&rollbacker);
        async move { pipeguard::lambda::counted("apply-rollback", rollbacker.handle(event).await) }
    }))
    .await
}
