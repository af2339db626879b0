//! pipeguard's functional core: everything pipeguard decides, over plain data, with no I/O.
//!
//! The decisions are `gate` (may this deploy start now, of which the service's own CloudWatch
//! alarms are one signal: `alarm`), `retry` (retry, hold or leave a failed
//! stage) and `rollback` (whether and where to roll a failed apply back). They read the plain
//! data of `health`, `pipeline` and `job`, the events of `trigger`, the settings of `config`
//! and the hold marker of `hold`, and say what they decided in the words of `notice`. Which
//! pipelines a freeze, a sweep or a command is about is one `selection`.
//!
//! The crate depends on no AWS SDK crate, no async runtime and no logging, so the build keeps
//! the shells (`pipeguard-aws`: every AWS call, the Lambda glue, the metrics; `pipeguard-oci`:
//! Oracle Cloud) out of it (`tests/dependencies.rs` checks the whole graph of pipeguard's crates);
//! the clock and the environment are passed in (clippy's `disallowed-methods`, `clippy.toml`).

pub mod alarm;
pub mod calendar;
pub mod config;
pub mod freeze;
pub mod gate;
pub mod health;
pub mod hold;
pub mod holder;
pub mod job;
mod names;
pub mod notice;
pub mod open_events;
pub mod overrides;
pub mod pipeline;
pub mod place;
pub mod record;
pub mod retry;
pub mod rollback;
pub mod schedule;
pub mod selection;
pub mod stack;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod text;
pub mod trigger;
