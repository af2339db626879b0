//! pipeguard's imperative shell: the I/O around the decisions of `pipeguard_core`. `aws` makes
//! every AWS call (one module per service, on the official SDK), `lambda` is the invocation,
//! `metrics` writes EMF lines to standard output and `clock` reads the time the core is given.

pub mod aws;
pub mod clock;
pub mod lambda;
pub mod metrics;
