//! apply-rollback: when an apply (deploy) action fails, rolls its stage back to the last
//! execution that succeeded in it, or says why not.

mod handler;

// The functions wait on AWS, one invocation at a time: one thread serves them.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    pipeguard_aws::lambda::serve::<handler::Rollbacker>().await
}
