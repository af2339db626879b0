//! Oracle Cloud Resource Manager's job calls over REST (`/20180917/jobs`), enough for
//! `pipeguard oci`: ListJobs (by stack, newest first, `limit` and `opc-next-page` paging), GetJob
//! and CreateJob (APPLY and APPLY_ROLLBACK; one job per `opc-retry-token`; 409 while the stack
//! runs a job). A created job is ACCEPTED, then IN_PROGRESS, then ends as the stack's script
//! says (`/_admin/oci/stacks`: `succeed`, `fail:CODE:message`, or `hang`: it never ends), a few
//! hundred milliseconds apart. Every request's OCI signature (version 1, rsa-sha256, shared/oci/OCI-FACTS.md) is verified
//! against the public key registered for its keyId (`/_admin/oci/keys`); a bad one is answered
//! 401 NotAuthenticated, as OCI answers it. Jobs are set up through `/_admin/oci/jobs`.

use crate::Shared;
use crate::wire::AwsError;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The API version every path starts with.
pub const API_VERSION: &str = "/20180917";

/// A job of a stack.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub stack: String,
    pub operation: String,
    /// `jobOperationDetails`, as it was created (an APPLY_ROLLBACK's names its target).
    pub details: Value,
    pub state: String,
    /// The order jobs were made in: the newest has the largest.
    pub sequence: u64,
    pub failure: Option<(String, String)>,
    /// When a job created through the API began: its state runs from ACCEPTED to `state`.
    pub began: Option<std::time::Instant>,
}

/// How long a created job is ACCEPTED, and then IN_PROGRESS, before it ends.
const ACCEPTED_FOR: std::time::Duration = std::time::Duration::from_millis(100);
const RUNS_FOR: std::time::Duration = std::time::Duration::from_millis(300);

impl Job {
    /// Its state now.
    fn state_now(&self) -> &str {
        match self.began.map(|began| began.elapsed()) {
            Some(elapsed) if elapsed < ACCEPTED_FOR => "ACCEPTED",
            Some(elapsed) if elapsed < ACCEPTED_FOR + RUNS_FOR => "IN_PROGRESS",
            _ => &self.state,
        }
    }

    fn created(&self) -> String {
        // One second apart from 2026-12-01T00:00:00Z, in OCI's RFC 3339 form.
        let seconds = self.sequence;
        format!(
            "2026-12-01T{:02}:{:02}:{:02}.000Z",
            seconds / 3600 % 24,
            seconds / 60 % 60,
            seconds % 60
        )
    }

    /// As ListJobs answers it: a JobSummary, which has no failureDetails but has the job's
    /// `jobOperationDetails` (shared/oci/OCI-FACTS.md 4).
    fn summary(&self) -> Value {
        json!({"id": self.id, "stackId": self.stack, "operation": self.operation,
               "jobOperationDetails": self.details,
               "lifecycleState": self.state_now(), "timeCreated": self.created()})
    }

    /// As GetJob and CreateJob answer it: the summary, and why it failed.
    fn to_json(&self) -> Value {
        let mut job = self.summary();
        if let Some((code, message)) = self.failure.as_ref().filter(|_| self.state_now() == self.state) {
            job["failureDetails"] = json!({"code": code, "message": message});
        }
        job
    }
}

/// What Resource Manager knows: the public keys by keyId, and the jobs.
#[derive(Debug, Default)]
pub struct Orm {
    pub keys: BTreeMap<String, Vec<u8>>,
    pub jobs: Vec<Job>,
    /// How each stack's next created jobs end, in order (`succeed` when none is left).
    pub scripts: BTreeMap<String, std::collections::VecDeque<String>>,
    /// The job each `opc-retry-token` made.
    pub retry_tokens: BTreeMap<String, String>,
}

/// An answer: status, JSON body, and headers.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer {
        status,
        body: json!({"code": code, "message": message}),
        headers: Vec::new(),
    }
}

/// The call's name, for the record of calls and for faults.
pub fn operation(method: &str, path: &str) -> &'static str {
    match (method, path.trim_start_matches(API_VERSION)) {
        ("GET", "/jobs") => "ListJobs",
        ("GET", _) => "GetJob",
        ("POST", "/jobs") => "CreateJob",
        _ => "Unknown",
    }
}

/// Answers one request: verifies its signature, then the call.
pub fn handle(
    shared: &Arc<Shared>,
    method: &str,
    path: &str,
    query: &str,
    headers: &hyper::HeaderMap,
    body: &[u8],
) -> Answer {
    if let Err(why) = verify(shared, method, path, query, headers, body) {
        return error(
            401,
            "NotAuthenticated",
            &format!(
                "The required information to complete authentication was not provided or was incorrect ({why})."
            ),
        );
    }
    let params: BTreeMap<String, String> = crate::wire::decode_form(query.as_bytes()).into_iter().collect();
    let mut state = shared.state();
    match operation(method, path) {
        "CreateJob" => create_job(&mut state.orm, headers, body),
        "ListJobs" => {
            let mut jobs: Vec<&Job> = state
                .orm
                .jobs
                .iter()
                .filter(|job| params.get("stackId").is_none_or(|stack| *stack == job.stack))
                .collect();
            jobs.sort_by_key(|job| std::cmp::Reverse(job.sequence));
            if params.get("sortOrder").is_some_and(|order| order == "ASC") {
                jobs.reverse();
            }
            let limit = params
                .get("limit")
                .and_then(|limit| limit.parse().ok())
                .unwrap_or(100usize)
                .clamp(1, 100);
            let start: usize = params.get("page").and_then(|page| page.parse().ok()).unwrap_or(0);
            let page: Vec<Value> = jobs
                .iter()
                .skip(start)
                .take(limit)
                .map(|job| job.summary())
                .collect();
            let mut headers = vec![("opc-request-id", format!("local-{}", jobs.len()))];
            if start + limit < jobs.len() {
                headers.push(("opc-next-page", (start + limit).to_string()));
            }
            Answer {
                status: 200,
                body: Value::Array(page),
                headers,
            }
        }
        "GetJob" => {
            let id = path.trim_start_matches(API_VERSION).trim_start_matches("/jobs/");
            match state.orm.jobs.iter().find(|job| job.id == id) {
                Some(job) => Answer {
                    status: 200,
                    body: job.to_json(),
                    headers: Vec::new(),
                },
                None => error(
                    404,
                    "NotAuthorizedOrNotFound",
                    "Authorization failed or requested resource not found.",
                ),
            }
        }
        _ => error(
            404,
            "NotFound",
            &format!("local-aws does not emulate {method} {path}"),
        ),
    }
}

fn create_job(orm: &mut Orm, headers: &hyper::HeaderMap, body: &[u8]) -> Answer {
    let token = headers
        .get("opc-retry-token")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if let Some(job) = token
        .as_ref()
        .and_then(|token| orm.retry_tokens.get(token))
        .and_then(|id| orm.jobs.iter().find(|job| job.id == *id))
    {
        return Answer {
            status: 200,
            body: job.to_json(),
            headers: Vec::new(),
        };
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(400, "CannotParseRequest", "The request body is not JSON.");
    };
    let (Some(stack), Some(operation)) = (
        request["stackId"].as_str(),
        request["jobOperationDetails"]["operation"].as_str(),
    ) else {
        return error(
            400,
            "MissingParameter",
            "stackId and jobOperationDetails.operation are required.",
        );
    };
    if orm
        .jobs
        .iter()
        .any(|job| job.stack == stack && !matches!(job.state_now(), "SUCCEEDED" | "FAILED" | "CANCELED"))
    {
        return error(
            409,
            "Conflict",
            "The stack is locked: another job is running on it.",
        );
    }
    let details = &request["jobOperationDetails"];
    match operation {
        "APPLY" if details["executionPlanStrategy"] == "AUTO_APPROVED" => {}
        "APPLY_ROLLBACK" => {
            let target = details["targetRollbackJobId"].as_str().unwrap_or_default();
            let good = orm.jobs.iter().any(|job| {
                job.id == target
                    && job.stack == stack
                    && job.operation == "APPLY"
                    && job.state_now() == "SUCCEEDED"
            });
            if details["executionPlanRollbackStrategy"] != "AUTO_APPROVED" || !good {
                return error(
                    400,
                    "InvalidParameter",
                    "targetRollbackJobId must be a succeeded apply job of the stack, with AUTO_APPROVED.",
                );
            }
        }
        _ => {
            return error(
                400,
                "InvalidParameter",
                &format!("local-aws creates APPLY (AUTO_APPROVED) and APPLY_ROLLBACK jobs, not {operation}"),
            );
        }
    }
    let outcome = orm
        .scripts
        .get_mut(stack)
        .and_then(std::collections::VecDeque::pop_front)
        .unwrap_or_else(|| "succeed".into());
    let (state, failure) = match outcome.strip_prefix("fail:") {
        Some(rest) => {
            let (code, message) = rest.split_once(':').unwrap_or((rest, ""));
            ("FAILED", Some((code.to_owned(), message.to_owned())))
        }
        None if outcome == "hang" => ("IN_PROGRESS", None),
        None => ("SUCCEEDED", None),
    };
    let sequence = orm.jobs.len() as u64 + 1;
    let job = Job {
        id: format!("ocid1.ormjob.oc1.local.{sequence:06}"),
        stack: stack.to_owned(),
        operation: operation.to_owned(),
        details: details.clone(),
        state: state.to_owned(),
        sequence,
        failure,
        began: Some(std::time::Instant::now()),
    };
    if let Some(token) = token {
        orm.retry_tokens.insert(token, job.id.clone());
    }
    let answer = Answer {
        status: 200,
        body: job.to_json(),
        headers: Vec::new(),
    };
    orm.jobs.push(job);
    answer
}

/// The request's signature, checked as OCI checks it: the headers it names, in its order.
fn verify(
    shared: &Arc<Shared>,
    method: &str,
    path: &str,
    query: &str,
    headers: &hyper::HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .ok_or("no authorization header")?;
    let parameters = authorization
        .strip_prefix("Signature ")
        .ok_or("not a Signature authorization")?;
    let field = |name: &str| {
        parameters.split(',').find_map(|part| {
            let (key, value) = part.split_once('=')?;
            (key.trim() == name).then(|| value.trim().trim_matches('"').to_owned())
        })
    };
    if field("algorithm").as_deref() != Some("rsa-sha256")
        || field("version").is_some_and(|version| version != "1")
    {
        return Err("not version 1 rsa-sha256".into());
    }
    let key_id = field("keyId").ok_or("no keyId")?;
    let signature = STANDARD
        .decode(field("signature").ok_or("no signature")?)
        .map_err(|_| "the signature is not base64")?;
    let signed = field("headers").ok_or("no headers")?;
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let mut lines = Vec::new();
    for name in signed.split(' ') {
        let value = if name == "(request-target)" {
            format!("{} {target}", method.to_ascii_lowercase())
        } else {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| format!("the signed header {name} is missing"))?
                .to_owned()
        };
        lines.push(format!("{name}: {value}"));
    }
    let mut required = vec!["date", "(request-target)", "host"];
    if method == "POST" {
        required.extend(["content-length", "content-type", "x-content-sha256"]);
        let hash = STANDARD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body));
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        if header("x-content-sha256") != Some(hash.as_str())
            || header("content-length") != Some(&body.len().to_string())
        {
            return Err("x-content-sha256 or content-length does not match the body".into());
        }
    }
    for required in required {
        if !signed.split(' ').any(|name| name == required) {
            return Err(format!("{required} is not signed"));
        }
    }
    let keys = &shared.state().orm.keys;
    // The keyId of a resource principal is its token: never said back.
    let public = keys.get(&key_id).ok_or("the keyId is not known")?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
        .verify(lines.join("\n").as_bytes(), &signature)
        .map_err(|_| "the signature does not verify".to_owned())
}

/// `/_admin/oci/...`: register a public key (`keys`: `{"key_id", "public_key_der_base64"}`, or
/// `{"key_id", "revoked": true}` to forget it, as a renewed token's old one is), add
/// a job (`jobs`: `{"stack", "operation", "state", "failure_code"?, "failure_message"?,
/// "target"?}`, the target an APPLY_ROLLBACK returned the stack to), or
/// script how a stack's next created jobs end (`stacks`: `{"stack", "outcomes": [...]}`).
pub fn admin(shared: &Arc<Shared>, what: &str, body: &Value) -> Result<Value, AwsError> {
    let text = |field: &str| {
        body[field]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| AwsError::validation(format!("{field} is required")))
    };
    let mut state = shared.state();
    match what {
        "keys" if body["revoked"] == true => {
            state.orm.keys.remove(&text("key_id")?);
            Ok(json!({}))
        }
        "keys" => {
            let der = STANDARD
                .decode(text("public_key_der_base64")?)
                .map_err(|_| AwsError::validation("public_key_der_base64 is not base64"))?;
            state.orm.keys.insert(text("key_id")?, der);
            Ok(json!({}))
        }
        "jobs" => {
            let sequence = state.orm.jobs.len() as u64 + 1;
            let id = format!("ocid1.ormjob.oc1.local.{sequence:06}");
            let failure = body["failure_code"].as_str().map(|code| {
                (
                    code.to_owned(),
                    body["failure_message"].as_str().unwrap_or_default().to_owned(),
                )
            });
            let operation = text("operation")?;
            let mut details = json!({"operation": operation});
            if let Some(target) = body["target"].as_str() {
                details["executionPlanRollbackStrategy"] = json!("AUTO_APPROVED");
                details["targetRollbackJobId"] = json!(target);
            }
            state.orm.jobs.push(Job {
                id: id.clone(),
                stack: text("stack")?,
                operation,
                details,
                state: text("state")?,
                sequence,
                failure,
                began: None,
            });
            Ok(json!({"id": id}))
        }
        "stacks" => {
            let outcomes = body["outcomes"]
                .as_array()
                .ok_or_else(|| {
                    AwsError::validation("outcomes is required: a list of `succeed` or `fail:CODE:message`")
                })?
                .iter()
                .filter_map(|outcome| outcome.as_str().map(str::to_owned))
                .collect();
            state.orm.scripts.insert(text("stack")?, outcomes);
            Ok(json!({}))
        }
        other => Err(AwsError::new(
            404,
            "NotFound",
            format!("no admin route oci/{other}"),
        )),
    }
}
