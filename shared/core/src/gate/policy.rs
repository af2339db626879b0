//! The gate's policy: built-in defaults, overridden by environment variables (read once per
//! cold start), overridden per action by UserParameters. Every bad value is a named error.

use crate::alarm::{AlarmState, DEFAULT_ALARM_STATES, WatchedAlarm, is_role_name, read_alarm_state};
use crate::calendar::{MAX_CALENDARS, WatchedCalendar};
use crate::config::{SettingError, dedup, env_number, env_setting, env_var, non_blank, split_list};
use crate::health::{EventCategory, EventStatus, is_account_id, is_region_code};
use crate::names::closed_names;
use crate::schedule::{Blackout, Schedule, ScheduleError, Window};
use serde::Deserialize;
use std::fmt;

/// Longest hold the gate allows: CodePipeline fails a Lambda invoke action after 24 hours in
/// total, so the gate stops 30 minutes earlier to fail with its own, explicit message.
pub const MAX_WAIT_MINUTES_LIMIT: u32 = 23 * 60 + 30;
const DEFAULT_MAX_WAIT_MINUTES: u32 = 60;
/// Longest bake: it and its grace for signals that could not be read end by the longest hold,
/// 30 minutes before CodePipeline fails a Lambda invoke action at 24 hours. A longer bake could
/// never pass: CodePipeline would end it first, with a failure that is not the bake's.
pub const MAX_BAKE_MINUTES: u32 = MAX_WAIT_MINUTES_LIMIT - UNREAD_GRACE_MINUTES as u32;
/// How long past its end a bake goes on polling while a signal cannot be read, before it fails
/// with that signal's unavailable verdict (not `BAKE_FAILED`: the deploy is not known to be bad,
/// so it is not rolled back).
pub const UNREAD_GRACE_MINUTES: i64 = 15;
/// The environment variable naming the event store's DynamoDB table.
pub const EVENT_STORE_VARIABLE: &str = "HEALTH_EVENTS_TABLE";
/// Each conflicting pipeline costs one ListPipelineExecutions call per decision.
const MAX_CONFLICTING_PIPELINES: usize = 10;
/// AWS Health's organizational view takes at most 50 accounts a query
/// (DescribeEventsForOrganization's `awsAccountIds`): one query's worth.
pub const MAX_ACCOUNTS: usize = 50;

closed_names!(
    /// What the gate does when something blocks the deployment (`on_block`).
    OnBlock {
        /// Fail the action, naming what blocks it.
        Fail = "fail",
        /// Hold the action until nothing blocks it, for up to `max_wait_minutes`.
        Wait = "wait",
    }
);

closed_names!(
    /// What the gate does when AWS Health cannot be asked (`on_health_error`).
    OnHealthError {
        /// Block the deployment.
        FailClosed = "fail-closed",
        /// Let it go ahead, saying that Health was not checked.
        FailOpen = "fail-open",
    }
);

closed_names!(
    /// Where the gate asks about AWS Health (`health_source`).
    SourceChoice {
        /// The AWS Health API only.
        Api = "api",
        /// The event store only.
        Events = "events",
        /// The API, and the event store when the account has no support plan for the API.
        Auto = "auto",
    }
);

/// What one gate action checks and how it reacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatePolicy {
    /// The regions watched (`global` for global services).
    pub regions: Vec<String>,
    /// The AWS Health service codes watched; empty means every service.
    pub services: Vec<String>,
    /// The event type categories that block.
    pub categories: Vec<EventCategory>,
    /// The event statuses that block.
    pub statuses: Vec<EventStatus>,
    /// Event type codes that never block.
    pub ignore_event_types: Vec<String>,
    /// Fail or hold when blocked.
    pub on_block: OnBlock,
    /// The longest hold, in minutes.
    pub max_wait_minutes: u32,
    /// Fail closed or open when AWS Health cannot be asked.
    pub on_health_error: OnHealthError,
    /// Pipelines that must not be running while this one deploys.
    pub block_while_running: Vec<String>,
    /// The accounts the pipeline deploys into, whose account-specific AWS Health events block;
    /// empty until a job's own account fills it (`with_own_account`).
    pub accounts: Vec<String>,
    /// Where AWS Health is asked.
    pub health_source: SourceChoice,
    /// When deploys may start: the deployment windows and blackouts.
    pub schedule: Schedule,
    /// Whether freezes are passed over (for emergency fixes); the gate says so when one is.
    pub ignore_freezes: bool,
    /// The service's own CloudWatch alarms that block while in one of `alarm_states`; empty
    /// watches none.
    pub alarms: Vec<WatchedAlarm>,
    /// The alarm states that block.
    pub alarm_states: Vec<AlarmState>,
    /// The read-only role, by name, the gate assumes in another account to read its alarms.
    pub alarms_role: Option<String>,
    /// When set, this action bakes a deploy rather than gating one: placed after the deploy, it
    /// passes once the bake's signals stayed clear this many minutes (`bake`).
    pub bake_minutes: Option<u32>,
    /// The AWS Systems Manager Change Calendars that block while closed; empty watches none.
    pub change_calendars: Vec<WatchedCalendar>,
}

/// The function-wide policy, read from the environment at cold start, and whether the event
/// store is there to ask (`HEALTH_EVENTS_TABLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateDefaults {
    policy: GatePolicy,
    store_configured: bool,
}

/// Settings as given, before validation: every field optional, so each layer overrides only
/// what it names.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    regions: Option<Vec<String>>,
    services: Option<Vec<String>>,
    categories: Option<Vec<String>>,
    statuses: Option<Vec<String>>,
    ignore_event_types: Option<Vec<String>>,
    on_block: Option<String>,
    max_wait_minutes: Option<u32>,
    on_health_error: Option<String>,
    block_while_running: Option<Vec<String>>,
    accounts: Option<Vec<String>>,
    health_source: Option<String>,
    windows: Option<Vec<String>>,
    blackouts: Option<Vec<String>>,
    ignore_freezes: Option<bool>,
    alarms: Option<Vec<String>>,
    alarm_states: Option<Vec<String>>,
    alarms_role: Option<String>,
    bake_minutes: Option<u32>,
    change_calendars: Option<Vec<String>>,
}

/// The environment variable for a field: `GATE_` and the field in capitals.
fn gate_env(field: &str) -> String {
    env_var("GATE", field)
}

impl GateDefaults {
    /// Reads `GATE_*` variables through `lookup` (the process environment in Lambda).
    /// Regions default to the function's own region (`AWS_REGION`).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let lookup = non_blank(lookup);
        let list = |field: &str| lookup(&gate_env(field)).map(|value| split_list(&value));
        let text = |field: &str| lookup(&gate_env(field)).map(|value| value.trim().to_owned());
        // Windows hold commas (`Mon,Wed 09:00-12:00 UTC`): these lists are `;`-separated.
        let schedule_list = |field: &str| {
            lookup(&gate_env(field)).map(|value| {
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
        };
        let raw = RawPolicy {
            regions: list("regions"),
            services: list("services"),
            categories: list("categories"),
            statuses: list("statuses"),
            ignore_event_types: list("ignore_event_types"),
            on_block: text("on_block"),
            max_wait_minutes: env_number(&lookup, &gate_env("max_wait_minutes"))?,
            on_health_error: text("on_health_error"),
            block_while_running: list("block_while_running"),
            accounts: list("accounts"),
            health_source: text("health_source"),
            windows: schedule_list("windows"),
            blackouts: schedule_list("blackouts"),
            // Per action only: a function-wide switch would quietly turn every freeze off.
            ignore_freezes: None,
            alarms: lookup(&gate_env("alarms"))
                .map(|value| alarm_list(&value))
                .transpose()?,
            alarm_states: list("alarm_states"),
            alarms_role: text("alarms_role"),
            // Per action only: a function-wide bake would turn every gate before a deploy into a
            // bake, which no longer looks at freezes, windows or locks.
            bake_minutes: None,
            change_calendars: list("change_calendars"),
        };
        let own_region = lookup("AWS_REGION");
        let base = GatePolicy {
            regions: own_region.into_iter().collect(),
            services: Vec::new(),
            categories: vec![EventCategory::Issue],
            statuses: vec![EventStatus::Open],
            ignore_event_types: Vec::new(),
            on_block: OnBlock::Fail,
            max_wait_minutes: DEFAULT_MAX_WAIT_MINUTES,
            on_health_error: OnHealthError::FailClosed,
            block_while_running: Vec::new(),
            accounts: Vec::new(),
            health_source: SourceChoice::Auto,
            schedule: Schedule::default(),
            ignore_freezes: false,
            alarms: Vec::new(),
            alarm_states: DEFAULT_ALARM_STATES.to_vec(),
            alarms_role: None,
            bake_minutes: None,
            change_calendars: Vec::new(),
        };
        let store_configured = lookup(EVENT_STORE_VARIABLE).is_some();
        let policy = base.overridden_by(raw, store_configured, |field| env_setting(&gate_env(field)))?;
        if policy.regions.is_empty() {
            return Err(SettingError {
                setting: env_setting(&gate_env("regions")),
                reason: "no region to check: set GATE_REGIONS, or AWS_REGION (Lambda sets it), or name regions in UserParameters".into(),
            });
        }
        Ok(Self {
            policy,
            store_configured,
        })
    }

    /// The policy for one job: these defaults overridden by the action's UserParameters, which
    /// are either a JSON object or (as in the AWS sample) a comma-separated list of regions.
    pub fn for_action(&self, user_parameters: Option<&str>) -> Result<GatePolicy, SettingError> {
        let text = user_parameters.map(str::trim).unwrap_or_default();
        let raw = if text.is_empty() {
            RawPolicy::default()
        } else if text.starts_with('{') {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
                let field = error.path().to_string();
                let inner = error.into_inner();
                if field == "." || inner.is_syntax() || inner.is_eof() {
                    SettingError {
                        setting: USER_PARAMETERS.into(),
                        reason: format!("not a valid JSON object: {inner}"),
                    }
                } else {
                    SettingError {
                        setting: user_parameter(&field),
                        reason: inner.to_string(),
                    }
                }
            })?
        } else if text.starts_with(['[', '"']) {
            return Err(SettingError {
                setting: USER_PARAMETERS.into(),
                reason: "must be a JSON object (e.g. {\"regions\": [\"us-east-1\"]}) or a comma-separated list of regions".into(),
            });
        } else {
            RawPolicy {
                regions: Some(text.split(',').map(|region| region.trim().to_owned()).collect()),
                ..RawPolicy::default()
            }
        };
        self.policy
            .clone()
            .overridden_by(raw, self.store_configured, user_parameter)
    }
}

const USER_PARAMETERS: &str = "UserParameters";

/// How an error names a UserParameters field.
fn user_parameter(field: &str) -> String {
    format!("{USER_PARAMETERS} field `{field}`")
}

impl GatePolicy {
    /// The policy for a job of `own_account`: the accounts it watches are the ones it names,
    /// or else that account (where the pipeline, and so the gate, runs).
    pub fn with_own_account(mut self, own_account: &str) -> Self {
        if self.accounts.is_empty() {
            self.accounts = vec![own_account.to_owned()];
        }
        self
    }

    /// This policy with each field `raw` names read over it, in the order of the fields: the
    /// first that does not read is the error, named by `setting`.
    fn overridden_by(
        mut self,
        raw: RawPolicy,
        store_configured: bool,
        setting: impl Fn(&str) -> String,
    ) -> Result<Self, SettingError> {
        let invalid = |field: &str, reason: String| SettingError {
            setting: setting(field),
            reason,
        };
        let indexed =
            |field: &str, index: usize, reason: String| invalid(&format!("{field}[{index}]"), reason);

        if let Some(regions) = raw.regions {
            self.regions = REGIONS.read(regions, &setting)?;
        }
        if let Some(services) = raw.services {
            self.services = SERVICES.read(services, &setting)?;
        }
        if let Some(categories) = raw.categories {
            self.categories = CATEGORIES.read(categories, &setting)?;
        }
        if let Some(statuses) = raw.statuses {
            self.statuses = STATUSES.read(statuses, &setting)?;
        }
        if let Some(codes) = raw.ignore_event_types {
            self.ignore_event_types = IGNORE_EVENT_TYPES.read(codes, &setting)?;
        }
        if let Some(on_block) = raw.on_block {
            self.on_block = named(&on_block, OnBlock::parse, OnBlock::one_of)
                .map_err(|reason| invalid("on_block", reason))?;
        }
        if let Some(minutes) = raw.max_wait_minutes {
            if !(1..=MAX_WAIT_MINUTES_LIMIT).contains(&minutes) {
                return Err(invalid(
                    "max_wait_minutes",
                    format!(
                        "{minutes} is outside 1..={MAX_WAIT_MINUTES_LIMIT} (CodePipeline ends a Lambda invoke action after 24 hours)"
                    ),
                ));
            }
            self.max_wait_minutes = minutes;
        }
        if let Some(on_health_error) = raw.on_health_error {
            self.on_health_error = named(&on_health_error, OnHealthError::parse, OnHealthError::one_of)
                .map_err(|reason| invalid("on_health_error", reason))?;
        }
        if let Some(pipelines) = raw.block_while_running {
            self.block_while_running = BLOCK_WHILE_RUNNING.read(pipelines, &setting)?;
        }
        if let Some(accounts) = raw.accounts {
            self.accounts = ACCOUNTS.read(accounts, &setting)?;
        }
        if let Some(source) = raw.health_source {
            self.health_source = named(&source, SourceChoice::parse, SourceChoice::one_of)
                .map_err(|reason| invalid("health_source", reason))?;
        }
        if let Some(windows) = raw.windows {
            self.schedule.windows = parsed_each(windows, Window::parse)
                .map_err(|(index, error)| indexed("windows", index, error.to_string()))?;
        }
        if let Some(blackouts) = raw.blackouts {
            self.schedule.blackouts = parsed_each(blackouts, Blackout::parse)
                .map_err(|(index, error)| indexed("blackouts", index, error.to_string()))?;
        }
        if let Some(ignore) = raw.ignore_freezes {
            self.ignore_freezes = ignore;
        }
        if let Some(alarms) = raw.alarms {
            self.alarms = ALARMS.read(alarms, &setting)?;
        }
        if let Some(states) = raw.alarm_states {
            self.alarm_states = ALARM_STATES.read(states, &setting)?;
        }
        if let Some(role) = raw.alarms_role {
            let role = role.trim();
            // An empty role in UserParameters takes the function's back: alarms in this account only.
            self.alarms_role = if role.is_empty() {
                None
            } else if is_role_name(role) {
                Some(role.to_owned())
            } else {
                return Err(invalid(
                    "alarms_role",
                    format!("`{role}` is not an IAM role name (1-64 of A-Z a-z 0-9 + = , . @ _ -)"),
                ));
            };
        }
        if let Some(minutes) = raw.bake_minutes {
            if !(1..=MAX_BAKE_MINUTES).contains(&minutes) {
                return Err(invalid(
                    "bake_minutes",
                    format!(
                        "{minutes} is outside 1..={MAX_BAKE_MINUTES} (CodePipeline ends a Lambda invoke action after 24 hours, and a longer bake could never pass before that)"
                    ),
                ));
            }
            self.bake_minutes = Some(minutes);
        }
        if let Some(calendars) = raw.change_calendars {
            self.change_calendars = CHANGE_CALENDARS.read(calendars, &setting)?;
        }
        if self.health_source == SourceChoice::Events && !store_configured {
            return Err(invalid(
                "health_source",
                format!(
                    "`events` needs the AWS Health event store, and {EVENT_STORE_VARIABLE} is not set (the template sets it)"
                ),
            ));
        }
        Ok(self)
    }
}

/// The value of a setting with a fixed set of names that `given` names, or why there is none.
fn named<T>(given: &str, parse: fn(&str) -> Option<T>, one_of: fn() -> String) -> Result<T, String> {
    parse(given).ok_or_else(|| format!("`{given}` is not one of {}", one_of()))
}

/// What naming a kind of AWS Health event (a category, a status) in a policy means.
#[derive(Debug, Clone, Copy)]
enum Meaning {
    /// Events of this kind block.
    Blocks,
    /// Events of this kind never block a deployment (why, after the name): naming it is an error.
    NeverBlocks(&'static str),
}

/// Every event category a policy may name, and what naming it means; an error lists those that
/// block in this order.
const EVENT_CATEGORIES: &[(EventCategory, Meaning)] = &[
    (EventCategory::Issue, Meaning::Blocks),
    (EventCategory::AccountNotification, Meaning::Blocks),
    (EventCategory::ScheduledChange, Meaning::Blocks),
    (EventCategory::Investigation, Meaning::Blocks),
];

/// Every event status a policy may name, and what naming it means; an error lists those that
/// block in this order.
const EVENT_STATUSES: &[(EventStatus, Meaning)] = &[
    (EventStatus::Open, Meaning::Blocks),
    (EventStatus::Upcoming, Meaning::Blocks),
    (
        EventStatus::Closed,
        Meaning::NeverBlocks("events are over and never block a deployment"),
    ),
];

/// The kind `name` names exactly in `known`, or why it cannot be named: a kind that never blocks,
/// or none of those that do.
fn kind_named<K>(known: &[(K, Meaning)], name: &str) -> Result<K, String>
where
    K: Clone + PartialEq + fmt::Display + for<'a> From<&'a str>,
{
    let named = K::from(name);
    match known.iter().find(|(kind, _)| *kind == named) {
        Some((kind, Meaning::Blocks)) => Ok(kind.clone()),
        Some((_, Meaning::NeverBlocks(why))) => Err(format!("`{name}` {why}")),
        None => {
            let blocking: Vec<String> = known
                .iter()
                .filter(|(_, meaning)| matches!(meaning, Meaning::Blocks))
                .map(|(kind, _)| kind.to_string())
                .collect();
            Err(format!("`{name}` is not one of {}", blocking.join(", ")))
        }
    }
}

/// How a list field reads: whether it may be empty, how each item reads, and how many it may
/// name. Its items are kept in order, each once.
struct ListField<T> {
    /// The field, as errors name it.
    field: &'static str,
    /// Why an empty list is refused, when it is (otherwise it means "none" or "all").
    refuse_empty: Option<&'static str>,
    /// An item as kept, or why it is refused.
    item: fn(&str) -> Result<T, String>,
    /// The most items it may name, when there is a most.
    at_most: Option<Limit>,
}

/// The most items a list field may name: how many, what they are, and why no more.
struct Limit {
    count: usize,
    items: &'static str,
    why: &'static str,
}

impl<T: PartialEq> ListField<T> {
    /// The items of `given`, or an error naming the field (or the item, by its place) and why.
    fn read(&self, given: Vec<String>, setting: impl Fn(&str) -> String) -> Result<Vec<T>, SettingError> {
        let invalid = |place: &str, reason: String| SettingError {
            setting: setting(place),
            reason,
        };
        if given.is_empty()
            && let Some(why) = self.refuse_empty
        {
            return Err(invalid(self.field, why.into()));
        }
        let items = given
            .iter()
            .enumerate()
            .map(|(index, item)| {
                (self.item)(item).map_err(|why| invalid(&format!("{}[{index}]", self.field), why))
            })
            .collect::<Result<Vec<T>, SettingError>>()?;
        let items = dedup(items);
        if let Some(limit) = &self.at_most
            && items.len() > limit.count
        {
            return Err(invalid(
                self.field,
                format!(
                    "names {} {}; at most {} ({})",
                    items.len(),
                    limit.items,
                    limit.count,
                    limit.why
                ),
            ));
        }
        Ok(items)
    }
}

const REGIONS: ListField<String> = ListField {
    field: "regions",
    refuse_empty: Some("must name at least one region"),
    item: |region| {
        is_region_code(region)
            .then(|| region.to_owned())
            .ok_or_else(|| format!("`{region}` is not an AWS region code (e.g. us-east-1, or global)"))
    },
    at_most: None,
};

const SERVICES: ListField<String> = ListField {
    field: "services",
    refuse_empty: None,
    item: |service| {
        upper_code(service, 2, 30)
            .ok_or_else(|| format!("`{service}` is not an AWS Health service code (e.g. EC2, LAMBDA)"))
    },
    at_most: None,
};

const CATEGORIES: ListField<EventCategory> = ListField {
    field: "categories",
    refuse_empty: Some("must name at least one category"),
    item: |category| kind_named(EVENT_CATEGORIES, category),
    at_most: None,
};

const STATUSES: ListField<EventStatus> = ListField {
    field: "statuses",
    refuse_empty: Some("must name at least one status"),
    item: |status| kind_named(EVENT_STATUSES, status),
    at_most: None,
};

const IGNORE_EVENT_TYPES: ListField<String> = ListField {
    field: "ignore_event_types",
    refuse_empty: None,
    item: |code| {
        upper_code(code, 3, 100)
            .ok_or_else(|| format!("`{code}` is not an event type code (e.g. AWS_EC2_OPERATIONAL_ISSUE)"))
    },
    at_most: None,
};

const BLOCK_WHILE_RUNNING: ListField<String> = ListField {
    field: "block_while_running",
    refuse_empty: None,
    item: |name| {
        is_pipeline_name(name)
            .then(|| name.to_owned())
            .ok_or_else(|| format!("`{name}` is not a pipeline name (1-100 of A-Z a-z 0-9 . @ - _)"))
    },
    at_most: Some(Limit {
        count: MAX_CONFLICTING_PIPELINES,
        items: "pipelines",
        why: "each is one API call per check",
    }),
};

const ACCOUNTS: ListField<String> = ListField {
    field: "accounts",
    refuse_empty: Some("must name at least one account (leave it out for the gate's own)"),
    item: |account| {
        is_account_id(account)
            .then(|| account.to_owned())
            .ok_or_else(|| format!("`{account}` is not a 12-digit AWS account id"))
    },
    at_most: Some(Limit {
        count: MAX_ACCOUNTS,
        items: "accounts",
        why: "the most AWS Health's organizational view is asked about at once",
    }),
};

const ALARMS: ListField<WatchedAlarm> = ListField {
    field: "alarms",
    refuse_empty: None,
    item: WatchedAlarm::parse,
    at_most: None,
};

const ALARM_STATES: ListField<AlarmState> = ListField {
    field: "alarm_states",
    refuse_empty: Some("must name at least one state (ALARM, INSUFFICIENT_DATA)"),
    item: read_alarm_state,
    at_most: None,
};

const CHANGE_CALENDARS: ListField<WatchedCalendar> = ListField {
    field: "change_calendars",
    refuse_empty: None,
    item: WatchedCalendar::parse,
    at_most: Some(Limit {
        count: MAX_CALENDARS,
        items: "calendars",
        why: "each is one GetCalendarState call per check",
    }),
};

/// `GATE_ALARMS`: comma-separated, or a JSON array of strings for names that hold a comma
/// (CloudWatch allows them).
fn alarm_list(value: &str) -> Result<Vec<String>, SettingError> {
    let value = value.trim();
    if !value.starts_with('[') {
        return Ok(split_list(value));
    }
    serde_json::from_str(value).map_err(|error| SettingError {
        setting: env_setting(&gate_env("alarms")),
        reason: format!("starts with `[` but is not a JSON array of strings ({error})"),
    })
}

/// Each expression read by `parse`, or the first that cannot be, with its index.
fn parsed_each<T>(
    expressions: Vec<String>,
    parse: impl Fn(&str) -> Result<T, ScheduleError>,
) -> Result<Vec<T>, (usize, ScheduleError)> {
    expressions
        .iter()
        .enumerate()
        .map(|(index, expression)| parse(expression).map_err(|error| (index, error)))
        .collect()
}

/// Health service and event type codes are upper case; lower case input accepted as-is would
/// be a silent mismatch, so it is upper-cased instead.
fn upper_code(value: &str, min: usize, max: usize) -> Option<String> {
    let code = value.trim().to_ascii_uppercase();
    let valid = (min..=max).contains(&code.len())
        && code
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_');
    valid.then_some(code)
}

fn is_pipeline_name(value: &str) -> bool {
    (1..=100).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'-' | b'_'))
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
