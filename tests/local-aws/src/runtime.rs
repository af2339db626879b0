//! The Lambda service, as far as pipeguard needs it: the Runtime API that `lambda_runtime`
//! polls (one listener per function), asynchronous invocation with Lambda's two retries, and
//! starting function processes on their first invocation (a cold start) with the environment
//! Lambda gives them.

use crate::state::{ACCOUNT, DeadLetter, Invocation, REGION, State, now};
use crate::wire::{HttpResponse, json_response};
use crate::{Endpoint, Shared};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::Arc;

const API_VERSION: &str = "2018-06-01";
/// Lambda retries a failed asynchronous invocation twice.
const ASYNC_RETRIES: u32 = 2;

pub fn function_arn(function: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}")
}

/// The function's Runtime API address, opening its listener on first use.
pub fn runtime_address(shared: &Arc<Shared>, function: &str) -> std::io::Result<std::net::SocketAddr> {
    if let Some(address) = shared
        .state()
        .functions
        .get(function)
        .and_then(|entry| entry.runtime_address)
    {
        return Ok(address);
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    shared
        .state()
        .functions
        .entry(function.to_owned())
        .or_default()
        .runtime_address = Some(address);
    shared.spawn(crate::serve(
        Arc::clone(shared),
        listener,
        Endpoint::Runtime(function.to_owned()),
    ));
    Ok(address)
}

/// Everything a function process's environment holds: Lambda's variables, the function's own,
/// and the host's `PATH` (to find an interpreter such as `python3`). Nothing else of the host's
/// environment: Lambda does not hand a function the machine's `SSL_CERT_FILE`, `AWS_PROFILE`
/// or `RUST_LOG`, and a function that read them would run differently here than on Lambda.
pub fn function_env(shared: &Arc<Shared>, function: &str) -> Vec<(String, String)> {
    let runtime_api = runtime_address(shared, function)
        .map(|address| address.to_string())
        .unwrap_or_default();
    let mut env: Vec<(String, String)> = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_DEFAULT_REGION", REGION.to_owned()),
        // The function's name as its access key: the emulator tells callers apart by it.
        ("AWS_ACCESS_KEY_ID", function.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "local".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_ENDPOINT_URL", shared.base_url.clone()),
        (
            "PIPEGUARD_HEALTH_ENDPOINTS",
            format!("{},{}", shared.base_url, shared.passive_url),
        ),
        (
            "PIPEGUARD_TEST_CLOCK_FILE",
            shared.clock_file.to_string_lossy().into_owned(),
        ),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect();
    if let Some(path) = std::env::var_os("PATH") {
        env.push(("PATH".to_owned(), path.to_string_lossy().into_owned()));
    }
    if let Some(registered) = shared.state().functions.get(function) {
        env.extend(
            registered
                .env
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
    }
    env
}

/// Queues an asynchronous invocation, starting the function's process if it is not running.
pub fn invoke(shared: &Arc<Shared>, function: &str, payload: Value) -> String {
    let (request_id, start) = {
        let mut state = shared.state();
        let request_id = state.id();
        state.record(format!("Lambda invokes {function}"));
        let entry = state.functions.entry(function.to_owned()).or_default();
        let start = entry.requeue(Invocation {
            request_id: request_id.clone(),
            payload,
            attempt: 0,
        });
        (request_id, start)
    };
    if let Some(launch) = start {
        start_process(shared, function, launch);
    }
    request_id
}

impl crate::state::Function {
    /// How to start the function's process when none runs (marking it started), else None.
    fn launch_if_stopped(&mut self) -> Option<Launch> {
        let launch = match (&self.command, self.started) {
            (Some(command), false) => Some(Launch {
                command: command.clone(),
                args: self.args.clone(),
                cwd: self.cwd.clone(),
            }),
            _ => None,
        };
        self.started |= launch.is_some();
        launch
    }

    /// Queues an invocation; the process to start when none runs.
    fn requeue(&mut self, invocation: Invocation) -> Option<Launch> {
        self.queue.push_back(invocation);
        self.arrived.notify_one();
        self.launch_if_stopped()
    }
}

/// How Lambda starts a function: its program, arguments and working directory.
struct Launch {
    command: String,
    args: Vec<String>,
    cwd: Option<String>,
}

fn start_process(shared: &Arc<Shared>, function: &str, launch: Launch) {
    let log_dir = shared.state().log_dir.clone();
    let output = || match &log_dir {
        Some(dir) => std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{function}.log")))
            .map_or_else(|_| Stdio::null(), Stdio::from),
        None => Stdio::null(),
    };
    let mut command = tokio::process::Command::new(&launch.command);
    command
        .args(&launch.args)
        .env_clear()
        .envs(function_env(shared, function))
        .stdin(Stdio::null())
        .stdout(output())
        .stderr(output())
        .kill_on_drop(true);
    if let Some(cwd) = &launch.cwd {
        command.current_dir(cwd);
    }
    // The lock is held across the spawn, so that the process cannot take an invocation before
    // its pid is recorded: a timeout stops the process that took the invocation, by that pid,
    // and one taken unrecorded would be retried into a process that never polls again.
    let mut state = shared.state();
    let spawned_at = now();
    let spawned = command.spawn();
    match spawned {
        Ok(child) => {
            let entry = state.functions.entry(function.to_owned()).or_default();
            entry.pid = child.id();
            entry.spawned_at = Some(spawned_at);
            state.record(format!("Lambda starts {function} (cold start)"));
            drop(state);
            shared
                .children
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(child);
        }
        Err(error) => state.record(format!(
            "Lambda could not start {function} ({}): {error}",
            launch.command
        )),
    }
}

/// `/2018-06-01/runtime/...` on the function's own listener.
pub async fn handle(
    shared: &Arc<Shared>,
    method: &str,
    function: &str,
    path: &str,
    body: &[u8],
) -> HttpResponse {
    let Some(path) = path
        .strip_prefix('/')
        .and_then(|path| path.strip_prefix(API_VERSION))
        .and_then(|path| path.strip_prefix("/runtime/"))
    else {
        return json_response(
            404,
            &json!({"errorMessage": format!("unknown Runtime API path {path}")}),
        );
    };
    let segments: Vec<&str> = path.split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", ["invocation", "next"]) => next_invocation(shared, function).await,
        ("POST", ["invocation", request_id, "response"]) => {
            let response = serde_json::from_slice(body).unwrap_or(Value::Null);
            finish(shared, function, request_id, Ok(response));
            json_response(202, &json!({"status": "OK"}))
        }
        ("POST", ["invocation", request_id, "error"]) => {
            let error = serde_json::from_slice(body)
                .unwrap_or_else(|_| json!({"errorMessage": String::from_utf8_lossy(body)}));
            finish(shared, function, request_id, Err(error));
            json_response(202, &json!({"status": "OK"}))
        }
        ("POST", ["init", "error"]) => {
            shared.state().record(format!(
                "{function} failed to initialise: {}",
                String::from_utf8_lossy(body)
            ));
            json_response(202, &json!({"status": "OK"}))
        }
        _ => json_response(
            404,
            &json!({"errorMessage": format!("unknown Runtime API call {method} {path}")}),
        ),
    }
}

/// Long-polls until an invocation for the function arrives.
async fn next_invocation(shared: &Arc<Shared>, function: &str) -> HttpResponse {
    loop {
        let arrived = {
            let mut state = shared.state();
            let entry = state.functions.entry(function.to_owned()).or_default();
            if let Some(invocation) = entry.queue.pop_front() {
                let deadline_ms = (now() * 1000.0) as u64 + entry.timeout_ms.max(1000);
                let mut response = json_response(200, &invocation.payload);
                let headers = response.headers_mut();
                for (name, value) in [
                    ("lambda-runtime-aws-request-id", invocation.request_id.clone()),
                    ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
                    ("lambda-runtime-invoked-function-arn", function_arn(function)),
                    (
                        "lambda-runtime-trace-id",
                        format!("Root=1-00000000-{}", invocation.request_id.replace('-', "")),
                    ),
                ] {
                    if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
                        headers.insert(name, value);
                    }
                }
                let enforced = (entry.timeout_ms > 0).then_some(entry.timeout_ms);
                // The process polling is the one that runs it: the one a timeout stops.
                let taken_by = entry.pid;
                let request_id = invocation.request_id.clone();
                entry.in_flight.insert(request_id.clone(), invocation);
                drop(state);
                if let Some(timeout_ms) = enforced {
                    let (timer, function) = (Arc::clone(shared), function.to_owned());
                    shared.spawn(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(timeout_ms)).await;
                        timed_out(&timer, &function, &request_id, timeout_ms, taken_by);
                    });
                }
                return response;
            }
            entry.arrived.clone()
        };
        arrived.notified().await;
    }
}

/// The deadline passed with the invocation still running: Lambda stops the process that runs it
/// (the next invocation gets a fresh one), and the invocation fails like any other error. All
/// under one lock, so the invocation is always queued, running, waiting for a retry or done.
fn timed_out(shared: &Arc<Shared>, function: &str, request_id: &str, timeout_ms: u64, taken_by: Option<u32>) {
    let launch = {
        let mut state = shared.state();
        let entry = state.functions.entry(function.to_owned()).or_default();
        let Some(invocation) = entry.in_flight.remove(request_id) else {
            return;
        };
        let error = json!({"errorType": "Sandbox.Timedout",
                           "errorMessage": format!("Task timed out after {:.2} seconds", timeout_ms as f64 / 1000.0)});
        entry
            .results
            .push((request_id.to_owned(), now(), Err(error.clone())));
        if taken_by.is_some() && entry.pid == taken_by {
            entry.pid = None;
            entry.started = false;
        }
        let mut children = shared
            .children
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(index) = children
            .iter()
            .position(|child| taken_by.is_some() && child.id() == taken_by)
        {
            let _ = children.swap_remove(index).start_kill();
        }
        drop(children);
        retry_or_dead_letter(shared, &mut state, function, invocation, error)
    };
    if let Some(launch) = launch {
        start_process(shared, function, launch);
    }
}

/// Lambda's two retries of a failed asynchronous invocation (after the retry delay), then the
/// dead-letter queue. Returns the process to start when the retry is queued now and none runs.
fn retry_or_dead_letter(
    shared: &Arc<Shared>,
    state: &mut State,
    function: &str,
    mut invocation: Invocation,
    error: Value,
) -> Option<Launch> {
    let message = error
        .get("errorMessage")
        .and_then(Value::as_str)
        .unwrap_or("unknown error")
        .to_owned();
    if invocation.attempt >= ASYNC_RETRIES {
        state.record(format!(
            "{function} returned an error ({message}); Lambda sends the event to the dead-letter queue"
        ));
        state.dead_letters.push(DeadLetter {
            function: function.to_owned(),
            request_id: invocation.request_id,
            payload: invocation.payload,
            error,
        });
        return None;
    }
    invocation.attempt += 1;
    state.record(format!(
        "{function} returned an error ({message}); Lambda retries the invocation"
    ));
    let delay = state.retry_delay_ms;
    let entry = state.functions.entry(function.to_owned()).or_default();
    if delay == 0 {
        return entry.requeue(invocation);
    }
    entry.retrying += 1;
    let (later, function) = (Arc::clone(shared), function.to_owned());
    shared.spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        let launch = {
            let mut state = later.state();
            let entry = state.functions.entry(function.clone()).or_default();
            entry.retrying -= 1;
            entry.requeue(invocation)
        };
        if let Some(launch) = launch {
            start_process(&later, &function, launch);
        }
    });
    None
}

fn finish(shared: &Arc<Shared>, function: &str, request_id: &str, result: Result<Value, Value>) {
    let launch = {
        let mut state = shared.state();
        let entry = state.functions.entry(function.to_owned()).or_default();
        // An answer after the deadline is too late: the invocation has already failed.
        let Some(invocation) = entry.in_flight.remove(request_id) else {
            return;
        };
        entry.results.push((request_id.to_owned(), now(), result.clone()));
        match result {
            Ok(_) => None,
            Err(error) => retry_or_dead_letter(shared, &mut state, function, invocation, error),
        }
    };
    if let Some(launch) = launch {
        start_process(shared, function, launch);
    }
}
