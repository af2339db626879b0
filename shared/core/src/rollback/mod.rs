//! apply-rollback's functional core: which failures are rolled back, and to what. Plain data in
//! and out; no AWS crate, no I/O.

pub mod decide;
pub mod policy;

pub use decide::{
    Failure, Plan, RollbackVerdict, choose, is_rollback_target, locate, not_a_rollback, qualifying_failure,
};
pub use policy::{RollbackPolicies, RollbackPolicy};
