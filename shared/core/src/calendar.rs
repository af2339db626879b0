//! AWS Systems Manager Change Calendars, as the gate watches them: the `change_calendars`
//! setting (names, or SSM document ARNs of another region), the calls that ask about them
//! (`asks`: one GetCalendarState per calendar, so that the answer names which one is closed),
//! what SSM answered, as plain data, and `assess`, which finds the closed calendars and the
//! watched ones that are no Change Calendar.

use crate::names::aws_names;
use crate::schedule::describe_time;
use crate::text::printable;

/// The most calendars a gate watches: each is one GetCalendarState call per decision.
pub const MAX_CALENDARS: usize = 10;

aws_names!(
    /// The state of a Change Calendar, as GetCalendarState answers it (`State`).
    CalendarState {
        /// Changes may be made.
        Open = "OPEN",
        /// Changes must wait.
        Closed = "CLOSED",
    }
);

/// Where a Change Calendar lives: an SSM document belongs to one region of one account.
pub use crate::place::Place as CalendarPlace;

/// One entry of the `change_calendars` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedCalendar {
    /// The calendar's (SSM document's) name.
    pub name: String,
    /// Where, when given by an ARN; otherwise the gate's own region and account.
    pub place: Option<CalendarPlace>,
}

impl WatchedCalendar {
    /// An entry as the setting gives it: `NAME`, or
    /// `arn:<partition>:ssm:<region>:<account>:document/<NAME>`; or why it is not one.
    pub fn parse(given: &str) -> Result<Self, String> {
        let given = given.trim();
        if given.starts_with("arn:") {
            return Self::from_arn(given);
        }
        Ok(Self {
            name: document_name(given)?,
            place: None,
        })
    }

    fn from_arn(arn: &str) -> Result<Self, String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let not_a_document = || {
            format!(
                "`{}` is not an SSM document ARN (arn:aws:ssm:REGION:ACCOUNT:document/NAME)",
                printable(arn)
            )
        };
        let [_, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(not_a_document());
        };
        let Some(name) = resource.strip_prefix("document/") else {
            return Err(not_a_document());
        };
        if partition.is_empty() || *service != "ssm" {
            return Err(not_a_document());
        }
        let place = CalendarPlace::of_arn(arn, region, account)?;
        Ok(Self {
            name: document_name(name)?,
            place: Some(place),
        })
    }

    /// Where it lives: its own place, or `own` (the gate's region and account).
    pub fn place_or<'a>(&'a self, own: &'a CalendarPlace) -> &'a CalendarPlace {
        self.place.as_ref().unwrap_or(own)
    }

    /// As a person reads it, with where it was looked for.
    pub fn describe(&self, own: &CalendarPlace) -> String {
        format!(
            "Change Calendar `{}` ({})",
            printable(&self.name),
            self.place_or(own)
        )
    }
}

/// An SSM document's name (3 to 128 of `A-Z a-z 0-9 _ - .`), or why `given` is not one.
fn document_name(given: &str) -> Result<String, String> {
    let valid = (3..=128).contains(&given.len())
        && given
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.'));
    if valid {
        Ok(given.to_owned())
    } else {
        Err(format!(
            "`{}` is not an SSM Change Calendar name (3 to 128 of A-Z a-z 0-9 _ - .) or document ARN",
            printable(given)
        ))
    }
}

/// One GetCalendarState call: this calendar's name, asked in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarAsk {
    /// The calendar's name.
    pub name: String,
    /// Where it is asked.
    pub place: CalendarPlace,
}

/// The calls that answer for every watched calendar: one each (GetCalendarState answers CLOSED
/// when any calendar named is, so asking them together would not say which), each once.
pub fn asks(watched: &[WatchedCalendar], own: &CalendarPlace) -> Vec<CalendarAsk> {
    let mut asks: Vec<CalendarAsk> = Vec::new();
    for entry in watched {
        let ask = CalendarAsk {
            name: entry.name.clone(),
            place: entry.place_or(own).clone(),
        };
        if !asks.contains(&ask) {
            asks.push(ask);
        }
    }
    asks
}

/// The watched calendars in an account other than `own_account`, with where they are: reading
/// them needs a role in that account, which this version of the gate does not assume.
pub fn in_other_accounts<'a>(
    watched: &'a [WatchedCalendar],
    own_account: &str,
) -> Vec<(&'a WatchedCalendar, &'a CalendarPlace)> {
    watched
        .iter()
        .filter_map(|entry| entry.place.as_ref().map(|place| (entry, place)))
        .filter(|(_, place)| place.account != own_account)
        .collect()
}

/// What SSM answered for one calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarAnswer {
    /// Its state, and when it next changes (seconds since the Unix epoch), when SSM knows.
    State {
        /// Open, closed, or a state this version does not know (which blocks).
        state: CalendarState,
        /// When it next changes state.
        next_transition: Option<i64>,
    },
    /// No SSM document of this name (`InvalidDocument`), in SSM's words.
    NoSuchCalendar(String),
    /// A document that is not a Change Calendar (`InvalidDocumentType`), in SSM's words.
    NotACalendar(String),
}

/// One calendar as SSM answered for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarReading {
    /// The calendar's name.
    pub name: String,
    /// Where it was asked.
    pub place: CalendarPlace,
    /// What SSM said.
    pub answer: CalendarAnswer,
}

/// What SSM answered for the watched calendars, and where the gate itself is (where a watched
/// name without an ARN is looked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarReadings {
    /// The gate's own region and account.
    pub own: CalendarPlace,
    /// One answer per call.
    pub calendars: Vec<CalendarReading>,
}

/// A watched calendar that is closed (or in a state this version does not know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedCalendar {
    /// Its name.
    pub name: String,
    /// Where it lives.
    pub place: CalendarPlace,
    /// Its state as SSM said it.
    pub state: CalendarState,
    /// When it opens (its next transition), when one is scheduled.
    pub opens_at: Option<i64>,
}

impl ClosedCalendar {
    /// One line a person can act on: which calendar, where, and when it opens.
    pub fn describe(&self) -> String {
        let opens = match self.opens_at {
            Some(at) => format!("it opens at {}", describe_time(at)),
            None => "no opening scheduled".to_owned(),
        };
        format!(
            "AWS Systems Manager Change Calendar {} ({}) is {}; {opens}",
            printable(&self.name),
            printable(&self.place.to_string()),
            printable(self.state.as_str()),
        )
    }

    /// What identifies it in a hold: its name where it lives.
    pub fn key(&self) -> String {
        format!(
            "calendar {} {} {}",
            self.place.region, self.place.account, self.name
        )
    }
}

/// Why one GetCalendarState call failed, in plain words (the core holds no SDK type).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarCallError {
    /// IAM refused the call.
    #[error("access denied ({0}): the gate's role needs ssm:GetCalendarState")]
    AccessDenied(String),
    /// Throttled, and still after the SDK's retries.
    #[error("throttled after retries ({0})")]
    Throttled(String),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// The endpoint could not be reached.
    #[error("endpoint unreachable ({0})")]
    Unreachable(String),
    /// SSM answered with another error.
    #[error("{code}: {message}")]
    Service {
        /// The error code.
        code: String,
        /// The error message.
        message: String,
    },
    /// The answer could not be read.
    #[error("unreadable response ({0})")]
    BadResponse(String),
    /// The process has no region to ask SSM in.
    #[error("no AWS region is configured (AWS_REGION) to ask Systems Manager in")]
    NoRegion,
}

/// SSM could not say what state a watched calendar is in: which and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Systems Manager GetCalendarState for {name} in {place}: {error}")]
pub struct CalendarsUnavailable {
    /// The calendar asked about.
    pub name: String,
    /// Where it was asked.
    pub place: CalendarPlace,
    /// Why it failed.
    pub error: CalendarCallError,
    /// What the calls that did answer found: a closed calendar among them blocks all the same.
    pub known: CalendarReadings,
}

/// What the readings say for the watch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarFindings {
    /// The watched calendars that are not open, each once.
    pub closed: Vec<ClosedCalendar>,
    /// The watched calendars that are no Change Calendar, each with why, as people read it.
    pub misconfigured: Vec<String>,
    /// How many calendars the watch names, each once.
    pub watched: usize,
}

/// The watched calendars that are not open, and those that do not exist or are not Change
/// Calendars (a name mistyped must never pass silently). A watched calendar SSM gave no answer
/// for is counted as misconfigured too: nothing may pass unasked.
pub fn assess(watched: &[WatchedCalendar], readings: &CalendarReadings) -> CalendarFindings {
    let mut findings = CalendarFindings::default();
    for ask in asks(watched, &readings.own) {
        findings.watched += 1;
        let reading = readings
            .calendars
            .iter()
            .find(|reading| reading.name == ask.name && reading.place == ask.place);
        let named = || format!("Change Calendar `{}` ({})", printable(&ask.name), ask.place);
        match reading.map(|reading| &reading.answer) {
            Some(CalendarAnswer::State {
                state: CalendarState::Open,
                ..
            }) => {}
            Some(CalendarAnswer::State {
                state,
                next_transition,
            }) => findings.closed.push(ClosedCalendar {
                name: ask.name.clone(),
                place: ask.place.clone(),
                state: state.clone(),
                opens_at: *next_transition,
            }),
            Some(CalendarAnswer::NoSuchCalendar(message)) => findings.misconfigured.push(format!(
                "{}: no such SSM document ({})",
                named(),
                printable(message)
            )),
            Some(CalendarAnswer::NotACalendar(message)) => findings.misconfigured.push(format!(
                "{}: the SSM document is not a Change Calendar ({})",
                named(),
                printable(message)
            )),
            None => findings
                .misconfigured
                .push(format!("{}: Systems Manager gave no answer for it", named())),
        }
    }
    findings
}

/// A time as GetCalendarState writes it (`NextTransitionTime`: ISO 8601, `2026-12-20T00:00:00Z`),
/// in seconds since the Unix epoch; or why it is not one.
pub fn read_time(text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|time| time.timestamp())
        .map_err(|error| format!("`{}` is not an ISO 8601 time ({error})", printable(text)))
}

/// The configuration error for watched calendars that are no Change Calendar.
pub fn misconfigured_error(misconfigured: &[String]) -> String {
    format!(
        "change_calendars: {} (a misspelt name, or a calendar in another region: name it by its ARN)",
        misconfigured.join("; ")
    )
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
