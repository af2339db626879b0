//! The faults the emulator can put on a call, as the matrix names them.

use super::LATENCY_MS;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Throttle,
    ServerError,
    Unavailable,
    Drop,
    /// The call waits beyond the caller's budget before it is handled.
    Latency,
    /// The call is handled at once (its effect happens) and answered after the deadline.
    LateAnswer,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Unavailable,
        Fault::Drop,
        Fault::Latency,
        Fault::LateAnswer,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Fault::Throttle => "throttled",
            Fault::ServerError => "500",
            Fault::Unavailable => "503",
            Fault::Drop => "connection dropped",
            Fault::Latency => "beyond the budget",
            Fault::LateAnswer => "answered after the deadline",
        }
    }

    /// The emulator's fault, lasting until it is cleared.
    pub fn spec(self, service: &str, operation: &str, timeout_ms: u64) -> Value {
        let (kind, ms) = match self {
            Fault::Throttle => ("throttle", 0),
            Fault::ServerError => ("server-error", 0),
            Fault::Unavailable => ("unavailable", 0),
            Fault::Drop => ("drop", 0),
            Fault::Latency => ("latency", LATENCY_MS),
            Fault::LateAnswer => ("late-answer", timeout_ms + 1_000),
        };
        json!({"service": service, "operation": operation, "kind": kind, "ms": ms})
    }
}
