//! pipeguard: the library the three Lambda functions share.
//!
//! Decisions are pure functions over plain data (`gate::decide`, `gate::policy`); the modules
//! that talk to AWS (`health`, `job`, `conflicts`, `notify`) are thin and built on the official SDK.

pub mod aws;
pub mod config;
pub mod conflicts;
pub mod gate;
pub mod health;
pub mod job;
pub mod lambda;
pub mod notify;
pub mod pipeline_event;
pub mod pipeline_state;
pub mod retry;
pub mod rollback;
pub mod text;
