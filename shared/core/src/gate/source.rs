//! Where the gate asks about AWS Health for one decision, a choice the shell's `HealthSources`
//! carries out: the API for accounts with a support plan, the event store for every account.

use super::policy::SourceChoice;
use crate::health::{HealthSource, HealthUnavailable};

/// The source to ask first. `events` asks the store; `api` the API; `auto` the API, or the store
/// straight away once the API has said (earlier in this process's life) that the account has no
/// support plan and there is a store to ask, saving a refused call per decision.
pub fn first_source(
    choice: SourceChoice,
    store_configured: bool,
    no_support_plan_seen: bool,
) -> HealthSource {
    match choice {
        SourceChoice::Events => HealthSource::Events,
        SourceChoice::Auto if store_configured && no_support_plan_seen => HealthSource::Events,
        SourceChoice::Auto | SourceChoice::Api => HealthSource::Api,
    }
}

/// Whether the store answers when the API could not: only with `auto`, only when there is a
/// store, and only because the account has no support plan. Any other failure of the API is an
/// outage of the API, which `on_health_error` decides about.
pub fn falls_back_to_store(choice: SourceChoice, store_configured: bool, api: &HealthUnavailable) -> bool {
    choice == SourceChoice::Auto && store_configured && api.no_support_plan()
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
