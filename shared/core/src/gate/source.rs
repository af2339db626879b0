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

/// The watched accounts only AWS Health's organizational view can answer for: every one but the
/// account the API is asked from, whose own events DescribeEvents returns.
pub fn other_accounts<'a>(accounts: &'a [String], own_account: &str) -> Vec<&'a str> {
    accounts
        .iter()
        .map(String::as_str)
        .filter(|account| *account != own_account)
        .collect()
}

/// Whether the store answers for the other accounts when the organizational view could not:
/// with `auto` and a store, when the view cannot be asked from this account (no support plan,
/// not enabled, not the management account or a Health delegated administrator). An outage of
/// the view (throttling, 5xx) is an outage, which `on_health_error` decides about; with `api`
/// the gate never turns to the store.
pub fn organization_falls_back_to_store(
    choice: SourceChoice,
    store_configured: bool,
    organization: &HealthUnavailable,
) -> bool {
    choice == SourceChoice::Auto
        && store_configured
        && (organization.no_support_plan() || organization.organization_view_refused().is_some())
}

/// Why the gate decided from the store rather than the organizational view, for its messages.
pub fn organization_caveat(organization: &HealthUnavailable) -> String {
    format!("the organizational view could not be asked, so the event store answered: {organization}")
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
