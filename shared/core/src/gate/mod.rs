//! The health gate's functional core: its policy, every answer it can give a job, and its
//! continuation token. Plain data in and out; no AWS crate, no I/O.

pub mod decide;
pub mod policy;
pub mod token;

pub use decide::{
    Blocker, GateOutcome, HealthCheck, Observations, Scope, blocks, decide, notice, read_job, render,
};
pub use policy::{EVENT_STORE_VARIABLE, GateDefaults, GatePolicy, SourceChoice};
pub use token::WaitState;
