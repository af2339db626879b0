//! stage-retry's functional core: its policy, its decision and the verdicts it reports. Plain
//! data in and out; no AWS crate, no I/O.

mod decide;
mod policy;
mod release;
mod verdict;

pub use decide::{
    MAX_RESUMES, RetryDecision, carries_marker, copied_markers, decide, held_stages, resumes_used_up,
};
pub use policy::{RetryPolicies, RetryPolicy};
pub use release::{Released, release_notice};
pub use verdict::RetryVerdict;
