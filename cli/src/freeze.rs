//! `pipeguard freeze`, `unfreeze` and `freezes`: stop every deploy (or some pipelines') for a
//! reason, end it, and list what is frozen. Freezes live in the stack's table, beside the AWS
//! Health events; the gate reads them with every decision, so no pipeline is redeployed or
//! reconfigured. An unfreeze tells stage-retry at once (an EventBridge event), which resumes
//! the stages the freeze held; its sweep resumes them anyway, and those of a freeze that reached
//! its end time. An item that does not read as a freeze is listed as unreadable, with its key and
//! why, and `unfreeze` ends it by its key like any freeze.

use crate::aws::Aws;
use crate::ended::{Ended, Problem};
use crate::output::{Report, Tone, emit, paint};
use crate::selection::Selection;
use clap::Args;
use pipeguard_aws::{FreezeStore, FreezeStoreError, new_freeze_id};
use pipeguard_core::freeze::{Freeze, FreezeRequest, RecordedFreezes, Unfrozen, UnreadableFreeze};
use pipeguard_core::gate::EVENT_STORE_VARIABLE;
use pipeguard_core::schedule::describe_time;
use pipeguard_core::selection::PipelineSelection;
use pipeguard_core::text::printable;
use serde::Serialize;

/// Tries at making an id no other freeze has (two people freezing in the same nanosecond).
const ID_ATTEMPTS: usize = 3;

/// Where the freezes are kept.
#[derive(Args)]
pub struct TableArg {
    /// The stack's DynamoDB table (its HealthEventsTableName output; default: HEALTH_EVENTS_TABLE)
    #[arg(long = "events-table")]
    pub events_table: Option<String>,
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
        Problem::Usage(format!(
            "no table to keep freezes in: pass --events-table (the stack's HealthEventsTableName output) or set {EVENT_STORE_VARIABLE}"
        ))
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
    emit(&FreezeReport::of(&frozen, &active, now), json)?;
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
    let report = UnfreezeReport::of(&ended, announced, problems, now);
    emit(&report, json)?;
    Ok(if report.problems.is_empty() {
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
    emit(&FreezeListing::of(&shown, now), json)?;
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

/// What `freeze` answers: the freeze recorded, and every active one.
#[derive(Serialize)]
pub struct FreezeReport {
    frozen: FreezeJson,
    active: FreezeListing,
}

impl FreezeReport {
    /// The freeze recorded, and the `active` ones, at `now`.
    pub fn of(frozen: &Freeze, active: &RecordedFreezes, now: i64) -> Self {
        Self {
            frozen: FreezeJson::of(frozen, now),
            active: FreezeListing::of(active, now),
        }
    }
}

impl Report for FreezeReport {
    fn text(&self, colour: bool) -> String {
        format!(
            "{}: {}\nThe gate blocks or holds every deploy this covers until `pipeguard unfreeze {}`.\n{}",
            paint("FROZEN", Tone::Bad, colour),
            self.frozen.described,
            printable(&self.frozen.id),
            self.active.text(colour)
        )
    }
}

/// What `unfreeze` answers: the freezes it ended, those stage-retry was told of, and what went
/// wrong.
#[derive(Serialize)]
pub struct UnfreezeReport {
    unfrozen: FreezeListing,
    resumes_announced: Vec<String>,
    problems: Vec<String>,
    /// When they ended (seconds since the Unix epoch), for how long they lasted.
    #[serde(skip)]
    now: i64,
}

impl UnfreezeReport {
    /// The freezes `ended` at `now`, those stage-retry was told of, and the `problems`.
    pub fn of(
        ended: &RecordedFreezes,
        resumes_announced: Vec<String>,
        problems: Vec<String>,
        now: i64,
    ) -> Self {
        Self {
            unfrozen: FreezeListing::of(ended, now),
            resumes_announced,
            problems,
            now,
        }
    }
}

impl Report for UnfreezeReport {
    fn text(&self, colour: bool) -> String {
        if self.unfrozen.0.is_empty() && self.problems.is_empty() {
            return "No active freeze to end.".into();
        }
        let unfrozen = paint("UNFROZEN", Tone::Good, colour);
        let lines: Vec<String> = self
            .unfrozen
            .0
            .iter()
            .map(|listed| match listed {
                Listed::Freeze(freeze) => format!(
                    "{unfrozen}: freeze {} (\"{}\", by {}) after {} minutes; stage-retry resumes the stages it held now.",
                    printable(&freeze.id),
                    printable(&freeze.reason),
                    printable(&freeze.by),
                    (self.now - freeze.since).max(0) / 60
                ),
                Listed::Unreadable(unreadable) => format!(
                    "{unfrozen}: {}; stage-retry resumes the stages it held now.",
                    unreadable.described
                ),
            })
            .collect();
        lines.join("\n")
    }

    fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// The freezes and then the unreadable items, as `freezes` answers and `freeze` and `unfreeze`
/// list them.
#[derive(Serialize)]
#[serde(transparent)]
pub struct FreezeListing(Vec<Listed>);

/// One item of a listing, readable or not.
#[derive(Serialize)]
#[serde(untagged)]
enum Listed {
    Freeze(FreezeJson),
    Unreadable(UnreadableJson),
}

impl FreezeListing {
    /// As of `now`: whether each is active, and when it ended.
    pub fn of(recorded: &RecordedFreezes, now: i64) -> Self {
        Self(
            recorded
                .freezes
                .iter()
                .map(|freeze| Listed::Freeze(FreezeJson::of(freeze, now)))
                .chain(
                    recorded
                        .unreadable
                        .iter()
                        .map(|unreadable| Listed::Unreadable(UnreadableJson::of(unreadable))),
                )
                .collect(),
        )
    }
}

impl Report for FreezeListing {
    fn text(&self, colour: bool) -> String {
        if self.0.is_empty() {
            return "No freeze is active.".into();
        }
        let lines: Vec<String> = self
            .0
            .iter()
            .map(|listed| match listed {
                Listed::Freeze(freeze) => format!("- {}", freeze.described),
                Listed::Unreadable(unreadable) => {
                    format!(
                        "- {}: {}",
                        paint("UNREADABLE", Tone::Bad, colour),
                        unreadable.described
                    )
                }
            })
            .collect();
        lines.join("\n")
    }
}

/// A freeze as the command line's JSON shows it (and `health` shows a blocking one).
#[derive(Serialize)]
pub struct FreezeJson {
    id: String,
    by: String,
    reason: String,
    since: i64,
    until: Option<i64>,
    covers: String,
    active: bool,
    ended_at: Option<i64>,
    unfrozen_by: Option<String>,
    /// For people: the freeze in one line.
    #[serde(skip)]
    described: String,
}

impl FreezeJson {
    /// As of `now`: whether it is active, and when it ended.
    pub fn of(freeze: &Freeze, now: i64) -> Self {
        Self {
            id: freeze.id.clone(),
            by: freeze.by.clone(),
            reason: freeze.reason.clone(),
            since: freeze.since,
            until: freeze.until,
            covers: freeze.coverage.describe(),
            active: freeze.is_active(now),
            ended_at: freeze.ended_at(now),
            unfrozen_by: freeze.unfrozen.as_ref().map(|unfrozen| unfrozen.by.clone()),
            described: freeze.describe(),
        }
    }
}

/// An item that does not read as a freeze, as the command line's JSON shows it (and `health`
/// shows a blocking one): its key as `id`, and why in `unreadable`.
#[derive(Serialize)]
pub struct UnreadableJson {
    id: String,
    unreadable: String,
    covers: String,
    active: bool,
    ended_at: Option<i64>,
    unfrozen_by: Option<String>,
    /// For people: the item in one line.
    #[serde(skip)]
    described: String,
}

impl UnreadableJson {
    /// As the item reads, whether ended by hand or not.
    pub fn of(unreadable: &UnreadableFreeze) -> Self {
        Self {
            id: unreadable.key.clone(),
            unreadable: unreadable.why.clone(),
            covers: unreadable.coverage.describe(),
            active: unreadable.is_active(),
            ended_at: unreadable.unfrozen.as_ref().map(|unfrozen| unfrozen.at),
            unfrozen_by: unreadable.unfrozen.as_ref().map(|unfrozen| unfrozen.by.clone()),
            described: unreadable.describe(),
        }
    }
}

#[cfg(test)]
#[path = "freeze_tests.rs"]
mod tests;
