//! Resource Manager over HTTPS, signed (`signer`): where it is (the region's endpoint, or
//! `--endpoint` / `OCI_CLI_ENDPOINT`), the operations pipeguard asks of it (ListJobs, GetJob, and
//! CreateJob of an apply or a rollback, with a retry token), the one request shape they take, and
//! its answers read into a typed error a person can act on. What Oracle's SDKs ask again by
//! default is asked again, backing off, until the command's deadline (`asked_again`); answers are
//! read up to a limit.

use crate::config::ConfigError;
use crate::regions;
use crate::signer::{Signer, Unsigned};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;

/// Resource Manager's API version, the path every call starts with.
const API_VERSION: &str = "/20180917";
/// No answer at all (DNS, TLS, a refused connection) is asked again this often at most: a
/// mistyped region or a missing certificate fails soon, not at the deadline.
const UNREACHABLE_ATTEMPTS: u32 = 5;
/// The first wait before asking again; it doubles, up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Time a call is given at the least, after a wait.
const CALL_MARGIN: Duration = Duration::from_secs(2);
/// The longest one attempt may take: a connection that went silent (a half-open one kept
/// alive) is given up and asked again, rather than holding the rest of the command's time.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(60);
/// How much of an error answer that is not OCI's JSON (a proxy's page) is said.
const FOREIGN_BODY_SHOWN: usize = 200;
/// The jobs a ListJobs page holds (it allows up to 100; fewer keeps each answer small).
const JOBS_PER_PAGE: usize = 50;
/// The largest answer read. A ListJobs page of 50 job summaries is tens of KiB and a job with
/// its Terraform variables a few; an endpoint that answers without end (a mistyped
/// `--endpoint`, a proxy gone wrong) is cut off here rather than filling memory.
const ANSWER_LIMIT: usize = 4 * 1024 * 1024;

/// A call that did not get the answer it asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No answer: the endpoint cannot be reached, or kept failing until the deadline.
    #[error("Resource Manager at {endpoint} could not be reached: {cause}")]
    Unreachable {
        /// Where it was asked.
        endpoint: String,
        /// What happened last.
        cause: String,
    },
    /// 401: the signature or the credentials were refused.
    #[error("Resource Manager refused the credentials ({code}: {message}; opc-request-id {request_id})")]
    NotAuthenticated {
        /// OCI's error code.
        code: String,
        /// OCI's message.
        message: String,
        /// For Oracle support.
        request_id: String,
    },
    /// The request could not be made as asked (a header OCI would not take): never asked again.
    #[error("the request to Resource Manager at {endpoint} cannot be made: {cause}")]
    Invalid {
        /// Where it was to go.
        endpoint: String,
        /// What is wrong with it.
        cause: String,
    },
    /// The answer was larger than pipeguard reads (`ANSWER_LIMIT`).
    #[error(
        "Resource Manager at {endpoint} answered with more than {limit} bytes: not an answer pipeguard reads"
    )]
    Oversized {
        /// Where it was asked.
        endpoint: String,
        /// The most read.
        limit: usize,
    },
    /// Any other error answer: the request itself was refused.
    #[error("Resource Manager answered {status} {code}: {message} (opc-request-id {request_id})")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// OCI's error code (`NotAuthorizedOrNotFound`, `IncorrectState`, ...).
        code: String,
        /// OCI's message.
        message: String,
        /// For Oracle support.
        request_id: String,
    },
}

/// A successful answer: its JSON body, and the next page's token (`opc-next-page`).
pub struct Answer {
    /// The answer's JSON (null when it has none).
    pub body: Value,
    /// `opc-next-page`: the token of the page after this one, on a list's every page but the last.
    pub next_page: Option<String>,
}

/// Reads the credentials again, when they live in files that are renewed while the command runs.
type Renew = Box<dyn Fn() -> Option<Signer> + Send + Sync>;

/// Resource Manager, asked as one signer.
pub struct ResourceManager {
    http: HttpClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// `https://host[:port]` and any path before the API version.
    endpoint: String,
    host: String,
    /// Replaced when `renew` reads renewed credentials.
    signer: std::sync::RwLock<Signer>,
    renew: Option<Renew>,
    deadline: Instant,
}

/// `--endpoint` (or `OCI_CLI_ENDPOINT`) as given, without the API version it may end with.
pub fn endpoint_given(endpoint: &str) -> String {
    endpoint
        .trim_end_matches('/')
        .trim_end_matches(API_VERSION)
        .to_owned()
}

/// Resource Manager's endpoint in `region`, in any case (the SDKs lower-case it): a region the
/// SDKs know, by its full or its short name (`iad`), in its realm's domain; another full name in
/// the commercial realm, as the SDKs do; anything else would only fail later as a host that
/// cannot be found.
pub fn region_endpoint(region: &str) -> Result<String, ConfigError> {
    let region = region.trim().to_ascii_lowercase();
    if let Some(known) = regions::known(&region) {
        return Ok(region_endpoint_of(known.name, known.domain));
    }
    let named = region.contains('-')
        && region
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    if named {
        Ok(region_endpoint_of(&region, regions::COMMERCIAL_DOMAIN))
    } else {
        Err(ConfigError(format!(
            "the OCI region `{region}` (from --region, OCI_CLI_REGION, the profile or the resource \
             principal, in that order) is not a region's full name such as us-ashburn-1 or a short name \
             such as iad that Oracle's SDKs know. Give the full name, or --endpoint"
        )))
    }
}

/// Resource Manager's endpoint in `region` of the realm whose domain is `domain` (the SDKs'
/// template `https://resourcemanager.{region}.{secondLevelDomain}`, shared/oci/OCI-FACTS.md 2).
fn region_endpoint_of(region: &str, domain: &str) -> String {
    format!("https://resourcemanager.{region}.{domain}")
}

/// RFC 3986's unreserved characters stay, everything else is percent-encoded: OCI signs the
/// query as it is sent.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl ResourceManager {
    /// A client of `endpoint` signing with `signer`, giving up at `deadline`.
    pub fn new(endpoint: String, signer: Signer, deadline: Instant) -> Result<Self, CallError> {
        let unreachable = |cause: String| CallError::Unreachable {
            endpoint: endpoint.clone(),
            cause,
        };
        let invalid = |cause: String| CallError::Invalid {
            endpoint: endpoint.clone(),
            cause,
        };
        let uri: hyper::Uri = endpoint
            .parse()
            .map_err(|error| invalid(format!("not a URL: {error}")))?;
        let host = match (uri.host(), uri.port_u16()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(invalid("the URL names no host".into())),
        };
        // The credentials' signature, and a resource principal's token, go in every request.
        let loopback = matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]" | "::1"));
        if uri.scheme_str() != Some("https") && !loopback {
            return Err(invalid(
                "only https carries OCI credentials, but for a loopback address (a local emulator)".into(),
            ));
        }
        let connector = HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|error| unreachable(format!("no certificates to trust: {error}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            http: HttpClient::builder(TokioExecutor::new()).build(connector),
            endpoint,
            host,
            signer: std::sync::RwLock::new(signer),
            renew: None,
            deadline,
        })
    }

    /// A client that, answered 401, reads its credentials again with `renew` and asks once more
    /// as the renewed signer: a resource principal's token and key in files are renewed by the
    /// platform ("the signer may attempt to reload these values from the filesystem on receiving
    /// a 401 response", shared/oci/OCI-FACTS.md 7).
    pub fn renewing(self, renew: impl Fn() -> Option<Signer> + Send + Sync + 'static) -> Self {
        Self {
            renew: Some(Box::new(renew)),
            ..self
        }
    }

    /// ListJobs: a page of `stack`'s jobs (JobSummary), newest first; `page` is the token the
    /// page before ended with (`Answer::next_page`), None for the first.
    pub async fn list_jobs(&self, stack: &str, page: Option<&str>) -> Result<Answer, CallError> {
        let mut query = format!(
            "/jobs?stackId={}&sortBy=TIMECREATED&sortOrder=DESC&limit={JOBS_PER_PAGE}",
            encode(stack)
        );
        if let Some(page) = page {
            query.push_str(&format!("&page={}", encode(page)));
        }
        self.get(&query).await
    }

    /// GetJob: the job `job` (its OCID), with its failure details and its stack (`stackId`).
    pub async fn get_job(&self, job: &str) -> Result<Answer, CallError> {
        self.get(&format!("/jobs/{}", encode(job))).await
    }

    /// CreateJob: an apply of `stack`, its plan approved (AUTO_APPROVED).
    pub async fn create_apply_job(&self, stack: &str) -> Result<Answer, CallError> {
        let body = json!({"stackId": stack, "displayName": "pipeguard apply",
                          "jobOperationDetails": {"operation": "APPLY", "executionPlanStrategy": "AUTO_APPROVED"}});
        self.post("/jobs", &body, &retry_token("apply")).await
    }

    /// CreateJob: an APPLY_ROLLBACK that returns `stack` to the apply job `target`, its plan
    /// approved (AUTO_APPROVED).
    pub async fn create_rollback_job(&self, stack: &str, target: &str) -> Result<Answer, CallError> {
        let body = json!({"stackId": stack, "displayName": "pipeguard rollback",
                          "jobOperationDetails": {"operation": "APPLY_ROLLBACK",
                                                  "executionPlanRollbackStrategy": "AUTO_APPROVED",
                                                  "targetRollbackJobId": target}});
        self.post("/jobs", &body, &retry_token("rollback")).await
    }

    /// GET `path_and_query` (after the API version), asked again (`asked_again`, or no answer).
    async fn get(&self, path_and_query: &str) -> Result<Answer, CallError> {
        self.call("GET", path_and_query, None).await
    }

    /// POST `body` to `path` with `retry_token` (`opc-retry-token`): asked again (`asked_again`,
    /// or no answer) with the same token, so that Resource Manager makes one job however many
    /// times it was asked. A 409 `Conflict` (the stack runs a job already) is answered, not
    /// asked again; a 409 `LockConflict` or `IncorrectState` (a lock about to be released, as
    /// when a rollback follows the apply that just failed) is asked again.
    async fn post(&self, path: &str, body: &Value, retry_token: &str) -> Result<Answer, CallError> {
        self.call("POST", path, Some((body.to_string(), retry_token)))
            .await
    }

    async fn call(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<(String, &str)>,
    ) -> Result<Answer, CallError> {
        let target = format!("{}{API_VERSION}{path_and_query}", self.path_prefix());
        let mut backoff = FIRST_BACKOFF;
        let mut unreachable = 0;
        let mut renewed = false;
        loop {
            let body = body.as_ref().map(|(json, token)| (json.as_bytes(), *token));
            let outcome = self.send(method, &target, body).await;
            if let (Err(CallError::NotAuthenticated { .. }), false, Some(renew)) =
                (&outcome, renewed, &self.renew)
            {
                renewed = true;
                if let Some(signer) = renew() {
                    *self
                        .signer
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = signer;
                    continue;
                }
            }
            let again = match &outcome {
                Err(CallError::Unreachable { .. }) => {
                    unreachable += 1;
                    unreachable < UNREACHABLE_ATTEMPTS
                }
                Err(CallError::Refused { status, code, .. }) => asked_again(*status, code),
                _ => false,
            };
            if !again || Instant::now() + backoff >= self.deadline {
                return outcome;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Whether a 401 may pass: the credentials are read again (`renewing`), and the platform may
    /// not have renewed them yet.
    pub fn renews(&self) -> bool {
        self.renew.is_some()
    }

    /// How long to wait before the next look, at most `poll`, so that a call still fits before
    /// the command's deadline; None when none does any more.
    pub fn wait_before_look(&self, poll: Duration) -> Option<Duration> {
        let left = self
            .deadline
            .saturating_duration_since(Instant::now())
            .checked_sub(CALL_MARGIN)?;
        Some(poll.min(left))
    }

    /// The path the endpoint itself has, before the API version (none for OCI's own).
    fn path_prefix(&self) -> &str {
        let after_scheme = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, rest)| rest);
        after_scheme.find('/').map_or("", |slash| &after_scheme[slash..])
    }

    async fn send(
        &self,
        method: &str,
        target: &str,
        body: Option<(&[u8], &str)>,
    ) -> Result<Answer, CallError> {
        let unreachable = |cause: String| CallError::Unreachable {
            endpoint: self.endpoint.clone(),
            cause,
        };
        let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let unsigned = Unsigned {
            method,
            host: &self.host,
            path_and_query: target,
            date: &date,
            body: body.map(|(bytes, _)| ("application/json", bytes)),
        };
        let origin = self
            .endpoint
            .split_once("://")
            .map_or("https", |(scheme, _)| scheme);
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{origin}://{}{target}", self.host))
            .header("date", &date)
            .header("host", &self.host)
            .header("accept", "application/json");
        let signed = self
            .signer
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .headers(&unsigned);
        for (name, value) in signed {
            request = request.header(name, value);
        }
        if let Some((_, retry_token)) = body {
            request = request.header("opc-retry-token", retry_token);
        }
        let payload = body.map_or_else(Bytes::new, |(bytes, _)| Bytes::copy_from_slice(bytes));
        let request = request
            .body(Full::new(payload))
            .map_err(|error| CallError::Invalid {
                endpoint: self.endpoint.clone(),
                cause: error.to_string(),
            })?;
        let (attempt_ends, silent) = match Instant::now() + ATTEMPT_LIMIT {
            limit if limit < self.deadline => (limit, "no answer within a minute"),
            _ => (self.deadline, "no answer before the command's deadline"),
        };
        let response = tokio::time::timeout_at(attempt_ends, self.http.request(request))
            .await
            .map_err(|_| unreachable(silent.into()))?
            .map_err(|error| unreachable(error.to_string()))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let (request_id, next_page) = (
            header("opc-request-id").unwrap_or_default(),
            header("opc-next-page"),
        );
        let body = tokio::time::timeout_at(
            attempt_ends,
            Limited::new(response.into_body(), ANSWER_LIMIT).collect(),
        )
        .await
        .map_err(|_| unreachable(format!("{silent}: the answer did not end")))?
        .map_err(|error| {
            if error.is::<LengthLimitError>() {
                CallError::Oversized {
                    endpoint: self.endpoint.clone(),
                    limit: ANSWER_LIMIT,
                }
            } else {
                unreachable(error.to_string())
            }
        })?
        .to_bytes();
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(Answer {
                body: json,
                next_page,
            });
        }
        let text = |field: &str| json[field].as_str().unwrap_or_default().to_owned();
        let (code, message) = match (text("code"), text("message")) {
            // Not OCI's error JSON (a proxy's or a load balancer's page): the start of it.
            (code, message) if code.is_empty() && message.is_empty() => {
                ("(no OCI error code)".to_owned(), foreign_page(&body))
            }
            known => known,
        };
        Err(if status == 401 {
            CallError::NotAuthenticated {
                code,
                message,
                request_id,
            }
        } else {
            CallError::Refused {
                status,
                code,
                message,
                request_id,
            }
        })
    }
}

/// A create's `opc-retry-token`, of this process and moment, up to OCI's 64 characters.
fn retry_token(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("pipeguard-{what}-{}-{nanos}", std::process::id())
}

/// Whether an error answer is asked again, as Oracle's Go SDK's default retry policy decides
/// (`common/retry.go`, `defaultRetryStatusCodeMap` and `IsErrorRetryableByDefault`;
/// shared/oci/OCI-FACTS.md 5): 409 `IncorrectState` and `LockConflict` (a state that will pass: a stack
/// locked by a job that is ending), 429, and 500 to 504 but 501 (`MethodNotImplemented`, which
/// asking again cannot change). Another 409 (`Conflict`: the stack runs a job) is said.
fn asked_again(status: u16, code: &str) -> bool {
    match status {
        409 => matches!(code, "IncorrectState" | "LockConflict"),
        429 | 500 | 502..=504 => true,
        _ => false,
    }
}

/// An error answer that is not OCI's JSON (a proxy's or a load balancer's page), as it is said:
/// its start, on one line; never a page that echoes the request's signature or token.
fn foreign_page(body: &[u8]) -> String {
    let page = String::from_utf8_lossy(body);
    if page.contains("ST$") || page.contains("Signature") {
        return "(an answer that repeats the request's credentials, not shown)".to_owned();
    }
    page.chars()
        .take(FOREIGN_BODY_SHOWN)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
