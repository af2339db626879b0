//! Freezes: "stop every deploy", said by a person, recorded with who, why, since and until
//! when, and which pipelines it covers. The gate treats an active freeze covering its pipeline
//! as a blocker; a freeze ends when someone ends it or when its `until` comes.

use crate::config::dedup;
use crate::schedule::describe_time;
use chrono::DateTime;

/// The longest a reason may be: enough for an incident title and a link.
pub const MAX_REASON_CHARS: usize = 500;

/// Which pipelines a freeze covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Every pipeline.
    Everything,
    /// Pipelines whose names start with this.
    Prefix(String),
    /// These pipelines.
    Pipelines(Vec<String>),
}

impl Coverage {
    /// Whether it covers `pipeline`. A pipeline whose name is not known is covered by every
    /// freeze: a gate that cannot tell must not let the deploy through.
    pub fn covers(&self, pipeline: Option<&str>) -> bool {
        match (self, pipeline) {
            (Self::Everything, _) | (_, None) => true,
            (Self::Prefix(prefix), Some(name)) => name.starts_with(prefix.as_str()),
            (Self::Pipelines(names), Some(name)) => names.iter().any(|named| named == name),
        }
    }

    /// For people: "every pipeline", "pipelines starting with prod-", "pipelines a, b".
    pub fn describe(&self) -> String {
        match self {
            Self::Everything => "every pipeline".into(),
            Self::Prefix(prefix) => format!("pipelines starting with {prefix}"),
            Self::Pipelines(names) => format!("pipelines {}", names.join(", ")),
        }
    }
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
    pub coverage: Coverage,
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
        self.is_active(now) && self.coverage.covers(pipeline)
    }

    /// One line a person can act on: which freeze, who, why, since and until when.
    pub fn describe(&self) -> String {
        let until = self.until.map_or_else(
            || "until unfrozen".to_owned(),
            |until| format!("until {}", describe_time(until)),
        );
        format!(
            "freeze {id} by {by}: \"{reason}\" (since {since}, {until}; {coverage})",
            id = self.id,
            by = self.by,
            reason = self.reason,
            since = describe_time(self.since),
            coverage = self.coverage.describe(),
        )
    }
}

/// Whether the pipeline's name changes what `freezes` hold at `now`: some active freeze covers
/// some pipelines only. When none does, the gate need not ask CodePipeline for the name.
pub fn name_matters(freezes: &[Freeze], now: i64) -> bool {
    freezes
        .iter()
        .any(|freeze| freeze.is_active(now) && freeze.coverage != Coverage::Everything)
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
        .map(|freeze| format!("freeze {} ({}: \"{}\")", freeze.id, freeze.by, freeze.reason))
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
    /// `--prefix`.
    pub prefix: Option<String>,
    /// Pipelines by name.
    pub pipelines: Vec<String>,
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
        if reason.is_empty() {
            return Err(FreezeError::Reason(
                "a freeze needs a reason (--reason \"INC-4211: checkout errors\"): the people it holds will ask".into(),
            ));
        }
        if reason.chars().any(char::is_control) {
            return Err(FreezeError::Reason(
                "the reason must be one line of text, without control characters".into(),
            ));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(FreezeError::Reason(format!(
                "the reason is {} characters; at most {MAX_REASON_CHARS}",
                reason.chars().count()
            )));
        }
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
                Some(until)
            }
            (None, None) => None,
        };
        let coverage = match (&self.prefix, self.pipelines.as_slice()) {
            (Some(prefix), _) => {
                if !existing.iter().any(|name| name.starts_with(prefix.as_str())) {
                    return Err(FreezeError::UnknownPipelines(format!(
                        "no pipeline's name starts with `{prefix}`: nothing would be frozen"
                    )));
                }
                Coverage::Prefix(prefix.clone())
            }
            (None, []) => Coverage::Everything,
            (None, names) => {
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
                Coverage::Pipelines(dedup(names.to_vec()))
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

/// Seconds in `90m`, `2h`, `1d`, `1h30m`: whole numbers of days, hours and minutes, largest
/// first, each unit once; at least a minute, at most a year.
pub fn parse_duration(text: &str) -> Result<i64, FreezeError> {
    let bad = |reason: &str| FreezeError::Duration {
        given: text.to_owned(),
        reason: reason.to_owned(),
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad("it is empty"));
    }
    let units = [('d', 24 * 3600), ('h', 3600), ('m', 60)];
    let mut next_unit = 0;
    let mut seconds: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad("each part is a number and a unit: d, h or m"));
        }
        let number: i64 = rest[..digits]
            .parse()
            .map_err(|_| bad("the number is too large"))?;
        let unit = rest[digits..]
            .chars()
            .next()
            .ok_or_else(|| bad("a number needs a unit: d, h or m"))?;
        let position = units[next_unit..]
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(|| bad("units are d, h and m, largest first, each once"))?;
        let (_, per_unit) = units[next_unit + position];
        seconds = number
            .checked_mul(per_unit)
            .and_then(|part| seconds.checked_add(part))
            .ok_or_else(|| bad("it is too long"))?;
        next_unit += position + 1;
        rest = &rest[digits + unit.len_utf8()..];
    }
    if seconds < 60 {
        return Err(bad("a freeze lasts at least a minute"));
    }
    if seconds > 366 * 24 * 3600 {
        return Err(bad(
            "a freeze lasts at most a year; unfreeze and freeze again to go on",
        ));
    }
    Ok(seconds)
}

/// Seconds since the Unix epoch of an RFC 3339 time (`2026-12-01T18:00:00Z`,
/// `2026-12-01T19:00:00+01:00`).
pub fn parse_time(text: &str) -> Result<i64, FreezeError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|time| time.timestamp())
        .map_err(|error| {
            FreezeError::Until(format!(
                "--until `{text}` is not an RFC 3339 time such as 2026-12-01T18:00:00Z ({error})"
            ))
        })
}

#[cfg(test)]
#[path = "freeze_tests.rs"]
mod tests;
