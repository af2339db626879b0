//! The event store's index of what can block: an event is in it while it is open or upcoming,
//! under the region it affects and the account it concerns (`public` for an event every account
//! sees). A decision reads the keys of the regions and accounts it watches, so what it costs
//! grows with what can block it, not with what the organization ever recorded.

use crate::gate::GatePolicy;
use crate::health::EventStatus;

/// The index key of an event every account sees.
const PUBLIC: &str = "public";

/// The index key of an event of `region` that concerns `account` (`None`: every account's).
pub fn open_key(region: &str, account: Option<&str>) -> String {
    format!("{region}#{}", account.unwrap_or(PUBLIC))
}

/// Whether an event with this status is in the index: only while it can still block a deploy.
pub fn indexed(status: &EventStatus) -> bool {
    matches!(status, EventStatus::Open | EventStatus::Upcoming)
}

/// The index keys a decision under `policy` reads: each watched region's public events and its
/// events of each watched account. A policy never blocks on a closed event (its reader refuses
/// `closed`), so what can block is always in the index.
pub fn keys_to_read(policy: &GatePolicy) -> Vec<String> {
    let mut keys = Vec::new();
    for region in &policy.regions {
        keys.push(open_key(region, None));
        for account in &policy.accounts {
            let key = open_key(region, Some(account));
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

#[cfg(test)]
#[path = "open_events_tests.rs"]
mod tests;
