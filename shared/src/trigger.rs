//! The events stage-retry and apply-rollback react to, in every shape they arrive in:
//! EventBridge events, and SNS deliveries whose messages are CodePipeline notification-rule
//! messages or EventBridge events (an EventBridge rule can target a topic too).

use crate::health::EventStatus;
use crate::names::aws_names;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sns::SnsEvent;
use serde::Deserialize;
use serde_json::Value;

/// How far down the pipeline a state change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeLevel {
    Pipeline,
    Stage,
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
    pub level: ChangeLevel,
    pub pipeline: String,
    pub execution_id: String,
    pub state: ChangeState,
    pub stage: Option<String>,
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

/// An AWS Health event changed status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthChange {
    pub event_arn: String,
    pub status: EventStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Pipeline(PipelineChange),
    Health(HealthChange),
    /// Not an event these functions act on; acknowledged so it is not redelivered.
    Ignored {
        reason: String,
    },
}

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
    status_code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdditionalAttributes {
    failed_stage: Option<String>,
}

/// Every trigger in one invocation: an SNS delivery may carry several records.
pub fn parse_invocation(payload: &Value) -> Vec<Trigger> {
    if payload.get("Records").is_none() {
        return vec![from_eventbridge(payload)];
    }
    match SnsEvent::deserialize(payload) {
        Ok(delivery) => delivery
            .records
            .iter()
            .map(|record| from_sns_message(&record.sns.message))
            .collect(),
        Err(error) => vec![ignored(format!(
            "an SNS delivery this function cannot read: {error}"
        ))],
    }
}

fn ignored(reason: String) -> Trigger {
    Trigger::Ignored { reason }
}

fn from_sns_message(message: &str) -> Trigger {
    let event: Value = match serde_json::from_str(message) {
        Ok(event) => event,
        Err(error) => return ignored(format!("SNS message is not JSON: {error}")),
    };
    if event.get("detailType").is_none() {
        return from_eventbridge(&event);
    }
    match NotificationMessage::deserialize(&event) {
        Ok(message) => from_parts(
            &message.source,
            &message.detail_type,
            &message.detail,
            &message.additional_attributes,
        ),
        Err(error) => ignored(format!(
            "a notification-rule message this function cannot read: {error}"
        )),
    }
}

fn from_eventbridge(event: &Value) -> Trigger {
    match EventBridgeEvent::<Value>::deserialize(event) {
        Ok(event) => from_parts(&event.source, &event.detail_type, &event.detail, &Value::Null),
        Err(error) => ignored(format!("not an EventBridge event: {error}")),
    }
}

fn from_parts(source: &str, detail_type: &str, detail: &Value, additional_attributes: &Value) -> Trigger {
    let level = match (source, detail_type) {
        ("aws.codepipeline", "CodePipeline Pipeline Execution State Change") => ChangeLevel::Pipeline,
        ("aws.codepipeline", "CodePipeline Stage Execution State Change") => ChangeLevel::Stage,
        ("aws.codepipeline", "CodePipeline Action Execution State Change") => ChangeLevel::Action,
        ("aws.health", _) => {
            return match HealthDetail::deserialize(detail) {
                Ok(detail) => Trigger::Health(HealthChange {
                    event_arn: detail.event_arn,
                    status: EventStatus::from(detail.status_code.as_str()),
                }),
                Err(error) => ignored(format!("aws.health event with an unreadable detail: {error}")),
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
