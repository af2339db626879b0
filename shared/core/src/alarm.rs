//! The service's own CloudWatch alarms, as the gate watches them: the `alarms` setting (names,
//! `NAME*` prefixes, alarm ARNs of other regions and accounts) and `alarm_states`; the calls
//! that ask about them (`queries`: one region and account at a time, at most 100 names a call,
//! one call per prefix); what CloudWatch answered, as plain data; and `assess`, which finds the
//! alarms that block and the watched names that match no alarm.

use crate::names::aws_names;
use crate::text::{printable, truncate_chars};

/// DescribeAlarms takes at most 100 names a call (`AlarmNames`).
pub const MAX_NAMES_PER_CALL: usize = 100;

/// CloudWatch's limit on an alarm's name.
const MAX_NAME_CHARS: usize = 255;

/// How much of an alarm's state reason a blocker quotes: the reason starts with what crossed
/// which threshold, and the datapoints after it are for the console.
const REASON_CHARS: usize = 160;

aws_names!(
    /// The state of a CloudWatch alarm, as DescribeAlarms answers it (`StateValue`).
    AlarmState {
        /// Clear.
        Ok = "OK",
        /// Firing.
        Alarm = "ALARM",
        /// Not enough data to tell.
        InsufficientData = "INSUFFICIENT_DATA",
    }
);

/// The states a gate blocks on when `alarm_states` is not set.
pub const DEFAULT_ALARM_STATES: &[AlarmState] = &[AlarmState::Alarm];

/// One item of `alarm_states`: `ALARM` or `INSUFFICIENT_DATA` (`OK` is the clear state, which
/// never blocks), or why not.
pub fn read_alarm_state(given: &str) -> Result<AlarmState, String> {
    match AlarmState::from(given.trim().to_ascii_uppercase().as_str()) {
        AlarmState::Ok => {
            Err("`OK` is the clear state: an alarm in it never blocks (name ALARM, INSUFFICIENT_DATA)".into())
        }
        AlarmState::Other(other) => Err(format!("`{other}` is not one of ALARM, INSUFFICIENT_DATA")),
        state => Ok(state),
    }
}

/// Where an alarm lives: CloudWatch alarms belong to one region of one account.
pub use crate::place::Place as AlarmPlace;

/// Which alarms a watched entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmPattern {
    /// The alarm of this name.
    Exact(String),
    /// Every alarm whose name starts with this (`NAME*`).
    Prefix(String),
}

impl AlarmPattern {
    /// Whether an alarm of this name is one it names.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Self::Exact(exact) => name == exact,
            Self::Prefix(prefix) => name.starts_with(prefix.as_str()),
        }
    }
}

/// One entry of the `alarms` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedAlarm {
    /// The alarms it names.
    pub pattern: AlarmPattern,
    /// Where, when given by an ARN; otherwise the gate's own region and account.
    pub place: Option<AlarmPlace>,
}

impl WatchedAlarm {
    /// An entry as the setting gives it: `NAME`, `NAME*`, or
    /// `arn:<partition>:cloudwatch:<region>:<account>:alarm:<NAME or NAME*>`; or why it is not one.
    pub fn parse(given: &str) -> Result<Self, String> {
        let given = given.trim();
        if given.starts_with("arn:") {
            return Self::from_arn(given);
        }
        Ok(Self {
            pattern: pattern(given)?,
            place: None,
        })
    }

    fn from_arn(arn: &str) -> Result<Self, String> {
        let parts: Vec<&str> = arn.splitn(7, ':').collect();
        let not_an_alarm = || {
            format!(
                "`{}` is not a CloudWatch alarm ARN (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME)",
                printable(arn)
            )
        };
        let [_, partition, service, region, account, resource, name] = parts.as_slice() else {
            return Err(not_an_alarm());
        };
        if partition.is_empty() || *service != "cloudwatch" || *resource != "alarm" {
            return Err(not_an_alarm());
        }
        let place = AlarmPlace::of_arn(arn, region, account)?;
        Ok(Self {
            pattern: pattern(name)?,
            place: Some(place),
        })
    }

    /// Where its alarms live: its own place, or `own` (the gate's region and account).
    pub fn place_or<'a>(&'a self, own: &'a AlarmPlace) -> &'a AlarmPlace {
        self.place.as_ref().unwrap_or(own)
    }

    /// As a person reads it, with where it was looked for.
    pub fn describe(&self, own: &AlarmPlace) -> String {
        let named = match &self.pattern {
            AlarmPattern::Exact(name) => format!("alarm name `{}`", printable(name)),
            AlarmPattern::Prefix(prefix) => format!("alarm name prefix `{}*`", printable(prefix)),
        };
        format!("{named} ({})", self.place_or(own))
    }
}

/// A name, or a prefix when it ends with `*`; or why it is neither.
fn pattern(given: &str) -> Result<AlarmPattern, String> {
    let (name, is_prefix) = match given.strip_suffix('*') {
        Some(prefix) => (prefix, true),
        None => (given, false),
    };
    if name.is_empty() {
        return Err(if is_prefix {
            "`*` alone would watch every alarm: name a prefix (e.g. `web-*`)".into()
        } else {
            "an alarm name must not be empty".into()
        });
    }
    if name.contains('*') {
        return Err(format!(
            "`{}`: only a trailing `*` (a name prefix) is understood",
            printable(given)
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(format!(
            "`{}` is not a CloudWatch alarm name (1 to {MAX_NAME_CHARS} characters, no control characters)",
            printable(given)
        ));
    }
    Ok(if is_prefix {
        AlarmPattern::Prefix(name.to_owned())
    } else {
        AlarmPattern::Exact(name.to_owned())
    })
}

/// What one DescribeAlarms call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmAsk {
    /// These alarms (`AlarmNames`, at most 100).
    Names(Vec<String>),
    /// Every alarm whose name starts with this (`AlarmNamePrefix`).
    Prefix(String),
}

/// One DescribeAlarms call (followed through every page), in one region of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmQuery {
    /// Where it is asked.
    pub place: AlarmPlace,
    /// What it asks for.
    pub ask: AlarmAsk,
}

/// The calls that answer for every watched alarm: for each region and account, its names in
/// calls of at most 100, and one call per prefix; a name a prefix of the same place covers is
/// not asked again. In the order the places are first named.
pub fn queries(watched: &[WatchedAlarm], own: &AlarmPlace) -> Vec<AlarmQuery> {
    let mut places: Vec<&AlarmPlace> = Vec::new();
    for entry in watched {
        let place = entry.place_or(own);
        if !places.contains(&place) {
            places.push(place);
        }
    }
    let mut queries = Vec::new();
    for place in places {
        let here: Vec<&AlarmPattern> = watched
            .iter()
            .filter(|entry| entry.place_or(own) == place)
            .map(|entry| &entry.pattern)
            .collect();
        let prefixes: Vec<&str> = here
            .iter()
            .filter_map(|pattern| match pattern {
                AlarmPattern::Prefix(prefix) => Some(prefix.as_str()),
                AlarmPattern::Exact(_) => None,
            })
            .collect();
        let mut names: Vec<String> = Vec::new();
        for pattern in &here {
            if let AlarmPattern::Exact(name) = pattern
                && !prefixes.iter().any(|prefix| name.starts_with(prefix))
                && !names.contains(name)
            {
                names.push(name.clone());
            }
        }
        for chunk in names.chunks(MAX_NAMES_PER_CALL) {
            queries.push(AlarmQuery {
                place: place.clone(),
                ask: AlarmAsk::Names(chunk.to_vec()),
            });
        }
        let mut asked: Vec<&str> = Vec::new();
        for prefix in prefixes {
            if !asked.contains(&prefix) {
                asked.push(prefix);
                queries.push(AlarmQuery {
                    place: place.clone(),
                    ask: AlarmAsk::Prefix(prefix.to_owned()),
                });
            }
        }
    }
    queries
}

/// Why the watched alarms cannot be read as configured: an entry in an account other than
/// `own_account` and no `alarms_role` to read it through.
pub fn unreachable_accounts(
    watched: &[WatchedAlarm],
    own_account: &str,
    role: Option<&str>,
) -> Option<String> {
    if role.is_some() {
        return None;
    }
    let (foreign, place) = in_other_accounts(watched, own_account).into_iter().next()?;
    Some(format!(
        "alarms: {} is in account {}, not this one ({own_account}): reading another account's alarms takes a \
         read-only role there, named by `alarms_role` (GATE_ALARMS_ROLE; the organization StackSet's \
         `AlarmsReaderRoleName` creates it), which the gate assumes",
        foreign.describe(place),
        place.account,
    ))
}

/// Whether `name` is an IAM role name: 1 to 64 of letters, digits and `+=,.@_-`.
pub fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// The ARN of the role `role` in `place`'s account, in the partition of its region.
pub fn role_arn(place: &AlarmPlace, role: &str) -> String {
    // The partitions by their regions' prefixes (AWS General Reference, "AWS partitions").
    let region = place.region.as_str();
    let partition = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-iso-", "aws-iso"),
    ]
    .iter()
    .find(|(prefix, _)| region.starts_with(prefix))
    .map_or("aws", |(_, partition)| partition);
    format!("arn:{partition}:iam::{}:role/{role}", place.account)
}

/// The watched entries in an account other than `own_account`, with where they are: reading
/// them takes a role in that account.
pub fn in_other_accounts<'a>(
    watched: &'a [WatchedAlarm],
    own_account: &str,
) -> Vec<(&'a WatchedAlarm, &'a AlarmPlace)> {
    watched
        .iter()
        .filter_map(|entry| entry.place.as_ref().map(|place| (entry, place)))
        .filter(|(_, place)| place.account != own_account)
        .collect()
}

/// A metric alarm or a composite alarm (one over other alarms' states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmKind {
    /// An alarm on a metric or a metric math expression.
    Metric,
    /// An alarm on a rule over other alarms.
    Composite,
}

impl AlarmKind {
    /// As a person reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Metric => "metric alarm",
            Self::Composite => "composite alarm",
        }
    }
}

/// A CloudWatch alarm as DescribeAlarms answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmReading {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Where it lives.
    pub place: AlarmPlace,
    /// Metric or composite.
    pub kind: AlarmKind,
    /// Its state.
    pub state: AlarmState,
    /// Why it is in that state, in CloudWatch's words.
    pub reason: String,
    /// When it entered that state (seconds since the Unix epoch), when CloudWatch said.
    pub since: Option<i64>,
}

impl AlarmReading {
    /// One line a person can act on: which alarm, where, its state since when, and why.
    pub fn describe(&self) -> String {
        let since = self
            .since
            .map_or_else(|| "an unknown time".to_owned(), crate::schedule::describe_time);
        format!(
            "CloudWatch {kind} {name} in {place} is {state} since {since}: {reason}",
            kind = self.kind.as_str(),
            name = printable(&self.name),
            place = printable(&self.place.to_string()),
            state = printable(self.state.as_str()),
            reason = printable(&truncate_chars(self.reason.trim(), REASON_CHARS)),
        )
    }

    /// What identifies it in a hold: its name where it lives.
    pub fn key(&self) -> String {
        format!("alarm {} {} {}", self.place.region, self.place.account, self.name)
    }
}

/// What CloudWatch answered for the watched alarms, and where the gate itself is (where a
/// watched name without an ARN is looked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmReadings {
    /// The gate's own region and account.
    pub own: AlarmPlace,
    /// Every alarm the calls answered with.
    pub alarms: Vec<AlarmReading>,
}

/// Why one DescribeAlarms call failed, in plain words (the core holds no SDK type).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlarmCallError {
    /// IAM refused the call.
    #[error("access denied ({0}): the gate's role needs cloudwatch:DescribeAlarms")]
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
    /// CloudWatch answered with another error.
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
    /// STS would not let the gate sign as the alarms' reader role in another account.
    #[error(
        "the role there could not be assumed ({0}): it must exist in that account and trust this one \
         (infra/health-forwarder.yaml's AlarmsReaderRole), and the gate needs sts:AssumeRole on it (GateAlarmsRole)"
    )]
    RoleRefused(String),
    /// The process has no region to ask CloudWatch in.
    #[error("no AWS region is configured (AWS_REGION) to ask CloudWatch in")]
    NoRegion,
}

/// CloudWatch could not say what the watched alarms are: which call failed and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CloudWatch DescribeAlarms in {place}: {error}")]
pub struct AlarmsUnavailable {
    /// Where the call that failed was asked.
    pub place: AlarmPlace,
    /// Why it failed.
    pub error: AlarmCallError,
    /// What the calls that did answer found (other places, other batches of names): a firing
    /// alarm among them blocks all the same.
    pub known: AlarmReadings,
}

/// What the readings say for the watch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlarmFindings {
    /// The watched alarms in a blocking state, each once.
    pub blocking: Vec<AlarmReading>,
    /// The watched entries that name no alarm CloudWatch knows.
    pub unmatched: Vec<WatchedAlarm>,
    /// How many alarms the watch names, each once.
    pub watched: usize,
}

/// The alarms among `readings` that `watched` names and whose state is one of `states`, and
/// the entries of `watched` that name none of them (a name mistyped must never pass silently).
pub fn assess(watched: &[WatchedAlarm], states: &[AlarmState], readings: &AlarmReadings) -> AlarmFindings {
    let named = |entry: &WatchedAlarm, alarm: &AlarmReading| {
        *entry.place_or(&readings.own) == alarm.place && entry.pattern.matches(&alarm.name)
    };
    let unmatched = watched
        .iter()
        .filter(|entry| !readings.alarms.iter().any(|alarm| named(entry, alarm)))
        .cloned()
        .collect();
    let mut seen: Vec<&AlarmReading> = Vec::new();
    for alarm in &readings.alarms {
        let once = !seen
            .iter()
            .any(|known| known.place == alarm.place && known.name == alarm.name);
        if once && watched.iter().any(|entry| named(entry, alarm)) {
            seen.push(alarm);
        }
    }
    AlarmFindings {
        blocking: seen
            .iter()
            .filter(|alarm| states.contains(&alarm.state))
            .map(|alarm| (*alarm).clone())
            .collect(),
        unmatched,
        watched: seen.len(),
    }
}

/// The configuration error for watched entries that name no alarm, each with where it was
/// looked for.
pub fn unmatched_error(unmatched: &[WatchedAlarm], own: &AlarmPlace) -> String {
    let listed: Vec<String> = unmatched.iter().map(|entry| entry.describe(own)).collect();
    format!(
        "alarms: no CloudWatch alarm matches {} (a misspelt name, or an alarm in another region or account: name it by its ARN)",
        listed.join("; ")
    )
}

#[cfg(test)]
#[path = "alarm_tests.rs"]
mod tests;
