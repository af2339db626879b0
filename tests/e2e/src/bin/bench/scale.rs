//! Organization scale: what a decision costs when the event store holds 1,000, 20,000 or 200,000
//! events of other accounts (open account notifications and closed issues, as a large
//! organization's store holds), against the same decision with 1,000, in one run. The gate
//! decides for 1 and for 10 watched accounts, each with one open issue; stage-retry's sweep
//! checks 200 held stages. The store is seeded directly, in the shape stage-retry records, and
//! its index is marked complete by a real sweep first.

use crate::gate::decide;
use crate::held::held;
use crate::{finished_at, peak_rss_mib, ratio, spread};
use e2e::{EVENT_STORE, Local};
use serde_json::{Value, json};

/// The bar the issue sets against the 1,000 case: time and read units, and peak memory.
const COST_BAR: f64 = 1.5;
const MEMORY_BAR: f64 = 1.2;

/// The watched accounts: `222200000000` onwards, each with one open issue.
fn watched(index: usize) -> String {
    format!("{}", 222_200_000_000u64 + index as u64)
}

/// The gate's figures for one size and number of watched accounts.
pub struct GateDecision {
    pub accounts: usize,
    /// Decision time, ms: median, p10, p90.
    pub ms: (f64, f64, f64),
    pub read_units: f64,
    /// The gate's peak RSS so far, MiB.
    pub rss: f64,
    /// It blocked on exactly its accounts' issues.
    pub blocked_right: bool,
}

/// One measured size: the gate for 1 and for 10 accounts, and the sweep.
pub struct Size {
    pub events: usize,
    pub decisions: Vec<GateDecision>,
    /// The sweep over the held stages: ms (median, p10, p90), read units per sweep, peak RSS so far.
    pub sweep: ((f64, f64, f64), f64, f64),
}

/// Seeds the store up to `total` other accounts' events: half open account notifications (in
/// the index under their account), half closed issues (out of it), over 1,000 accounts.
fn seed_to(local: &Local, from: usize, total: usize) {
    let half = |at: usize| at / 2;
    let common = |kind: &str, status: &str| {
        json!({"region": {"S": "us-east-1"},
               "arn": {"S": format!("arn:aws:health:us-east-1::event/EC2/{kind}/E{{i:07}}#333300{{i%1000:06}}")},
               "event_arn": {"S": format!("arn:aws:health:us-east-1::event/EC2/{kind}/E{{i:07}}")},
               "account": {"S": "333300{i%1000:06}"}, "service": {"S": "EC2"}, "event_type_code": {"S": kind},
               "category": {"S": if status == "open" { "accountNotification" } else { "issue" }},
               "status": {"S": status}, "scope": {"S": "ACCOUNT_SPECIFIC"},
               "last_updated": {"N": "1795000100"}, "communication_id": {"S": "c-1"}})
    };
    let mut notification = common("AWS_EC2_MAINTENANCE_SCHEDULED", "open");
    notification["open_key"] = json!({"S": "us-east-1#333300{i%1000:06}"});
    for (template, start, count) in [
        (notification, half(from), half(total) - half(from)),
        (
            common("AWS_EC2_OPERATIONAL_ISSUE", "closed"),
            from - half(from),
            (total - half(total)) - (from - half(from)),
        ),
    ] {
        if count > 0 {
            local.admin(
                "POST",
                "/_admin/dynamodb/seed",
                json!({"table": EVENT_STORE, "count": count, "start": start, "template": template}),
            );
        }
    }
}

/// The watched accounts' open issues, recorded as stage-retry records them.
fn seed_watched(local: &Local) {
    let items: Vec<Value> = (0..10)
        .map(|index| {
            let account = watched(index);
            let arn = format!("arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/W{index}");
            json!({"region": {"S": "us-east-1"}, "arn": {"S": format!("{arn}#{account}")}, "event_arn": {"S": arn},
                   "account": {"S": account}, "service": {"S": "EC2"}, "event_type_code": {"S": "AWS_EC2_OPERATIONAL_ISSUE"},
                   "category": {"S": "issue"}, "status": {"S": "open"}, "scope": {"S": "ACCOUNT_SPECIFIC"},
                   "last_updated": {"N": "1795000100"}, "communication_id": {"S": "c-1"},
                   "open_key": {"S": format!("us-east-1#{account}")}})
        })
        .collect();
    local.admin(
        "POST",
        "/_admin/dynamodb/seed",
        json!({"table": EVENT_STORE, "items": items}),
    );
}

/// A store with its index marked complete by a real sweep.
async fn store_with_index() -> Local {
    let local = Local::start_with_store(&[]).await;
    seed_watched(&local);
    local.sweep();
    local
        .invoked("stage-retry", 1, "the sweep that marks the index complete")
        .await;
    let items = local.admin("GET", &format!("/_admin/tables/{EVENT_STORE}/items"), json!({}));
    let marked = items
        .as_array()
        .into_iter()
        .flatten()
        .any(|item| item["region"]["S"] == "pipeguard#store" && item["state"]["S"] == "complete");
    if !marked {
        let invocations = local.admin("GET", "/_admin/invocations/stage-retry", json!({}));
        panic!("the sweep did not mark the store's index complete: {invocations}");
    }
    local
}

/// DynamoDB read units `caller` consumed since call `from`, and the calls so far.
fn read_units(local: &Local, caller: &str, from: usize) -> (f64, usize) {
    let calls = local.admin("GET", "/_admin/calls", json!({}));
    let calls = calls.as_array().cloned().unwrap_or_default();
    let units = calls
        .iter()
        .skip(from)
        .filter(|call| call["service"] == "dynamodb" && call["caller"] == caller)
        .filter_map(|call| call["consumed_capacity"]["read_units"].as_f64())
        .sum();
    (units, calls.len())
}

fn parameters(accounts: usize) -> String {
    let accounts: Vec<String> = (0..accounts).map(watched).collect();
    json!({"regions": ["us-east-1"], "health_source": "events", "accounts": accounts}).to_string()
}

/// Every size in order, `runs` decisions and sweeps each, `held_stages` held.
pub async fn measure(sizes: &[usize], runs: usize, held_stages: usize) -> Vec<Size> {
    let gate = store_with_index().await;
    let sweeper = store_with_index().await;
    sweeper.route_stage_failures_to_stage_retry();
    held(&sweeper, held_stages, &parameters(1)).await;
    let mut seeded = 0;
    let mut measured = Vec::new();
    for &events in sizes {
        seed_to(&gate, seeded, events);
        seed_to(&sweeper, seeded, events);
        seeded = events;
        let mut decisions = Vec::new();
        for accounts in [1, 10] {
            let pipeline = format!("scale-{events}-{accounts}");
            gate.gated_pipeline(&pipeline, &parameters(accounts), &["succeed"]);
            decide(&gate, &pipeline).await;
            let (_, mark) = read_units(&gate, "health-gate", 0);
            let mut times = Vec::new();
            for _ in 0..runs {
                times.push(decide(&gate, &pipeline).await.warm_ms);
            }
            let (units, _) = read_units(&gate, "health-gate", mark);
            let message = crate::accounts::last_gate_message(&gate, &pipeline);
            let blocked_right = message
                .contains(&format!("Deployment blocked by {accounts} AWS Health event"))
                && !message.contains("333300");
            decisions.push(GateDecision {
                accounts,
                ms: spread(times),
                read_units: units / runs as f64,
                rss: peak_rss_mib(gate.function("health-gate")["pid"].as_u64()),
                blocked_right,
            });
        }
        let (_, mark) = read_units(&sweeper, "stage-retry", 0);
        let mut times = Vec::new();
        for _ in 0..runs {
            let before = sweeper.invocations("stage-retry");
            let started = crate::now();
            sweeper.sweep();
            sweeper.invoked("stage-retry", before + 1, "a sweep").await;
            let finished = finished_at(&sweeper, "stage-retry", before).unwrap_or(started);
            times.push((finished - started) * 1000.0);
        }
        let (units, _) = read_units(&sweeper, "stage-retry", mark);
        let pid = sweeper.function("stage-retry")["pid"].as_u64();
        measured.push(Size {
            events,
            decisions,
            sweep: (spread(times), units / runs as f64, peak_rss_mib(pid)),
        });
    }
    measured
}

/// A figure past its bar against the smallest store's.
fn past_bar(problems: &mut Vec<String>, what: String, value: f64, baseline: f64, bar: f64) {
    if baseline > 0.0 && value / baseline > bar {
        problems.push(format!(
            "scale: {what}: {value:.2} is {:.2}x the smallest store's {baseline:.2} (at most {bar}x)",
            value / baseline
        ));
    }
}

/// The figures as the README shows them, and what broke: a figure past its bar against the
/// smallest size (time and memory only in a full run: a smoke run is too short to time).
pub fn table(sizes: &[Size], full: bool) -> (String, Vec<String>) {
    let mut table = "\n| organization scale (event store, other accounts' events) | figure | : the smallest store |\n| --- | --- | --- |\n".to_owned();
    let mut problems = Vec::new();
    let Some(base) = sizes.first() else {
        return (table, problems);
    };
    for size in sizes {
        for (decision, base) in size.decisions.iter().zip(&base.decisions) {
            let GateDecision {
                accounts,
                ms: (median, p10, p90),
                read_units: units,
                rss,
                blocked_right,
            } = decision;
            let (base_ms, base_units, base_rss) = (base.ms.0, base.read_units, base.rss);
            table.push_str(&format!(
                "| {} events, gate deciding for {accounts} account(s): decision time, median (p10 {p10:.1}, p90 {p90:.1}) | {median:.1} ms | {} |\n\
                 | the same: DynamoDB read units per decision | {units:.1} | {} |\n\
                 | the same: gate's peak RSS so far | {rss:.1} MiB | {} |\n",
                size.events,
                ratio(*median, Some(base_ms)),
                ratio(*units, Some(base_units)),
                ratio(*rss, Some(base_rss)),
            ));
            let case = format!("{} events, {accounts} account(s)", size.events);
            past_bar(
                &mut problems,
                format!("{case}: read units per decision"),
                *units,
                base_units,
                COST_BAR,
            );
            if full {
                past_bar(
                    &mut problems,
                    format!("{case}: decision time (ms)"),
                    *median,
                    base_ms,
                    COST_BAR,
                );
                past_bar(
                    &mut problems,
                    format!("{case}: peak RSS (MiB)"),
                    *rss,
                    base_rss,
                    MEMORY_BAR,
                );
            }
            if !blocked_right {
                problems.push(format!(
                    "scale: {case}: the gate did not block on exactly its accounts' issues"
                ));
            }
        }
        let ((median, p10, p90), units, rss) = size.sweep;
        let ((base_ms, ..), base_units, base_rss) = base.sweep;
        table.push_str(&format!(
            "| {} events, stage-retry's sweep over its held stages: time, median (p10 {p10:.1}, p90 {p90:.1}) | {median:.1} ms | {} |\n\
             | the same: DynamoDB read units per sweep | {units:.1} | {} |\n\
             | the same: stage-retry's peak RSS so far | {rss:.1} MiB | {} |\n",
            size.events,
            ratio(median, Some(base_ms)),
            ratio(units, Some(base_units)),
            ratio(rss, Some(base_rss)),
        ));
        let case = format!("{} events, the sweep", size.events);
        past_bar(
            &mut problems,
            format!("{case}: read units"),
            units,
            base_units,
            COST_BAR,
        );
        if full {
            past_bar(
                &mut problems,
                format!("{case}: time (ms)"),
                median,
                base_ms,
                COST_BAR,
            );
            past_bar(
                &mut problems,
                format!("{case}: peak RSS (MiB)"),
                rss,
                base_rss,
                MEMORY_BAR,
            );
        }
    }
    (table, problems)
}
