//! apply-rollback's functional core: which failures are rolled back, and to what, and the
//! verdicts it reports. Plain data in and out; no AWS crate, no I/O.

mod decide;
mod policy;
mod verdict;

pub use decide::{Failure, Plan, choose, is_rollback_target, locate, not_a_rollback, qualifying_failure};
pub use policy::{MessagePattern, RollbackPolicies, RollbackPolicy};
pub use verdict::RollbackVerdict;
