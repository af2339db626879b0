//! pipeguard's AWS shell: the only place that talks to AWS, on the official SDK, around the
//! decisions of `pipeguard_core`. One module per service or store (`codepipeline`, `health` and
//! the `sources` that choose between it and the `event_store`, the `freeze_store`, `sns`, `sts`),
//! what they share (`http`, `retry`, `fan_out`, `table`), the process's `env`ironment read once,
//! the Lambda invocation (`lambda`), the `metrics` and the `clock`.

pub mod clock;
pub mod codepipeline;
pub mod env;
pub mod event_store;
mod fan_out;
pub mod freeze_store;
pub mod health;
pub mod http;
pub mod lambda;
pub mod metrics;
mod retry;
pub mod sns;
pub mod sources;
pub mod sts;
pub mod table;

pub use aws_config::SdkConfig;
pub use codepipeline::{CodePipeline, PipelineCallError, ReportError, Reported};
pub use env::Environment;
pub use event_store::{EventStore, Recorded, StoreError};
pub use freeze_store::{FREEZES_PARTITION, FreezeStore, FreezeStoreError, new_freeze_id};
pub use health::{HealthApi, HealthEndpoint};
pub use http::TrustRoots;
pub use sns::{Notifier, NotifyError};
pub use sources::HealthSources;
pub use sts::{CallerAccountError, CallerIdentity, caller_identity};
pub use table::{Table, TableCallError};
