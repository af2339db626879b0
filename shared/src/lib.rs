//! pipeguard: the library the functions share.
//!
//! The functional core decides over plain data and does no I/O: `gate`, `retry` and `rollback`
//! (the decisions), and the plain data and readers they use (`health`, `pipeline`, `job`,
//! `trigger`, `hold`, `notice`, `config`). The imperative shell is `aws` (one module per AWS
//! service, on the official SDK), `lambda` (the invocation) and `metrics` (EMF on stdout). `tests/layering.rs` keeps the
//! core free of the shell.

pub mod aws;
pub mod config;
pub mod gate;
pub mod health;
pub mod hold;
pub mod job;
pub mod lambda;
pub mod metrics;
mod names;
pub mod notice;
pub mod pipeline;
pub mod retry;
pub mod rollback;
pub mod text;
pub mod trigger;
