//! `pipeguard override` and `overrides`: break glass in an incident. An override lets one
//! pipeline's deploy through what blocks it (every kind, or `--only` some), for at most a day,
//! and records who, why, since, until and over what in the stack's table, under a partition of
//! its own. The gate tells the topic each time a deploy goes through on one. Granting one tells
//! stage-retry at once (an EventBridge event), which resumes the pipeline's stages held only by
//! what it covers; `override --end ID` ends it before its time.

use crate::aws::Aws;
use crate::ended::{Ended, Problem};
use crate::freeze::TableArg;
use crate::output::{Report, Tone, emit, paint};
use clap::Args;
use pipeguard_aws::{OverrideStore, OverrideStoreError, new_override_id};
use pipeguard_core::gate::EVENT_STORE_VARIABLE;
use pipeguard_core::overrides::{Ended as EndedEarly, Override, OverrideRequest, RecordedOverrides};
use pipeguard_core::schedule::describe_time;
use pipeguard_core::text::printable;
use serde::Serialize;

/// Tries at making an id no other override has (two people granting in the same nanosecond).
const ID_ATTEMPTS: usize = 3;

#[derive(Args)]
pub struct OverrideArgs {
    /// The one pipeline whose deploys it lets through
    #[arg(long, required_unless_present = "end", conflicts_with = "end")]
    pipeline: Option<String>,
    /// Why: the incident and why the deploy cannot wait (told on the topic with every use)
    #[arg(long, required_unless_present = "end", conflicts_with = "end")]
    reason: Option<String>,
    /// How long it lasts (30m, 2h; at most 24h; default 1h)
    #[arg(long = "for", conflicts_with_all = ["until", "end"])]
    duration: Option<String>,
    /// When it ends, RFC 3339 (2026-12-01T18:00:00Z), at most 24 hours from now
    #[arg(long, conflicts_with = "end")]
    until: Option<String>,
    /// What it passes over, comma-separated: health, alarms, calendars, freezes, windows,
    /// locks (default: all; never configuration errors)
    #[arg(long, conflicts_with = "end")]
    only: Vec<String>,
    /// End the override with this id before its time (`pipeguard overrides` lists them)
    #[arg(long, value_name = "ID")]
    end: Option<String>,
    #[command(flatten)]
    table: TableArg,
}

#[derive(Args)]
pub struct OverridesArgs {
    /// Also the overrides that ended in the last 30 days
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    table: TableArg,
}

fn store(aws: &Aws, table: TableArg) -> Result<OverrideStore, Problem> {
    aws.override_store(table.events_table).ok_or_else(|| {
        Problem::Usage(format!(
            "no table to keep overrides in: pass --events-table (the stack's HealthEventsTableName output) or set {EVENT_STORE_VARIABLE}"
        ))
    })
}

fn failed(error: OverrideStoreError) -> Problem {
    Problem::Failed(error.to_string())
}

/// Grants an override (or ends one, with `--end`).
pub async fn run(aws: &Aws, args: OverrideArgs, json: bool) -> Result<Ended, Problem> {
    match args.end {
        Some(id) => end(aws, &id, args.table, json).await,
        None => grant(aws, args, json).await,
    }
}

async fn grant(aws: &Aws, args: OverrideArgs, json: bool) -> Result<Ended, Problem> {
    let store = store(aws, args.table)?;
    let pipeline = args.pipeline.unwrap_or_default();
    let request = OverrideRequest {
        pipeline: pipeline.clone(),
        reason: args.reason.unwrap_or_default(),
        duration: args.duration,
        until: args.until,
        only: args.only,
    };
    // Checked before anything is asked of AWS, so that a bad request writes nothing.
    let now = pipeguard_aws::clock::unix_seconds();
    request
        .grant(String::new(), String::new(), now)
        .map_err(|error| Problem::Usage(error.to_string()))?;
    if !aws.codepipeline.pipelines().await?.contains(&pipeline) {
        return Err(Problem::UnknownPipelines(vec![pipeline]));
    }
    let who = aws.identity().await?;
    let mut attempt = 0;
    let granted = loop {
        attempt += 1;
        let now = pipeguard_aws::clock::unix_seconds();
        let granted = request
            .grant(new_override_id(), who.arn.clone(), now)
            .map_err(|error| Problem::Usage(error.to_string()))?;
        match store.create(&granted).await {
            Ok(()) => break granted,
            Err(OverrideStoreError::IdTaken(_)) if attempt < ID_ATTEMPTS => continue,
            Err(error) => return Err(failed(error)),
        }
    };
    // Recorded: whatever happens next, say so, with the id to end it.
    let problems = match aws.announce_override(&granted).await {
        Ok(()) => Vec::new(),
        Err(error) => vec![format!(
            "override {} granted, but stage-retry could not be told at once ({error}): its sweep resumes the held stages on its schedule",
            granted.id
        )],
    };
    let report = OverrideReport::of(&granted, now, problems);
    emit(&report, json)?;
    Ok(if report.problems.is_empty() {
        Ended::Ok
    } else {
        Ended::Failed
    })
}

async fn end(aws: &Aws, id: &str, table: TableArg, json: bool) -> Result<Ended, Problem> {
    let store = store(aws, table)?;
    let who = aws.identity().await?;
    let now = pipeguard_aws::clock::unix_seconds();
    let recorded = store.all().await.map_err(failed)?;
    let Some(granted) = recorded.overrides.iter().find(|granted| granted.id == id) else {
        return Err(Problem::Usage(format!(
            "no override has id {} (`pipeguard overrides --all` lists them)",
            printable(id)
        )));
    };
    // One not yet begun (its granter's clock ahead of this one) may be ended too.
    if granted.ended.is_some() || now >= granted.until {
        let at = granted.ended.as_ref().map_or(granted.until, |ended| ended.at);
        return Err(Problem::Usage(format!(
            "override {} already ended at {}",
            printable(id),
            describe_time(at)
        )));
    }
    let ended = EndedEarly { at: now, by: who.arn };
    let ended = store.end(granted, ended).await.map_err(|error| match error {
        error @ OverrideStoreError::NotActive(_) => {
            Problem::Failed(format!("{error}: someone ended it just now"))
        }
        error => failed(error),
    })?;
    emit(&OverrideListing::of(&[ended], now), json)?;
    Ok(Ended::Ok)
}

/// Lists the overrides in force (and, with --all, those kept from the last 30 days), and the
/// items that do not read as overrides.
pub async fn list(aws: &Aws, args: OverridesArgs, json: bool) -> Result<Ended, Problem> {
    let store = store(aws, args.table)?;
    let now = pipeguard_aws::clock::unix_seconds();
    let RecordedOverrides {
        overrides,
        unreadable,
    } = store.all().await.map_err(failed)?;
    let shown: Vec<Override> = overrides
        .into_iter()
        .filter(|granted| args.all || granted.is_active(now))
        .collect();
    for item in &unreadable {
        eprintln!(
            "pipeguard: override item {} does not read, and passes nothing: {}",
            printable(&item.key),
            printable(&item.why)
        );
    }
    emit(&OverrideListing::of(&shown, now), json)?;
    Ok(Ended::Ok)
}

/// What `override` answers: the override granted, whether stage-retry was told, what went wrong.
#[derive(Serialize)]
pub struct OverrideReport {
    granted: OverrideJson,
    resume_announced: bool,
    problems: Vec<String>,
}

impl OverrideReport {
    /// `granted` at `now`, stage-retry told of it unless `problems` say otherwise.
    pub fn of(granted: &Override, now: i64, problems: Vec<String>) -> Self {
        Self {
            granted: OverrideJson::of(granted, now),
            resume_announced: problems.is_empty(),
            problems,
        }
    }
}

impl Report for OverrideReport {
    fn text(&self, colour: bool) -> String {
        format!(
            "{}: {}\nThe gate lets {}'s deploys through what it covers, and tells the topic each time; `pipeguard override --end {}` ends it.",
            paint("OVERRIDE", Tone::Waiting, colour),
            self.granted.described,
            printable(&self.granted.pipeline),
            printable(&self.granted.id)
        )
    }

    fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// The overrides, as `overrides` answers and `override --end` shows the one it ended.
#[derive(Serialize)]
#[serde(transparent)]
pub struct OverrideListing(Vec<OverrideJson>);

impl OverrideListing {
    /// As of `now`: whether each is in force, and when it ended.
    pub fn of(overrides: &[Override], now: i64) -> Self {
        Self(
            overrides
                .iter()
                .map(|granted| OverrideJson::of(granted, now))
                .collect(),
        )
    }
}

impl Report for OverrideListing {
    fn text(&self, _colour: bool) -> String {
        if self.0.is_empty() {
            return "No override is in force.".into();
        }
        self.0
            .iter()
            .map(|granted| match granted.ended_by.as_deref() {
                Some(by) => format!("- {} (ended by {})", granted.described, printable(by)),
                None if granted.active => format!("- {}", granted.described),
                None => format!("- {} (expired)", granted.described),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// An override as the command line's JSON shows it.
#[derive(Serialize)]
pub struct OverrideJson {
    id: String,
    pipeline: String,
    by: String,
    reason: String,
    since: i64,
    until: i64,
    kinds: Vec<&'static str>,
    active: bool,
    ended_at: Option<i64>,
    ended_by: Option<String>,
    /// For people: the override in one line.
    #[serde(skip)]
    described: String,
}

impl OverrideJson {
    /// As of `now`.
    pub fn of(granted: &Override, now: i64) -> Self {
        Self {
            id: granted.id.clone(),
            pipeline: granted.pipeline.clone(),
            by: granted.by.clone(),
            reason: granted.reason.clone(),
            since: granted.since,
            until: granted.until,
            kinds: granted.kinds.iter().map(|kind| kind.name()).collect(),
            active: granted.is_active(now),
            ended_at: granted.ended.as_ref().map(|ended| ended.at),
            ended_by: granted.ended.as_ref().map(|ended| ended.by.clone()),
            described: format!(
                "{} for pipeline {}",
                granted.describe(),
                printable(&granted.pipeline)
            ),
        }
    }
}
