//! The health gate's functional core: its policy, its decision and its continuation token.

pub mod decide;
pub mod policy;
pub mod token;

pub use decide::{Blocker, GateOutcome, Observations, decide, notice, render};
pub use policy::{GateDefaults, GatePolicy, PolicyError};
pub use token::WaitState;
