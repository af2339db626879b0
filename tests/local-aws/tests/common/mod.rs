//! What the emulator's integration tests share: SDK clients pointed at it, its admin
//! interface, and the assertion on typed SDK errors.

use local_aws::Emulator;
use serde_json::Value;

/// An SDK config builder for `$sdk` aimed at `$url`, with throwaway credentials.
#[macro_export]
macro_rules! sdk_config {
    ($sdk:ident, $url:expr) => {
        $sdk::Config::builder()
            .behavior_version_latest()
            .region($sdk::config::Region::new("us-east-1"))
            .credentials_provider($sdk::config::Credentials::new(
                "local", "local", None, None, "test",
            ))
            .endpoint_url($url)
    };
}

/// An `$sdk` client aimed at `$url`.
#[macro_export]
macro_rules! client {
    ($sdk:ident, $url:expr) => {
        $sdk::Client::from_conf($crate::sdk_config!($sdk, $url).build())
    };
}

/// Asserts that an SDK call failed with the typed service error `is_...` names.
#[macro_export]
macro_rules! assert_service_error {
    ($error:expr, $is:ident) => {
        assert!(
            $error.as_service_error().is_some_and(|error| error.$is()),
            "{:?}",
            $error
        )
    };
}

pub fn admin(emulator: &Emulator, method: &str, path: &str, body: Value) -> Value {
    emulator
        .admin(method, path, body)
        .unwrap_or_else(|error| panic!("admin {path}: {error}"))
}

/// The events queued for `function` (a function never started keeps them).
#[allow(dead_code, reason = "each test binary uses a part of the common helpers")]
pub fn pending(emulator: &Emulator, function: &str) -> Vec<Value> {
    admin(
        emulator,
        "GET",
        &format!("/_admin/pending/{function}"),
        serde_json::json!({}),
    )
    .as_array()
    .cloned()
    .unwrap_or_default()
}
