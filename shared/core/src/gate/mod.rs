//! The health gate's functional core: its policy, every answer it can give a job (`outcome`),
//! how one is reached (`decide`), how each is worded (`wording`), where AWS Health is asked, and
//! its continuation token. Plain data in and out; no AWS crate, no I/O.

pub mod bake;
mod decide;
mod outcome;
mod overridden;
mod policy;
mod source;
mod token;
mod wording;

pub use decide::{Observations, blocks, blocks_its_kind, decide, read_job};
pub use outcome::{
    AlarmCheck, BAKE_FAILED, BakeOutcome, Blocker, CalendarCheck, FreezeCheck, GateOutcome, HealthCheck,
    Scope,
};
pub use overridden::decide_overridden;
pub use policy::{
    EVENT_STORE_VARIABLE, GateDefaults, GatePolicy, MAX_ACCOUNTS, MAX_BAKE_MINUTES, MAX_WAIT_MINUTES_LIMIT,
    OnBlock, OnHealthError, SourceChoice,
};
pub use source::{
    falls_back_to_store, first_source, organization_caveat, organization_falls_back_to_store, other_accounts,
};
pub use token::{TokenError, WaitState};
pub use wording::{notice, render};

#[cfg(test)]
#[path = "gate_tests.rs"]
mod tests;
