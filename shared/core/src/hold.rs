//! The hold marker: a machine-readable line the health gate ends a failure message with when AWS
//! Health events blocked the deployment, and that stage-retry (and whatever else resumes held
//! stages) reads back from the action's `errorDetails.message` in GetPipelineState. This module
//! owns both sides of that contract; nothing else writes or parses it.
//!
//! A marker is the gate's only when the action that failed with it invokes one of the stack's
//! gates (`GateFunctions`, `GateActions`): any other action's output (a build's log, another
//! function's message) may end with a copied marker line, and is never read as a hold.
//!
//! The line is `pipeguard:hold:v1 {"events":[{"arn":...,"region":...}],"source":"api"}`. The
//! message is used rather than `failureDetails.externalExecutionId` because AWS does not
//! document that the latter reaches GetPipelineState (the team's AWS-FACTS notes), while the
//! message does.

use crate::config::{SettingError, env_setting, non_blank, split_list};
use crate::health::{HealthSource, is_account_id};
use crate::pipeline::{DeclaredAction, StageSnapshot};
use crate::text::json_within;
use crate::text::printable;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "pipeguard:hold:v";
const VERSION: u32 = 1;
/// Long enough for a dozen events, short enough to leave most of CodePipeline's 5000-character
/// message to the text people read.
const MAX_MARKER_CHARS: usize = 2000;

/// An AWS Health event that holds a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBy {
    /// The event's ARN.
    pub arn: String,
    /// The region the event affects (`global` for global services).
    pub region: String,
    /// The account an account-specific event concerns; absent for a public event, and in
    /// markers written before markers named accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// A CloudWatch alarm that holds a stage: its name where it lives (alarm names are unique in a
/// region of an account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldAlarm {
    /// The alarm's name.
    pub name: String,
    /// Its region.
    pub region: String,
    /// Its account.
    pub account: String,
}

impl HeldAlarm {
    /// The alarm as a person reads it: its name, region and account.
    pub fn describe(&self) -> String {
        format!(
            "CloudWatch alarm {} ({}, account {})",
            printable(&self.name),
            printable(&self.region),
            printable(&self.account)
        )
    }
}

/// An AWS Systems Manager Change Calendar that holds a stage: its name where it lives, and when
/// it opens, when an opening is scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldCalendar {
    /// The calendar's (SSM document's) name.
    pub name: String,
    /// Its region.
    pub region: String,
    /// Its account.
    pub account: String,
    /// When it opens (its next transition, seconds since the Unix epoch); absent when none is
    /// scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<i64>,
}

impl HeldCalendar {
    /// Whether `other` is the same calendar: the same name in the same region and account.
    pub fn is(&self, other: &Self) -> bool {
        self.name == other.name && self.region == other.region && self.account == other.account
    }

    /// The calendar as a person reads it: its name, region and account.
    pub fn describe(&self) -> String {
        format!(
            "Change Calendar {} ({}, account {})",
            printable(&self.name),
            printable(&self.region),
            printable(&self.account)
        )
    }
}

/// An event as the accounts it concerns see it: its ARN, and its account when it is
/// account-specific (one ARN may be reported to several accounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The event's ARN.
    pub arn: &'a str,
    /// The account it concerns, for an account-specific event.
    pub account: Option<&'a str>,
}

impl HeldBy {
    /// Whether `event` is this one: the same ARN, in the same account. A marker that names no
    /// account (a public event, or a gate from before markers named accounts) holds by the ARN
    /// alone; resuming too early is safe, as the gate, run again, checks every event itself.
    pub fn is(&self, event: EventRef) -> bool {
        self.arn == event.arn && (self.account.is_none() || self.account.as_deref() == event.account)
    }

    /// The event as a person reads it: its ARN, and its account when it has one.
    pub fn describe(&self) -> String {
        EventRef {
            arn: &self.arn,
            account: self.account.as_deref(),
        }
        .describe()
    }
}

impl EventRef<'_> {
    /// The event as a person reads it: its ARN, and its account when it has one.
    pub fn describe(&self) -> String {
        match self.account {
            Some(account) => format!("{} (account {account})", self.arn),
            None => self.arn.to_owned(),
        }
    }
}

/// What holds a stage the gate failed: AWS Health events, freezes, a closed deployment window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Hold {
    /// The events, as many as the marker had room for.
    #[serde(default)]
    pub events: Vec<HeldBy>,
    /// The ids of the freezes that hold it; absent in markers before freezes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freezes: Vec<String>,
    /// The service's CloudWatch alarms that hold it; absent in markers before alarms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<HeldAlarm>,
    /// The Change Calendars that hold it; absent in markers before calendars.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<HeldCalendar>,
    /// When the deployment window that holds it opens (seconds since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<i64>,
    /// When the gate failed the stage (seconds since the Unix epoch), for how long it was held;
    /// absent in markers before freezes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Where the gate learned of them; absent in markers of gates before the event store,
    /// which asked only the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<HealthSource>,
    /// Events left out to keep the marker short.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more: usize,
    /// Freezes left out to keep the marker short (hundreds of them would not fit in the
    /// failure message): the stage is then held by reference, by every freeze that holds its
    /// pipeline, until none does.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_freezes: usize,
    /// Alarms left out to keep the marker short: like events left out, the gate, run again by a
    /// resume, checks every alarm itself.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_alarms: usize,
    /// Calendars left out to keep the marker short: the gate, run again by a resume, checks
    /// every calendar itself.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_calendars: usize,
    /// The kinds of what also blocked but holds nothing here (a running pipeline: `locks`;
    /// alarms or freezes that could not be read), by the name an override passes them over by:
    /// an override in force lets the stage resume only when it covers these too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

impl Hold {
    /// A hold by these events, learned of from `source`.
    pub fn new(events: Vec<HeldBy>, source: Option<HealthSource>) -> Self {
        Self {
            events,
            source,
            ..Self::default()
        }
    }

    /// Whether it names anything that holds the stage.
    pub fn holds_anything(&self) -> bool {
        !self.events.is_empty()
            || !self.alarms.is_empty()
            || !self.calendars.is_empty()
            || !self.freezes.is_empty()
            || self.more_freezes > 0
            || self.opens_at.is_some()
    }

    /// Whether it holds by reference: by every freeze that holds the pipeline, not only those
    /// it names.
    pub fn holds_by_every_freeze(&self) -> bool {
        self.more_freezes > 0
    }

    /// The marker line, dropping events from the end (and counting them in `more`) when they
    /// would not fit, then alarms (counted in `more_alarms`), then calendars (`more_calendars`): the gate, run again by a resume,
    /// checks them all itself. Freezes go only when no event or alarm is left to drop, counted
    /// in `more_freezes`: the stage is then held by every freeze that holds its pipeline, so a
    /// resume still waits for each of them.
    pub fn marker(&self) -> String {
        json_within(
            self,
            MAX_MARKER_CHARS,
            |json| format!("{PREFIX}{VERSION} {json}"),
            |hold| {
                if hold.events.pop().is_some() {
                    hold.more += 1;
                    true
                } else if hold.alarms.pop().is_some() {
                    hold.more_alarms += 1;
                    true
                } else if hold.calendars.pop().is_some() {
                    hold.more_calendars += 1;
                    true
                } else if hold.freezes.pop().is_some() {
                    hold.more_freezes += 1;
                    true
                } else {
                    false
                }
            },
        )
    }

    /// The hold a failure message names: its marker line (the last one, if several) of this
    /// marker version. A message without one names no hold, whatever ARNs its text mentions.
    pub fn read(message: &str) -> Option<Self> {
        message
            .lines()
            .rev()
            .find_map(|line| line.trim().strip_prefix(PREFIX))
            .and_then(|versioned| {
                let (version, json) = versioned.split_once(' ')?;
                (version.parse() == Ok(VERSION))
                    .then(|| serde_json::from_str::<Self>(json).ok())
                    .flatten()
            })
            .filter(Self::holds_anything)
    }

    /// The ARNs of the events.
    pub fn arns(&self) -> impl Iterator<Item = &str> {
        self.events.iter().map(|event| event.arn.as_str())
    }

    /// The events still open: those `closed` (one answer per event, in order) does not say have
    /// closed.
    pub fn still_open<'a>(&'a self, closed: &[bool]) -> Vec<&'a HeldBy> {
        self.events
            .iter()
            .zip(closed)
            .filter(|(_, closed)| !**closed)
            .map(|(held, _)| held)
            .collect()
    }

    /// Whether the AWS Health API may know more of these events than the store: holds the API
    /// decided, and holds whose source the marker does not say.
    pub fn asks_api(&self) -> bool {
        self.source.is_none_or(|source| source == HealthSource::Api)
    }
}

/// A Lambda function as a `FunctionName` names it: a name, `name:qualifier`, a full ARN
/// (`arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`) or a partial one
/// (`<account>:function:<name>[:qualifier]`). The qualifier (a version or alias) is the same
/// function's, so it is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FunctionRef {
    region: Option<String>,
    account: Option<String>,
    name: String,
}

impl FunctionRef {
    fn parse(text: &str) -> Option<Self> {
        let fields: Vec<&str> = text.trim().split(':').collect();
        let (region, account, name) = match fields.as_slice() {
            [name] | [name, _] => (None, None, *name),
            ["arn", _partition, "lambda", region, account, "function", name, ..] => {
                (Some(*region), Some(*account), *name)
            }
            [account, "function", name, ..] => (None, Some(*account), *name),
            _ => return None,
        };
        let name_is_valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'));
        (name_is_valid && account.is_none_or(is_account_id)).then(|| Self {
            region: region.map(str::to_owned),
            account: account.map(str::to_owned),
            name: name.to_owned(),
        })
    }

    /// The same function: the same name, in the same account and region where both say one.
    /// A name alone is one of the caller's own account and region: the stack's, for a pipeline
    /// stage-retry manages.
    fn is(&self, other: &Self) -> bool {
        let agree = |mine: &Option<String>, theirs: &Option<String>| match (mine, theirs) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        };
        self.name == other.name && agree(&self.account, &other.account) && agree(&self.region, &other.region)
    }
}

/// The environment variable naming the stack's gate functions (names or ARNs, comma-separated).
pub const GATE_FUNCTIONS_VAR: &str = "GATE_FUNCTIONS";

/// The Lambda functions that are the stack's health gates: only their actions' failure messages
/// carry hold markers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateFunctions(Vec<FunctionRef>);

impl GateFunctions {
    /// Reads `GATE_FUNCTIONS` through `lookup`; unset, no function is a gate and no marker is
    /// read as a hold.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let Some(value) = non_blank(lookup)(GATE_FUNCTIONS_VAR) else {
            return Ok(Self::default());
        };
        split_list(&value)
            .iter()
            .map(|function| {
                FunctionRef::parse(function).ok_or_else(|| SettingError {
                    setting: env_setting(GATE_FUNCTIONS_VAR),
                    reason: format!(
                        "`{function}` is not a Lambda function name or ARN (e.g. pipeguard-HealthGate-1AB2, or arn:aws:lambda:us-east-1:123456789012:function:pipeguard-HealthGate-1AB2)"
                    ),
                })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether none is named.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the function an action's `FunctionName` names is one of them.
    pub fn includes(&self, function_name: &str) -> bool {
        FunctionRef::parse(function_name).is_some_and(|function| self.0.iter().any(|gate| gate.is(&function)))
    }
}

/// The actions of one pipeline that invoke a gate, as (stage, action): the only ones whose
/// hold marker is read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateActions(Vec<(String, String)>);

impl GateActions {
    /// No action invokes a gate.
    pub const fn none() -> Self {
        Self(Vec::new())
    }

    /// The actions of `declared` that invoke one of `gates`.
    pub fn of(declared: &[DeclaredAction], gates: &GateFunctions) -> Self {
        Self(
            declared
                .iter()
                .filter(|action| {
                    action
                        .invokes
                        .as_deref()
                        .is_some_and(|function| gates.includes(function))
                })
                .map(|action| (action.stage.clone(), action.name.clone()))
                .collect(),
        )
    }

    /// Every AWS Lambda invoke action of `declared`: what the command line takes for the gate's
    /// when it is not told the stack's gates (`GATE_FUNCTIONS`). There a hold only keeps a
    /// stage from being retried and is shown, and a build's copied marker still holds nothing.
    pub fn every_lambda_invoke(declared: &[DeclaredAction]) -> Self {
        Self(
            declared
                .iter()
                .filter(|action| action.invokes.is_some())
                .map(|action| (action.stage.clone(), action.name.clone()))
                .collect(),
        )
    }

    /// Every action of `stages`: what the command line takes for the gate's when it may not
    /// read the pipeline's structure (no `codepipeline:GetPipeline`).
    pub fn every_action_of(stages: &[StageSnapshot]) -> Self {
        Self(
            stages
                .iter()
                .flat_map(|stage| {
                    stage
                        .actions
                        .iter()
                        .map(|action| (stage.name.clone(), action.name.clone()))
                })
                .collect(),
        )
    }

    /// Whether `stage`'s action `action` invokes a gate.
    pub fn contains(&self, stage: &str, action: &str) -> bool {
        self.0
            .iter()
            .any(|(gate_stage, gate_action)| gate_stage == stage && gate_action == action)
    }
}

/// A failure message as people read it: without the marker lines, which are for machines.
pub fn without_marker(message: &str) -> String {
    message
        .lines()
        .filter(|line| !line.trim().starts_with(PREFIX))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
#[path = "hold_tests.rs"]
mod tests;
