//! `pipeguard freeze`, `unfreeze` and `freezes`: stop every deploy (or some pipelines') for a
//! reason, end it, and list what is frozen. Freezes live in the stack's table, beside the AWS
//! Health events; the gate reads them with every decision, so no pipeline is redeployed or
//! reconfigured. An unfreeze tells stage-retry at once (an EventBridge event), which resumes
//! the stages the freeze held; its sweep resumes them anyway, and those of a freeze that reached
//! its end time.

use crate::aws::Aws;
use crate::output::{Tone, colour_enabled, paint};
use crate::{Ended, Problem, Selection};
use clap::Args;
use pipeguard::aws::{FreezeStore, FreezeStoreError, new_freeze_id};
use pipeguard_core::freeze::{Freeze, FreezeRequest, Unfrozen};
use pipeguard_core::schedule::describe_time;
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
    let named = args.selection.prefix.is_some() || !args.selection.pipelines.is_empty();
    let existing = if named {
        aws.codepipeline.pipelines().await?
    } else {
        Vec::new()
    };
    let request = FreezeRequest {
        reason: args.reason,
        duration: args.duration,
        until: args.until,
        prefix: args.selection.prefix,
        pipelines: args.selection.pipelines,
    };
    let mut attempt = 0;
    let frozen = loop {
        attempt += 1;
        let now = pipeguard::clock::unix_seconds();
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
    let now = pipeguard::clock::unix_seconds();
    let active: Vec<Freeze> = match store.all().await {
        Ok(recorded) => recorded
            .into_iter()
            .filter(|freeze| freeze.is_active(now))
            .collect(),
        Err(error) => {
            eprintln!(
                "pipeguard: the freeze is recorded, but the active freezes could not be listed: {error}"
            );
            vec![frozen.clone()]
        }
    };
    if json {
        println!(
            "{}",
            json!({"frozen": freeze_json(&frozen, now), "active": active.iter().map(|freeze| freeze_json(freeze, now)).collect::<Vec<_>>()})
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

/// Ends one freeze, or every active one, and tells stage-retry to resume what they held.
pub async fn unfreeze(aws: &Aws, args: UnfreezeArgs, json: bool) -> Result<Ended, Problem> {
    let store = store(aws, args.table)?;
    let who = aws.identity().await?;
    let now = pipeguard::clock::unix_seconds();
    let recorded = store.all().await.map_err(failed)?;
    let chosen: Vec<&Freeze> = match &args.id {
        Some(id) => {
            let freeze = recorded.iter().find(|freeze| freeze.id == *id).ok_or_else(|| {
                Problem::Usage(format!("no freeze has id {id} (`pipeguard freezes` lists them)"))
            })?;
            if let Some(ended) = freeze.ended_at(now) {
                return Err(Problem::Usage(format!(
                    "freeze {id} already ended at {}",
                    describe_time(ended)
                )));
            }
            vec![freeze]
        }
        None => recorded.iter().filter(|freeze| freeze.is_active(now)).collect(),
    };
    let mut ended = Vec::new();
    let mut problems = Vec::new();
    for freeze in chosen {
        let unfrozen = Unfrozen {
            at: now,
            by: who.arn.clone(),
        };
        match store.unfreeze(freeze, unfrozen).await {
            Ok(freeze) => ended.push(freeze),
            Err(error @ FreezeStoreError::NotActive(_)) => {
                problems.push(format!("{error}: someone ended it just now"))
            }
            Err(error) => problems.push(error.to_string()),
        }
    }
    let mut announced = Vec::new();
    for freeze in &ended {
        if let Err(error) = aws.announce_unfrozen(&freeze.id).await {
            problems.push(format!(
                "freeze {} ended, but stage-retry could not be told at once ({error}): its sweep resumes what the freeze held on its schedule",
                freeze.id
            ));
        } else {
            announced.push(freeze.id.clone());
        }
    }
    if json {
        println!(
            "{}",
            json!({"unfrozen": ended.iter().map(|freeze| freeze_json(freeze, now)).collect::<Vec<_>>(), "resumes_announced": announced, "problems": problems})
        );
    } else {
        if ended.is_empty() && problems.is_empty() {
            println!("No active freeze to end.");
        }
        for freeze in &ended {
            println!(
                "{}: freeze {} (\"{}\", by {}) after {} minutes; stage-retry resumes the stages it held now.",
                paint("UNFROZEN", Tone::Good, colour_enabled()),
                freeze.id,
                freeze.reason,
                freeze.by,
                (now - freeze.since).max(0) / 60
            );
        }
        for problem in &problems {
            eprintln!("pipeguard: {problem}");
        }
    }
    Ok(if problems.is_empty() {
        Ended::Ok
    } else {
        Ended::Failed
    })
}

/// Lists the active freezes (and, with --all, those that ended and are still kept).
pub async fn list(aws: &Aws, args: FreezesArgs, json: bool) -> Result<Ended, Problem> {
    let store = store(aws, args.table)?;
    let now = pipeguard::clock::unix_seconds();
    let shown: Vec<Freeze> = store
        .all()
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|freeze| args.all || freeze.is_active(now))
        .collect();
    if json {
        println!(
            "{}",
            Value::Array(shown.iter().map(|freeze| freeze_json(freeze, now)).collect())
        );
    } else {
        print_active(&shown);
    }
    Ok(Ended::Ok)
}

fn print_active(freezes: &[Freeze]) {
    if freezes.is_empty() {
        println!("No freeze is active.");
    }
    for freeze in freezes {
        println!("- {}", freeze.describe());
    }
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
