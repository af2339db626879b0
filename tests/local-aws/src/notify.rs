//! Announcing state changes the way AWS does: EventBridge events (`detail-type`) to rule
//! targets, and CodePipeline notification-rule messages (`detailType`, float `version`,
//! `additionalAttributes`) published to SNS topics.

use crate::Shared;
use crate::state::{ACCOUNT, ActionError, ActionSpec, HealthEvent, REGION, State, now};
use crate::{engine, runtime, sns};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeLevel {
    Execution,
    Stage,
    Action,
}

/// A pipeline execution, stage or action changed state.
#[derive(Debug, Clone)]
pub struct StateChange {
    pub level: ChangeLevel,
    pub pipeline: String,
    pub execution_id: String,
    pub stage: Option<String>,
    pub action: Option<String>,
    pub action_type: Option<(String, String)>,
    /// `STARTED`, `SUCCEEDED`, `FAILED`, ...
    pub state: String,
    pub error: Option<ActionError>,
    pub failed_actions: Vec<(String, String)>,
}

impl StateChange {
    pub fn execution(pipeline: &str, execution_id: &str, state: &str) -> Self {
        Self {
            level: ChangeLevel::Execution,
            pipeline: pipeline.into(),
            execution_id: execution_id.into(),
            stage: None,
            action: None,
            action_type: None,
            state: state.into(),
            error: None,
            failed_actions: Vec::new(),
        }
    }

    pub fn stage(pipeline: &str, execution_id: &str, stage: &str, state: &str) -> Self {
        Self {
            level: ChangeLevel::Stage,
            stage: Some(stage.into()),
            ..Self::execution(pipeline, execution_id, state)
        }
    }

    pub fn action(pipeline: &str, execution_id: &str, stage: &str, action: &ActionSpec, state: &str) -> Self {
        Self {
            level: ChangeLevel::Action,
            action: Some(action.name.clone()),
            action_type: Some((
                action.category.clone(),
                if action.lambda.is_some() {
                    "Lambda".into()
                } else {
                    action.provider.clone()
                },
            )),
            ..Self::stage(pipeline, execution_id, stage, state)
        }
    }

    fn detail_type(&self) -> &'static str {
        match self.level {
            ChangeLevel::Execution => "CodePipeline Pipeline Execution State Change",
            ChangeLevel::Stage => "CodePipeline Stage Execution State Change",
            ChangeLevel::Action => "CodePipeline Action Execution State Change",
        }
    }

    fn detail(&self, version: Value) -> Value {
        let mut detail = json!({"pipeline": self.pipeline, "execution-id": self.execution_id, "state": self.state, "version": version});
        if let Some(stage) = &self.stage {
            detail["stage"] = json!(stage);
        }
        if let Some(action) = &self.action {
            detail["action"] = json!(action);
            detail["region"] = json!(REGION);
        }
        if let Some((category, provider)) = &self.action_type {
            let owner = if provider == "Lambda" { "AWS" } else { "Custom" };
            detail["type"] =
                json!({"owner": owner, "provider": provider, "category": category, "version": "1"});
        }
        if let Some(error) = &self.error {
            detail["execution-result"] =
                json!({"external-execution-summary": error.message, "error-code": error.code});
        }
        detail
    }
}

/// Civil time for epoch seconds, as `2026-11-20T11:30:10Z`.
pub fn iso_time(epoch: f64) -> String {
    let secs = epoch.max(0.0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// An EventBridge event; `account` is the account it comes from (for `aws.health`, the
/// account the event concerns).
fn eventbridge_event(
    state: &mut State,
    source: &str,
    account: &str,
    detail_type: &str,
    resources: Vec<String>,
    detail: Value,
) -> Value {
    json!({
        "version": "0",
        "id": state.id(),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": iso_time(now()),
        "region": REGION,
        "resources": resources,
        "detail": detail
    })
}

/// Sends a pipeline state change to every rule for `aws.codepipeline`.
pub fn announce(shared: &Arc<Shared>, change: StateChange) {
    let deliveries = {
        let mut state = shared.state();
        let version = state
            .pipelines
            .get(&change.pipeline)
            .map_or(1, |pipeline| pipeline.version);
        let rules: Vec<_> = state
            .rules
            .iter()
            .filter(|rule| rule.source == "aws.codepipeline")
            .filter(|rule| {
                rule.detail_type
                    .as_deref()
                    .is_none_or(|wanted| wanted == change.detail_type())
            })
            .filter(|rule| rule.state.is_empty() || rule.state.contains(&change.state))
            .filter(|rule| {
                rule.pipeline
                    .as_deref()
                    .is_none_or(|wanted| wanted == change.pipeline)
            })
            .cloned()
            .collect();
        let mut deliveries = Vec::new();
        for rule in rules {
            let resources = vec![State::pipeline_arn(&change.pipeline)];
            if let Some(pipeline) = rule.start_pipeline {
                deliveries.push(Delivery::Pipeline(pipeline));
            }
            if let Some(function) = rule.function {
                let event = eventbridge_event(
                    &mut state,
                    "aws.codepipeline",
                    ACCOUNT,
                    change.detail_type(),
                    resources.clone(),
                    change.detail(json!(version)),
                );
                deliveries.push(Delivery::Function(function, event));
            }
            if let Some(topic_arn) = rule.topic_arn {
                let mut message = eventbridge_event(
                    &mut state,
                    "aws.codepipeline",
                    ACCOUNT,
                    change.detail_type(),
                    resources,
                    change.detail(json!(version as f64)),
                );
                if let Some(object) = message.as_object_mut() {
                    object.remove("detail-type");
                    object.insert("detailType".into(), json!(change.detail_type()));
                    object.insert(
                        "notificationRuleArn".into(),
                        json!(format!(
                            "arn:aws:codestar-notifications:{REGION}:{ACCOUNT}:notificationrule/local"
                        )),
                    );
                    object.insert("additionalAttributes".into(), additional_attributes(&change));
                }
                deliveries.push(Delivery::Topic(topic_arn, message.to_string()));
            }
        }
        deliveries
    };
    deliver(shared, deliveries);
}

/// Puts a custom event (EventBridge PutEvents) to every rule for its source and detail type,
/// from the emulator's account; returns the event's id.
pub fn put_event(shared: &Arc<Shared>, source: &str, detail_type: &str, detail: Value) -> String {
    let (id, deliveries) = {
        let mut state = shared.state();
        let rules: Vec<_> = state
            .rules
            .iter()
            .filter(|rule| rule.source == source)
            .filter(|rule| {
                rule.detail_type
                    .as_deref()
                    .is_none_or(|wanted| wanted == detail_type)
            })
            .cloned()
            .collect();
        let event = eventbridge_event(&mut state, source, ACCOUNT, detail_type, Vec::new(), detail);
        let id = event["id"].as_str().unwrap_or_default().to_owned();
        let deliveries = rules
            .into_iter()
            .filter_map(|rule| rule.function)
            .map(|function| Delivery::Function(function, event.clone()))
            .collect();
        (id, deliveries)
    };
    deliver(shared, deliveries);
    id
}

fn additional_attributes(change: &StateChange) -> Value {
    if change.state != "FAILED" {
        return json!({});
    }
    let failed: Vec<Value> = change
        .failed_actions
        .iter()
        .map(|(action, information)| json!({"action": action, "additionalInformation": information}))
        .collect();
    let mut attributes = json!({"failedActionCount": failed.len(), "failedActions": failed});
    if let Some(stage) = &change.stage {
        attributes["failedStage"] = json!(stage);
    }
    if let Some(error) = &change.error {
        attributes["additionalInformation"] = json!(error.message);
    }
    attributes
}

/// Sends an AWS Health event change to every rule for `aws.health`: a public event once, from
/// the emulator's account; an account-specific event once for each account it affects, from
/// that account (as each account's forwarding rule would put it on this account's bus).
pub fn announce_health(shared: &Arc<Shared>, event: &HealthEvent) {
    let deliveries = {
        let mut state = shared.state();
        let rules: Vec<_> = state
            .rules
            .iter()
            .filter(|rule| rule.source == "aws.health")
            .cloned()
            .collect();
        let detail = json!({
            "eventArn": event.arn,
            "service": event.service,
            "eventTypeCode": event.event_type_code,
            "eventTypeCategory": event.event_type_category,
            "eventScopeCode": event.scope(),
            "communicationId": format!("{}-{}", communication_prefix(&event.arn), event.updates),
            "statusCode": event.status_code,
            "startTime": rfc1123(event.start_time),
            "endTime": event.end_time.map(rfc1123),
            "lastUpdatedTime": rfc1123(event.last_updated_time),
            "eventRegion": event.region,
            "eventDescription": [{"language": "en_US", "latestDescription": event.description()}],
            "affectedEntities": []
        });
        let accounts = if event.accounts.is_empty() {
            vec![ACCOUNT.to_owned()]
        } else {
            event.accounts.clone()
        };
        let mut deliveries = Vec::new();
        for account in &accounts {
            for rule in &rules {
                let message = eventbridge_event(
                    &mut state,
                    "aws.health",
                    account,
                    "AWS Health Event",
                    vec![],
                    detail.clone(),
                );
                if let Some(function) = &rule.function {
                    deliveries.push(Delivery::Function(function.clone(), message.clone()));
                }
                if let Some(topic_arn) = &rule.topic_arn {
                    deliveries.push(Delivery::Topic(topic_arn.clone(), message.to_string()));
                }
            }
        }
        deliveries
    };
    deliver(shared, deliveries);
}

/// An event an AWS service sends about one of its resources when its state changes (a
/// CloudWatch alarm, an SSM Change Calendar), from the resource's account and region.
pub struct ResourceEvent {
    /// `aws.cloudwatch`, `aws.ssm`.
    pub source: &'static str,
    /// `CloudWatch Alarm State Change`, `Calendar State Change`.
    pub detail_type: &'static str,
    /// The account the resource belongs to.
    pub account: String,
    /// The region the resource lives in.
    pub region: String,
    /// The resource's ARN, the event's one resource.
    pub arn: String,
    /// The state it changed to, which a rule's `state` selects.
    pub state: &'static str,
    /// The event's `detail`.
    pub detail: Value,
}

/// Sends a resource's state change to every rule for its source (and detail type and state, if
/// the rule names them), once, from the resource's account and region: the emulator has one
/// bus, as if each account and region forwarded its events to it.
pub fn announce_resource(shared: &Arc<Shared>, event: ResourceEvent) {
    let deliveries = {
        let mut state = shared.state();
        let rules: Vec<_> = state
            .rules
            .iter()
            .filter(|rule| rule.source == event.source)
            .filter(|rule| {
                rule.detail_type
                    .as_deref()
                    .is_none_or(|wanted| wanted == event.detail_type)
            })
            .filter(|rule| rule.state.is_empty() || rule.state.iter().any(|wanted| wanted == event.state))
            .cloned()
            .collect();
        let mut deliveries = Vec::new();
        for rule in rules {
            let mut message = eventbridge_event(
                &mut state,
                event.source,
                &event.account,
                event.detail_type,
                vec![event.arn.clone()],
                event.detail.clone(),
            );
            message["region"] = json!(event.region);
            if let Some(function) = rule.function {
                deliveries.push(Delivery::Function(function, message.clone()));
            }
            if let Some(topic_arn) = rule.topic_arn {
                deliveries.push(Delivery::Topic(topic_arn, message.to_string()));
            }
        }
        deliveries
    };
    deliver(shared, deliveries);
}

/// A stable hex prefix for an event's communication ids (AWS sends a hash, then `-<update>`).
fn communication_prefix(arn: &str) -> String {
    let hash = arn.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// AWS Health's EventBridge times: `Wed, 15 Feb 2023 22:07:07 GMT`.
fn rfc1123(epoch: f64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let iso = iso_time(epoch);
    let weekday = DAYS[((epoch.max(0.0) as i64 / 86_400) % 7) as usize];
    let month = iso[5..7]
        .parse::<usize>()
        .map_or("Jan", |month| MONTHS[month.saturating_sub(1).min(11)]);
    format!(
        "{weekday}, {} {month} {} {} GMT",
        &iso[8..10],
        &iso[0..4],
        &iso[11..19]
    )
}

enum Delivery {
    Function(String, Value),
    Topic(String, String),
    /// EventBridge's CodePipeline target: start an execution of this pipeline.
    Pipeline(String),
}

fn deliver(shared: &Arc<Shared>, deliveries: Vec<Delivery>) {
    for delivery in deliveries {
        match delivery {
            Delivery::Function(function, event) => {
                runtime::invoke(shared, &function, event);
            }
            Delivery::Topic(topic_arn, message) => {
                sns::publish(shared, &topic_arn, None, &message, serde_json::Map::new());
            }
            Delivery::Pipeline(pipeline) => {
                if let Err(error) = engine::start_execution(shared, &pipeline, "EventBridge") {
                    shared
                        .state()
                        .record(format!("EventBridge could not start {pipeline}: {error}"));
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
