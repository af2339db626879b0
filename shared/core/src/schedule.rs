//! Deployment windows and blackouts: when a deploy may start, in the time zones people plan in.
//!
//! A window is `DAYS HH:MM-HH:MM ZONE` (`Mon-Thu 09:00-16:00 Europe/Berlin`, `Mon,Wed,Fri
//! 10:00-12:00 UTC`, `daily 22:00-02:00 America/New_York`: a window may run past midnight, and
//! its days are the days it starts on). A blackout is `FIRST..LAST ZONE` or `DAY ZONE`
//! (`2026-12-20..2027-01-04 Europe/Berlin`): whole days, both ends included. A deploy may start
//! when some window is open (or none is set) and no blackout covers the moment. Times are
//! compared in each expression's own zone, so daylight saving time moves with the clocks.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use jiff::tz::{AmbiguousOffset, TimeZone};

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MINUTES_PER_DAY: u32 = 24 * 60;
/// How far ahead the next opening is looked for, past the last blackout: a week covers every
/// window's days.
const LOOKAHEAD_DAYS: u64 = 8;
/// The furthest a next opening is looked for: beyond it, the schedule is taken to stay closed.
const HORIZON_DAYS: i64 = 3 * 366;

/// A window or blackout expression that cannot be used, quoted, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{expression}`: {reason}")]
pub struct ScheduleError {
    /// The expression as given.
    pub expression: String,
    /// What is wrong with it, and what is expected.
    pub reason: String,
}

/// A weekly time in which deploys may start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    text: String,
    /// Monday first.
    days: [bool; 7],
    start_minute: u32,
    /// Past the start (`1..=1440` minutes on), so that a window may end at 24:00 or run past
    /// midnight.
    length_minutes: u32,
    zone: Zone,
}

/// Whole days in which no deploy may start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blackout {
    text: String,
    first: NaiveDate,
    last: NaiveDate,
    zone: Zone,
}

/// The windows and blackouts of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    pub(crate) windows: Vec<Window>,
    pub(crate) blackouts: Vec<Blackout>,
}

/// Why a deploy may not start now, and when it next may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The blackout that covers this moment, or the windows none of which is open, as written.
    pub because: String,
    /// When a deploy may next start (seconds since the Unix epoch); None when no window opens
    /// within three years.
    pub opens_at: Option<i64>,
}

fn error(expression: &str, reason: impl Into<String>) -> ScheduleError {
    ScheduleError {
        expression: expression.to_owned(),
        reason: reason.into(),
    }
}

/// An IANA time zone, from the database compiled in: jiff's bundle is one block of bytes, and a
/// zone is read from it when a schedule first names it. chrono-tz's tables of pointers were
/// relocated at every cold start (about 29,000 relocations, 1 MiB of memory), windows or not.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Zone(TimeZone);

impl Zone {
    /// The zone named exactly `name`, as the database spells it (`Europe/Berlin`, not
    /// `europe/berlin`).
    fn named(name: &str) -> Option<Self> {
        // `Factory` is the database's placeholder for "no zone set", not a place (chrono-tz's
        // database, used before, did not have it).
        if name == "Factory" {
            return None;
        }
        let zone = TimeZone::get(name).ok()?;
        (zone.iana_name() == Some(name) && !zone.is_unknown()).then_some(Self(zone))
    }

    /// How far the zone's clocks are ahead of UTC at `at` (seconds since the epoch), in seconds.
    fn offset_at(&self, at: i64) -> Option<i32> {
        jiff::Timestamp::from_second(at)
            .ok()
            .map(|at| self.0.to_offset(at).seconds())
    }

    /// What the zone's clocks read at `now`.
    fn local(&self, now: DateTime<Utc>) -> NaiveDateTime {
        let offset = chrono::Duration::seconds(self.offset_at(now.timestamp()).unwrap_or(0).into());
        let utc = now.naive_utc();
        utc.checked_add_signed(offset).unwrap_or(utc)
    }

    /// The instants (seconds since the epoch) at which the zone's clocks read `local`: one, two
    /// when the clocks go back over it (the earlier first), none when they jump over it.
    fn instants(&self, local: NaiveDateTime) -> LocalResult<i64> {
        let civil = (|| {
            jiff::civil::DateTime::new(
                i16::try_from(local.year()).ok()?,
                i8::try_from(local.month()).ok()?,
                i8::try_from(local.day()).ok()?,
                i8::try_from(local.hour()).ok()?,
                i8::try_from(local.minute()).ok()?,
                i8::try_from(local.second()).ok()?,
                0,
            )
            .ok()
        })();
        let Some(civil) = civil else {
            return LocalResult::None;
        };
        let at = |offset: jiff::tz::Offset| local.and_utc().timestamp() - i64::from(offset.seconds());
        match self.0.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => LocalResult::Single(at(offset)),
            AmbiguousOffset::Fold { before, after } => LocalResult::Ambiguous(at(before), at(after)),
            AmbiguousOffset::Gap { .. } => LocalResult::None,
        }
    }
}

fn zone_of(expression: &str, name: &str) -> Result<Zone, ScheduleError> {
    Zone::named(name).ok_or_else(|| {
        error(
            expression,
            format!("`{name}` is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)"),
        )
    })
}

fn day_of(expression: &str, name: &str) -> Result<usize, ScheduleError> {
    DAY_NAMES
        .iter()
        .position(|day| day.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            error(
                expression,
                format!("`{name}` is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)"),
            )
        })
}

fn days_of(expression: &str, text: &str) -> Result<[bool; 7], ScheduleError> {
    let mut days = [false; 7];
    if text.eq_ignore_ascii_case("daily") {
        return Ok([true; 7]);
    }
    for part in text.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day_of(expression, from)?, day_of(expression, to)?);
                // A range may wrap past Sunday: Fri-Mon is Friday to Monday.
                let span = (to + 7 - from) % 7;
                for offset in 0..=span {
                    days[(from + offset) % 7] = true;
                }
            }
            None => days[day_of(expression, part)?] = true,
        }
    }
    Ok(days)
}

fn minute_of(expression: &str, text: &str) -> Result<u32, ScheduleError> {
    let bad = || {
        error(
            expression,
            format!("`{text}` is not a time of day (HH:MM, 00:00 to 24:00)"),
        )
    };
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    if hours.len() != 2 || minutes.len() != 2 {
        return Err(bad());
    }
    let (hours, minutes): (u32, u32) = (
        hours.parse().map_err(|_| bad())?,
        minutes.parse().map_err(|_| bad())?,
    );
    let minute = hours * 60 + minutes;
    if minutes >= 60 || minute > MINUTES_PER_DAY {
        return Err(bad());
    }
    Ok(minute)
}

impl Window {
    /// Reads `DAYS HH:MM-HH:MM ZONE`.
    pub fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let parts: Vec<&str> = expression.split_whitespace().collect();
        let [days, times, zone] = parts[..] else {
            return Err(error(
                expression,
                "expected `DAYS HH:MM-HH:MM ZONE`, e.g. `Mon-Thu 09:00-16:00 Europe/Berlin`",
            ));
        };
        let days = days_of(expression, days)?;
        let (start, end) = times
            .split_once('-')
            .ok_or_else(|| error(expression, format!("`{times}` is not a time range (HH:MM-HH:MM)")))?;
        let (start_minute, end_minute) = (minute_of(expression, start)?, minute_of(expression, end)?);
        if start_minute == MINUTES_PER_DAY {
            return Err(error(
                expression,
                "a window cannot start at 24:00; start it at 00:00",
            ));
        }
        if start_minute == end_minute {
            return Err(error(
                expression,
                "this window never opens: it ends when it starts (00:00-24:00 is the whole day)",
            ));
        }
        let end_minute = if end_minute == 0 {
            MINUTES_PER_DAY
        } else {
            end_minute
        };
        let length_minutes = (end_minute + MINUTES_PER_DAY - start_minute) % MINUTES_PER_DAY;
        Ok(Self {
            text: expression.split_whitespace().collect::<Vec<_>>().join(" "),
            days,
            start_minute,
            length_minutes: if length_minutes == 0 {
                MINUTES_PER_DAY
            } else {
                length_minutes
            },
            zone: zone_of(expression, zone)?,
        })
    }

    /// Whether the window is open at `now`: it opened on one of its days, today or (past
    /// midnight) yesterday, and has not yet ended.
    fn is_open(&self, now: DateTime<Utc>) -> bool {
        let local = self.zone.local(now);
        let minute = local.hour() * 60 + local.minute();
        let today = local.weekday().num_days_from_monday() as usize;
        let yesterday = (today + 6) % 7;
        let since_start_today = minute.checked_sub(self.start_minute);
        let since_start_yesterday = minute + MINUTES_PER_DAY - self.start_minute;
        (self.days[today] && since_start_today.is_some_and(|since| since < self.length_minutes))
            || (self.days[yesterday] && since_start_yesterday < self.length_minutes)
    }

    /// The instants the window opens on the days from `first` for `count` days.
    fn openings(&self, first: NaiveDate, count: u64) -> impl Iterator<Item = i64> + '_ {
        let start = NaiveTime::from_hms_opt(self.start_minute / 60, self.start_minute % 60, 0)
            .unwrap_or(NaiveTime::MIN);
        (0..count)
            .filter_map(move |offset| first.checked_add_days(Days::new(offset)))
            .filter(|day| self.days[day.weekday().num_days_from_monday() as usize])
            .flat_map(move |day| instants_of(&self.zone, day.and_time(start)))
    }
}

impl Blackout {
    /// Reads `FIRST..LAST ZONE` or `DAY ZONE`, dates as YYYY-MM-DD.
    pub fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let parts: Vec<&str> = expression.split_whitespace().collect();
        let [dates, zone] = parts[..] else {
            return Err(error(
                expression,
                "expected `FIRST..LAST ZONE`, e.g. `2026-12-20..2027-01-04 Europe/Berlin`",
            ));
        };
        let date = |text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| error(expression, format!("`{text}` is not a date (YYYY-MM-DD)")))
        };
        let (first, last) = match dates.split_once("..") {
            Some((first, last)) => (date(first)?, date(last)?),
            None => (date(dates)?, date(dates)?),
        };
        if last < first {
            return Err(error(
                expression,
                format!("it ends ({last}) before it begins ({first})"),
            ));
        }
        Ok(Self {
            text: expression.split_whitespace().collect::<Vec<_>>().join(" "),
            first,
            last,
            zone: zone_of(expression, zone)?,
        })
    }

    fn covers(&self, now: DateTime<Utc>) -> bool {
        let day = self.zone.local(now).date();
        (self.first..=self.last).contains(&day)
    }

    /// The first instant after the blackout: midnight after its last day, in its zone.
    fn end(&self) -> Option<i64> {
        let next_day = self.last.checked_add_days(Days::new(1))?;
        instants_of(&self.zone, next_day.and_time(NaiveTime::MIN))
            .first()
            .copied()
    }
}

/// The instants the local time `local` is in `zone`: both of an hour that happens twice (the
/// clocks going back), and the end of a gap the clocks jump over.
fn instants_of(zone: &Zone, local: NaiveDateTime) -> Vec<i64> {
    match zone.instants(local) {
        LocalResult::Single(instant) => vec![instant],
        LocalResult::Ambiguous(first, second) => vec![first, second],
        LocalResult::None => (1..=24 * 4)
            .filter_map(|quarter| local.checked_add_signed(chrono::Duration::minutes(15 * quarter)))
            .find_map(|time| zone.instants(time).earliest())
            .map(|instant| vec![instant])
            .unwrap_or_default(),
    }
}

impl Schedule {
    /// The schedule of these windows and blackouts.
    pub fn new(windows: Vec<Window>, blackouts: Vec<Blackout>) -> Self {
        Self { windows, blackouts }
    }

    /// Whether it restricts anything at all.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty() && self.blackouts.is_empty()
    }

    /// The windows, as written.
    pub fn windows(&self) -> Vec<String> {
        self.windows.iter().map(|window| window.text.clone()).collect()
    }

    /// The blackouts, as written.
    pub fn blackouts(&self) -> Vec<String> {
        self.blackouts
            .iter()
            .map(|blackout| blackout.text.clone())
            .collect()
    }

    fn why_closed(&self, now: DateTime<Utc>) -> Option<String> {
        if let Some(blackout) = self.blackouts.iter().find(|blackout| blackout.covers(now)) {
            return Some(format!("blackout {}", blackout.text));
        }
        if self.windows.is_empty() || self.windows.iter().any(|window| window.is_open(now)) {
            return None;
        }
        Some(match self.windows.as_slice() {
            [window] => format!("outside the deployment window {}", window.text),
            windows => format!(
                "outside every deployment window ({})",
                windows
                    .iter()
                    .map(|window| window.text.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        })
    }

    /// Whether a deploy may start at `now` (seconds since the Unix epoch).
    pub fn is_open_at(&self, now: i64) -> bool {
        DateTime::from_timestamp(now, 0).is_some_and(|at| self.why_closed(at).is_none())
    }

    /// None when a deploy may start at `now` (seconds since the Unix epoch); else why not, and
    /// when it next may.
    pub fn closed_at(&self, now: i64) -> Option<Closed> {
        let at = DateTime::from_timestamp(now, 0)?;
        let because = self.why_closed(at)?;
        Some(Closed {
            because,
            opens_at: self.next_opening(at),
        })
    }

    /// The first instant after `now` at which a deploy may start: a window opening or a
    /// blackout ending, whichever is the first not closed for another reason.
    fn next_opening(&self, now: DateTime<Utc>) -> Option<i64> {
        let horizon = now.timestamp() + HORIZON_DAYS * 24 * 3600;
        let last_blackout = self
            .blackouts
            .iter()
            .filter_map(Blackout::end)
            .filter(|end| *end > now.timestamp())
            .max()
            .unwrap_or(now.timestamp());
        let days = u64::try_from((last_blackout.min(horizon) - now.timestamp()) / (24 * 3600)).unwrap_or(0)
            + LOOKAHEAD_DAYS;
        // Each window's days are counted from the day before today in its zone, for a window that
        // opened yesterday and runs past midnight.
        let mut candidates: Vec<i64> = self
            .windows
            .iter()
            .flat_map(|window| {
                let yesterday = window.zone.local(now).date().pred_opt();
                yesterday
                    .into_iter()
                    .flat_map(move |day| window.openings(day, days + 1))
            })
            .chain(self.blackouts.iter().filter_map(Blackout::end))
            // When the clocks go back, a window the new local time falls in opens again then,
            // without a start of its own.
            .chain(self.windows.iter().flat_map(|window| {
                let lookahead = i64::try_from(days + 1)
                    .unwrap_or(i64::MAX)
                    .saturating_mul(24 * 3600);
                clock_changes(
                    &window.zone,
                    now.timestamp(),
                    now.timestamp().saturating_add(lookahead),
                )
            }))
            .filter(|at| *at > now.timestamp() && *at <= horizon)
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .find(|at| DateTime::from_timestamp(*at, 0).is_some_and(|at| self.why_closed(at).is_none()))
    }
}

/// The instants in `from..to` at which `zone`'s offset from UTC changes: its clock changes.
fn clock_changes(zone: &Zone, from: i64, to: i64) -> Vec<i64> {
    let offset = |at: i64| zone.offset_at(at);
    let day = 24 * 3600;
    let mut changes = Vec::new();
    let mut start = from;
    while start < to {
        let end = start.saturating_add(day).min(to);
        if offset(start) != offset(end) {
            // The first second with the new offset, by halving: clocks change once a day at most.
            let (mut before, mut after) = (start, end);
            while after - before > 1 {
                let middle = before + (after - before) / 2;
                if offset(middle) == offset(start) {
                    before = middle;
                } else {
                    after = middle;
                }
            }
            changes.push(after);
        }
        start = end;
    }
    changes
}

/// When an instant is, for people: `2026-12-01 09:00 UTC`.
pub fn describe_time(at: i64) -> String {
    DateTime::from_timestamp(at, 0).map_or_else(
        || format!("{at} s since 1970"),
        |time| time.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
