//! SNS over the Query protocol: CreateTopic, Subscribe (Lambda functions), Publish. Published
//! messages are kept so tests and the demo can read them back.

use crate::Shared;
use crate::notify::iso_time;
use crate::runtime;
use crate::state::{ACCOUNT, Published, REGION, now};
use crate::wire::{AwsError, xml_escape};
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn param<'a>(params: &'a [(String, String)], name: &str) -> Result<&'a str, AwsError> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .ok_or_else(|| AwsError::new(400, "InvalidParameter", format!("{name} is required")))
}

fn envelope(action: &str, result: &str) -> String {
    format!(
        "<{action}Response xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></{action}Response>"
    )
}

pub fn handle(shared: &Arc<Shared>, action: &str, params: &[(String, String)]) -> Result<String, AwsError> {
    match action {
        "CreateTopic" => {
            let name = param(params, "Name")?;
            let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}");
            shared.state().topics.entry(arn.clone()).or_default();
            Ok(envelope(
                "CreateTopic",
                &format!("<TopicArn>{}</TopicArn>", xml_escape(&arn)),
            ))
        }
        "Subscribe" => {
            let topic_arn = param(params, "TopicArn")?;
            let protocol = param(params, "Protocol")?;
            let endpoint = param(params, "Endpoint")?;
            if protocol != "lambda" {
                return Err(AwsError::new(
                    400,
                    "InvalidParameter",
                    format!("protocol {protocol} is not emulated; use lambda"),
                ));
            }
            let function = endpoint.rsplit(':').next().unwrap_or(endpoint).to_owned();
            let mut state = shared.state();
            let topic = state
                .topics
                .get_mut(topic_arn)
                .ok_or_else(|| AwsError::new(404, "NotFound", format!("topic {topic_arn} does not exist")))?;
            if !topic.functions.contains(&function) {
                topic.functions.push(function.clone());
            }
            let subscription = format!("{topic_arn}:{}", state.id());
            Ok(envelope(
                "Subscribe",
                &format!("<SubscriptionArn>{}</SubscriptionArn>", xml_escape(&subscription)),
            ))
        }
        "Publish" => {
            let topic_arn = param(params, "TopicArn")?;
            let message = param(params, "Message")?;
            let subject = params
                .iter()
                .find(|(key, _)| key == "Subject")
                .map(|(_, value)| value.as_str());
            let structure = params
                .iter()
                .find(|(key, _)| key == "MessageStructure")
                .map(|(_, value)| value.as_str());
            let forms = match structure {
                None => Map::new(),
                Some("json") => per_protocol(message)?,
                Some(other) => {
                    return Err(AwsError::new(
                        400,
                        "InvalidParameter",
                        format!("Invalid parameter: MessageStructure {other} is not json"),
                    ));
                }
            };
            if !shared.state().topics.contains_key(topic_arn) {
                return Err(AwsError::new(
                    404,
                    "NotFound",
                    format!("Topic does not exist: {topic_arn}"),
                ));
            }
            let message_id = if forms.is_empty() {
                publish(shared, topic_arn, subject, message, Map::new())
            } else {
                let default = forms
                    .get("default")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                publish(shared, topic_arn, subject, &default, forms)
            };
            Ok(envelope(
                "Publish",
                &format!("<MessageId>{message_id}</MessageId>"),
            ))
        }
        other => Err(AwsError::new(
            400,
            "InvalidAction",
            format!("the action {other} is not valid for this endpoint"),
        )),
    }
}

/// A message with a form per protocol (`MessageStructure=json`): a JSON object of strings that
/// must have a `default`, as SNS requires.
fn per_protocol(message: &str) -> Result<Map<String, Value>, AwsError> {
    let invalid = |reason: &str| {
        AwsError::new(
            400,
            "InvalidParameter",
            format!("Invalid parameter: Message Structure - {reason}"),
        )
    };
    let forms: Map<String, Value> =
        serde_json::from_str(message).map_err(|_| invalid("JSON message body failed to parse"))?;
    if !forms.get("default").is_some_and(Value::is_string) {
        return Err(invalid("No default entry in JSON message body"));
    }
    if !forms.values().all(Value::is_string) {
        return Err(invalid("every entry must be a string"));
    }
    Ok(forms)
}

/// Keeps the message (with its per-protocol forms, if any) and delivers it to the topic's
/// Lambda subscribers: the `lambda` form, or the default.
pub fn publish(
    shared: &Arc<Shared>,
    topic_arn: &str,
    subject: Option<&str>,
    message: &str,
    forms: Map<String, Value>,
) -> String {
    let to_lambda = forms
        .get("lambda")
        .and_then(Value::as_str)
        .unwrap_or(message)
        .to_owned();
    let (message_id, subscribers) = {
        let mut state = shared.state();
        let message_id = state.id();
        state.published.push(Published {
            topic_arn: topic_arn.into(),
            message_id: message_id.clone(),
            subject: subject.map(str::to_owned),
            message: message.into(),
            forms,
        });
        if let Some(subject) = subject {
            state.record(format!("SNS message: {subject}"));
        }
        let functions = state
            .topics
            .get(topic_arn)
            .map(|topic| topic.functions.clone())
            .unwrap_or_default();
        (message_id, functions)
    };
    for function in subscribers {
        let event = json!({"Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": format!("{topic_arn}:{function}"),
            "Sns": {
                "Type": "Notification",
                "MessageId": message_id,
                "TopicArn": topic_arn,
                "Subject": subject,
                "Message": to_lambda,
                "Timestamp": iso_time(now()),
                "SignatureVersion": "1",
                "Signature": "local",
                "SigningCertUrl": "https://sns.local/cert.pem",
                "UnsubscribeUrl": "https://sns.local/unsubscribe",
                "MessageAttributes": {}
            }
        }]});
        runtime::invoke(shared, &function, event);
    }
    message_id
}
