//! The events stage-retry and apply-rollback react to, in both shapes they arrive in:
//! EventBridge (`detail-type`) and CodePipeline notification rules through SNS (`detailType`,
//! a JSON string in each record's `Sns.Message`, with `additionalAttributes`).

use serde::Deserialize;
use serde_json::Value;

/// How far down the pipeline a state change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeLevel {
    Pipeline,
    Stage,
    Action,
}

/// A CodePipeline execution, stage or action changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineChange {
    pub level: ChangeLevel,
    pub pipeline: String,
    pub execution_id: String,
    pub state: String,
    pub stage: Option<String>,
    pub action: Option<String>,
    pub category: Option<String>,
    pub provider: Option<String>,
    pub error_code: Option<String>,
    pub summary: Option<String>,
    /// From a notification's `additionalAttributes`.
    pub failed_stage: Option<String>,
    pub failed_actions: Vec<String>,
}

/// An AWS Health event changed status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthChange {
    pub event_arn: String,
    pub service: String,
    pub event_type_code: String,
    pub status: String,
    pub region: Option<String>,
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

#[derive(Deserialize)]
struct Envelope {
    source: Option<String>,
    #[serde(rename = "detail-type", alias = "detailType")]
    detail_type: Option<String>,
    #[serde(default)]
    detail: Value,
    #[serde(rename = "additionalAttributes", default)]
    additional_attributes: Value,
}

#[derive(Deserialize)]
struct PipelineDetail {
    pipeline: String,
    #[serde(rename = "execution-id")]
    execution_id: String,
    state: String,
    stage: Option<String>,
    action: Option<String>,
    #[serde(rename = "type")]
    action_type: Option<ActionType>,
    #[serde(rename = "execution-result")]
    execution_result: Option<ExecutionResult>,
}

#[derive(Deserialize)]
struct ActionType {
    category: Option<String>,
    provider: Option<String>,
}

#[derive(Deserialize)]
struct ExecutionResult {
    #[serde(rename = "error-code")]
    error_code: Option<String>,
    #[serde(rename = "external-execution-summary")]
    summary: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HealthDetail {
    event_arn: String,
    service: String,
    event_type_code: String,
    status_code: String,
    event_region: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdditionalAttributes {
    failed_stage: Option<String>,
    #[serde(default)]
    failed_actions: Vec<FailedAction>,
}

#[derive(Deserialize)]
struct FailedAction {
    action: String,
}

/// Every trigger in one invocation: an SNS delivery may carry several records.
pub fn parse_invocation(payload: &Value) -> Vec<Trigger> {
    match payload.get("Records").and_then(Value::as_array) {
        Some(records) => records.iter().map(parse_sns_record).collect(),
        None => vec![parse_event(payload)],
    }
}

fn parse_sns_record(record: &Value) -> Trigger {
    match record.pointer("/Sns/Message").and_then(Value::as_str) {
        Some(message) => match serde_json::from_str::<Value>(message) {
            Ok(event) => parse_event(&event),
            Err(error) => ignored(format!("SNS message is not JSON: {error}")),
        },
        None => ignored("SNS record without a Sns.Message string".into()),
    }
}

fn ignored(reason: String) -> Trigger {
    Trigger::Ignored { reason }
}

fn parse_event(event: &Value) -> Trigger {
    let envelope = match Envelope::deserialize(event) {
        Ok(envelope) => envelope,
        Err(error) => return ignored(format!("not an EventBridge-shaped event: {error}")),
    };
    let source = envelope.source.as_deref().unwrap_or("(none)");
    let detail_type = envelope.detail_type.as_deref().unwrap_or("(none)");
    let level = match (source, detail_type) {
        ("aws.codepipeline", "CodePipeline Pipeline Execution State Change") => ChangeLevel::Pipeline,
        ("aws.codepipeline", "CodePipeline Stage Execution State Change") => ChangeLevel::Stage,
        ("aws.codepipeline", "CodePipeline Action Execution State Change") => ChangeLevel::Action,
        ("aws.health", _) => {
            return match HealthDetail::deserialize(&envelope.detail) {
                Ok(detail) => Trigger::Health(HealthChange {
                    event_arn: detail.event_arn,
                    service: detail.service,
                    event_type_code: detail.event_type_code,
                    status: detail.status_code,
                    region: detail.event_region,
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
    let detail = match PipelineDetail::deserialize(&envelope.detail) {
        Ok(detail) => detail,
        Err(error) => return ignored(format!("{detail_type} with an unreadable detail: {error}")),
    };
    let attributes = AdditionalAttributes::deserialize(&envelope.additional_attributes).ok();
    let (failed_stage, failed_actions) = match attributes {
        Some(attributes) => (
            attributes.failed_stage,
            attributes
                .failed_actions
                .into_iter()
                .map(|failed| failed.action)
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    let (category, provider) = detail
        .action_type
        .map(|kind| (kind.category, kind.provider))
        .unwrap_or_default();
    let (error_code, summary) = detail
        .execution_result
        .map(|result| (result.error_code, result.summary))
        .unwrap_or_default();
    Trigger::Pipeline(PipelineChange {
        level,
        pipeline: detail.pipeline,
        execution_id: detail.execution_id,
        state: detail.state,
        stage: detail.stage,
        action: detail.action,
        category,
        provider,
        error_code,
        summary,
        failed_stage,
        failed_actions,
    })
}

#[cfg(test)]
#[path = "pipeline_event_tests.rs"]
mod tests;
