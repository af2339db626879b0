//! The events stage-retry and apply-rollback react to, in every shape they arrive in:
//! EventBridge events, and SNS deliveries whose messages are CodePipeline notification-rule
//! messages or EventBridge events (an EventBridge rule can target a topic too). The envelopes
//! are aws_lambda_events' (`SnsRecord`, `EventBridgeEvent`); the details are pipeguard's own.
//!
//! Each event is taken only from the one who may send it: AWS Health events, the sweep's
//! schedule, unfreezes and the changes of CloudWatch alarms and Change Calendars only as
//! EventBridge delivers them; an AWS Health update only with a
//! real region and a time not ahead of the clock. Anything else is refused, not acted on.

use crate::calendar::WatchedCalendar;
use crate::health::{
    EventCategory, EventScope, EventStatus, HealthEvent, HealthRecord, is_account_id, is_region_code,
};
use crate::hold::{HeldAlarm, HeldCalendar};
use crate::names::aws_names;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sns::SnsRecord;
use serde::Deserialize;
use serde_json::Value;

/// How far down the pipeline a state change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeLevel {
    /// A pipeline execution.
    Pipeline,
    /// A stage of an execution.
    Stage,
    /// An action of a stage.
    Action,
}

aws_names!(
    /// The state a CodePipeline execution, stage or action changed to (`detail.state`).
    ChangeState {
        Started = "STARTED",
        Succeeded = "SUCCEEDED",
        Resumed = "RESUMED",
        Failed = "FAILED",
        Canceled = "CANCELED",
        Superseded = "SUPERSEDED",
        Stopping = "STOPPING",
        Stopped = "STOPPED",
    }
);

/// A CodePipeline execution, stage or action changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineChange {
    /// Whether a pipeline execution, a stage or an action changed.
    pub level: ChangeLevel,
    /// The pipeline.
    pub pipeline: String,
    /// The execution.
    pub execution_id: String,
    /// The state it changed to.
    pub state: ChangeState,
    /// The stage, for stage and action changes.
    pub stage: Option<String>,
    /// The action, for action changes.
    pub action: Option<String>,
    /// From a notification's `additionalAttributes`, for pipeline-level failures.
    pub failed_stage: Option<String>,
}

impl PipelineChange {
    /// The stage the change names, directly or as the notification's failed stage.
    pub fn named_stage(&self) -> Option<&str> {
        self.stage.as_deref().or(self.failed_stage.as_deref())
    }
}

/// One event a function was invoked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A CodePipeline execution, stage or action changed state.
    Pipeline(PipelineChange),
    /// An AWS Health event was opened, updated or closed.
    Health(HealthRecord),
    /// The schedule that re-checks held stages (an EventBridge `Scheduled Event`).
    Sweep,
    /// Someone ended a freeze (`pipeguard unfreeze`): the stages it held may resume at once.
    Unfrozen {
        /// The freeze's id.
        freeze_id: String,
    },
    /// Someone granted an override (`pipeguard override`): the pipeline's stages held only by
    /// what it covers may resume at once. Only its id and pipeline are taken from the event: the
    /// override itself is looked up in the table.
    OverrideGranted {
        /// The override's id.
        override_id: String,
        /// The pipeline it lets through.
        pipeline: String,
    },
    /// A CloudWatch alarm changed state: one back to `OK` may end the holds it was part of.
    AlarmChanged {
        /// The alarm, where it lives.
        alarm: HeldAlarm,
        /// Its new state (`OK`, `ALARM`, `INSUFFICIENT_DATA`).
        state: String,
    },
    /// A Change Calendar changed state: one now `OPEN` may end the holds it was part of.
    CalendarChanged {
        /// The calendar, where it lives (no opening: it is the event's to say).
        calendar: HeldCalendar,
        /// Its new state (`OPEN`, `CLOSED`).
        state: String,
    },
    /// Not an event these functions act on; acknowledged so it is not redelivered.
    Ignored {
        /// Why, for the log.
        reason: String,
    },
    /// An event that did not come from the one who may send it, or that its sender could not
    /// have sent: logged and counted, never acted on (redelivering it would change nothing).
    Refused(Refusal),
}

/// Why an event was refused, and what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What kind of refusal, for the metric.
    pub kind: RefusalKind,
    /// What arrived and why it is refused, for the log.
    pub reason: String,
}

/// The kinds of input refused, each one dimension value of the `Refused` metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// An AWS Health event, a schedule or an unfreeze inside an SNS message: anyone allowed to
    /// publish to the topic could have written it. Only EventBridge delivers those.
    NotFromEventBridge,
    /// An AWS Health update dated ahead of the clock: recorded, it would make every genuine
    /// update after it "outdated" until that time.
    FromTheFuture,
    /// An AWS Health event whose `eventRegion` is no AWS region (the store keys events by it).
    NotARegion,
    /// A hold marker at the end of the message of an action that does not invoke one of the
    /// stack's gates: copied text (a build's log, another function's message), not a hold.
    NotFromTheGate,
}

impl RefusalKind {
    /// The metric's dimension value.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotFromEventBridge => "NotFromEventBridge",
            Self::FromTheFuture => "FromTheFuture",
            Self::NotARegion => "NotARegion",
            Self::NotFromTheGate => "NotFromTheGate",
        }
    }
}

/// How far ahead of the receiving function's clock an AWS Health update may be dated: AWS's
/// clocks and Lambda's agree to well within this, and a genuine update is never dated ahead.
pub const MAX_SECONDS_AHEAD: i64 = 300;

/// The source of the events `pipeguard unfreeze` and `pipeguard override` put on the default
/// event bus, which the template routes to stage-retry.
pub const PIPEGUARD_SOURCE: &str = "pipeguard";
/// `pipeguard unfreeze`'s detail-type; its detail is `{"freeze_id": ...}`.
pub const UNFROZEN_DETAIL_TYPE: &str = "pipeguard Freeze Ended";
/// `pipeguard override`'s detail-type; its detail is `{"override_id": ..., "pipeline": ...,
/// "kinds": [...]}`.
pub const OVERRIDE_GRANTED_DETAIL_TYPE: &str = "pipeguard Override Granted";

/// A notification rule's message: the EventBridge event with `detailType` instead of
/// `detail-type` and `additionalAttributes` added, which `EventBridgeEvent` cannot read.
#[derive(Deserialize)]
struct NotificationMessage {
    source: String,
    #[serde(rename = "detailType")]
    detail_type: String,
    #[serde(default)]
    detail: Value,
    #[serde(rename = "additionalAttributes", default)]
    additional_attributes: Value,
    #[serde(default)]
    account: Option<String>,
}

/// CloudWatch's detail-type for an alarm's change of state.
pub const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";

/// A CloudWatch alarm's change, as far as it is read: which alarm, and its new state.
#[derive(Deserialize)]
struct AlarmChangeDetail {
    #[serde(rename = "alarmName")]
    alarm_name: String,
    state: AlarmChangeState,
}

#[derive(Deserialize)]
struct AlarmChangeState {
    value: String,
}

/// Systems Manager's detail-type for a Change Calendar's change of state.
pub const CALENDAR_STATE_CHANGE: &str = "Calendar State Change";

/// A Change Calendar's change, as far as it is read: its new state (the calendar is the
/// event's `resources`).
#[derive(Deserialize)]
struct CalendarChangeDetail {
    state: String,
}

/// The calendar a "Calendar State Change" event is about: its one resource, an SSM document ARN
/// of the account and region the envelope says; or why there is none.
fn changed_calendar(
    resources: &[String],
    account: Option<&str>,
    region: Option<&str>,
) -> Result<HeldCalendar, String> {
    let [arn] = resources else {
        return Err(format!(
            "{} resources where one calendar's ARN is expected",
            resources.len()
        ));
    };
    let calendar = WatchedCalendar::parse(arn)?;
    match (calendar.place, account, region) {
        (Some(place), Some(account), Some(region)) if place.account == account && place.region == region => {
            Ok(HeldCalendar {
                name: calendar.name,
                region: place.region,
                account: place.account,
                opens_at: None,
            })
        }
        _ => Err("its calendar's ARN is not of the account and region the event comes from".into()),
    }
}

/// `pipeguard override`'s event's detail: its `kinds` are not read (the table's are used).
#[derive(Deserialize)]
struct OverrideGrantedDetail {
    override_id: String,
    pipeline: String,
}

impl OverrideGrantedDetail {
    fn into_trigger(self) -> Result<Trigger, String> {
        if self.override_id.trim().is_empty() || self.pipeline.trim().is_empty() {
            return Err("override_id and pipeline must not be empty".into());
        }
        Ok(Trigger::OverrideGranted {
            override_id: self.override_id,
            pipeline: self.pipeline,
        })
    }
}

/// A CodePipeline event's detail. Not aws_lambda_events' `CodePipelineEventDetail`: its
/// `version: i64` rejects the notification rule's `11.0`, and its `type_` never reads `type`.
#[derive(Deserialize)]
struct PipelineDetail {
    pipeline: String,
    #[serde(rename = "execution-id")]
    execution_id: String,
    state: String,
    stage: Option<String>,
    action: Option<String>,
}

/// An AWS Health event's detail; aws_lambda_events has no type for it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HealthDetail {
    event_arn: String,
    service: String,
    event_type_code: String,
    event_type_category: String,
    #[serde(default)]
    event_scope_code: Option<String>,
    status_code: String,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    end_time: Option<String>,
    #[serde(default)]
    last_updated_time: Option<String>,
    #[serde(default)]
    event_region: Option<String>,
    #[serde(default)]
    communication_id: Option<String>,
    #[serde(default)]
    backup_event: Option<bool>,
}

/// Seconds since the Unix epoch for a time AWS Health sends: RFC 1123
/// (`Wed, 15 Feb 2023 22:07:07 GMT`), or RFC 3339.
fn health_time(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(text)
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|time| time.timestamp())
}

impl HealthDetail {
    /// The update as the store keeps it, or why it cannot be one. `account` is the envelope's:
    /// the account the event concerns. An event without a readable one is no record (it is never
    /// taken for a public event: a wrong "public" would block every account); an account-specific
    /// event, or one whose scope is not said, is that account's.
    fn into_record(self, account: Option<&str>, now: i64) -> Result<HealthRecord, Unrecordable> {
        let time = |name: &str, value: Option<String>| -> Result<Option<i64>, Unrecordable> {
            value
                .filter(|text| !text.trim().is_empty())
                .map(|text| {
                    health_time(&text)
                        .ok_or_else(|| Unrecordable::from(format!("{name} `{text}` is not a time")))
                })
                .transpose()
        };
        if self.event_arn.trim().is_empty() {
            return Err("no eventArn".into());
        }
        let status = EventStatus::from(self.status_code.as_str());
        if let EventStatus::Other(other) = &status {
            return Err(format!("statusCode `{other}` is not open, upcoming or closed").into());
        }
        let region = self
            .event_region
            .filter(|region| !region.trim().is_empty())
            .ok_or("no eventRegion")?;
        if !is_region_code(&region) {
            return Err(Unrecordable::Refused(Refusal {
                kind: RefusalKind::NotARegion,
                reason: format!(
                    "AWS Health event {} names eventRegion `{}`, which is no AWS region",
                    self.event_arn,
                    region.escape_debug()
                ),
            }));
        }
        let last_updated = time("lastUpdatedTime", self.last_updated_time)?.ok_or("no lastUpdatedTime")?;
        if last_updated > now.saturating_add(MAX_SECONDS_AHEAD) {
            return Err(Unrecordable::Refused(Refusal {
                kind: RefusalKind::FromTheFuture,
                reason: format!(
                    "AWS Health event {} was last updated {} seconds ahead of this function's clock (at most {MAX_SECONDS_AHEAD} are allowed)",
                    self.event_arn,
                    last_updated.saturating_sub(now)
                ),
            }));
        }
        let account = match account.map(str::trim) {
            None | Some("") => return Err("no account in the event's envelope".into()),
            Some(account) if !is_account_id(account) => {
                return Err(format!("account `{account}` is not a 12-digit AWS account id").into());
            }
            Some(account) => account.to_owned(),
        };
        let scope = self
            .event_scope_code
            .as_deref()
            .map_or(EventScope::AccountSpecific, EventScope::from);
        let concerns = (!scope.is_public()).then_some(account);
        Ok(HealthRecord {
            event: HealthEvent {
                arn: self.event_arn,
                service: self.service,
                event_type_code: self.event_type_code,
                category: EventCategory::from(self.event_type_category.as_str()),
                region,
                status,
                account: concerns,
                start_time: time("startTime", self.start_time)?,
            },
            end_time: time("endTime", self.end_time)?,
            last_updated,
            scope,
            communication_id: self.communication_id.unwrap_or_default(),
            backup: self.backup_event.unwrap_or(false),
        })
    }
}

/// Why an AWS Health event is not recorded: it cannot be read, or it is refused.
enum Unrecordable {
    Unreadable(String),
    Refused(Refusal),
}

impl From<String> for Unrecordable {
    fn from(reason: String) -> Self {
        Self::Unreadable(reason)
    }
}

impl From<&str> for Unrecordable {
    fn from(reason: &str) -> Self {
        Self::Unreadable(reason.to_owned())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdditionalAttributes {
    failed_stage: Option<String>,
}

/// Who delivered an event, and so who could have written it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// EventBridge invoked the function: only AWS services write `aws.*` sources there, and
    /// the template's rules name the accounts they take the rest from.
    EventBridge,
    /// An SNS message: whoever may publish to the topic wrote it.
    Sns,
}

/// Every trigger in one invocation: an SNS delivery may carry several records, each read on
/// its own so that one unreadable record does not lose the others. `now` (seconds since the
/// Unix epoch) is the receiving function's clock, which no AWS Health update may be ahead of.
pub fn parse_invocation(payload: &Value, now: i64) -> Vec<Trigger> {
    let Some(records) = payload.get("Records") else {
        return vec![from_eventbridge(payload, Delivery::EventBridge, now)];
    };
    match records.as_array() {
        Some(records) if !records.is_empty() => records
            .iter()
            .map(|record| match SnsRecord::deserialize(record) {
                Ok(record) => from_sns_message(&record.sns.message, now),
                Err(error) => ignored(format!("an SNS record this function cannot read: {error}")),
            })
            .collect(),
        _ => vec![ignored("an SNS delivery without records".into())],
    }
}

fn ignored(reason: String) -> Trigger {
    Trigger::Ignored { reason }
}

fn from_sns_message(message: &str, now: i64) -> Trigger {
    let event: Value = match serde_json::from_str(message) {
        Ok(event) => event,
        Err(error) => return ignored(format!("SNS message is not JSON: {error}")),
    };
    if event.get("detailType").is_none() {
        return from_eventbridge(&event, Delivery::Sns, now);
    }
    match NotificationMessage::deserialize(&event) {
        Ok(message) => from_parts(
            Envelope {
                source: &message.source,
                detail_type: &message.detail_type,
                account: message.account.as_deref(),
                region: None,
                resources: &[],
                detail: &message.detail,
                additional_attributes: &message.additional_attributes,
            },
            Delivery::Sns,
            now,
        ),
        Err(error) => ignored(format!(
            "a notification-rule message this function cannot read: {error}"
        )),
    }
}

fn from_eventbridge(event: &Value, delivery: Delivery, now: i64) -> Trigger {
    match EventBridgeEvent::<Value>::deserialize(event) {
        Ok(event) => from_parts(
            Envelope {
                source: &event.source,
                detail_type: &event.detail_type,
                account: event.account.as_deref(),
                region: event.region.as_deref(),
                resources: event.resources.as_deref().unwrap_or_default(),
                detail: &event.detail,
                additional_attributes: &Value::Null,
            },
            delivery,
            now,
        ),
        Err(error) => ignored(format!("not an EventBridge event: {error}")),
    }
}

/// What every shape of delivery says around its detail.
struct Envelope<'a> {
    source: &'a str,
    detail_type: &'a str,
    /// The account the event concerns (EventBridge's `account`).
    account: Option<&'a str>,
    /// The region it happened in (EventBridge's `region`).
    region: Option<&'a str>,
    /// What it is about (EventBridge's `resources`).
    resources: &'a [String],
    detail: &'a Value,
    additional_attributes: &'a Value,
}

/// Whether an event is one the functions take only as EventBridge delivers it: an AWS Health
/// event is recorded as it is said, and a schedule or an unfreeze starts work for every pipeline.
/// CodePipeline's changes may come through SNS too: they are hints to look at the pipeline's
/// real state, which is all the functions act on.
fn only_from_eventbridge(source: &str, detail_type: &str) -> bool {
    matches!(
        (source, detail_type),
        ("aws.health", _)
            | ("aws.cloudwatch", _)
            | ("aws.ssm", _)
            | ("aws.events", "Scheduled Event")
            | (
                PIPEGUARD_SOURCE,
                UNFROZEN_DETAIL_TYPE | OVERRIDE_GRANTED_DETAIL_TYPE
            )
    )
}

/// The trigger an event is; AWS Health events, schedules and unfreezes inside an SNS message are
/// refused.
fn from_parts(envelope: Envelope, delivery: Delivery, now: i64) -> Trigger {
    let Envelope {
        source,
        detail_type,
        account,
        region,
        resources,
        detail,
        additional_attributes,
    } = envelope;
    if delivery == Delivery::Sns && only_from_eventbridge(source, detail_type) {
        return Trigger::Refused(Refusal {
            kind: RefusalKind::NotFromEventBridge,
            reason: format!(
                "an event of source `{}` (detail-type `{}`) inside an SNS message: only EventBridge delivers it, and anyone allowed to publish to the topic could have written this one",
                source.escape_debug(),
                detail_type.escape_debug()
            ),
        });
    }
    let level = match (source, detail_type) {
        ("aws.codepipeline", "CodePipeline Pipeline Execution State Change") => ChangeLevel::Pipeline,
        ("aws.codepipeline", "CodePipeline Stage Execution State Change") => ChangeLevel::Stage,
        ("aws.codepipeline", "CodePipeline Action Execution State Change") => ChangeLevel::Action,
        ("aws.health", _) => {
            return match HealthDetail::deserialize(detail)
                .map_err(|error| Unrecordable::Unreadable(error.to_string()))
                .and_then(|health| health.into_record(account, now))
            {
                Ok(record) => Trigger::Health(record),
                Err(Unrecordable::Refused(refusal)) => Trigger::Refused(refusal),
                Err(Unrecordable::Unreadable(reason)) => {
                    ignored(format!("an AWS Health event that cannot be recorded: {reason}"))
                }
            };
        }
        ("aws.events", "Scheduled Event") => return Trigger::Sweep,
        (PIPEGUARD_SOURCE, UNFROZEN_DETAIL_TYPE) => {
            return match detail.get("freeze_id").and_then(Value::as_str) {
                Some(id) if !id.trim().is_empty() => Trigger::Unfrozen {
                    freeze_id: id.trim().to_owned(),
                },
                _ => ignored(format!("{detail_type} without a freeze_id")),
            };
        }
        ("aws.cloudwatch", ALARM_STATE_CHANGE) => {
            return match (account, region, AlarmChangeDetail::deserialize(detail)) {
                (Some(account), Some(region), Ok(change))
                    if is_account_id(account) && is_region_code(region) =>
                {
                    Trigger::AlarmChanged {
                        alarm: HeldAlarm {
                            name: change.alarm_name,
                            region: region.to_owned(),
                            account: account.to_owned(),
                        },
                        state: change.state.value,
                    }
                }
                (_, _, Err(error)) => ignored(format!("{detail_type} that does not read: {error}")),
                _ => ignored(format!("{detail_type} without an account and a region")),
            };
        }
        ("aws.ssm", CALENDAR_STATE_CHANGE) => {
            return match (
                changed_calendar(resources, account, region),
                CalendarChangeDetail::deserialize(detail),
            ) {
                (Ok(calendar), Ok(change)) => Trigger::CalendarChanged {
                    calendar,
                    state: change.state,
                },
                (Err(why), _) => ignored(format!("{detail_type} that names no calendar: {why}")),
                (_, Err(error)) => ignored(format!("{detail_type} that does not read: {error}")),
            };
        }
        (PIPEGUARD_SOURCE, OVERRIDE_GRANTED_DETAIL_TYPE) => {
            return match OverrideGrantedDetail::deserialize(detail)
                .map_err(|error| error.to_string())
                .and_then(OverrideGrantedDetail::into_trigger)
            {
                Ok(trigger) => trigger,
                Err(reason) => ignored(format!("{detail_type} that does not read: {reason}")),
            };
        }
        _ => {
            return ignored(format!(
                "not a CodePipeline or AWS Health event (source {source}, detail-type {detail_type})"
            ));
        }
    };
    let detail = match PipelineDetail::deserialize(detail) {
        Ok(detail) => detail,
        Err(error) => return ignored(format!("{detail_type} with an unreadable detail: {error}")),
    };
    let failed_stage = AdditionalAttributes::deserialize(additional_attributes)
        .ok()
        .and_then(|attributes| attributes.failed_stage);
    Trigger::Pipeline(PipelineChange {
        level,
        pipeline: detail.pipeline,
        execution_id: detail.execution_id,
        state: ChangeState::from(detail.state.as_str()),
        stage: detail.stage,
        action: detail.action,
        failed_stage,
    })
}

#[cfg(test)]
#[path = "trigger_tests.rs"]
mod tests;
