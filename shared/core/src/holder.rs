//! What holds a stage the gate failed, owned in one place: each thing that holds it (a
//! `Holder`: an AWS Health event, a CloudWatch alarm, a Change Calendar, a freeze, the
//! deployment schedule), what is known of it now
//! (a `HolderState`: whether it still holds, until when, and its details), and the one way
//! people read them. The gate writes holders into its marker (`Hold::add`), stage-retry waits
//! for them to end, `pipeguard status` and `pipeguard retry` show them, and the release notices
//! say which ended; all through this module.

use crate::alarm::{AlarmReading, AlarmState};
use crate::freeze::RecordedFreezes;
use crate::hold::{EventRef, HeldAlarm, HeldBy, HeldCalendar, Hold};
use crate::overrides::{Override, OverrideKind};
use crate::schedule::describe_time;
use crate::text::printable;

/// The kinds of thing that hold a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolderKind {
    /// An AWS Health event.
    HealthEvent,
    /// A CloudWatch alarm of the service.
    Alarm,
    /// An AWS Systems Manager Change Calendar.
    Calendar,
    /// A freeze people set.
    Freeze,
    /// The deployment schedule: its windows and blackouts.
    Schedule,
}

impl HolderKind {
    /// Its name in machine-readable output.
    pub fn name(self) -> &'static str {
        match self {
            Self::HealthEvent => "health_event",
            Self::Alarm => "alarm",
            Self::Calendar => "calendar",
            Self::Freeze => "freeze",
            Self::Schedule => "schedule",
        }
    }
}

/// One thing that holds a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// An AWS Health event, in the account it concerns when it is account-specific.
    HealthEvent(HeldBy),
    /// A CloudWatch alarm in a blocking state, where it lives.
    Alarm(HeldAlarm),
    /// A closed Change Calendar, where it lives, until it opens.
    Calendar(HeldCalendar),
    /// A freeze, by its id (or the key of an item that does not read as a freeze).
    Freeze(String),
    /// Freezes the marker had no room to name, by count: then every freeze that holds the
    /// pipeline holds the stage.
    OtherFreezes(usize),
    /// The deployment schedule, until it opens (seconds since the Unix epoch).
    Schedule(i64),
}

impl Holder {
    /// Its kind.
    pub fn kind(&self) -> HolderKind {
        match self {
            Self::HealthEvent(_) => HolderKind::HealthEvent,
            Self::Alarm(_) => HolderKind::Alarm,
            Self::Calendar(_) => HolderKind::Calendar,
            Self::Freeze(_) | Self::OtherFreezes(_) => HolderKind::Freeze,
            Self::Schedule(_) => HolderKind::Schedule,
        }
    }

    /// What tells it apart from others of its kind: an event's ARN, an alarm's or a calendar's
    /// name (with `account`), a freeze's id, the count of
    /// freezes held by reference, the schedule's one name.
    pub fn id(&self) -> String {
        match self {
            Self::HealthEvent(event) => event.arn.clone(),
            Self::Alarm(alarm) => alarm.name.clone(),
            Self::Calendar(calendar) => calendar.name.clone(),
            Self::Freeze(id) => id.clone(),
            Self::OtherFreezes(count) => format!("{count} more"),
            Self::Schedule(_) => "schedule".to_owned(),
        }
    }

    /// The account it concerns, for an account-specific AWS Health event, an alarm or a calendar.
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::HealthEvent(event) => event.account.as_deref(),
            Self::Alarm(alarm) => Some(&alarm.account),
            Self::Calendar(calendar) => Some(&calendar.account),
            _ => None,
        }
    }

    /// Which one it is, as people read it.
    pub fn describe(&self) -> String {
        match self {
            Self::HealthEvent(event) => event.describe(),
            Self::Alarm(alarm) => alarm.describe(),
            Self::Calendar(calendar) => calendar.describe(),
            Self::Freeze(id) => format!("freeze {}", printable(id)),
            Self::OtherFreezes(count) => format!("{count} more freezes"),
            Self::Schedule(_) => "the deployment schedule".to_owned(),
        }
    }

    /// The kind of override that passes over it.
    pub fn overridden_by(&self) -> OverrideKind {
        match self {
            Self::HealthEvent(_) => OverrideKind::Health,
            Self::Alarm(_) => OverrideKind::Alarms,
            Self::Calendar(_) => OverrideKind::Calendars,
            Self::Freeze(_) | Self::OtherFreezes(_) => OverrideKind::Freezes,
            Self::Schedule(_) => OverrideKind::Windows,
        }
    }

    /// The word for it having ended.
    fn ended_word(&self) -> &'static str {
        match self {
            Self::HealthEvent(_) => "closed",
            Self::Alarm(_) => "clear",
            Self::Freeze(_) | Self::OtherFreezes(_) => "ended",
            Self::Calendar(_) | Self::Schedule(_) => "open",
        }
    }
}

/// Whether a holder still holds, as far as can be told now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holding {
    /// It still holds.
    Yes,
    /// It has ended.
    No,
    /// It cannot be told here, and why: it counts as holding, as resuming is left to when it
    /// can be told.
    Unknown(String),
}

/// What a holder's state says of it beyond whether it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// Why, in the words of whoever froze.
    Reason(String),
    /// Why its item does not read as a freeze.
    Unreadable(String),
}

/// A holder and what is known of it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderState {
    /// What holds.
    pub holder: Holder,
    /// Whether it still holds.
    pub holding: Holding,
    /// When it ends by itself, when that is known (seconds since the Unix epoch).
    pub until: Option<i64>,
    /// What else people should know of it.
    pub detail: Option<Detail>,
    /// The break-glass override in force (its id) that passes over it, whatever its state: it
    /// holds the stage no longer.
    pub passed_over_by: Option<String>,
}

impl HolderState {
    fn of(holder: Holder, holding: Holding) -> Self {
        Self {
            holder,
            holding,
            until: None,
            detail: None,
            passed_over_by: None,
        }
    }

    /// Whether it holds the stage, for all that is known: holding, or not known to have ended.
    pub fn still_holds(&self) -> bool {
        matches!(self.holding, Holding::Yes | Holding::Unknown(_)) && self.passed_over_by.is_none()
    }

    /// The holder and its state as people read it, the one rendering every report uses:
    /// `freeze INC-42 ("checkout errors"), until 2026-12-08 10:00 UTC`, `<event ARN> (account
    /// 111122223333): closed`, `freeze INC-7 (unreadable: since is missing): unknown (the
    /// freezes cannot be read here)`.
    pub fn describe(&self) -> String {
        let mut text = self.holder.describe();
        match &self.detail {
            Some(Detail::Reason(reason)) => text.push_str(&format!(" (\"{}\")", printable(reason))),
            Some(Detail::Unreadable(why)) => text.push_str(&format!(" (unreadable: {})", printable(why))),
            None => {}
        }
        if let Some(until) = self.until {
            text.push_str(&format!(", until {}", describe_time(until)));
        }
        match &self.holding {
            Holding::Yes => {}
            Holding::No => text.push_str(&format!(": {}", self.holder.ended_word())),
            Holding::Unknown(why) => text.push_str(&format!(": unknown ({why})")),
        }
        if let Some(id) = &self.passed_over_by {
            text.push_str(&format!(": passed over by override {}", printable(id)));
        }
        text
    }
}

impl Hold {
    /// The kinds of what blocked beside the holders it names: what it says also blocked (None
    /// for a name no kind has), the events and alarms it had no room for.
    fn left_out(&self) -> Vec<Option<OverrideKind>> {
        self.also
            .iter()
            .map(|name| OverrideKind::parse(name).ok())
            .chain((self.more > 0).then_some(Some(OverrideKind::Health)))
            .chain((self.more_alarms > 0).then_some(Some(OverrideKind::Alarms)))
            .chain((self.more_calendars > 0).then_some(Some(OverrideKind::Calendars)))
            .collect()
    }

    /// Each thing it names, in order: its events, its alarms, its calendars, its freezes (and those held by
    /// reference), the deployment schedule.
    pub fn holders(&self) -> Vec<Holder> {
        self.events
            .iter()
            .cloned()
            .map(Holder::HealthEvent)
            .chain(self.alarms.iter().cloned().map(Holder::Alarm))
            .chain(self.calendars.iter().cloned().map(Holder::Calendar))
            .chain(self.freezes.iter().cloned().map(Holder::Freeze))
            .chain(
                self.holds_by_every_freeze()
                    .then_some(Holder::OtherFreezes(self.more_freezes)),
            )
            .chain(self.opens_at.map(Holder::Schedule))
            .collect()
    }

    /// Each thing it names, as people read it.
    pub fn describe(&self) -> Vec<String> {
        self.holders().iter().map(Holder::describe).collect()
    }

    /// Adds a holder; the gate builds its marker this way. A second schedule keeps the later
    /// opening.
    pub fn add(&mut self, holder: Holder) {
        match holder {
            Holder::HealthEvent(event) => self.events.push(event),
            Holder::Alarm(alarm) => self.alarms.push(alarm),
            Holder::Calendar(calendar) => self.calendars.push(calendar),
            Holder::Freeze(id) => self.freezes.push(id),
            Holder::OtherFreezes(count) => self.more_freezes = self.more_freezes.saturating_add(count),
            Holder::Schedule(opens_at) => self.opens_at = self.opens_at.max(Some(opens_at)),
        }
    }
}

/// What ended, so that the stages it held may resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release<'a> {
    /// An AWS Health event closed.
    EventClosed(EventRef<'a>),
    /// A freeze was ended by hand.
    Unfrozen(&'a str),
    /// A CloudWatch alarm went back to `OK`.
    AlarmCleared(&'a HeldAlarm),
    /// A Change Calendar opened (its `opens_at` is not compared).
    CalendarOpened(&'a HeldCalendar),
    /// An override was granted for a pipeline: what it covers holds that pipeline's stages no
    /// longer (the gate, run again, passes over it).
    Overridden {
        /// The pipeline it lets through.
        pipeline: &'a str,
        /// What it passes over.
        kinds: &'a [OverrideKind],
    },
}

impl<'a> Release<'a> {
    /// Whether it ends `holder` (a freeze unfrozen ends its part of every hold by reference).
    pub fn ends(&self, holder: &Holder) -> bool {
        match (self, holder) {
            (Self::EventClosed(event), Holder::HealthEvent(held)) => held.is(*event),
            (Self::Unfrozen(id), Holder::Freeze(held)) => held == id,
            (Self::Unfrozen(_), Holder::OtherFreezes(_)) => true,
            (Self::AlarmCleared(cleared), Holder::Alarm(held)) => held == *cleared,
            (Self::CalendarOpened(opened), Holder::Calendar(held)) => held.is(opened),
            (Self::Overridden { kinds, .. }, holder) => kinds.contains(&holder.overridden_by()),
            _ => false,
        }
    }

    /// The pipeline it is about, when it is about one only.
    pub fn pipeline(&self) -> Option<&'a str> {
        match self {
            Self::Overridden { pipeline, .. } => Some(pipeline),
            Self::EventClosed(_) | Self::Unfrozen(_) | Self::AlarmCleared(_) | Self::CalendarOpened(_) => {
                None
            }
        }
    }

    /// Whether it is part of `hold`.
    pub fn ends_part_of(&self, hold: &Hold) -> bool {
        hold.holders().iter().any(|holder| self.ends(holder))
    }

    /// Whether it ends `holder` now, whatever else is known of it: an event that just closed, an
    /// alarm just back to `OK`, a calendar just opened. A freeze ends when the table says it has (an unfreeze is written there before it is
    /// announced), and what an override covers when the table holds it in force (`Known`).
    fn ends_now(&self, holder: &Holder) -> bool {
        matches!(
            self,
            Self::EventClosed(_) | Self::AlarmCleared(_) | Self::CalendarOpened(_)
        ) && self.ends(holder)
    }

    /// What ended, as people read it.
    pub fn describe(&self) -> String {
        match self {
            Self::EventClosed(event) => format!("AWS Health event {} closed", event.describe()),
            Self::Unfrozen(id) => format!("freeze {} was unfrozen", printable(id)),
            Self::AlarmCleared(alarm) => format!("alarm {} is OK again", alarm.describe()),
            Self::CalendarOpened(calendar) => format!("{} is OPEN", calendar.describe()),
            Self::Overridden { pipeline, kinds } => format!(
                "an override for pipeline {} passes over {}",
                printable(pipeline),
                kinds
                    .iter()
                    .map(|kind| kind.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// What the freezes a hold names are known to be: read from the table, or not readable here.
#[derive(Debug, Clone, Copy)]
pub enum FreezesKnown<'a> {
    /// Every freeze recorded, readable or not (a freeze the table no longer has ended long ago).
    Read(&'a RecordedFreezes),
    /// They cannot be read here, and why: each still holds, for all anyone here can tell.
    Unreadable(&'a str),
}

/// What CloudWatch says of the alarms a hold names.
#[derive(Debug, Clone, Copy)]
pub enum AlarmsKnown<'a> {
    /// Not asked here, and why: each still holds, for all anyone here can tell.
    NotAsked(&'a str),
    /// Asked of `account` (the stack's, the only one asked): each of its alarms holds until
    /// CloudWatch says OK, and one CloudWatch no longer has holds no more (the gate, run again,
    /// says what became of it). Other accounts' alarms were not asked.
    Read {
        /// The account asked.
        account: &'a str,
        /// Every alarm CloudWatch answered with.
        readings: &'a [AlarmReading],
    },
    /// CloudWatch could not say, and why.
    Unreadable(&'a str),
}

/// What is known now of what holds a stage, beyond its marker.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Whether each of the hold's events has closed (one answer per event, in order), or why
    /// AWS Health could not say.
    pub events_closed: Result<&'a [bool], &'a str>,
    /// What is known to have ended this moment, when something did.
    pub release: Option<Release<'a>>,
    /// The freezes.
    pub freezes: FreezesKnown<'a>,
    /// The alarms.
    pub alarms: AlarmsKnown<'a>,
    /// The break-glass overrides in force for the pipeline, as the table holds them: what they
    /// cover holds its stages no longer (the gate, run again, passes over it).
    pub overrides: &'a [&'a Override],
}

/// Each thing that holds `pipeline`'s stage, with what is known of it at `now`: its events
/// (closed when `known` says so, or when the release is their closing), its freezes (a freeze
/// counted only because the gate could not learn the pipeline's name holds it no longer), the
/// freezes held by reference (every freeze that holds the pipeline and the marker did not name),
/// its calendars until they open, and the deployment schedule until it opens. Events the marker left out for length
/// (`hold.more`) are not listed: the gate, run again by a resume, checks every event itself.
pub fn holders_now(hold: &Hold, known: &Known, pipeline: &str, now: i64) -> Vec<HolderState> {
    let events = hold.events.iter().enumerate().map(|(index, held)| {
        let holding = match known.events_closed {
            Ok(closed) => match closed.get(index) {
                Some(true) => Holding::No,
                Some(false) => Holding::Yes,
                None => Holding::Unknown("AWS Health did not say".to_owned()),
            },
            Err(why) => Holding::Unknown(why.to_owned()),
        };
        HolderState::of(Holder::HealthEvent(held.clone()), holding)
    });
    // Alarms the marker had no room for cannot be asked about: the named ones clearing says
    // nothing of them, and resuming on it would only fail again, until the stage's resumes ran
    // out. Such a hold ends when a person retries the stage (or an override covers alarms).
    let unnamed = (hold.more_alarms > 0).then(|| {
        format!(
            "the gate's marker had no room for {} more alarms, which cannot be asked about here: retry the stage once they are OK",
            hold.more_alarms
        )
    });
    let alarms = hold.alarms.iter().map(|alarm| {
        let holding = match &unnamed {
            Some(why) => Holding::Unknown(why.clone()),
            None => alarm_holding(alarm, known.alarms),
        };
        HolderState::of(Holder::Alarm(alarm.clone()), holding)
    });
    // A calendar holds until it opens: its event ends it at once (`release`), and the sweep once
    // the opening it had scheduled has passed (the gate, run again, asks SSM itself).
    let calendars = hold.calendars.iter().map(|calendar| HolderState {
        until: calendar.opens_at,
        ..HolderState::of(
            Holder::Calendar(calendar.clone()),
            if calendar.opens_at.is_some_and(|opens_at| opens_at <= now) {
                Holding::No
            } else {
                Holding::Yes
            },
        )
    });
    let named = hold
        .freezes
        .iter()
        .map(|id| freeze_state(id, known, pipeline, now));
    let by_reference: Vec<HolderState> = match known.freezes {
        _ if !hold.holds_by_every_freeze() => Vec::new(),
        FreezesKnown::Unreadable(why) => vec![HolderState::of(
            Holder::OtherFreezes(hold.more_freezes),
            Holding::Unknown(why.to_owned()),
        )],
        FreezesKnown::Read(recorded) => recorded
            .freezes
            .iter()
            .filter(|freeze| freeze.holds(Some(pipeline), now))
            .map(|freeze| freeze.id.as_str())
            .chain(
                recorded
                    .unreadable_holding(Some(pipeline))
                    .into_iter()
                    .map(|unreadable| unreadable.key.as_str()),
            )
            .filter(|id| !hold.freezes.iter().any(|named| named == id))
            .map(|id| freeze_state(id, known, pipeline, now))
            .collect(),
    };
    let schedule = hold.opens_at.map(|opens_at| HolderState {
        until: Some(opens_at),
        ..HolderState::of(
            Holder::Schedule(opens_at),
            if opens_at > now { Holding::Yes } else { Holding::No },
        )
    });
    // What blocked beside the holders (a running pipeline, signals that could not be read, what
    // the marker had no room for) must be covered too: else the gate, run again, fails again.
    let covers_what_else_blocked = hold.left_out().into_iter().all(|kind| {
        kind.is_some_and(|kind| {
            known
                .overrides
                .iter()
                .any(|granted| granted.kinds.contains(&kind))
        })
    });
    events
        .chain(alarms)
        .chain(calendars)
        .chain(named)
        .chain(by_reference)
        .chain(schedule)
        .map(|mut state| {
            // An alarm CloudWatch has just said fires is not ended by a clearing event that came
            // late (EventBridge delivers out of order): resuming would only fail again.
            let fires_now = matches!(
                (&state.holder, known.alarms, &state.holding),
                (Holder::Alarm(_), AlarmsKnown::Read { .. }, Holding::Yes)
            );
            let beside_unnamed = matches!(state.holder, Holder::Alarm(_)) && unnamed.is_some();
            if !fires_now
                && !beside_unnamed
                && known
                    .release
                    .is_some_and(|release| release.ends_now(&state.holder))
            {
                state.holding = Holding::No;
            }
            let kind = state.holder.overridden_by();
            if state.holding != Holding::No && covers_what_else_blocked {
                state.passed_over_by = known
                    .overrides
                    .iter()
                    .find(|granted| granted.kinds.contains(&kind))
                    .map(|granted| granted.id.clone());
            }
            state
        })
        .collect()
}

/// Why a held alarm's state is not known where CloudWatch is not asked (`pipeguard status` and
/// `retry`): the gate, run again, asks it.
pub const ALARMS_NOT_ASKED: &str = "CloudWatch is not asked here: the gate asks it when the stage runs again";

/// Whether a held alarm still holds, as far as CloudWatch said: until it is OK again.
fn alarm_holding(alarm: &HeldAlarm, known: AlarmsKnown) -> Holding {
    match known {
        AlarmsKnown::NotAsked(why) | AlarmsKnown::Unreadable(why) => Holding::Unknown(why.to_owned()),
        AlarmsKnown::Read { account, .. } if alarm.account != account => Holding::Unknown(format!(
            "{} is another account's, which stage-retry does not read: retry the stage once it is OK",
            alarm.describe()
        )),
        AlarmsKnown::Read { readings, .. } => match readings.iter().find(|reading| {
            reading.name == alarm.name
                && reading.place.region == alarm.region
                && reading.place.account == alarm.account
        }) {
            Some(reading) if reading.state != AlarmState::Ok => Holding::Yes,
            _ => Holding::No,
        },
    }
}

/// The freeze `id` (or an unreadable item's key) as it holds `pipeline` at `now`: a freeze the
/// table no longer has ended long ago.
fn freeze_state(id: &str, known: &Known, pipeline: &str, now: i64) -> HolderState {
    let holder = Holder::Freeze(id.to_owned());
    let recorded = match known.freezes {
        FreezesKnown::Unreadable(why) => return HolderState::of(holder, Holding::Unknown(why.to_owned())),
        FreezesKnown::Read(recorded) => recorded,
    };
    // The table, not the release, says whether a freeze ended: an unfreeze is written there
    // before it is announced.
    let holding = |holds: bool| if holds { Holding::Yes } else { Holding::No };
    if let Some(freeze) = recorded.freezes.iter().find(|freeze| freeze.id == id) {
        return HolderState {
            until: freeze.until,
            detail: Some(Detail::Reason(freeze.reason.clone())),
            ..HolderState::of(holder, holding(freeze.holds(Some(pipeline), now)))
        };
    }
    match recorded.unreadable.iter().find(|unreadable| unreadable.key == id) {
        Some(unreadable) => HolderState {
            detail: Some(Detail::Unreadable(unreadable.why.clone())),
            ..HolderState::of(holder, holding(unreadable.holds(Some(pipeline))))
        },
        None => HolderState::of(holder, Holding::No),
    }
}

#[cfg(test)]
#[path = "holder_tests.rs"]
mod tests;
