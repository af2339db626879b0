//! health-gate: a CodePipeline Lambda invoke action that holds deployments while AWS Health
//! reports open issues where the pipeline deploys, or while a conflicting pipeline runs.

mod handler;

// The functions wait on AWS, one invocation at a time: one thread serves them.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    pipeguard_aws::lambda::serve::<handler::Gate>().await
}
