//! Break-glass overrides: "let this pipeline's deploy through what blocks it", said by a person
//! in an incident, recorded with who, why, since and until when, for one pipeline and the kinds
//! of blocker it passes over. Every use is told; it lasts at most a day; configuration errors
//! are never passed over. An override's item that does not read passes nothing.

use crate::record::{Item, parse_span, parse_until, text_attribute, whole_attribute};
use crate::schedule::describe_time;
use crate::text::printable;

/// The longest an override may last: a day, so that none is forgotten in place.
pub const MAX_OVERRIDE_SECS: i64 = 24 * 3600;

/// How long an override lasts when neither `--for` nor `--until` is given.
pub const DEFAULT_OVERRIDE_SECS: i64 = 3600;

/// The kinds of blocker an override may pass over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OverrideKind {
    /// AWS Health events, and AWS Health that could not be asked.
    Health,
    /// CloudWatch alarms.
    Alarms,
    /// Change calendars.
    Calendars,
    /// Freezes, and freezes that could not be read.
    Freezes,
    /// Deployment windows and blackouts.
    Windows,
    /// Pipelines that must not be running (`block_while_running`).
    Locks,
}

impl OverrideKind {
    /// Every kind, the default of an override.
    pub const ALL: [Self; 6] = [
        Self::Health,
        Self::Alarms,
        Self::Calendars,
        Self::Freezes,
        Self::Windows,
        Self::Locks,
    ];

    /// Its name, as given to `--only` and written in the item.
    pub fn name(self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::Alarms => "alarms",
            Self::Calendars => "calendars",
            Self::Freezes => "freezes",
            Self::Windows => "windows",
            Self::Locks => "locks",
        }
    }

    /// The kind `name` names.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == name.trim())
            .ok_or_else(|| {
                format!(
                    "`{}` is not a kind of blocker an override passes over: {}",
                    printable(name),
                    Self::ALL.map(Self::name).join(", ")
                )
            })
    }
}

/// How an override was ended before its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// When (seconds since the Unix epoch).
    pub at: i64,
    /// Who: the caller's identity (an ARN).
    pub by: String,
}

/// An override as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Its id, unique in the table.
    pub id: String,
    /// The one pipeline it lets through.
    pub pipeline: String,
    /// Who granted it: the caller's identity (an ARN).
    pub by: String,
    /// Why, in the words of whoever granted it.
    pub reason: String,
    /// When it began (seconds since the Unix epoch).
    pub since: i64,
    /// When it ends by itself.
    pub until: i64,
    /// What it passes over, in the order of `OverrideKind::ALL`.
    pub kinds: Vec<OverrideKind>,
    /// Whether, when and by whom it was ended before its time.
    pub ended: Option<Ended>,
}

impl Override {
    /// Whether it is in force at `now`: begun, not past its `until`, not ended by hand.
    pub fn is_active(&self, now: i64) -> bool {
        self.ended.is_none() && self.since <= now && now < self.until
    }

    /// What it passes over, as people read it: `every blocker` or `health, freezes`.
    pub fn describe_kinds(&self) -> String {
        if self.kinds.len() == OverrideKind::ALL.len() {
            "every blocker".to_owned()
        } else {
            self.kinds
                .iter()
                .map(|kind| kind.name())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// One line a person can act on: which, by whom, why, until when, over what.
    pub fn describe(&self) -> String {
        format!(
            "override {} by {}: \"{}\" (until {}; passes over {})",
            printable(&self.id),
            printable(&self.by),
            printable(&self.reason),
            describe_time(self.until),
            self.describe_kinds()
        )
    }
}

/// An override's item that does not read: it passes nothing, and is shown with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableOverride {
    /// The item's key.
    pub key: String,
    /// What does not read.
    pub why: String,
}

/// Every override the table holds, readable or not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordedOverrides {
    /// The overrides, in the table's order (by id).
    pub overrides: Vec<Override>,
    /// Items that do not read as an override.
    pub unreadable: Vec<UnreadableOverride>,
}

impl RecordedOverrides {
    /// The items, read as overrides where they read.
    pub fn read(items: impl IntoIterator<Item = (String, Item)>) -> Self {
        let mut recorded = Self::default();
        for (key, item) in items {
            match read_override(&key, &item) {
                Ok(read) => recorded.overrides.push(read),
                Err(unreadable) => recorded.unreadable.push(unreadable),
            }
        }
        recorded
    }

    /// The overrides in force at `now` for `pipeline`.
    pub fn active_for<'a>(&'a self, pipeline: &'a str, now: i64) -> impl Iterator<Item = &'a Override> {
        self.overrides
            .iter()
            .filter(move |granted| granted.pipeline == pipeline && granted.is_active(now))
    }
}

/// The override item `key` holds, as pipeguard writes it: `pipeline`, `granted_by`, `reason`,
/// `since` and `until` (after `since`, at most a day later), `kinds` (a non-empty list of kind
/// names), and `ended_at` with `ended_by` once ended by hand. Anything else does not read.
pub fn read_override(key: &str, item: &Item) -> Result<Override, UnreadableOverride> {
    let mut problems = Vec::new();
    if let Err(problem) = crate::freeze::check_id(key) {
        problems.push(problem);
    }
    let mut text = |name: &str| {
        text_attribute(item, name, true)
            .map_err(|problem| problems.push(problem))
            .ok()
            .flatten()
    };
    let (pipeline, by, reason) = (text("pipeline"), text("granted_by"), text("reason"));
    let mut whole = |name: &str, required: bool| {
        whole_attribute(item, name, required)
            .map_err(|problem| problems.push(problem))
            .ok()
            .flatten()
    };
    let (since, until, ended_at) = (
        whole("since", true),
        whole("until", true),
        whole("ended_at", false),
    );
    if let Some(reason) = &reason
        && let Err(problem) = check_reason(reason)
    {
        problems.push(problem);
    }
    if let (Some(since), Some(until)) = (since, until)
        && !(since < until && until - since <= MAX_OVERRIDE_SECS)
    {
        problems.push("until is not after since, or more than a day after it".to_owned());
    }
    let kinds = match item.get("kinds") {
        Some(crate::record::Attribute::List(names)) if !names.is_empty() => names
            .iter()
            .map(|name| match name {
                crate::record::Attribute::Text(name) => OverrideKind::parse(name),
                _ => Err("kinds has an entry that is not a string".to_owned()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|problem| problems.push(problem))
            .ok(),
        _ => {
            problems.push("kinds is missing, empty or not a list".to_owned());
            None
        }
    };
    let ended_by = text_attribute(item, "ended_by", false)
        .map_err(|problem| problems.push(problem.clone()))
        .ok()
        .flatten();
    let ended = match (ended_at, ended_by) {
        (Some(at), Some(by)) => Some(Ended { at, by }),
        (None, None) => None,
        _ => {
            problems.push("ended_at and ended_by are not both there".to_owned());
            None
        }
    };
    match (pipeline, by, reason, since, until, kinds) {
        (Some(pipeline), Some(by), Some(reason), Some(since), Some(until), Some(mut kinds))
            if problems.is_empty() =>
        {
            kinds.sort();
            kinds.dedup();
            Ok(Override {
                id: key.to_owned(),
                pipeline,
                by,
                reason,
                since,
                until,
                kinds,
                ended,
            })
        }
        _ => Err(UnreadableOverride {
            key: key.to_owned(),
            why: problems.join("; "),
        }),
    }
}

/// Whether `reason` is one an override may give.
fn check_reason(reason: &str) -> Result<(), String> {
    crate::record::check_reason(
        reason,
        "an override needs a reason: the incident and why the deploy cannot wait",
    )
}

/// An override that cannot be granted as asked: nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OverrideError(pub String);

/// What a person asked to override, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OverrideRequest {
    /// The pipeline.
    pub pipeline: String,
    /// Why.
    pub reason: String,
    /// `--for`: how long.
    pub duration: Option<String>,
    /// `--until`: until when (RFC 3339).
    pub until: Option<String>,
    /// `--only`: the kinds it passes over; every kind when empty.
    pub only: Vec<String>,
}

impl OverrideRequest {
    /// The override to record, with `id`, for `by`, beginning at `now`: a reason is required,
    /// it ends within a day and in the future, and names only known kinds.
    pub fn grant(&self, id: String, by: String, now: i64) -> Result<Override, OverrideError> {
        let reason = self.reason.trim();
        check_reason(reason).map_err(OverrideError)?;
        let until = match (&self.duration, &self.until) {
            (Some(duration), _) => {
                let seconds = parse_span(duration).map_err(|why| {
                    OverrideError(format!(
                        "--for `{}` is not a duration: {why} (e.g. 30m, 2h)",
                        printable(duration)
                    ))
                })?;
                now.saturating_add(seconds)
            }
            (None, Some(until)) => parse_until(until).map_err(OverrideError)?,
            (None, None) => now + DEFAULT_OVERRIDE_SECS,
        };
        if until <= now {
            return Err(OverrideError(format!(
                "the override would end at {}, which is not after now ({})",
                describe_time(until),
                describe_time(now)
            )));
        }
        if until - now > MAX_OVERRIDE_SECS {
            return Err(OverrideError(format!(
                "an override lasts at most 24 hours (it would end at {}); grant another when it ends",
                describe_time(until)
            )));
        }
        let mut kinds = if self.only.is_empty() {
            OverrideKind::ALL.to_vec()
        } else {
            self.only
                .iter()
                .flat_map(|list| list.split(','))
                .map(OverrideKind::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(OverrideError)?
        };
        kinds.sort();
        kinds.dedup();
        Ok(Override {
            id,
            pipeline: self.pipeline.clone(),
            by,
            reason: reason.to_owned(),
            since: now,
            until,
            kinds,
            ended: None,
        })
    }
}

#[cfg(test)]
#[path = "overrides_tests.rs"]
mod tests;
