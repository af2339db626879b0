//! pipeguard's AWS shell: the only place that talks to AWS, on the official SDK, around the
//! decisions of `pipeguard_core`. One module per service or store (`codepipeline`, `health` and
//! the `sources` that choose between it and the `event_store`, the `freeze_store`, the
//! `override_store`, `sns`, `sts`, CloudWatch's `alarms` and Systems Manager's Change `calendars`),
//! what they share (`http`, `retry`, `fan_out`, `table`), the process's `env`ironment read once,
//! the Lambda invocation (`lambda`), the `metrics` and the `clock`. Each service's and store's
//! types are used from the crate's root (`pipeguard_aws::CodePipeline`); the modules used by
//! path are `http`, `lambda`, `metrics` and `clock`.

mod alarms;
mod calendars;
pub mod clock;
mod codepipeline;
mod env;
mod event_index;
mod event_store;
mod fan_out;
mod freeze_store;
mod health;
pub mod http;
pub mod lambda;
pub mod metrics;
mod override_store;
mod retry;
mod sdk_failure;
mod sns;
mod sources;
mod sts;
mod table;

pub use alarms::CloudWatchAlarms;
pub use aws_config::SdkConfig;
pub use calendars::ChangeCalendars;
pub use codepipeline::{CodePipeline, JobContext, PipelineCallError, ReportError, Reported};
pub use env::Environment;
pub use event_index::{Backfill, OPEN_INDEX};
pub use event_store::{EventStore, Recorded, StoreError};
pub use freeze_store::{FREEZES_PARTITION, FreezeStore, FreezeStoreError, new_freeze_id};
pub use health::{HealthApi, HealthEndpoint};
pub use http::TrustRoots;
pub use override_store::{OVERRIDES_PARTITION, OverrideStore, OverrideStoreError, new_override_id};
pub use sns::{Notifier, NotifyError};
pub use sources::HealthSources;
pub use sts::{CallerAccountError, CallerIdentity, caller_identity};
pub use table::{Table, TableCallError};
