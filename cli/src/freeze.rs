//! `pipeguard freeze`, `unfreeze` and `freezes`: stop every deploy (or some pipelines') for a
//! reason, end it, and list what is frozen. Freezes live in the stack's table, beside the AWS
//! Health events; the gate reads them with every decision, so no pipeline is redeployed or
//! reconfigured. An unfreeze tells stage-retry at once (an EventBridge event), which resumes
//! the stages the freeze held; its sweep resumes them anyway, and those of a freeze that reached
//! its end time. An item that does not read as a freeze is listed as unreadable, with its key and
//! why, and `unfreeze` ends it by its key like any freeze.

use crate::aws::Aws;
use crate::output::{Tone, colour_enabled, json_line, paint};
use crate::{Ended, Problem, Selection};
use clap::Args;
use pipeguard_aws::{FreezeStore, FreezeStoreError, new_freeze_id};
use pipeguard_core::freeze::{Freeze, FreezeRequest, RecordedFreezes, Unfrozen, UnreadableFreeze};
use pipeguard_core::schedule::describe_time;
use pipeguard_core::selection::PipelineSelection;
use pipeguard_core::text::printable;
use serde_json::{Value, json};

/// Tries at making an id no other freeze has (two people freezing in the same nanosecond).
const ID_ATTEMPTS: usize = 3;

/// Where the freezes are kept.
#[derive(Args)]
pub struct TableArg {
    /// The stack's DynamoDB table (its HealthEventsTableName output; default: HEALTH_EVENTS_TABLE)
    #[arg(long = "events-table")]
    events_table: Option<String>,
}

#[derive(Args)]
pub struct FreezeArgs {
    /// Why: people held by the freeze read it (an incident id and a few words)
    #[arg(long)]
    reason: String,
    /// How long it lasts (90m, 2h, 1d, 1h30m); without --for or --until, until unfrozen
    #[arg(long = "for", conflicts_with = "until")]
    duration: Option<String>,
    /// When it ends, RFC 3339 (2026-12-01T18:00:00Z)
    #[arg(long)]
    until: Option<String>,
    #[command(flatten)]
    selection: Selection,
    #[command(flatten)]
    table: TableArg,
}

#[derive(Args)]
pub struct UnfreezeArgs {
    /// The freeze to end (`pipeguard freezes` lists them)
    #[arg(required_unless_present = "all")]
    id: Option<String>,
    /// End every active freeze
    #[arg(long, conflicts_with = "id")]
    all: bool,
    #[command(flatten)]
    table: TableArg,
}

#[derive(Args)]
pub struct FreezesArgs {
    /// Also the freezes that ended in the last 30 days
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    table: TableArg,
}

fn store(aws: &Aws, table: TableArg) -> Result<FreezeStore, Problem> {
    aws.freeze_store(table.events_table).ok_or_else(|| {
        Problem::Usage(
            "no table to keep freezes in: pass --events-table (the stack's HealthEventsTableName output) or set HEALTH_EVENTS_TABLE".into(),
        )
    })
}

fn failed(error: FreezeStoreError) -> Problem {
    Problem::Failed(error.to_string())
}

/// Records a freeze, then shows every active one: two people freezing at once each see both.
pub async fn freeze(aws: &Aws, args: FreezeArgs, json: bool) -> Result<Ended, Problem> {
    let store = store(aws, args.table)?;
    let who = aws.identity().await?;
    let pipelines = PipelineSelection::from(args.selection);
    let existing = if pipelines == PipelineSelection::Everything {
        Vec::new()
    } else {
        aws.codepipeline.pipelines().await?
    };
    let request = FreezeRequest {
        reason: args.reason,
        duration: args.duration,
        until: args.until,
        pipelines,
    };
    let mut attempt = 0;
    let frozen = loop {
        attempt += 1;
        let now = pipeguard_aws::clock::unix_seconds();
        let freeze = request
            .freeze(new_freeze_id(), who.arn.clone(), now, &existing)
            .map_err(|error| Problem::Usage(error.to_string()))?;
        match store.create(&freeze).await {
            Ok(()) => break freeze,
            Err(FreezeStoreError::IdTaken(_)) if attempt < ID_ATTEMPTS => continue,
            Err(error) => return Err(failed(error)),
        }
    };
    // The freeze is recorded: whatever happens next, say so, with the id to unfreeze it.
    let now = pipeguard_aws::clock::unix_seconds();
    let active = match store.all().await {
        Ok(recorded) => active_only(recorded, now),
        Err(error) => {
            eprintln!(
                "pipeguard: the freeze is recorded, but the active freezes could not be listed: {}",
                printable(&error.to_string())
            );
            RecordedFreezes::from(vec![frozen.clone()])
        }
    };
    if json {
        println!(
            "{}",
            json_line(&json!({"frozen": freeze_json(&frozen, now), "active": listing_json(&active, now)}))
        );
    } else {
        println!(
            "{}: {}",
            paint("FROZEN", Tone::Bad, colour_enabled()),
            frozen.describe()
        );
        println!(
            "The gate blocks or holds every deploy this covers until `pipeguard unfreeze {}`.",
            frozen.id
        );
        print_active(&active);
    }
    Ok(Ended::Ok)
}

/// Ends one freeze, or every active one, and tells stage-retry to resume what they held. An item
/// that does not read as a freeze is ended by its key like any freeze, and keeps what it says.
pub async fn unfreeze(aws: &Aws, args: UnfreezeArgs, json: bool) -> Result<Ended, Problem> {
    let store = store(aws, args.table)?;
    let who = aws.identity().await?;
    let now = pipeguard_aws::clock::unix_seconds();
    let recorded = store.all().await.map_err(failed)?;
    let chosen = match &args.id {
        Some(id) => chosen_by_id(&recorded, id, now)?,
        None => active_only(recorded, now),
    };
    let unfrozen = Unfrozen {
        at: now,
        by: who.arn.clone(),
    };
    let mut ended = RecordedFreezes::default();
    let mut problems = Vec::new();
    for freeze in chosen.freezes {
        match store.unfreeze(&freeze, unfrozen.clone()).await {
            Ok(freeze) => ended.freezes.push(freeze),
            Err(error) => problems.push(unfreeze_problem(error)),
        }
    }
    for unreadable in chosen.unreadable {
        match store.unfreeze_unreadable(&unreadable, unfrozen.clone()).await {
            Ok(()) => ended.unreadable.push(UnreadableFreeze {
                unfrozen: Some(unfrozen.clone()),
                ..unreadable
            }),
            Err(error) => problems.push(unfreeze_problem(error)),
        }
    }
    let ids = ended
        .freezes
        .iter()
        .map(|freeze| freeze.id.as_str())
        .chain(ended.unreadable.iter().map(|unreadable| unreadable.key.as_str()));
    let mut announced = Vec::new();
    for id in ids {
        if let Err(error) = aws.announce_unfrozen(id).await {
            problems.push(format!(
                "freeze {} ended, but stage-retry could not be told at once ({error}): its sweep resumes what the freeze held on its schedule",
                printable(id)
            ));
        } else {
            announced.push(id.to_owned());
        }
    }
    if json {
        println!(
            "{}",
            json_line(
                &json!({"unfrozen": listing_json(&ended, now), "resumes_announced": announced, "problems": problems})
            )
        );
    } else {
        if ended.freezes.is_empty() && ended.unreadable.is_empty() && problems.is_empty() {
            println!("No active freeze to end.");
        }
        for freeze in &ended.freezes {
            println!(
                "{}: freeze {} (\"{}\", by {}) after {} minutes; stage-retry resumes the stages it held now.",
                paint("UNFROZEN", Tone::Good, colour_enabled()),
                printable(&freeze.id),
                printable(&freeze.reason),
                printable(&freeze.by),
                (now - freeze.since).max(0) / 60
            );
        }
        for unreadable in &ended.unreadable {
            println!(
                "{}: {}; stage-retry resumes the stages it held now.",
                paint("UNFROZEN", Tone::Good, colour_enabled()),
                unreadable.describe()
            );
        }
        for problem in &problems {
            eprintln!("pipeguard: {}", printable(problem));
        }
    }
    Ok(if problems.is_empty() {
        Ended::Ok
    } else {
        Ended::Failed
    })
}

/// Lists the active freezes (and, with --all, those that ended and are still kept), the items
/// that do not read as freezes among them.
pub async fn list(aws: &Aws, args: FreezesArgs, json: bool) -> Result<Ended, Problem> {
    let store = store(aws, args.table)?;
    let now = pipeguard_aws::clock::unix_seconds();
    let recorded = store.all().await.map_err(failed)?;
    let shown = if args.all {
        recorded
    } else {
        active_only(recorded, now)
    };
    if json {
        println!("{}", json_line(&listing_json(&shown, now)));
    } else {
        print_active(&shown);
    }
    Ok(Ended::Ok)
}

/// The freeze `id` names (an unreadable item's key as it is, or as `pipeguard freezes` lists
/// it), readable or not, if it has not ended.
fn chosen_by_id(recorded: &RecordedFreezes, id: &str, now: i64) -> Result<RecordedFreezes, Problem> {
    let shown = printable(id);
    let ended = |at: i64| Problem::Usage(format!("freeze {shown} already ended at {}", describe_time(at)));
    if let Some(freeze) = recorded.freezes.iter().find(|freeze| freeze.id == id) {
        return match freeze.ended_at(now) {
            Some(at) => Err(ended(at)),
            None => Ok(RecordedFreezes::from(vec![freeze.clone()])),
        };
    }
    // A key with control characters is listed escaped: as listed, it names the item too.
    let named = |key: &str| key == id || printable(key) == id;
    match recorded
        .unreadable
        .iter()
        .find(|unreadable| named(&unreadable.key))
    {
        Some(unreadable) => match &unreadable.unfrozen {
            Some(unfrozen) => Err(ended(unfrozen.at)),
            None => Ok(RecordedFreezes {
                freezes: Vec::new(),
                unreadable: vec![unreadable.clone()],
            }),
        },
        None => Err(Problem::Usage(format!(
            "no freeze has id {shown} (`pipeguard freezes` lists them)"
        ))),
    }
}

/// The freezes, readable or not, that have not ended at `now`.
fn active_only(recorded: RecordedFreezes, now: i64) -> RecordedFreezes {
    RecordedFreezes {
        freezes: recorded
            .freezes
            .into_iter()
            .filter(|freeze| freeze.is_active(now))
            .collect(),
        unreadable: recorded
            .unreadable
            .into_iter()
            .filter(UnreadableFreeze::is_active)
            .collect(),
    }
}

fn unfreeze_problem(error: FreezeStoreError) -> String {
    match error {
        error @ FreezeStoreError::NotActive(_) => format!("{error}: someone ended it just now"),
        error => error.to_string(),
    }
}

fn print_active(recorded: &RecordedFreezes) {
    if recorded.freezes.is_empty() && recorded.unreadable.is_empty() {
        println!("No freeze is active.");
    }
    for freeze in &recorded.freezes {
        println!("- {}", freeze.describe());
    }
    for unreadable in &recorded.unreadable {
        println!(
            "- {}: {}",
            paint("UNREADABLE", Tone::Bad, colour_enabled()),
            unreadable.describe()
        );
    }
}

/// The freezes and then the unreadable items, as the command line's JSON lists them.
fn listing_json(recorded: &RecordedFreezes, now: i64) -> Value {
    Value::Array(
        recorded
            .freezes
            .iter()
            .map(|freeze| freeze_json(freeze, now))
            .chain(recorded.unreadable.iter().map(unreadable_json))
            .collect(),
    )
}

/// A freeze as the command line's JSON shows it (and `health` shows a blocking one).
pub fn freeze_json(freeze: &Freeze, now: i64) -> Value {
    json!({
        "id": freeze.id,
        "by": freeze.by,
        "reason": freeze.reason,
        "since": freeze.since,
        "until": freeze.until,
        "covers": freeze.coverage.describe(),
        "active": freeze.is_active(now),
        "ended_at": freeze.ended_at(now),
        "unfrozen_by": freeze.unfrozen.as_ref().map(|unfrozen| unfrozen.by.as_str()),
    })
}

/// An item that does not read as a freeze, as the command line's JSON shows it (and `health`
/// shows a blocking one): its key as `id`, and why in `unreadable`.
pub fn unreadable_json(unreadable: &UnreadableFreeze) -> Value {
    json!({
        "id": unreadable.key,
        "unreadable": unreadable.why,
        "covers": unreadable.coverage.describe(),
        "active": unreadable.is_active(),
        "ended_at": unreadable.unfrozen.as_ref().map(|unfrozen| unfrozen.at),
        "unfrozen_by": unreadable.unfrozen.as_ref().map(|unfrozen| unfrozen.by.as_str()),
    })
}

#[cfg(test)]
#[path = "freeze_tests.rs"]
mod tests;
