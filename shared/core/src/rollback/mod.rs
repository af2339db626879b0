//! Rolling an apply back: apply-rollback's functional core (which failures are rolled back, and
//! to what, and the verdicts it reports), and the rule of where a rollback returns to that every
//! platform shares (`target`: CodePipeline stages here, Oracle Resource Manager stacks in
//! `crate::stack`). Plain data in and out; no AWS crate, no I/O.

mod decide;
mod policy;
pub mod target;
mod verdict;

pub use decide::{choose, last_good_execution, locate, not_a_rollback, qualifying_failure};
pub use policy::{MessagePattern, RollbackPolicies, RollbackPolicy};
pub use target::LastGood;
pub use verdict::{Failure, Plan, RollbackVerdict, says_bake_failed};
