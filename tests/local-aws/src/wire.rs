//! The wire protocols the SDK speaks: AWS JSON 1.1 (CodePipeline, SSM), AWS JSON 1.0
//! (DynamoDB), Smithy RPC v2 CBOR (Health, and CloudWatch with its query-compatible errors) and
//! the AWS Query protocol with XML answers (SNS, STS).

use bytes::Bytes;
use ciborium::value::Value as Cbor;
use http_body_util::Full;
use hyper::Response;
use serde_json::Value;

pub type HttpResponse = Response<Full<Bytes>>;

/// An AWS error: HTTP status, error code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct AwsError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }
}

/// Which protocol a service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json,
    /// AWS JSON 1.0, as DynamoDB speaks it.
    Json10,
    /// Smithy RPC v2 CBOR, with the namespace of the service's error shapes. A service moved
    /// from the Query protocol (`query_compatible`) also names its Query error code in the
    /// `x-amzn-query-error` header, which its SDK reads the code from.
    Cbor {
        namespace: &'static str,
        query_compatible: bool,
    },
    /// The AWS Query protocol, with the service's XML namespace (SNS, STS).
    Query(&'static str),
}

pub const SNS_XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";
pub const STS_XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// AWS Health's RPC v2 CBOR.
pub const HEALTH_CBOR: Protocol = Protocol::Cbor {
    namespace: "com.amazonaws.health",
    query_compatible: false,
};
/// CloudWatch's RPC v2 CBOR (`@awsQueryCompatible`: aws-sdk-cloudwatch reads the error code
/// from `x-amzn-query-error`).
pub const CLOUDWATCH_CBOR: Protocol = Protocol::Cbor {
    namespace: "com.amazonaws.cloudwatch",
    query_compatible: true,
};

/// A successful answer, already in the service's shape.
#[derive(Debug, Clone)]
pub enum Reply {
    Json(Value),
    Json10(Value),
    Cbor(Value),
    Xml(String),
}

fn response(status: u16, content_type: &str, body: Vec<u8>) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_str(content_type).unwrap_or(
            hyper::header::HeaderValue::from_static("application/octet-stream"),
        ),
    );
    response
}

pub fn json_response(status: u16, body: &Value) -> HttpResponse {
    response(status, "application/json", body.to_string().into_bytes())
}

pub fn encode_reply(reply: Reply) -> HttpResponse {
    match reply {
        Reply::Json(body) => response(200, "application/x-amz-json-1.1", body.to_string().into_bytes()),
        Reply::Json10(body) => response(200, "application/x-amz-json-1.0", body.to_string().into_bytes()),
        Reply::Cbor(body) => cbor_response(200, &body),
        Reply::Xml(body) => response(200, "text/xml", body.into_bytes()),
    }
}

pub fn encode_error(protocol: Protocol, error: &AwsError) -> HttpResponse {
    match protocol {
        Protocol::Json => {
            let body = serde_json::json!({"__type": error.code, "message": error.message});
            let mut response = response(
                error.status,
                "application/x-amz-json-1.1",
                body.to_string().into_bytes(),
            );
            if let Ok(value) = hyper::header::HeaderValue::from_str(&error.code) {
                response.headers_mut().insert("x-amzn-errortype", value);
            }
            response
        }
        Protocol::Json10 => {
            // DynamoDB names the error only in the body, qualified by the namespace of the
            // model that defines it; the SDK keeps what follows the `#`.
            let namespace = match error.code.as_str() {
                "ValidationException" => "com.amazon.coral.validate",
                "SerializationException" | "UnknownOperationException" => "com.amazon.coral.service",
                _ => "com.amazonaws.dynamodb.v20120810",
            };
            let body = serde_json::json!({"__type": format!("{namespace}#{}", error.code), "message": error.message});
            response(
                error.status,
                "application/x-amz-json-1.0",
                body.to_string().into_bytes(),
            )
        }
        Protocol::Cbor {
            namespace,
            query_compatible,
        } => {
            let body = serde_json::json!({"__type": format!("{namespace}#{}", error.code), "message": error.message});
            let mut response = cbor_response(error.status, &body);
            let query_error = format!("{};{}", error.code, fault_side(error));
            if let Some(value) = query_compatible
                .then(|| hyper::header::HeaderValue::from_str(&query_error).ok())
                .flatten()
            {
                response.headers_mut().insert("x-amzn-query-error", value);
            }
            response
        }
        Protocol::Query(namespace) => {
            let kind = fault_side(error);
            let body = format!(
                "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>local</RequestId></ErrorResponse>",
                xml_escape(&error.code),
                xml_escape(&error.message)
            );
            response(error.status, "text/xml", body.into_bytes())
        }
    }
}

/// Whose fault an error is, as the Query protocol says it: the caller's (`Sender`) or the
/// service's (`Receiver`).
fn fault_side(error: &AwsError) -> &'static str {
    if error.status >= 500 { "Receiver" } else { "Sender" }
}

fn cbor_response(status: u16, body: &Value) -> HttpResponse {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::into_writer(&to_cbor(body, None), &mut bytes);
    let mut response = response(status, "application/cbor", bytes);
    response.headers_mut().insert(
        "smithy-protocol",
        hyper::header::HeaderValue::from_static("rpc-v2-cbor"),
    );
    response
}

/// Keys whose numbers are timestamps: Smithy RPC v2 CBOR sends them as tag 1 (epoch seconds).
const TIMESTAMP_KEYS: [&str; 5] = [
    "startTime",
    "endTime",
    "lastUpdatedTime",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
];

fn to_cbor(value: &Value, key: Option<&str>) -> Cbor {
    match value {
        Value::Null => Cbor::Null,
        Value::Bool(flag) => Cbor::Bool(*flag),
        Value::Number(number) if key.is_some_and(|key| TIMESTAMP_KEYS.contains(&key)) => {
            Cbor::Tag(1, Box::new(Cbor::Float(number.as_f64().unwrap_or_default())))
        }
        Value::Number(number) => match number.as_i64() {
            Some(integer) => Cbor::Integer(integer.into()),
            None => Cbor::Float(number.as_f64().unwrap_or_default()),
        },
        Value::String(text) => Cbor::Text(text.clone()),
        Value::Array(items) => Cbor::Array(items.iter().map(|item| to_cbor(item, None)).collect()),
        Value::Object(map) => Cbor::Map(
            map.iter()
                .map(|(k, v)| (Cbor::Text(k.clone()), to_cbor(v, Some(k))))
                .collect(),
        ),
    }
}

/// Decodes a CBOR request body into JSON-like data (timestamps become epoch seconds).
pub fn decode_cbor(body: &[u8]) -> Result<Value, AwsError> {
    if body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    let cbor: Cbor = ciborium::from_reader(body)
        .map_err(|error| AwsError::new(400, "SerializationException", format!("bad CBOR: {error}")))?;
    Ok(from_cbor(cbor))
}

fn from_cbor(value: Cbor) -> Value {
    match value {
        Cbor::Null => Value::Null,
        Cbor::Bool(flag) => Value::Bool(flag),
        Cbor::Integer(integer) => i64::try_from(integer).map_or(Value::Null, Value::from),
        Cbor::Float(float) => Value::from(float),
        Cbor::Text(text) => Value::String(text),
        Cbor::Bytes(bytes) => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        Cbor::Tag(_, inner) => from_cbor(*inner),
        Cbor::Array(items) => Value::Array(items.into_iter().map(from_cbor).collect()),
        Cbor::Map(entries) => Value::Object(
            entries
                .into_iter()
                .filter_map(|(key, value)| match key {
                    Cbor::Text(key) => Some((key, from_cbor(value))),
                    _ => None,
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

pub fn decode_json(body: &[u8]) -> Result<Value, AwsError> {
    if body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body)
        .map_err(|error| AwsError::new(400, "SerializationException", format!("bad JSON: {error}")))
}

/// Query-protocol parameters, e.g. `Action=Publish&TopicArn=...`.
pub fn decode_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// A page of `items` from `nextToken` (an offset; `bad_token` is the service's error code for
/// one it did not issue) and `maxResults` (within `sizes`), with the token for the next page.
pub fn page(
    items: Vec<Value>,
    input: &Value,
    sizes: std::ops::RangeInclusive<i64>,
    default_size: i64,
    bad_token: &str,
) -> Result<(Vec<Value>, Option<String>), AwsError> {
    let size = input
        .get("maxResults")
        .and_then(Value::as_i64)
        .unwrap_or(default_size);
    if !sizes.contains(&size) {
        return Err(AwsError::validation(format!(
            "maxResults {size} is outside {} to {}",
            sizes.start(),
            sizes.end()
        )));
    }
    let offset = match input.get("nextToken").and_then(Value::as_str) {
        None => 0,
        Some(token) => token
            .strip_prefix("offset-")
            .and_then(|offset| offset.parse::<usize>().ok())
            .ok_or_else(|| AwsError::new(400, bad_token, format!("invalid nextToken {token}")))?,
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(size as usize).collect();
    let next = offset + page.len();
    Ok((page, (next < total).then(|| format!("offset-{next}"))))
}

pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
