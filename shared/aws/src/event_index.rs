//! The event store's index of what can block (`open`: the events open or upcoming, by region and
//! account, with their service, type and category; `pipeguard_core::open_events`). A decision
//! reads the keys it watches and confirms each hit of a kind it blocks on with a strongly
//! consistent GetItem: an index is only eventually consistent, and an
//! event stage-retry just recorded closed (and resumed a stage for) must not hold it again.
//!
//! Items recorded before the index existed have no key. Until a backfill has given them one, a
//! marker item says the index is not to be trusted and readers read the store whole, region by
//! region, as before. stage-retry's sweep does the backfill, a page at a time within its budget.

use crate::event_store::{EventStore, OPEN_KEY, StoreError, event_of, string};
use crate::fan_out::at_most;
use crate::table::text;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, IndexStatus};
use pipeguard_core::gate::{GatePolicy, blocks_its_kind};
use pipeguard_core::health::{EventCategory, HealthEvent};
use pipeguard_core::open_events::{keys_to_read, open_key};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use tokio::time::Instant;

/// The index, as template.yaml names it.
pub const OPEN_INDEX: &str = "open";
/// The partition of pipeguard's own records about the store, and the marker's key in it.
const MARKER_PARTITION: &str = "pipeguard#store";
const MARKER_KEY: &str = "open-index";
/// The marker's `state`: once every event has its key and the index is built; while the scan
/// goes on; once it has ended (and the index is being built).
const COMPLETE: &str = "complete";
const SCANNING: &str = "scanning";
const SCANNED: &str = "scanned";
/// A decision's reads of the index and of its hits in flight at once: regions times accounts
/// can run to hundreds.
const CALLS_AT_ONCE: usize = 16;
/// Items a run reads once the index is complete: a constant cost per sweep.
const AUDIT_ITEMS: i32 = 200;

type Item = HashMap<String, AttributeValue>;

/// How far a backfill came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backfill {
    /// Items this run read.
    pub scanned: usize,
    /// Items this run gave their index key.
    pub keyed: usize,
    /// Whether the index now holds every open event (the marker says so).
    pub complete: bool,
}

/// What DynamoDB says of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexState {
    Active,
    Building,
    Missing,
}

/// What the marker says: complete, or where the scan is to go on (none: from the start, or,
/// with `scanned`, nothing is left to scan and only the index's build is awaited).
struct Marker {
    complete: bool,
    scanned: bool,
    after: Option<Item>,
}

impl EventStore {
    /// Whether the index may be read: once its marker says complete, for the rest of this
    /// process's life (the marker is never taken back).
    pub(crate) async fn index_trusted(&self) -> Result<bool, StoreError> {
        if self.index_complete.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let complete = self.marker().await?.complete;
        self.index_complete.store(complete, Ordering::Relaxed);
        Ok(complete)
    }

    /// The events the index holds under the keys `policy` reads, of a kind it blocks on (the
    /// index projects each event's service, type and category, which never change), each read
    /// again from the table.
    pub(crate) async fn open_events(
        &self,
        policy: &GatePolicy,
        own_account: &str,
    ) -> Result<Vec<HealthEvent>, StoreError> {
        let queries = keys_to_read(policy).into_iter().map(|key| {
            let store = self.clone();
            async move { store.index_hits(key).await }
        });
        let mut hits: Vec<(String, String)> = at_most(CALLS_AT_ONCE, queries)
            .await?
            .into_iter()
            .filter(|hit| may_block(policy, hit))
            .filter_map(|hit| Some((string(&hit, "region")?, string(&hit, "arn")?)))
            .collect();
        hits.sort();
        hits.dedup();
        let reads = hits.into_iter().map(|(region, arn)| {
            let (store, own_account) = (self.clone(), own_account.to_owned());
            async move {
                let item = store.item(&region, &arn).await?;
                Ok(item
                    .and_then(|item| event_of(&item, &own_account))
                    .into_iter()
                    .collect())
            }
        });
        at_most(CALLS_AT_ONCE, reads).await
    }

    /// What the index holds under `key` (its projection), every page.
    async fn index_hits(&self, key: String) -> Result<Vec<Item>, StoreError> {
        let mut pages = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .index_name(OPEN_INDEX)
            .key_condition_expression("#key = :key")
            .expression_attribute_names("#key", OPEN_KEY)
            .expression_attribute_values(":key", text(&key))
            .into_paginator()
            .send();
        let mut hits = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| self.error("Query", error))?;
            hits.extend(page.items.unwrap_or_default());
        }
        Ok(hits)
    }

    /// An item, read strongly consistently.
    async fn item(&self, region: &str, key: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .table
            .client
            .get_item()
            .table_name(&self.table.name)
            .key("region", text(region))
            .key("arn", text(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| self.error("GetItem", error))?;
        Ok(output.item)
    }

    async fn marker(&self) -> Result<Marker, StoreError> {
        let item = self.item(MARKER_PARTITION, MARKER_KEY).await?.unwrap_or_default();
        let after = ["cursor_region", "cursor_arn"]
            .map(|name| string(&item, name))
            .into_iter()
            .collect::<Option<Vec<String>>>()
            .map(|cursor| {
                Item::from([
                    ("region".into(), text(&cursor[0])),
                    ("arn".into(), text(&cursor[1])),
                ])
            });
        Ok(Marker {
            complete: string(&item, "state").as_deref() == Some(COMPLETE),
            scanned: string(&item, "state").as_deref() == Some(SCANNED),
            after,
        })
    }

    async fn save_marker(&self, state: &str, after: Option<&Item>) -> Result<(), StoreError> {
        let mut item = Item::from([
            ("region".into(), text(MARKER_PARTITION)),
            ("arn".into(), text(MARKER_KEY)),
            ("state".into(), text(state)),
        ]);
        for (name, attribute) in [("cursor_region", "region"), ("cursor_arn", "arn")] {
            if let Some(value) = after.and_then(|after| after.get(attribute)) {
                item.insert(name.into(), value.clone());
            }
        }
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|error| self.error("PutItem", error))?;
        Ok(())
    }

    /// Gives the events recorded without an index key their key, a 1 MB page at a time (read
    /// strongly consistently), until the scan ends or `until` has passed; where it stopped is
    /// kept in the marker for the next run. Once a whole scan has ended and DynamoDB has built
    /// the index, marks it complete. After that each run audits `AUDIT_ITEMS` items more, round
    /// and round, so an event written without its key (by an older release's code still running
    /// during an upgrade) is found, at a cost that does not grow with the table. An index that is missing or being built again (a rollback, a downgrade
    /// and upgrade) is not complete, whatever the marker said: the scan starts again.
    pub async fn backfill_open_index(
        &self,
        own_account: &str,
        until: Instant,
    ) -> Result<Backfill, StoreError> {
        let built = self.index_state().await?;
        let mut marker = self.marker().await?;
        if built != IndexState::Active && (marker.complete || marker.scanned) {
            self.index_complete.store(false, Ordering::Relaxed);
            marker = Marker {
                complete: false,
                scanned: false,
                after: None,
            };
            self.save_marker(SCANNING, None).await?;
            tracing::warn!(index = OPEN_INDEX, state = ?built, "the event store's index is not built: it is not trusted until every event has its key again");
        }
        let mut done = Backfill {
            scanned: 0,
            keyed: 0,
            complete: marker.complete,
        };
        if built == IndexState::Missing {
            return Ok(done);
        }
        let state = if marker.complete { COMPLETE } else { SCANNING };
        let mut after = marker.after;
        let mut ended = marker.scanned;
        while !ended {
            if Instant::now() >= until {
                return Ok(done);
            }
            let page = self
                .table
                .client
                .scan()
                .table_name(&self.table.name)
                .filter_expression(
                    "attribute_not_exists(#key) AND #status IN (:open, :upcoming) AND NOT begins_with(#region, :ours)",
                )
                .expression_attribute_names("#key", OPEN_KEY)
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#region", "region")
                .expression_attribute_values(":open", text("open"))
                .expression_attribute_values(":upcoming", text("upcoming"))
                .expression_attribute_values(":ours", text("pipeguard#"))
                .consistent_read(true)
                .set_limit(marker.complete.then_some(AUDIT_ITEMS))
                .set_exclusive_start_key(after.take())
                .send()
                .await
                .map_err(|error| self.error("Scan", error))?;
            done.scanned += usize::try_from(page.scanned_count()).unwrap_or(0);
            let items = page.items.unwrap_or_default();
            for (index, item) in items.iter().enumerate() {
                if self.give_key(item, own_account).await? {
                    done.keyed += 1;
                }
                // Out of time within the page: go on after this item next time.
                if Instant::now() >= until && index + 1 < items.len() {
                    let at = table_key(item);
                    self.save_marker(state, Some(&at)).await?;
                    return Ok(done);
                }
            }
            after = page.last_evaluated_key;
            ended = after.is_none();
            if marker.complete {
                // The audit reads one short page a run; the end of the table starts it over.
                self.save_marker(COMPLETE, after.as_ref()).await?;
                if done.keyed > 0 {
                    tracing::warn!(
                        keyed = done.keyed,
                        "open events without their index key were found after the index was complete (written by an older release?): keyed now"
                    );
                }
                return Ok(done);
            }
            self.save_marker(if ended { SCANNED } else { SCANNING }, after.as_ref())
                .await?;
        }
        if built == IndexState::Active {
            self.save_marker(COMPLETE, None).await?;
            self.index_complete.store(true, Ordering::Relaxed);
            done.complete = true;
        }
        Ok(done)
    }

    /// Writes `item` again with its index key (and, for an event of the stack's own account
    /// recorded before the store knew accounts, that account), unless it changed since it was
    /// read (a newer update, recorded with its key, or its closing, without): false then, and
    /// nothing is lost. An item that does not read as an event is left alone, and said.
    async fn give_key(&self, item: &Item, own_account: &str) -> Result<bool, StoreError> {
        let (Some(event), Some(updated), Some(communication)) = (
            event_of(item, own_account),
            item.get("last_updated"),
            item.get("communication_id"),
        ) else {
            tracing::warn!(key = ?table_key(item), "an open item of the event store does not read as an event: left without an index key");
            return Ok(false);
        };
        let mut keyed = item.clone();
        keyed.insert(
            OPEN_KEY.into(),
            text(&open_key(&event.region, event.account.as_deref())),
        );
        if let Some(account) = &event.account {
            keyed.entry("account".into()).or_insert_with(|| text(account));
        }
        let sent = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(keyed))
            .condition_expression("#updated = :updated AND #communication = :communication")
            .expression_attribute_names("#updated", "last_updated")
            .expression_attribute_names("#communication", "communication_id")
            .expression_attribute_values(":updated", updated.clone())
            .expression_attribute_values(":communication", communication.clone())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(service)) if service.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(error) => Err(self.error("PutItem", error)),
        }
    }

    /// Whether the index is there and built (ACTIVE: readable), being built, or missing.
    async fn index_state(&self) -> Result<IndexState, StoreError> {
        let described = self
            .table
            .client
            .describe_table()
            .table_name(&self.table.name)
            .send()
            .await
            .map_err(|error| self.error("DescribeTable", error))?;
        let index = described
            .table()
            .map(|table| table.global_secondary_indexes())
            .unwrap_or_default()
            .iter()
            .find(|index| index.index_name() == Some(OPEN_INDEX))
            .map(|index| index.index_status() == Some(&IndexStatus::Active));
        Ok(match index {
            Some(true) => IndexState::Active,
            Some(false) => IndexState::Building,
            None => IndexState::Missing,
        })
    }
}

/// An item's table key, where a scan goes on after it.
fn table_key(item: &Item) -> Item {
    ["region", "arn"]
        .into_iter()
        .filter_map(|name| Some((name.to_owned(), item.get(name)?.clone())))
        .collect()
}

/// Whether the policy blocks on the kind of event an index entry names; an entry that does not
/// say is read to find out.
fn may_block(policy: &GatePolicy, hit: &Item) -> bool {
    match (
        string(hit, "service"),
        string(hit, "event_type_code"),
        string(hit, "category"),
    ) {
        (Some(service), Some(code), Some(category)) => {
            blocks_its_kind(policy, &service, &code, &EventCategory::from(category.as_str()))
        }
        _ => true,
    }
}

#[cfg(test)]
#[path = "event_index_tests.rs"]
mod tests;
