//! The health gate's figures: cold start, warm decision, memory and calls, from either source.

use crate::{CALL_LATENCY_MS, TIMEOUT, aws_calls, peak_rss_mib, spread};
use e2e::Local;
use serde_json::{Value, json};
use std::path::PathBuf;

/// A health gate under test: how Lambda starts it, and the UserParameters its action passes.
pub struct Contender {
    command: String,
    args: Vec<String>,
    cwd: Option<String>,
    env: Value,
    user_parameters: String,
}

impl Contender {
    pub fn rust() -> Self {
        Self::rust_at(e2e::function_binary("health-gate").display().to_string())
    }

    /// A Rust gate built elsewhere: another release's binary.
    pub fn rust_at(binary: String) -> Self {
        Self {
            command: binary,
            args: vec![],
            cwd: None,
            env: json!({}),
            user_parameters: "us-east-1".into(),
        }
    }

    /// The Rust gate trusting the platform's certificate store, which is what it loaded at every
    /// cold start before it trusted Amazon's roots compiled in (the same binary, `SSL_CERT_DIR`
    /// set).
    pub fn rust_with_platform_roots() -> Self {
        Self {
            env: json!({"SSL_CERT_DIR": "/etc/ssl/certs"}),
            ..Self::rust()
        }
    }

    /// The Rust gate deciding from the event store.
    pub fn rust_from_store() -> Self {
        Self {
            env: json!({"HEALTH_EVENTS_TABLE": e2e::EVENT_STORE}),
            user_parameters: r#"{"regions": ["us-east-1"], "health_source": "events"}"#.into(),
            ..Self::rust()
        }
    }

    pub fn python() -> Self {
        let baseline = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("baseline");
        Self {
            command: "python3".into(),
            args: ["-m", "awslambdaric", "health_gate_sample.handler"]
                .map(String::from)
                .to_vec(),
            cwd: Some(baseline.display().to_string()),
            // Lambda's code directory is read-only: no bytecode is cached between cold starts.
            env: json!({"PYTHONDONTWRITEBYTECODE": "1"}),
            user_parameters: "us-east-1".into(),
        }
    }

    /// Registers a new function (so its first invocation is a cold start) and a pipeline that
    /// runs only it.
    fn deploy(&self, local: &Local, name: &str) {
        local.admin(
            "POST",
            "/_admin/functions",
            json!({"name": name, "command": self.command, "args": self.args, "cwd": self.cwd, "env": self.env}),
        );
        local.admin(
            "POST",
            "/_admin/pipelines",
            json!({"name": name, "stages": [{"name": "Gate", "actions": [
                {"name": "HealthGate", "category": "Invoke", "lambda": {"function": name, "user_parameters": self.user_parameters}}
            ]}]}),
        );
    }
}

/// One decision: from process start (cold) or job creation (warm) to the job's result.
pub(crate) struct Decision {
    cold_ms: f64,
    pub(crate) warm_ms: f64,
    pid: Option<u64>,
}

pub(crate) async fn decide(local: &Local, pipeline: &str) -> Decision {
    let answered_before = answered_jobs(local, pipeline).len();
    local.start_execution(pipeline);
    let job = local
        .wait_for(TIMEOUT, &format!("{pipeline}'s job result"), || {
            answered_jobs(local, pipeline).into_iter().nth(answered_before)
        })
        .await;
    let function = local.function(pipeline);
    let answered = job["answered_at"].as_f64().unwrap_or_default();
    Decision {
        cold_ms: (answered - function["spawned_at"].as_f64().unwrap_or(answered)) * 1000.0,
        warm_ms: (answered - job["created"].as_f64().unwrap_or(answered)) * 1000.0,
        pid: function["pid"].as_u64(),
    }
}

/// The pipeline's answered jobs, oldest first.
fn answered_jobs(local: &Local, pipeline: &str) -> Vec<Value> {
    let jobs = local.admin("GET", "/_admin/jobs", json!({}));
    let mut answered: Vec<Value> = jobs
        .as_array()
        .into_iter()
        .flatten()
        .filter(|job| job["pipeline"] == pipeline && job["answered"] == true)
        .cloned()
        .collect();
    answered.sort_by(|a, b| {
        a["created"]
            .as_f64()
            .unwrap_or_default()
            .total_cmp(&b["created"].as_f64().unwrap_or_default())
    });
    answered
}

/// Everything measured for one contender.
pub struct Figures {
    pub cold: (f64, f64, f64),
    pub warm: (f64, f64, f64),
    pub peak_rss_mib: f64,
    pub calls_per_decision: usize,
    /// Open events → (decision ms, calls to the source, peak RSS after).
    pub scale: Vec<(usize, f64, usize, f64)>,
}

/// Where a contender learns of AWS Health: which AWS call reads events, and how an open event
/// reaches it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// DescribeEvents; events opened in the emulator's Health API.
    Api,
    /// The event store's Query; events recorded by stage-retry from their EventBridge delivery,
    /// in an account without a support plan.
    Store,
}

impl Source {
    /// The AWS call that reads events: (service, operation).
    pub fn call(self) -> (&'static str, &'static str) {
        match self {
            Self::Api => ("health", "DescribeEvents"),
            Self::Store => ("dynamodb", "Query"),
        }
    }
}

pub async fn measure(
    contender: &Contender,
    source: Source,
    cold_runs: usize,
    warm_runs: usize,
    scale: &[usize],
) -> Figures {
    let local = match source {
        Source::Api => Local::start(&[]).await,
        Source::Store => {
            let local = Local::without_support_plan(&[]).await;
            // As deployed: the first sweep has marked the store's index complete.
            local.sweep();
            local
                .invoked("stage-retry", 1, "the sweep that marks the index complete")
                .await;
            local
        }
    };
    let mut cold = Vec::new();
    let mut peak: f64 = 0.0;
    for run in 0..cold_runs {
        let name = format!("gate-{run}");
        contender.deploy(&local, &name);
        let decision = decide(&local, &name).await;
        cold.push(decision.cold_ms);
        peak = peak.max(peak_rss_mib(decision.pid));
    }
    let before = aws_calls(&local);
    decide(&local, "gate-0").await;
    let calls_per_decision = aws_calls(&local) - before;
    local.admin("POST", "/_admin/settings", json!({"latency_ms": CALL_LATENCY_MS}));
    let mut warm = Vec::new();
    for _ in 0..warm_runs {
        warm.push(decide(&local, "gate-0").await.warm_ms);
    }
    local.admin("POST", "/_admin/settings", json!({"latency_ms": 0}));
    let mut scaled = Vec::new();
    let mut opened = 0;
    let (service, operation) = source.call();
    for &events in scale {
        while opened < events {
            local.admin("POST", "/_admin/health/events", json!({"service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE", "region": "us-east-1"}));
            opened += 1;
        }
        if source == Source::Store {
            local
                .wait_for(TIMEOUT, "every event recorded", || {
                    (local.stored_events().len() >= events).then_some(())
                })
                .await;
        }
        let pages_before = local.calls(service, operation, None);
        let decision = decide(&local, "gate-0").await;
        let pages = local.calls(service, operation, None) - pages_before;
        scaled.push((events, decision.warm_ms, pages, peak_rss_mib(decision.pid)));
    }
    Figures {
        cold: spread(cold),
        warm: spread(warm),
        peak_rss_mib: peak,
        calls_per_decision,
        scale: scaled,
    }
}
