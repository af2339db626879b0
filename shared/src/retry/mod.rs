//! stage-retry's functional core: its policy and its decision.

pub mod decide;
pub mod policy;

pub use decide::{RetryDecision, decide, exhausted_notice, health_event_arns, stages_held_by};
pub use policy::{RetryMode, RetryPolicies, RetryPolicy, RetryPolicyError};
