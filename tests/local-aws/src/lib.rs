//! local-aws: a local, stateful emulator of exactly the AWS APIs pipeguard uses, speaking their
//! wire protocols so that the real function binaries and the real AWS SDK run against it
//! unchanged: CodePipeline, AWS Health (with its organizational view), SNS, STS
//! (GetCallerIdentity), EventBridge (PutEvents), CloudWatch (DescribeAlarms), SSM
//! (GetCalendarState), Oracle Cloud Resource Manager (its job calls,
//! with OCI request signatures verified) and DynamoDB (tables, conditional writes, reads and key queries with the
//! condition expression language). It also plays the Lambda service (the Runtime API, starting
//! function processes) and CodePipeline's engine (executions that move stage by stage and invoke
//! functions).
//!
//! Ports: the main listener serves every API and the admin interface (`/_admin/...`); a second
//! listener is AWS Health's passive endpoint, so failover can be tested; and each function gets
//! a listener of its own for the Lambda Runtime API, as `AWS_LAMBDA_RUNTIME_API` is a bare
//! `host:port` in Lambda.

mod admin;
mod cloudwatch;
mod codepipeline;
mod dynamodb;
mod dynamodb_capacity;
mod dynamodb_expr;
mod dynamodb_index;
mod dynamodb_item;
mod dynamodb_query;
mod dynamodb_scan;
mod dynamodb_schema;
mod dynamodb_seed;
mod dynamodb_table;
mod engine;
mod events;
mod health;
mod notify;
mod orm;
mod runtime;
mod sns;
mod ssm;
pub mod state;
mod sts;
mod wire;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::process::Child;
use wire::{AwsError, Protocol, Reply};

pub use state::{ActionSpec, Fault, FaultKind, HealthEvent, LambdaAction, PipelineSpec, StageSpec};

/// What every request handler shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// `http://127.0.0.1:<port>`, the main listener.
    pub base_url: String,
    pub passive_url: String,
    /// The test clock's file: the seconds a build with pipeguard's `test-clock` feature adds to
    /// its time (`PIPEGUARD_TEST_CLOCK_FILE`), set through `/_admin/clock`.
    pub clock_file: std::path::PathBuf,
    children: Mutex<Vec<Child>>,
    tasks: Mutex<tokio::task::JoinSet<()>>,
}

use state::State;

impl Shared {
    /// The state, even if a handler panicked while holding it: the emulator keeps serving.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .spawn(task);
    }
}

/// A running emulator. Dropping it stops the listeners, the pipeline runs and every function
/// process it started.
pub struct Emulator {
    shared: Arc<Shared>,
    /// Where every API listens.
    pub addr: SocketAddr,
    /// Where AWS Health's passive endpoint listens (failover).
    pub passive_addr: SocketAddr,
}

impl Emulator {
    /// Starts on two loopback ports chosen by the system.
    pub async fn start() -> std::io::Result<Self> {
        let main = TcpListener::bind("127.0.0.1:0").await?;
        let passive = TcpListener::bind("127.0.0.1:0").await?;
        let (addr, passive_addr) = (main.local_addr()?, passive.local_addr()?);
        let clock_file =
            std::env::temp_dir().join(format!("local-aws-clock-{}-{}", std::process::id(), addr.port()));
        let _ = std::fs::remove_file(&clock_file);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new()),
            base_url: format!("http://{addr}"),
            passive_url: format!("http://{passive_addr}"),
            clock_file,
            children: Mutex::new(Vec::new()),
            tasks: Mutex::new(tokio::task::JoinSet::new()),
        });
        for (listener, endpoint) in [(main, Endpoint::Aws(0)), (passive, Endpoint::Aws(1))] {
            let accepting = Arc::clone(&shared);
            shared.spawn(serve(accepting, listener, endpoint));
        }
        Ok(Self {
            shared,
            addr,
            passive_addr,
        })
    }

    /// The URL of every API (`AWS_ENDPOINT_URL`).
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The URL of AWS Health's passive endpoint.
    pub fn passive_url(&self) -> String {
        self.shared.passive_url.clone()
    }

    /// The environment a function process gets, as Lambda would give it, pointing the AWS SDK
    /// at this emulator.
    pub fn function_env(&self, function: &str) -> Vec<(String, String)> {
        runtime::function_env(&self.shared, function)
    }

    /// The test clock's file, for processes other than the functions (the command line).
    pub fn clock_file(&self) -> &std::path::Path {
        &self.shared.clock_file
    }

    /// Calls the admin interface in-process, exactly as an HTTP client would.
    pub fn admin(
        &self,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, AwsError> {
        admin::handle(&self.shared, method, path, body)
    }

    /// Stops everything now (also done on drop).
    pub fn shutdown(&self) {
        self.shared
            .tasks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .abort_all();
        for child in self
            .shared
            .children
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter_mut()
        {
            let _ = child.start_kill();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
        let _ = std::fs::remove_file(&self.shared.clock_file);
    }
}

/// What a listener serves.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    /// The AWS APIs; the number tells AWS Health's active (0) and passive (1) endpoints apart.
    Aws(usize),
    /// The Lambda Runtime API of one function.
    Runtime(String),
}

pub(crate) async fn serve(shared: Arc<Shared>, listener: TcpListener, endpoint: Endpoint) {
    while let Ok((stream, _)) = listener.accept().await {
        let shared = Arc::clone(&shared);
        let connection_shared = Arc::clone(&shared);
        let endpoint = endpoint.clone();
        shared.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                route(Arc::clone(&connection_shared), endpoint.clone(), request)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Returned to hyper to close the connection without an answer (the `drop` fault).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

async fn route(
    shared: Arc<Shared>,
    endpoint: Endpoint,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    let path = parts.uri.path().to_owned();
    let endpoint = match endpoint {
        Endpoint::Runtime(function) => {
            return Ok(runtime::handle(&shared, parts.method.as_str(), &function, &path, &body).await);
        }
        Endpoint::Aws(index) => index,
    };
    if path.starts_with("/_admin/") {
        let input = if body.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_slice(&body).unwrap_or_default()
        };
        return Ok(
            match admin::handle(&shared, parts.method.as_str(), &path, input) {
                Ok(value) => wire::json_response(200, &value),
                Err(error) => wire::json_response(
                    error.status,
                    &serde_json::json!({"error": error.code, "message": error.message}),
                ),
            },
        );
    }
    if path.starts_with(orm::API_VERSION) {
        return oracle_call(&shared, &parts, &path, &body).await;
    }
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let (service, protocol, operation) = if let Some(operation) =
        target.strip_prefix("CodePipeline_20150709.")
    {
        ("codepipeline", Protocol::Json, operation.to_owned())
    } else if let Some(operation) = target.strip_prefix("AWSEvents.") {
        ("events", Protocol::Json, operation.to_owned())
    } else if let Some(operation) = target.strip_prefix("DynamoDB_20120810.") {
        ("dynamodb", Protocol::Json10, operation.to_owned())
    } else if let Some(operation) = path.strip_prefix("/service/AWSHealth_20160804/operation/") {
        ("health", wire::HEALTH_CBOR, operation.to_owned())
    } else if let Some(operation) = path.strip_prefix("/service/GraniteServiceVersion20100801/operation/") {
        // aws-sdk-cloudwatch speaks RPC v2 CBOR; `monitoring` is CloudWatch's signing name.
        ("monitoring", wire::CLOUDWATCH_CBOR, operation.to_owned())
    } else if let Some(operation) = target.strip_prefix("AmazonSSM.") {
        ("ssm", Protocol::Json, operation.to_owned())
    } else if let Some(operation) = target.strip_prefix("AWSHealth_20160804.") {
        // boto3 still speaks AWS JSON 1.1 to Health (the Python baseline of the benchmark).
        ("health", Protocol::Json, operation.to_owned())
    } else {
        // The Query protocol: SNS and STS. The signature's scope names the service; an
        // unsigned call goes by its action.
        let form = wire::decode_form(&body);
        match form.iter().find(|(key, _)| key == "Action") {
            Some((_, action)) => match signing_service(&parts.headers) {
                Some("sts") => ("sts", Protocol::Query(wire::STS_XMLNS), action.clone()),
                Some("sns") => ("sns", Protocol::Query(wire::SNS_XMLNS), action.clone()),
                _ if sts::ACTIONS.contains(&action.as_str()) => {
                    ("sts", Protocol::Query(wire::STS_XMLNS), action.clone())
                }
                _ => ("sns", Protocol::Query(wire::SNS_XMLNS), action.clone()),
            },
            None => {
                return Ok(wire::json_response(
                    404,
                    &serde_json::json!({"error": "NotFound", "path": path}),
                ));
            }
        }
    };
    let signer = Signer {
        key: caller(&parts.headers),
        region: signing_region(&parts.headers),
    };
    aws_call(&shared, endpoint, &signer, service, protocol, &operation, &body).await
}

/// A SigV4 signature's credential, `<access key>/<date>/<region>/<service>/aws4_request`, split.
fn credential(headers: &hyper::HeaderMap) -> Vec<&str> {
    headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|authorization| authorization.split("Credential=").nth(1))
        .and_then(|credential| credential.split([',', ' ']).next())
        .map(|credential| credential.split('/').collect())
        .unwrap_or_default()
}

/// Who signed the request: the access key in its SigV4 `Credential=` (functions get their own
/// name as their key).
fn caller(headers: &hyper::HeaderMap) -> String {
    credential(headers)
        .first()
        .copied()
        .filter(|key| !key.is_empty())
        .unwrap_or("anonymous")
        .to_owned()
}

/// The region the request was signed for, which regional services (CloudWatch, SSM) answer
/// from; the emulator's region for an unsigned request.
fn signing_region(headers: &hyper::HeaderMap) -> String {
    credential(headers)
        .get(2)
        .copied()
        .filter(|region| !region.is_empty())
        .unwrap_or(state::REGION)
        .to_owned()
}

/// Who signed a call, and for which region.
struct Signer {
    /// The access key (a function's name, for functions Lambda started).
    key: String,
    /// The region in the signature's scope.
    region: String,
}

/// The service the request was signed for (`sns`, `sts`, ...), from the signature's scope.
fn signing_service(headers: &hyper::HeaderMap) -> Option<&str> {
    credential(headers).get(3).copied()
}

/// One Oracle Cloud Resource Manager call: recorded and faulted (service `resourcemanager`,
/// caller `oci`) as configured, then answered with OCI's errors. A `late-answer` fault here is
/// an answer lost: the call takes effect and the connection drops.
async fn oracle_call(
    shared: &Arc<Shared>,
    parts: &hyper::http::request::Parts,
    path: &str,
    body: &[u8],
) -> Result<Response<Full<Bytes>>, Dropped> {
    let method = parts.method.as_str();
    let operation = orm::operation(method, path);
    let (fault, call) = {
        let mut state = shared.state();
        let fault = state.take_fault(&state::Target {
            service: "resourcemanager",
            operation,
            caller: "oci",
            ..state::Target::default()
        });
        let call = state.calls.len();
        state.calls.push(state::Call {
            at: state::now(),
            service: "resourcemanager".into(),
            operation: operation.into(),
            endpoint: 0,
            caller: "oci".into(),
            fault: fault.as_ref().map(|fault| fault.kind),
            status: 0,
            consumed_capacity: None,
        });
        (fault, call)
    };
    let injected = match fault.as_ref().map(|fault| fault.kind) {
        Some(FaultKind::Drop) => return Err(Dropped),
        Some(FaultKind::Throttle) => Some((429, "TooManyRequests")),
        Some(FaultKind::ServerError | FaultKind::SubscriptionRequired) => Some((500, "InternalServerError")),
        Some(FaultKind::Unavailable) => Some((503, "ServiceUnavailable")),
        Some(FaultKind::LockConflict) => Some((409, "LockConflict")),
        Some(FaultKind::Latency | FaultKind::LateAnswer) | None => None,
    };
    if let Some(fault) = fault.as_ref().filter(|fault| fault.kind == FaultKind::Latency) {
        tokio::time::sleep(Duration::from_millis(fault.ms)).await;
    }
    let mut response = match injected {
        Some((status, code)) => {
            wire::json_response(status, &serde_json::json!({"code": code, "message": "injected"}))
        }
        None => {
            let query = parts.uri.query().unwrap_or_default();
            let answer = orm::handle(shared, method, path, query, &parts.headers, body);
            let mut response = wire::json_response(answer.status, &answer.body);
            for (name, value) in answer.headers {
                if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
    };
    if let Some(recorded) = shared.state().calls.get_mut(call) {
        recorded.status = response.status().as_u16();
    }
    // The call took effect; its answer is lost on the way (after `ms`): the caller must ask
    // again, and only a retry token keeps it from acting twice.
    if let Some(late) = fault.as_ref().filter(|fault| fault.kind == FaultKind::LateAnswer) {
        tokio::time::sleep(Duration::from_millis(late.ms)).await;
        return Err(Dropped);
    }
    response
        .headers_mut()
        .entry("opc-request-id")
        .or_insert(hyper::header::HeaderValue::from_static("local"));
    Ok(response)
}

/// One AWS API call: recorded, delayed and faulted as configured, then answered.
async fn aws_call(
    shared: &Arc<Shared>,
    endpoint: usize,
    signer: &Signer,
    service: &str,
    protocol: Protocol,
    operation: &str,
    body: &[u8],
) -> Result<Response<Full<Bytes>>, Dropped> {
    let caller = signer.key.as_str();
    let (fault, latency, call) = {
        let mut state = shared.state();
        let (table, partition) = match service {
            "dynamodb" => dynamodb::aim(&state, operation, body),
            _ => (None, None),
        };
        let fault = state.take_fault(&state::Target {
            service,
            operation,
            endpoint,
            caller,
            table: table.as_deref(),
            partition: partition.as_deref(),
        });
        let call = state.calls.len();
        state.calls.push(state::Call {
            at: state::now(),
            service: service.into(),
            operation: operation.into(),
            endpoint,
            caller: caller.to_owned(),
            fault: fault.as_ref().map(|fault| fault.kind),
            status: 0,
            consumed_capacity: None,
        });
        let extra = fault
            .as_ref()
            .filter(|fault| fault.kind == FaultKind::Latency)
            .map_or(0, |fault| fault.ms);
        (fault, state.latency_ms + extra, call)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let injected = match fault.as_ref().map(|fault| fault.kind) {
        Some(FaultKind::Drop) => return Err(Dropped),
        // Each service's own throttling code, all of which the SDK's retry treats as throttling.
        Some(FaultKind::Throttle) => Some(AwsError::new(
            400,
            match service {
                "sns" | "sts" | "monitoring" => "Throttling",
                "dynamodb" => "ProvisionedThroughputExceededException",
                _ => "ThrottlingException",
            },
            "Rate exceeded",
        )),
        Some(FaultKind::ServerError) => {
            Some(AwsError::new(500, "InternalFailure", "injected internal failure"))
        }
        Some(FaultKind::Unavailable) => Some(AwsError::new(
            503,
            "ServiceUnavailable",
            "injected: service unavailable",
        )),
        Some(FaultKind::SubscriptionRequired) => Some(AwsError::new(
            400,
            "SubscriptionRequiredException",
            "The AWS account is not subscribed to a Business, Enterprise On-Ramp, or Enterprise Support plan.",
        )),
        Some(FaultKind::LockConflict) => Some(AwsError::new(409, "ConflictException", "injected: busy")),
        Some(FaultKind::Latency | FaultKind::LateAnswer) | None => None,
    };
    let mut consumed = None;
    let result = match injected {
        Some(error) => Err(error),
        None => match (service, protocol) {
            ("sns", _) => sns::handle(shared, operation, &wire::decode_form(body)).map(Reply::Xml),
            ("sts", _) => sts::handle(shared, operation, &wire::decode_form(body), caller).map(Reply::Xml),
            ("events", _) => wire::decode_json(body)
                .and_then(|input| events::handle(shared, operation, &input).map(Reply::Json)),
            ("dynamodb", _) => wire::decode_json(body).and_then(|input| {
                let metered = dynamodb::handle_metered(shared, operation, &input);
                consumed = metered.consumed;
                metered.result.map(Reply::Json10)
            }),
            ("monitoring", _) => wire::decode_cbor(body).and_then(|input| {
                cloudwatch::handle(shared, operation, &input, &signer.region, sts::account_of(caller))
                    .map(Reply::Cbor)
            }),
            ("ssm", _) => wire::decode_json(body)
                .and_then(|input| ssm::handle(shared, operation, &input, &signer.region).map(Reply::Json)),
            (_, Protocol::Cbor { .. }) => wire::decode_cbor(body)
                .and_then(|input| health::handle(shared, operation, &input).map(Reply::Cbor)),
            ("health", _) => wire::decode_json(body)
                .and_then(|input| health::handle(shared, operation, &input).map(Reply::Json)),
            _ => wire::decode_json(body)
                .and_then(|input| codepipeline::handle(shared, operation, &input).map(Reply::Json)),
        },
    };
    let response = match result {
        Ok(reply) => wire::encode_reply(reply),
        Err(error) => wire::encode_error(protocol, &error),
    };
    if let Some(recorded) = shared.state().calls.get_mut(call) {
        recorded.status = response.status().as_u16();
        recorded.consumed_capacity = consumed.map(|consumed| consumed.for_call());
    }
    if let Some(late) = fault.as_ref().filter(|fault| fault.kind == FaultKind::LateAnswer) {
        tokio::time::sleep(Duration::from_millis(late.ms)).await;
    }
    Ok(response)
}

#[cfg(test)]
#[path = "lib_tests.rs"]
mod tests;
