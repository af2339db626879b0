//! stage-retry: retries failed CodePipeline stages worth retrying and resumes pipelines the
//! health gate held back. This first version reads its triggers and records what it would act
//! on; the retry itself is issue 4.

use lambda_runtime::{Error, LambdaEvent};
use pipeguard::pipeline_event::{Trigger, parse_invocation};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(lambda_runtime::service_fn(handle)).await
}

async fn handle(event: LambdaEvent<Value>) -> Result<(), Error> {
    for trigger in parse_invocation(&event.payload) {
        match trigger {
            Trigger::Pipeline(change) if change.state == "FAILED" => {
                tracing::info!(pipeline = %change.pipeline, execution_id = %change.execution_id, stage = ?change.stage, "failure received; retrying is not enabled yet")
            }
            Trigger::Health(change) if change.status == "closed" => {
                tracing::info!(event_arn = %change.event_arn, "AWS Health event closed; resuming held pipelines is not enabled yet")
            }
            other => tracing::debug!(?other, "not a trigger stage-retry acts on"),
        }
    }
    Ok(())
}
