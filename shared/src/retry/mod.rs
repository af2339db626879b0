//! stage-retry's functional core: its policy and its decision. Plain data in and out; no AWS
//! crate, no I/O.

pub mod decide;
pub mod policy;

pub use decide::{RetryDecision, decide, exhausted_notice, stages_held_by};
pub use policy::{RetryPolicies, RetryPolicy};
