//! stage-retry: retries failed CodePipeline stages that are worth retrying, once per failure and
//! within a bounded number of attempts, and resumes pipelines the health gate held back once the
//! AWS Health event that blocked them closes.

mod failure;
mod handler;
mod invocation;
mod resume;

// The functions wait on AWS, one invocation at a time: one thread serves them.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    pipeguard_aws::lambda::serve::<handler::Retrier>().await
}
