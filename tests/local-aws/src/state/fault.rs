//! Faults: what a fault hits (the service, operation, endpoint and caller of a call and, for
//! DynamoDB, the table and the partition its request names) and what the call suffers.

use serde::{Deserialize, Serialize};

/// A fault the next matching calls suffer. Unknown fields are refused: a misspelt `table` would
/// otherwise widen the fault to every call, and a test would pass on the wrong failure.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// `codepipeline`, `health`, `sns`, `sts`, `dynamodb`, `monitoring` (CloudWatch), `ssm`,
    /// or `*`.
    pub service: String,
    /// An operation name, or `*`.
    #[serde(default = "any")]
    pub operation: String,
    /// What the call suffers.
    pub kind: FaultKind,
    /// For `latency` and `late-answer`: how long, in milliseconds.
    #[serde(default)]
    pub ms: u64,
    /// Which Health endpoint it applies to (0 active, 1 passive); all when absent.
    #[serde(default)]
    pub endpoint: Option<usize>,
    /// How many calls it affects; every call while absent.
    #[serde(default)]
    pub count: Option<u32>,
    /// Only the calls of this caller (a function's name, or the command line's access key);
    /// every caller's while absent.
    #[serde(default)]
    pub caller: Option<String>,
    /// DynamoDB: only the calls whose request names this table (`TableName`); every table's
    /// while absent.
    #[serde(default)]
    pub table: Option<String>,
    /// DynamoDB: only the calls that read or write this partition, the value of the table's
    /// (string) partition key in a Query's key condition, a GetItem's `Key` or a PutItem's
    /// `Item`; every partition's while absent.
    #[serde(default)]
    pub partition: Option<String>,
}

/// What a faulted call suffers; an unknown kind is refused when the fault is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Each service's own throttling error.
    Throttle,
    /// 500 InternalFailure.
    ServerError,
    /// 503 ServiceUnavailable.
    Unavailable,
    /// Waits `ms` before the call is handled.
    Latency,
    /// Handles the call at once (its effect happens) and waits `ms` before answering.
    LateAnswer,
    /// Closes the connection without an answer.
    Drop,
    /// AWS Health's answer to an account without a support plan.
    SubscriptionRequired,
    /// A resource busy for a while: Resource Manager's 409 `LockConflict` (a stack locked by a
    /// job, which Oracle's SDKs ask again), an AWS service's 409 `ConflictException`.
    LockConflict,
}

fn any() -> String {
    "*".into()
}

/// What a call aims at, which a fault may name.
#[derive(Debug, Default, Clone, Copy)]
pub struct Target<'a> {
    /// `codepipeline`, `health`, `dynamodb`, `resourcemanager`, ...
    pub service: &'a str,
    /// The operation called.
    pub operation: &'a str,
    /// The listener (0 the main one, 1 AWS Health's passive endpoint).
    pub endpoint: usize,
    /// The access key that signed it.
    pub caller: &'a str,
    /// The table its request names (DynamoDB), if it names one.
    pub table: Option<&'a str>,
    /// The string partition key value it reads or writes (DynamoDB), if it names one.
    pub partition: Option<&'a str>,
}

/// The DynamoDB operations whose requests name a partition.
const PARTITIONED: [&str; 3] = ["Query", "GetItem", "PutItem"];

impl Fault {
    /// Whether the fault hits `call`. A fault that names a table or a partition hits only calls
    /// that name the same one, never a call that names none.
    pub fn hits(&self, call: &Target) -> bool {
        let named = |only: &Option<String>, given: Option<&str>| {
            only.as_deref().is_none_or(|only| given == Some(only))
        };
        (self.service == "*" || self.service == call.service)
            && (self.operation == "*" || self.operation == call.operation)
            && self.endpoint.is_none_or(|only| only == call.endpoint)
            && named(&self.caller, Some(call.caller))
            && named(&self.table, call.table)
            && named(&self.partition, call.partition)
    }

    /// Refuses a fault that could never hit what it names: a table or a partition outside
    /// DynamoDB, a partition for an operation that names none, a table name DynamoDB would
    /// refuse, an empty partition key value.
    pub fn check(&self) -> Result<(), String> {
        if (self.table.is_some() || self.partition.is_some()) && self.service != "dynamodb" {
            return Err(format!(
                "a fault names a table or a partition only with service \"dynamodb\", not {:?}",
                self.service
            ));
        }
        if let Some(table) = &self.table {
            let valid = (3..=255).contains(&table.len())
                && table
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b"_.-".contains(&byte));
            if !valid {
                return Err(format!(
                    "table {table:?} is not a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -)"
                ));
            }
        }
        if let Some(partition) = &self.partition {
            if partition.is_empty() {
                return Err("partition must not be empty: a key's value never is".to_owned());
            }
            if self.operation != "*" && !PARTITIONED.contains(&self.operation.as_str()) {
                return Err(format!(
                    "partition: {} names no partition; only {} do",
                    self.operation,
                    PARTITIONED.join(", ")
                ));
            }
        }
        Ok(())
    }
}
