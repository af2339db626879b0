//! stage-retry's functional core: its policy and its decision. Plain data in and out; no AWS
//! crate, no I/O.

pub mod decide;
pub mod policy;

pub use decide::{RetryDecision, decide, exhausted_notice, held_stages, may_resume};
pub use policy::{RetryPolicies, RetryPolicy};
