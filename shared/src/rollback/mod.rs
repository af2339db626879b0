//! apply-rollback's functional core: which failures are rolled back, and to what.

pub mod decide;
pub mod policy;

pub use decide::{
    is_rollback_target, not_rolled_back_notice, qualifying_failure, rolled_back_notice, still_failed,
};
pub use policy::{RollbackPolicies, RollbackPolicy};
