//! The Lambda service as the fault matrix relies on it: an invocation still running at its
//! deadline is stopped with its process and retried after the retry delay, twice, then lands in
//! the dead-letter queue; a late answer takes effect before it is answered; a fault of a kind
//! the emulator does not know is refused.

mod common;

use common::admin;
use local_aws::Emulator;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Takes one invocation from the Runtime API and never answers it.
const HANGS: &str = r#"exec 3<>"/dev/tcp/${AWS_LAMBDA_RUNTIME_API%:*}/${AWS_LAMBDA_RUNTIME_API#*:}"
printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: lambda\r\n\r\n' >&3
sleep 60"#;

async fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether the process has ended (gone, or a zombie not yet reaped).
fn ended(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit(") ").next().is_some_and(|rest| rest.starts_with('Z'))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_invocation_is_stopped_retried_twice_after_the_delay_then_dead_lettered() {
    let emulator = Emulator::start().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/settings",
        json!({"retry_delay_ms": 300}),
    );
    admin(
        &emulator,
        "POST",
        "/_admin/functions",
        json!({"name": "hangs", "command": "/bin/bash", "args": ["-c", HANGS], "timeout_ms": 400}),
    );
    let event = json!({"the": "event"});
    admin(
        &emulator,
        "POST",
        "/_admin/invoke",
        json!({"function": "hangs", "payload": event}),
    );
    let function = || {
        admin(&emulator, "GET", "/_admin/functions", json!({}))
            .as_array()
            .and_then(|all| all.iter().find(|entry| entry["name"] == "hangs").cloned())
            .unwrap_or_default()
    };
    let first = until("the first process to take the invocation", || {
        let entry = function();
        (entry["in_flight"] == 1).then(|| entry["pid"].as_u64()).flatten()
    })
    .await;
    let letters = until("the dead letter", || {
        admin(&emulator, "GET", "/_admin/dead-letters", json!({}))
            .as_array()
            .filter(|letters| !letters.is_empty())
            .cloned()
    })
    .await;
    assert_eq!(letters.len(), 1, "{letters:#?}");
    assert_eq!(letters[0]["function"], "hangs");
    assert_eq!(letters[0]["payload"], event);
    assert_eq!(letters[0]["error"]["errorType"], "Sandbox.Timedout");

    let attempts: Vec<Value> = admin(&emulator, "GET", "/_admin/invocations/hangs", json!({}))
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(attempts.len(), 3, "one delivery and two retries: {attempts:#?}");
    assert!(
        attempts
            .iter()
            .all(|attempt| attempt["error"]["errorType"] == "Sandbox.Timedout"),
        "{attempts:#?}"
    );
    let times: Vec<f64> = attempts
        .iter()
        .map(|attempt| attempt["at"].as_f64().unwrap_or_default())
        .collect();
    for gap in times.windows(2).map(|pair| pair[1] - pair[0]) {
        assert!(
            gap >= 0.7,
            "each retry waits the delay, then runs to its deadline: {times:?}"
        );
    }
    until("the first process to be stopped", || ended(first).then_some(())).await;
    let entry = function();
    assert_eq!(
        (
            entry["queued"].as_u64(),
            entry["in_flight"].as_u64(),
            entry["retrying"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{entry}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_answer_takes_effect_before_it_is_answered() {
    let emulator = Emulator::start().await.unwrap();
    let sns = client!(aws_sdk_sns, emulator.url());
    let topic = sns.create_topic().name("late").send().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "sns", "operation": "Publish", "kind": "late-answer", "ms": 600}),
    );
    let started = Instant::now();
    let publishing = sns
        .publish()
        .topic_arn(topic.topic_arn().unwrap_or_default())
        .message("already out")
        .send();
    let published = tokio::spawn(publishing);
    until("the message to be published", || {
        let messages = admin(&emulator, "GET", "/_admin/messages", json!({}));
        (messages.as_array().map_or(0, Vec::len) == 1).then_some(())
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "published before the answer"
    );
    published.await.unwrap().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(600), "answered late");
}

#[tokio::test]
async fn a_fault_of_an_unknown_kind_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let refused = emulator
        .admin(
            "POST",
            "/_admin/faults",
            json!({"service": "sns", "kind": "gremlins"}),
        )
        .unwrap_err();
    assert!(refused.to_string().contains("gremlins"), "{refused}");
    let sns = client!(aws_sdk_sns, emulator.url());
    sns.create_topic()
        .name("unharmed")
        .send()
        .await
        .expect("no fault was set");
}
