//! Where pipeguard learns of AWS Health: the API for accounts with a support plan, the event
//! store for every account. The gate, the resumer and the CLI ask through this, so the choice
//! between them is made in one place.

use super::dynamodb::EventStore;
use super::health::HealthApi;
use pipeguard_core::gate::{self, GatePolicy};
use pipeguard_core::health::{EventStatus, HealthCallError, HealthReport, HealthSource, HealthUnavailable};
use pipeguard_core::hold::Hold;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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

    /// The event store, when `HEALTH_EVENTS_TABLE` names one.
    pub fn store(&self) -> Option<&EventStore> {
        self.store.as_ref()
    }

    /// Every event the policy asks about, from the source it chooses, within `budget`.
    pub async fn events_within(
        &self,
        policy: &GatePolicy,
        budget: Duration,
    ) -> Result<HealthReport, HealthUnavailable> {
        let timed_out = || HealthUnavailable {
            attempts: vec![("AWS Health".into(), HealthCallError::Timeout)],
        };
        tokio::time::timeout(budget, self.events(policy))
            .await
            .unwrap_or_else(|_| Err(timed_out()))
    }

    async fn events(&self, policy: &GatePolicy) -> Result<HealthReport, HealthUnavailable> {
        let (choice, has_store) = (policy.health_source, self.store.is_some());
        let no_plan_seen = self.no_support_plan.load(Ordering::Relaxed);
        if gate::first_source(choice, has_store, no_plan_seen) == HealthSource::Events {
            return self.store_events(policy, None).await;
        }
        match self.api.events(&super::health::filters_for(policy)).await {
            Ok(events) => Ok(HealthReport {
                source: HealthSource::Api,
                events,
            }),
            Err(unavailable) if gate::falls_back_to_store(choice, has_store, &unavailable) => {
                self.no_support_plan.store(true, Ordering::Relaxed);
                self.store_events(policy, Some(unavailable)).await
            }
            Err(unavailable) => Err(unavailable),
        }
    }

    /// The store's events for the policy's regions; `earlier` is what the API said, kept in
    /// the error when the store fails too.
    async fn store_events(
        &self,
        policy: &GatePolicy,
        earlier: Option<HealthUnavailable>,
    ) -> Result<HealthReport, HealthUnavailable> {
        let Some(store) = &self.store else {
            return Err(HealthUnavailable {
                attempts: vec![(
                    "event store".into(),
                    HealthCallError::Store("no HEALTH_EVENTS_TABLE".into()),
                )],
            });
        };
        match store.events_in(&policy.regions).await {
            Ok(events) => Ok(HealthReport {
                source: HealthSource::Events,
                events,
            }),
            Err(error) => {
                let mut attempts = earlier.map(|earlier| earlier.attempts).unwrap_or_default();
                attempts.push((
                    format!("event store {}", store.table()),
                    HealthCallError::Store(error.to_string()),
                ));
                Err(HealthUnavailable { attempts })
            }
        }
    }

    /// Whether each event of a hold is closed now: the store's record when it has one, else
    /// (for holds the API decided, when the account may ask it) the API. An event neither
    /// knows of counts as open.
    pub async fn closed(&self, hold: &Hold) -> Result<Vec<bool>, HealthUnavailable> {
        let mut closed = vec![false; hold.events.len()];
        if let Some(store) = &self.store {
            for (index, held) in hold.events.iter().enumerate() {
                let status = store.status_of(held).await.map_err(|error| HealthUnavailable {
                    attempts: vec![(
                        format!("event store {}", store.table()),
                        HealthCallError::Store(error.to_string()),
                    )],
                })?;
                closed[index] = status == Some(EventStatus::Closed);
            }
        }
        let unresolved: Vec<String> = hold
            .still_open(&closed, None)
            .into_iter()
            .map(str::to_owned)
            .collect();
        if hold.asks_api() && !unresolved.is_empty() {
            let events = match self.api.events_by_arn(&unresolved).await {
                Ok(events) => events,
                // Without a support plan the API knows nothing more than the store.
                Err(unavailable) if unavailable.no_support_plan() => Vec::new(),
                Err(unavailable) => return Err(unavailable),
            };
            for (held, closed) in hold.events.iter().zip(closed.iter_mut()) {
                *closed |= events
                    .iter()
                    .any(|event| event.arn == held.arn && event.status == EventStatus::Closed);
            }
        }
        Ok(closed)
    }
}

#[cfg(test)]
#[path = "sources_tests.rs"]
mod tests;
