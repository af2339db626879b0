//! The AWS Health API: which endpoint to ask (`endpoint`), and every event that matches a policy,
//! across all pages and all the queries the API's filter limits make necessary (`filters`): the
//! account's own view (`account`) and the organization's (`organization`).

mod account;
mod endpoint;
mod filters;
mod organization;

pub use endpoint::HealthEndpoint;
pub(crate) use filters::filters_for;

use crate::env::Environment;
use account::events_from;
use aws_sdk_health::types::EventFilter;
use filters::MAX_FILTER_VALUES;
use organization::{organization_details_from, organization_events_from};
use pipeguard_core::gate::GatePolicy;
use pipeguard_core::health::{HealthCallError, HealthEvent, HealthUnavailable};

/// The Health endpoints to ask, in order: the active one first, the other one when it fails.
#[derive(Debug, Clone)]
pub struct HealthApi {
    endpoints: Vec<HealthEndpoint>,
}

impl HealthApi {
    /// The endpoints, tried in order.
    pub fn new(endpoints: Vec<HealthEndpoint>) -> Self {
        Self { endpoints }
    }

    /// Endpoints as configured (`endpoint::configured`).
    pub async fn from_env(config: &aws_config::SdkConfig, env: &Environment) -> Self {
        Self::new(endpoint::configured(config, env).await)
    }

    /// The events with these ARNs, whatever their status (the API's ten ARNs per query), as
    /// `own_account` sees them.
    pub async fn events_by_arn(
        &self,
        arns: &[String],
        own_account: &str,
    ) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        let filters: Vec<EventFilter> = arns
            .chunks(MAX_FILTER_VALUES)
            .map(|chunk| {
                EventFilter::builder()
                    .set_event_arns(Some(chunk.to_vec()))
                    .build()
            })
            .collect();
        self.events(&filters, own_account).await
    }

    /// Every event matching the filters as `own_account` (the caller) sees them: its own
    /// account-specific events are that account's.
    pub async fn events(
        &self,
        filters: &[EventFilter],
        own_account: &str,
    ) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        self.ask(|client| events_from(client, filters.to_vec(), own_account.to_owned()))
            .await
    }

    /// Every event of the organization's view the policy asks about, one per account it concerns
    /// among `accounts` (an account-specific event may concern several), or one for every
    /// account when it is public.
    pub async fn organization_events(
        &self,
        policy: &GatePolicy,
        accounts: &[&str],
    ) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        let accounts: Vec<String> = accounts.iter().map(|id| id.to_string()).collect();
        self.ask(|client| organization_events_from(client, policy.clone(), accounts.clone()))
            .await
    }

    /// The organization's view of these events, each of the account it concerns (None: a public
    /// event): what `closed` asks about holds in other accounts.
    pub async fn organization_events_by_arn(
        &self,
        events: &[(String, Option<String>)],
    ) -> Result<Vec<HealthEvent>, HealthUnavailable> {
        self.ask(|client| organization_details_from(client, events.to_vec()))
            .await
    }

    /// The first answer of the endpoints, asked in order. An error every endpoint would give
    /// the same (no support plan, an organizational view this account may not ask) is not
    /// asked of the next.
    async fn ask<T, F, Fut>(&self, call: F) -> Result<T, HealthUnavailable>
    where
        F: Fn(aws_sdk_health::Client) -> Fut,
        Fut: Future<Output = Result<T, HealthCallError>>,
    {
        let mut attempts = Vec::new();
        for endpoint in &self.endpoints {
            match call(endpoint.client.clone()).await {
                Ok(answer) => {
                    if !attempts.is_empty() {
                        tracing::warn!(endpoint = %endpoint.name, failed = ?attempts, "AWS Health answered after failover");
                    }
                    return Ok(answer);
                }
                Err(error) => {
                    let same_everywhere = error.is_same_everywhere();
                    attempts.push((endpoint.name.clone(), error));
                    if same_everywhere {
                        break;
                    }
                }
            }
        }
        Err(HealthUnavailable::of(attempts))
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
