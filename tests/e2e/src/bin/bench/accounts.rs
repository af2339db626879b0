//! The gate across accounts: from the event store holding many accounts' events (a decision for
//! ten accounts against one for one account, in the same run), and from AWS Health's
//! organizational view when its answer runs to several pages (the calls a decision costs).

use crate::gate::decide;
use crate::{TIMEOUT, ratio, spread};
use e2e::Local;
use serde_json::json;

/// The tooling account's own and the workload accounts: 50 of them, `222200000000` onwards.
fn workload(index: usize) -> String {
    format!("{}", 222_200_000_000u64 + index as u64)
}

/// The store's figures for one policy: decision time (median, p10, p90) and Query calls per
/// decision.
pub struct StoreDecision {
    pub accounts: usize,
    pub ms: (f64, f64, f64),
    pub queries: f64,
}

pub struct StoreFigures {
    pub events: usize,
    pub accounts_with_events: usize,
    pub decisions: Vec<StoreDecision>,
    /// Every decision blocked on the watched accounts' events, and only theirs.
    pub blocked_right: bool,
}

/// `events` open account-specific events spread over `accounts` workload accounts, recorded in
/// the store from their EventBridge deliveries; then `runs` decisions of a gate watching one
/// account and of one watching ten.
pub async fn measure_store(events: usize, accounts: usize, runs: usize) -> StoreFigures {
    let local = Local::without_support_plan(&[]).await;
    for index in 0..events {
        local.open_issue_in("us-east-1", "EC2", &[&workload(index % accounts)]);
    }
    local
        .wait_for(TIMEOUT * 5, "every event recorded", || {
            (local.stored_events().len() >= events).then_some(())
        })
        .await;
    let mut decisions = Vec::new();
    let mut blocked_right = true;
    for watched in [1, 10] {
        let name = format!("watching-{watched}");
        let watching: Vec<String> = (0..watched).map(workload).collect();
        local.gated_pipeline(
            &name,
            &json!({"regions": ["us-east-1"], "health_source": "events", "accounts": watching}).to_string(),
            &["succeed"],
        );
        decide(&local, &name).await;
        let queries_before = local.calls("dynamodb", "Query", None);
        let mut times = Vec::new();
        for _ in 0..runs {
            times.push(decide(&local, &name).await.warm_ms);
        }
        let queries = (local.calls("dynamodb", "Query", None) - queries_before) as f64 / runs as f64;
        let message = last_gate_message(&local, &name);
        let expected = events / accounts * watched;
        // The message is cut at CodePipeline's limit: its headline counts every event.
        blocked_right &= message.contains(&format!("Deployment blocked by {expected} AWS Health events"))
            && !message.contains(&workload(watched));
        decisions.push(StoreDecision {
            accounts: watched,
            ms: spread(times),
            queries,
        });
    }
    StoreFigures {
        events,
        accounts_with_events: accounts,
        decisions,
        blocked_right,
    }
}

/// The failure message of the pipeline's newest execution's gate.
pub(crate) fn last_gate_message(local: &Local, pipeline: &str) -> String {
    let newest = local
        .executions()
        .into_iter()
        .rfind(|execution| execution["pipeline"] == pipeline)
        .and_then(|execution| execution["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    e2e::action(&local.execution(&newest), "Gate", "HealthGate")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// AWS Health calls one decision made, by operation.
pub struct OrganizationDecision {
    pub accounts: usize,
    /// Open events of the one affected account.
    pub events: usize,
    pub calls: Vec<(String, usize)>,
    /// The decision blocked on that account's events.
    pub blocked: bool,
}

/// `events` open events of one workload account, more than one page of the organizational
/// view's; a decision of a gate watching that account, and of one watching it among ten.
pub async fn measure_organization(events: usize) -> Vec<OrganizationDecision> {
    let local = Local::start(&[]).await;
    let members: Vec<String> = (0..10).map(workload).collect();
    local.organization(&members.iter().map(String::as_str).collect::<Vec<_>>());
    for _ in 0..events {
        local.open_issue_in("us-east-1", "EC2", &[&workload(0)]);
    }
    let mut decisions = Vec::new();
    for watched in [1, 10] {
        let name = format!("watching-{watched}");
        let watching: Vec<String> = (0..watched).map(workload).collect();
        local.gated_pipeline(
            &name,
            &json!({"regions": ["us-east-1"], "accounts": watching}).to_string(),
            &["succeed"],
        );
        // The first decision starts the process; the second is the one counted.
        decide(&local, &name).await;
        let before = health_calls(&local);
        decide(&local, &name).await;
        let after = health_calls(&local);
        let calls = after
            .iter()
            .map(|(operation, count)| {
                let earlier = before
                    .iter()
                    .find(|(seen, _)| seen == operation)
                    .map_or(0, |(_, count)| *count);
                (operation.clone(), count - earlier)
            })
            .filter(|(_, count)| *count > 0)
            .collect();
        let message = last_gate_message(&local, &name);
        decisions.push(OrganizationDecision {
            accounts: watched,
            events,
            calls,
            blocked: message.contains(&format!("Deployment blocked by {events} AWS Health events")),
        });
    }
    decisions
}

/// AWS Health calls so far, by operation.
fn health_calls(local: &Local) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for call in local
        .admin("GET", "/_admin/calls", json!({}))
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| call["service"] == "health" && call["caller"] == "health-gate")
    {
        let operation = call["operation"].as_str().unwrap_or_default().to_owned();
        match counts.iter_mut().find(|(seen, _)| *seen == operation) {
            Some((_, count)) => *count += 1,
            None => counts.push((operation, 1)),
        }
    }
    counts
}

/// The figures as the README shows them, and what broke.
pub fn table(store: &StoreFigures, organization: &[OrganizationDecision]) -> (String, Vec<String>) {
    let mut problems = Vec::new();
    let mut table =
        "\n| health-gate across accounts | figure | : one account |\n| --- | --- | --- |\n".to_owned();
    let one = store.decisions.first();
    for decision in &store.decisions {
        let (median, p10, p90) = decision.ms;
        let time_ratio = ratio(median, one.map(|one| one.ms.0));
        table.push_str(&format!(
            "| event store with {} open events of {} accounts, deciding for {} account(s): decision time, median (p10 {p10:.1}, p90 {p90:.1}) | {median:.1} ms | {time_ratio} |\n",
            store.events, store.accounts_with_events, decision.accounts
        ));
        table.push_str(&format!(
            "| the same: store reads (Query) per decision | {:.1} | {} |\n",
            decision.queries,
            ratio(decision.queries, one.map(|one| one.queries))
        ));
    }
    if !store.blocked_right {
        problems.push(
            "across accounts: a decision from the store blocked on the wrong accounts' events".to_owned(),
        );
    }
    let first_total: usize = organization
        .first()
        .map_or(0, |one| one.calls.iter().map(|(_, n)| n).sum());
    for decision in organization {
        let total: usize = decision.calls.iter().map(|(_, count)| count).sum();
        let by_operation: Vec<String> = decision
            .calls
            .iter()
            .map(|(operation, count)| format!("{operation} {count}"))
            .collect();
        table.push_str(&format!(
            "| organizational view, deciding for {} account(s), one with {} open events: AWS Health calls per decision ({}) | {total} | {:.3} |\n",
            decision.accounts,
            decision.events,
            by_operation.join(", "),
            total as f64 / first_total.max(1) as f64
        ));
        if !decision.blocked {
            problems.push(format!(
                "across accounts: the organizational view's decision for {} account(s) did not block on the {} events",
                decision.accounts, decision.events
            ));
        }
    }
    (table, problems)
}
