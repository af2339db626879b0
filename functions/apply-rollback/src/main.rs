//! apply-rollback: rolls a stage back to its last good execution when an apply fails. This
//! first version reads its triggers and records what it would act on; the rollback itself is
//! issue 5.

use lambda_runtime::{Error, LambdaEvent};
use pipeguard::pipeline_event::{ChangeLevel, Trigger, parse_invocation};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(lambda_runtime::service_fn(handle)).await
}

async fn handle(event: LambdaEvent<Value>) -> Result<(), Error> {
    for trigger in parse_invocation(&event.payload) {
        match trigger {
            Trigger::Pipeline(change)
                if change.state == "FAILED" && change.level != ChangeLevel::Pipeline =>
            {
                tracing::info!(pipeline = %change.pipeline, stage = ?change.stage, action = ?change.action, category = ?change.category, "failed apply received; rolling back is not enabled yet")
            }
            other => tracing::debug!(?other, "not a trigger apply-rollback acts on"),
        }
    }
    Ok(())
}
