//! Freezes: "stop every deploy", said by a person, recorded with who, why, since and until
//! when, and which pipelines it covers. The gate treats an active freeze covering its pipeline
//! as a blocker; a freeze ends when someone ends it or when its `until` comes.

use crate::config::dedup;
pub use crate::record::{Attribute, Item};
use crate::record::{one_line, parse_span, parse_until, text_attribute, whole_attribute};
use crate::schedule::describe_time;
use crate::selection::PipelineSelection;
use crate::text::printable;

pub use crate::record::MAX_REASON_CHARS;

/// The longest an id may be: pipeguard's are 14 characters; a hand-written one has room.
pub const MAX_ID_CHARS: usize = 64;

/// The longest a freeze may last, set by `--for` or `--until`: a year (and a leap day).
pub const MAX_FREEZE_SECS: i64 = 366 * 24 * 3600;

/// Whether a freeze covering `coverage` covers `pipeline`. A pipeline whose name is not known
/// is covered by every freeze: a gate that cannot tell must not let the deploy through.
fn covers(coverage: &PipelineSelection, pipeline: Option<&str>) -> bool {
    pipeline.is_none_or(|name| coverage.selects(name))
}

/// How a freeze was ended by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfrozen {
    /// When (seconds since the Unix epoch).
    pub at: i64,
    /// Who: the caller's identity (an ARN).
    pub by: String,
}

/// A freeze as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    /// Its id, unique in the table.
    pub id: String,
    /// Who froze: the caller's identity (an ARN).
    pub by: String,
    /// Why, in the words of whoever froze.
    pub reason: String,
    /// When it began (seconds since the Unix epoch).
    pub since: i64,
    /// When it ends by itself, if it does.
    pub until: Option<i64>,
    /// Which pipelines it covers.
    pub coverage: PipelineSelection,
    /// Whether, when and by whom it was ended by hand.
    pub unfrozen: Option<Unfrozen>,
}

impl Freeze {
    /// When it ended (by hand, or by reaching `until`), as of `now`; None while it is active.
    pub fn ended_at(&self, now: i64) -> Option<i64> {
        let by_hand = self.unfrozen.as_ref().map(|unfrozen| unfrozen.at);
        let by_itself = self.until.filter(|until| *until <= now);
        match (by_hand, by_itself) {
            (Some(hand), Some(itself)) => Some(hand.min(itself)),
            (hand, itself) => hand.or(itself),
        }
    }

    /// Whether it holds deploys at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        self.ended_at(now).is_none()
    }

    /// Whether it holds `pipeline`'s deploys at `now`.
    pub fn holds(&self, pipeline: Option<&str>, now: i64) -> bool {
        self.is_active(now) && covers(&self.coverage, pipeline)
    }

    /// One line a person can act on: which freeze, who, why, since and until when.
    pub fn describe(&self) -> String {
        let until = self.until.map_or_else(
            || "until unfrozen".to_owned(),
            |until| format!("until {}", describe_time(until)),
        );
        format!(
            "freeze {id} by {by}: \"{reason}\" (since {since}, {until}; {coverage})",
            id = printable(&self.id),
            by = printable(&self.by),
            reason = printable(&self.reason),
            since = describe_time(self.since),
            coverage = self.coverage.describe(),
        )
    }
}

/// A freeze's item that does not read as a freeze (written by hand, or by something other than
/// pipeguard): it holds every pipeline it might cover (every pipeline, when its coverage does
/// not read either) until it is ended by hand. Its own `until` is not trusted, as nothing else
/// in it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableFreeze {
    /// The item's key (`arn`), as written: what `pipeguard unfreeze` takes to end it.
    pub key: String,
    /// What does not read, for the person who has to correct or end it.
    pub why: String,
    /// The pipelines it covers as written, or every pipeline when that does not read.
    pub coverage: PipelineSelection,
    /// Whether, when and by whom it was ended by hand.
    pub unfrozen: Option<Unfrozen>,
}

impl UnreadableFreeze {
    /// Whether it holds deploys: until ended by hand.
    pub fn is_active(&self) -> bool {
        self.unfrozen.is_none()
    }

    /// Whether it holds `pipeline`'s deploys.
    pub fn holds(&self, pipeline: Option<&str>) -> bool {
        self.is_active() && covers(&self.coverage, pipeline)
    }

    /// One line a person can act on: which item, what does not read, what it holds.
    pub fn describe(&self) -> String {
        let state = match &self.unfrozen {
            None => format!(
                "it holds {} until `pipeguard unfreeze {}` ends it",
                self.coverage.describe(),
                printable(&self.key)
            ),
            Some(unfrozen) => format!(
                "ended by {} at {}",
                printable(&unfrozen.by),
                describe_time(unfrozen.at)
            ),
        };
        format!(
            "unreadable freeze {}: {}; {state}",
            printable(&self.key),
            printable(&self.why)
        )
    }
}

/// Every item in the freezes' partition: the freezes, and the items that do not read as one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordedFreezes {
    /// The items that read as freezes.
    pub freezes: Vec<Freeze>,
    /// The items that do not.
    pub unreadable: Vec<UnreadableFreeze>,
}

impl From<Vec<Freeze>> for RecordedFreezes {
    fn from(freezes: Vec<Freeze>) -> Self {
        Self {
            freezes,
            unreadable: Vec::new(),
        }
    }
}

impl RecordedFreezes {
    /// No freeze at all.
    pub const NONE: &'static Self = &Self {
        freezes: Vec::new(),
        unreadable: Vec::new(),
    };

    /// Each item read, by its key, into a freeze or an unreadable one.
    pub fn read(items: impl IntoIterator<Item = (String, Item)>) -> Self {
        let mut recorded = Self::default();
        for (key, item) in items {
            match read_freeze(&key, &item) {
                Ok(freeze) => recorded.freezes.push(freeze),
                Err(unreadable) => recorded.unreadable.push(unreadable),
            }
        }
        recorded
    }

    /// Whether the pipeline's name changes what holds at `now`: some active freeze (readable
    /// or not) covers some pipelines only. When none does, the gate need not ask CodePipeline
    /// for the name.
    pub fn name_matters(&self, now: i64) -> bool {
        self.freezes
            .iter()
            .any(|freeze| freeze.is_active(now) && freeze.coverage != PipelineSelection::Everything)
            || self.unreadable.iter().any(|unreadable| {
                unreadable.is_active() && unreadable.coverage != PipelineSelection::Everything
            })
    }

    /// The unreadable items that hold `pipeline`.
    pub fn unreadable_holding(&self, pipeline: Option<&str>) -> Vec<&UnreadableFreeze> {
        self.unreadable
            .iter()
            .filter(|unreadable| unreadable.holds(pipeline))
            .collect()
    }
}

/// The freeze item `key` holds, as pipeguard writes it: an id of letters, digits, `-`, `_` and
/// `.`, `frozen_by` and a `reason` (one line, at most 500 characters), `since` in whole seconds,
/// an optional `until` after it, at most one of `prefix` and a non-empty list `pipelines`, and
/// `unfrozen_at` with `unfrozen_by` once ended. Other attributes (the TTL's) are not read. An
/// item that is anything else is unreadable, with every reason why.
pub fn read_freeze(key: &str, item: &Item) -> Result<Freeze, UnreadableFreeze> {
    let mut problems = Vec::new();
    if let Err(problem) = check_id(key) {
        problems.push(problem);
    }
    let mut fields = Fields {
        item,
        problems: &mut problems,
    };
    let by = fields.text("frozen_by", true);
    let reason = fields.reason();
    let since = fields.whole("since", true);
    let until = fields.whole("until", false);
    let coverage = coverage_of(item);
    let unfrozen = unfrozen_of(item);
    if let (Some(since), Some(until)) = (since, until)
        && until <= since
    {
        problems.push(format!(
            "until ({}) is not after since ({})",
            describe_time(until),
            describe_time(since)
        ));
    }
    if let Err(problem) = &coverage {
        problems.push(problem.clone());
    }
    if let Err(problem) = &unfrozen {
        problems.push(problem.clone());
    }
    match (by, reason, since, coverage, unfrozen) {
        (Some(by), Some(reason), Some(since), Ok(coverage), Ok(unfrozen)) if problems.is_empty() => {
            Ok(Freeze {
                id: key.to_owned(),
                by,
                reason,
                since,
                until,
                coverage,
                unfrozen,
            })
        }
        (.., coverage, unfrozen) => Err(UnreadableFreeze {
            key: key.to_owned(),
            why: problems.join("; "),
            coverage: coverage.unwrap_or(PipelineSelection::Everything),
            unfrozen: unfrozen.ok().flatten(),
        }),
    }
}

/// Whether `id` is one a freeze may have: 1 to 64 ASCII letters, digits, `-`, `_` and `.`.
pub fn check_id(id: &str) -> Result<(), String> {
    let fits = (1..=MAX_ID_CHARS).contains(&id.chars().count())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if fits {
        Ok(())
    } else {
        Err(format!(
            "its id is not 1 to {MAX_ID_CHARS} letters, digits, `-`, `_` or `.`"
        ))
    }
}

/// Whether `reason` is one a freeze may give: not empty, one line without control characters,
/// Whether `reason` is one a freeze may give.
fn check_reason(reason: &str) -> Result<(), String> {
    crate::record::check_reason(
        reason,
        "a freeze needs a reason (--reason \"INC-4211: checkout errors\"): the people it holds will ask",
    )
}

/// The attributes of an item being read, and what does not read in it so far.
struct Fields<'a> {
    item: &'a Item,
    problems: &'a mut Vec<String>,
}

impl Fields<'_> {
    /// The text attribute `name` (one line, not empty), or None, with why when it is missing
    /// and `required`, or not such a text.
    fn text(&mut self, name: &str, required: bool) -> Option<String> {
        match text_attribute(self.item, name, required) {
            Ok(text) => text,
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }

    /// The reason, read by the rule a new freeze's follows.
    fn reason(&mut self) -> Option<String> {
        match self.item.get("reason") {
            None => self.problems.push("reason is missing".into()),
            Some(Attribute::Text(reason)) => match check_reason(reason) {
                Ok(()) => return Some(reason.clone()),
                Err(problem) => self.problems.push(problem),
            },
            Some(_) => self.problems.push("reason is not a string".into()),
        }
        None
    }

    /// The number attribute `name` in whole seconds, or None, with why when it is missing and
    /// `required`, or not such a number.
    fn whole(&mut self, name: &str, required: bool) -> Option<i64> {
        match whole_attribute(self.item, name, required) {
            Ok(whole) => whole,
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }
}

/// Which pipelines an item covers: none of `prefix` and `pipelines` (everything), or one.
fn coverage_of(item: &Item) -> Result<PipelineSelection, String> {
    // An empty prefix, which earlier releases wrote for `--prefix ""`, starts every name.
    let prefix = match item.get("prefix") {
        Some(Attribute::Text(prefix)) if prefix.is_empty() => None,
        _ => text_attribute(item, "prefix", false)?,
    };
    let pipelines = match item.get("pipelines") {
        None => None,
        Some(Attribute::List(names)) if !names.is_empty() => Some(
            names
                .iter()
                .map(|name| match name {
                    Attribute::Text(name) => one_line("a name in pipelines", name).map(|()| name.clone()),
                    _ => Err("pipelines has an entry that is not a string".to_owned()),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(Attribute::List(_)) => return Err("pipelines is empty".into()),
        Some(_) => return Err("pipelines is not a list".into()),
    };
    match (prefix, pipelines) {
        (Some(_), Some(_)) => Err("it has both a prefix and pipelines".into()),
        (Some(prefix), None) => Ok(PipelineSelection::Prefix(prefix)),
        (None, Some(names)) => Ok(PipelineSelection::Names(names)),
        (None, None) => Ok(PipelineSelection::Everything),
    }
}

/// Whether, when and by whom an item was ended by hand: both `unfrozen_at` and `unfrozen_by`,
/// or neither.
fn unfrozen_of(item: &Item) -> Result<Option<Unfrozen>, String> {
    let at = whole_attribute(item, "unfrozen_at", false)?;
    let by = text_attribute(item, "unfrozen_by", false)?;
    match (at, by) {
        (Some(at), Some(by)) => Ok(Some(Unfrozen { at, by })),
        (None, None) => Ok(None),
        (Some(_), None) => Err("unfrozen_at is there without unfrozen_by".into()),
        (None, Some(_)) => Err("unfrozen_by is there without unfrozen_at".into()),
    }
}

/// The freezes could not be read (why, naming the table).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the freezes could not be read: {0}")]
pub struct FreezesUnread(pub String);

/// " by freeze ID (WHO: "WHY"), ..." for a release's words, or nothing without freezes.
pub fn by_whom(freezes: &[Freeze]) -> String {
    if freezes.is_empty() {
        return String::new();
    }
    let credits: Vec<String> = freezes
        .iter()
        .map(|freeze| {
            format!(
                "freeze {} ({}: \"{}\")",
                printable(&freeze.id),
                printable(&freeze.by),
                printable(&freeze.reason)
            )
        })
        .collect();
    format!(" by {}", credits.join(", "))
}

/// The freezes that hold `pipeline` at `now`.
pub fn holding<'a>(freezes: &'a [Freeze], pipeline: Option<&str>, now: i64) -> Vec<&'a Freeze> {
    freezes
        .iter()
        .filter(|freeze| freeze.holds(pipeline, now))
        .collect()
}

/// A freeze that cannot be made as asked: nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreezeError {
    /// No reason, or one too long.
    #[error("{0}")]
    Reason(String),
    /// `--for` is not a duration.
    #[error("`{given}` is not a duration: {reason} (e.g. 90m, 2h, 1d, 1h30m)")]
    Duration {
        /// As given.
        given: String,
        /// What is wrong.
        reason: String,
    },
    /// `--until` is not a time, or not one in the future.
    #[error("{0}")]
    Until(String),
    /// Names pipelines that do not exist, or a prefix no pipeline has.
    #[error("{0}")]
    UnknownPipelines(String),
}

/// What a person asked to freeze, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FreezeRequest {
    /// Why.
    pub reason: String,
    /// `--for`: how long.
    pub duration: Option<String>,
    /// `--until`: until when (RFC 3339).
    pub until: Option<String>,
    /// The pipelines to freeze: `--prefix`, names, or every one.
    pub pipelines: PipelineSelection,
}

impl FreezeRequest {
    /// The freeze to record, with `id`, for `by`, beginning at `now`, checked against the
    /// pipelines that exist: a reason is required, an end must be in the future, and every
    /// pipeline named (or the prefix) must match one that exists.
    pub fn freeze(
        &self,
        id: String,
        by: String,
        now: i64,
        existing: &[String],
    ) -> Result<Freeze, FreezeError> {
        let reason = self.reason.trim();
        check_reason(reason).map_err(FreezeError::Reason)?;
        let until = match (&self.duration, &self.until) {
            (Some(duration), _) => Some(now.saturating_add(parse_duration(duration)?)),
            (None, Some(until)) => {
                let until = parse_time(until)?;
                if until <= now {
                    return Err(FreezeError::Until(format!(
                        "--until {} is not in the future (it is {} now)",
                        describe_time(until),
                        describe_time(now)
                    )));
                }
                check_lasts(until - now).map_err(|reason| {
                    FreezeError::Until(format!("--until {}: {reason}", describe_time(until)))
                })?;
                Some(until)
            }
            (None, None) => None,
        };
        let coverage = match &self.pipelines {
            PipelineSelection::Prefix(prefix) => {
                if prefix.trim().is_empty() {
                    return Err(FreezeError::UnknownPipelines(
                        "--prefix is empty: name a prefix, or leave --prefix out to freeze every pipeline"
                            .into(),
                    ));
                }
                if !existing.iter().any(|name| self.pipelines.selects(name)) {
                    return Err(FreezeError::UnknownPipelines(format!(
                        "no pipeline's name starts with `{prefix}`: nothing would be frozen"
                    )));
                }
                PipelineSelection::Prefix(prefix.clone())
            }
            PipelineSelection::Everything => PipelineSelection::Everything,
            // A list of no names would be written as an item that does not read.
            PipelineSelection::Names(names) if names.is_empty() => {
                return Err(FreezeError::UnknownPipelines(
                    "no pipeline named: nothing would be frozen".into(),
                ));
            }
            PipelineSelection::Names(names) => {
                let unknown: Vec<&str> = names
                    .iter()
                    .filter(|name| !existing.contains(name))
                    .map(String::as_str)
                    .collect();
                if !unknown.is_empty() {
                    return Err(FreezeError::UnknownPipelines(format!(
                        "no such pipeline: {}",
                        unknown.join(", ")
                    )));
                }
                PipelineSelection::Names(dedup(names.clone()))
            }
        };
        Ok(Freeze {
            id,
            by,
            reason: reason.to_owned(),
            since: now,
            until,
            coverage,
            unfrozen: None,
        })
    }
}

/// Seconds in `90m`, `2h`, `1d`, `1h30m` (`record::parse_span`), at least a minute, at most a
/// year.
pub fn parse_duration(text: &str) -> Result<i64, FreezeError> {
    let bad = |reason: &str| FreezeError::Duration {
        given: text.to_owned(),
        reason: reason.to_owned(),
    };
    let seconds = parse_span(text).map_err(bad)?;
    check_lasts(seconds).map_err(bad)?;
    Ok(seconds)
}

/// Seconds since the Unix epoch of an RFC 3339 time given as `--until`.
pub fn parse_time(text: &str) -> Result<i64, FreezeError> {
    parse_until(text).map_err(FreezeError::Until)
}

/// The one rule for how long a freeze set to end by itself (`--for`, `--until`) may last: at
/// least a minute, at most a year.
fn check_lasts(seconds: i64) -> Result<(), &'static str> {
    if seconds < 60 {
        return Err("a freeze lasts at least a minute");
    }
    if seconds > MAX_FREEZE_SECS {
        return Err("a freeze lasts at most a year; unfreeze and freeze again to go on");
    }
    Ok(())
}

#[cfg(test)]
#[path = "freeze_tests.rs"]
mod tests;
