//! Where pipeguard learns of AWS Health: the API for accounts with a support plan, the event
//! store for every account. The gate, the resumer and the CLI ask through this, so the choice
//! between them is made in one place.

use crate::env::Environment;
use crate::event_store::EventStore;
use crate::health::HealthApi;
use crate::table::Table;
use aws_config::SdkConfig;
use pipeguard_core::gate::{self, GatePolicy};
use pipeguard_core::health::{
    EventStatus, HealthCallError, HealthEvent, HealthReport, HealthSource, HealthUnavailable,
};
use pipeguard_core::hold::{EventRef, HeldBy, Hold};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The share of the Health budget the organizational view gets: the rest is for the own view's
/// answer to be kept when the organizational view runs out of time.
const ORGANIZATION_SHARE: f32 = 0.9;

/// The own view's and the organizational view's answers (none asked: no events), asked at once:
/// one round trip. The organizational view gets `organization_budget`, short of the whole, so
/// that one that does not answer in time is an outage that keeps what the own view said, not a
/// timeout of the whole that loses it.
async fn both_views(
    own: impl Future<Output = Result<Vec<HealthEvent>, HealthUnavailable>>,
    organization: Option<impl Future<Output = Result<Vec<HealthEvent>, HealthUnavailable>>>,
    organization_budget: Duration,
) -> (
    Result<Vec<HealthEvent>, HealthUnavailable>,
    Result<Vec<HealthEvent>, HealthUnavailable>,
) {
    let organization = async {
        let Some(organization) = organization else {
            return Ok(Vec::new());
        };
        tokio::time::timeout(organization_budget, organization)
            .await
            .unwrap_or_else(|_| {
                Err(HealthUnavailable::of(vec![(
                    "AWS Health organizational view".into(),
                    HealthCallError::Timeout,
                )]))
            })
    };
    tokio::join!(own, organization)
}

/// The AWS Health API, and the event store when `HEALTH_EVENTS_TABLE` names one.
#[derive(Debug)]
pub struct HealthSources {
    api: HealthApi,
    store: Option<EventStore>,
    /// Set once the API has said the account has no support plan: `auto` then goes straight
    /// to the store for the rest of this process's life, saving a call per decision.
    no_support_plan: AtomicBool,
}

impl HealthSources {
    /// The API, and the store when there is one.
    pub fn new(api: HealthApi, store: Option<EventStore>) -> Self {
        Self {
            api,
            store,
            no_support_plan: AtomicBool::new(false),
        }
    }

    /// The AWS Health API as configured and, in `table` (the one `HEALTH_EVENTS_TABLE` names),
    /// the event store.
    pub async fn from_env(config: &SdkConfig, env: &Environment, table: Option<Table>) -> Self {
        Self::new(
            HealthApi::from_env(config, env).await,
            table.map(EventStore::in_table),
        )
    }

    /// The event store, when `HEALTH_EVENTS_TABLE` names one.
    pub fn store(&self) -> Option<&EventStore> {
        self.store.as_ref()
    }

    /// Every event the policy asks about, of the accounts it watches, from the source it
    /// chooses, within `budget`. `own_account` is the caller's (the stack's): the account the
    /// API's own view is of.
    pub async fn events_within(
        &self,
        policy: &GatePolicy,
        own_account: &str,
        budget: Duration,
    ) -> Result<HealthReport, HealthUnavailable> {
        // Named by the source that was being asked: the store by its table and the time it had,
        // so that a slow table is never taken for AWS Health.
        let no_plan_seen = self.no_support_plan.load(Ordering::Relaxed);
        let first = gate::first_source(policy.health_source, self.store.is_some(), no_plan_seen);
        let timed_out = match (&self.store, first) {
            (Some(store), HealthSource::Events) => (
                format!("event store {}", store.table()),
                HealthCallError::Store(format!(
                    "Query did not answer within {:.1} s",
                    budget.as_secs_f64()
                )),
            ),
            _ => ("AWS Health".to_owned(), HealthCallError::Timeout),
        };
        tokio::time::timeout(budget, self.events(policy, own_account, budget))
            .await
            .unwrap_or_else(|_| Err(HealthUnavailable::of(vec![timed_out])))
    }

    async fn events(
        &self,
        policy: &GatePolicy,
        own_account: &str,
        budget: Duration,
    ) -> Result<HealthReport, HealthUnavailable> {
        let (choice, has_store) = (policy.health_source, self.store.is_some());
        let no_plan_seen = self.no_support_plan.load(Ordering::Relaxed);
        if gate::first_source(choice, has_store, no_plan_seen) == HealthSource::Events {
            return self.store_events(policy, own_account, None, None).await;
        }
        let others = gate::other_accounts(&policy.accounts, own_account);
        let own_filters = crate::health::filters_for(policy);
        let organization = (!others.is_empty()).then(|| self.api.organization_events(policy, &others));
        let (own, organization) = both_views(
            self.api.events(&own_filters, own_account),
            organization,
            budget.mul_f32(ORGANIZATION_SHARE),
        )
        .await;
        let mut events = match own {
            Ok(events) => events,
            Err(unavailable) if gate::falls_back_to_store(choice, has_store, &unavailable) => {
                self.no_support_plan.store(true, Ordering::Relaxed);
                return self
                    .store_events(policy, own_account, Some(unavailable), None)
                    .await;
            }
            // What the organizational view said still blocks; what it could not say is told too.
            Err(mut unavailable) => {
                match organization {
                    Ok(found) => unavailable.known = found,
                    Err(also) => unavailable.attempts.extend(also.attempts),
                }
                return Err(unavailable);
            }
        };
        match organization {
            Ok(organization) => {
                for event in organization {
                    let seen = events
                        .iter()
                        .any(|known| known.arn == event.arn && known.account == event.account);
                    if !seen {
                        events.push(event);
                    }
                }
            }
            Err(unavailable) if gate::organization_falls_back_to_store(choice, has_store, &unavailable) => {
                let caveat = gate::organization_caveat(&unavailable);
                return self
                    .store_events(policy, own_account, Some(unavailable), Some(caveat))
                    .await
                    .map_err(|unavailable| HealthUnavailable {
                        known: events,
                        ..unavailable
                    });
            }
            // What the own account's view said still blocks, whatever `on_health_error` says.
            Err(unavailable) => {
                return Err(HealthUnavailable {
                    known: events,
                    ..unavailable
                });
            }
        }
        Ok(HealthReport {
            source: HealthSource::Api,
            caveat: None,
            events,
        })
    }

    /// The store's events for the policy's regions; `earlier` is what the API said, kept in
    /// the error when the store fails too, and `caveat` why the store answers.
    async fn store_events(
        &self,
        policy: &GatePolicy,
        own_account: &str,
        earlier: Option<HealthUnavailable>,
        caveat: Option<String>,
    ) -> Result<HealthReport, HealthUnavailable> {
        let Some(store) = &self.store else {
            return Err(HealthUnavailable::of(vec![(
                "event store".into(),
                HealthCallError::Store("no HEALTH_EVENTS_TABLE".into()),
            )]));
        };
        match store.events_in(policy, own_account).await {
            Ok(events) => Ok(HealthReport {
                source: HealthSource::Events,
                caveat,
                events,
            }),
            Err(error) => {
                let mut attempts = earlier.map(|earlier| earlier.attempts).unwrap_or_default();
                attempts.push((
                    format!("event store {}", store.table()),
                    HealthCallError::Store(error.to_string()),
                ));
                Err(HealthUnavailable::of(attempts))
            }
        }
    }

    /// Whether each event of a hold is closed now: the store's record when it has one, else
    /// (for holds the API decided, when the account may ask it) the API: the account's own view
    /// for public events and its own account's, the organization's for other accounts'. An
    /// event none of them knows of counts as open.
    pub async fn closed(&self, hold: &Hold, own_account: &str) -> Result<Vec<bool>, HealthUnavailable> {
        let mut closed = vec![false; hold.events.len()];
        if let Some(store) = &self.store {
            for (index, held) in hold.events.iter().enumerate() {
                let status = store.status_of(held, own_account).await.map_err(|error| {
                    HealthUnavailable::of(vec![(
                        format!("event store {}", store.table()),
                        HealthCallError::Store(error.to_string()),
                    )])
                })?;
                closed[index] = status == Some(EventStatus::Closed);
            }
        }
        let unresolved = hold.still_open(&closed);
        if !hold.asks_api() || unresolved.is_empty() {
            return Ok(closed);
        }
        let (own, others): (Vec<&HeldBy>, Vec<&HeldBy>) = unresolved.into_iter().partition(|held| {
            held.account
                .as_deref()
                .is_none_or(|account| account == own_account)
        });
        let mut events = Vec::new();
        if !own.is_empty() {
            let arns: Vec<String> = own.iter().map(|held| held.arn.clone()).collect();
            events.extend(answered(self.api.events_by_arn(&arns, own_account).await)?);
        }
        if !others.is_empty() {
            let asked: Vec<(String, Option<String>)> = others
                .iter()
                .map(|held| (held.arn.clone(), held.account.clone()))
                .collect();
            events.extend(answered(self.api.organization_events_by_arn(&asked).await)?);
        }
        for (held, closed) in hold.events.iter().zip(closed.iter_mut()) {
            *closed |= events.iter().any(|event| {
                event.status == EventStatus::Closed
                    && held.is(EventRef {
                        arn: &event.arn,
                        account: event.account.as_deref(),
                    })
            });
        }
        Ok(closed)
    }
}

/// What the API said of a hold's events: nothing more than the store knows when it cannot be
/// asked from this account (no support plan, an organizational view this account may not ask);
/// an outage is an error, so the caller asks again later.
fn answered(
    events: Result<Vec<HealthEvent>, HealthUnavailable>,
) -> Result<Vec<HealthEvent>, HealthUnavailable> {
    match events {
        Err(unavailable)
            if unavailable.no_support_plan() || unavailable.organization_view_refused().is_some() =>
        {
            Ok(Vec::new())
        }
        answer => answer,
    }
}

#[cfg(test)]
#[path = "sources_tests.rs"]
mod tests;
