//! The health gate end to end: the real binary, started by the emulator as Lambda would start
//! it, asked by a running pipeline, talking to emulated AWS through the real SDK.

use e2e::{Local, action};
use serde_json::json;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_region_passes_and_the_deploy_runs() {
    let local = Local::start(&[]).await;
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let execution = local.finished(&local.start_execution("web-app"), TIMEOUT).await;
    assert_eq!(execution["status"], "Succeeded", "{execution:#}");
    let gate = action(&execution, "Gate", "HealthGate");
    assert_eq!(gate["output_variables"]["verdict"], "PASS");
    assert_eq!(gate["output_variables"]["regions_checked"], "us-east-1");
    assert_eq!(
        local.calls("health", "DescribeEvents", None),
        1,
        "one page, one call"
    );
    assert_eq!(local.calls("codepipeline", "PutJobSuccessResult", None), 1);
    assert_eq!(
        local.calls("codepipeline", "GetJobDetails", None),
        0,
        "nothing needed the pipeline name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_issue_in_a_watched_region_fails_the_gate_and_the_deploy_never_runs() {
    let local = Local::start(&[]).await;
    let arn = local.open_issue("us-east-1", "EC2");
    local.gated_pipeline(
        "web-app",
        r#"{"regions": ["us-east-1", "eu-west-1"]}"#,
        &["succeed"],
    );
    let execution = local.finished(&local.start_execution("web-app"), TIMEOUT).await;
    assert_eq!(execution["status"], "Failed");
    let gate = action(&execution, "Gate", "HealthGate");
    assert_eq!(gate["error"]["code"], "JobFailed");
    let message = gate["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&arn) && message.contains("EC2 in us-east-1"),
        "{message}"
    );
    assert!(
        action(&execution, "Deploy", "Apply").is_null(),
        "the deploy stage never started"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issues_in_unwatched_regions_or_services_do_not_block() {
    let local = Local::start(&[]).await;
    local.open_issue("eu-west-1", "EC2");
    local.open_issue("us-east-1", "LAMBDA");
    local.gated_pipeline(
        "web-app",
        r#"{"regions": ["us-east-1"], "services": ["EC2", "S3"]}"#,
        &["succeed"],
    );
    let execution = local.finished(&local.start_execution("web-app"), TIMEOUT).await;
    assert_eq!(execution["status"], "Succeeded", "{execution:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_mode_holds_the_deployment_until_the_issue_closes() {
    let local = Local::start(&[]).await;
    let arn = local.open_issue("us-east-1", "EC2");
    local.gated_pipeline(
        "web-app",
        r#"{"on_block": "wait", "max_wait_minutes": 30}"#,
        &["succeed"],
    );
    let id = local.start_execution("web-app");
    local
        .wait_for(TIMEOUT, "the gate to re-check at least twice", || {
            (local.calls("health", "DescribeEvents", None) >= 2).then_some(())
        })
        .await;
    assert_eq!(local.execution(&id)["status"], "InProgress", "held, not failed");
    local.close_issue(&arn);
    let execution = local.finished(&id, TIMEOUT).await;
    assert_eq!(execution["status"], "Succeeded", "{execution:#}");
    assert_eq!(
        action(&execution, "Gate", "HealthGate")["output_variables"]["verdict"],
        "PASS"
    );
    assert_eq!(action(&execution, "Deploy", "Apply")["status"], "Succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_support_plan_fail_closed_fails_and_fail_open_passes() {
    let local = Local::start(&[]).await;
    local.fault(json!({"service": "health", "kind": "subscription-required"}));
    local.gated_pipeline("closed", "us-east-1", &["succeed"]);
    local.gated_pipeline("open", r#"{"on_health_error": "fail-open"}"#, &["succeed"]);
    let closed = local.finished(&local.start_execution("closed"), TIMEOUT).await;
    let gate = action(&closed, "Gate", "HealthGate");
    assert_eq!(gate["error"]["code"], "SystemUnavailable");
    assert!(
        gate["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("SubscriptionRequiredException"),
        "{gate:#}"
    );
    let open = local.finished(&local.start_execution("open"), TIMEOUT).await;
    assert_eq!(open["status"], "Succeeded");
    assert_eq!(
        action(&open, "Gate", "HealthGate")["output_variables"]["verdict"],
        "PASS_HEALTH_UNCHECKED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_active_health_endpoint_fails_the_passive_one_answers() {
    let local = Local::start(&[]).await;
    local.fault(json!({"service": "health", "operation": "DescribeEvents", "kind": "drop", "endpoint": 0}));
    let arn = local.open_issue("us-east-1", "EC2");
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let execution = local.finished(&local.start_execution("web-app"), TIMEOUT).await;
    let message = action(&execution, "Gate", "HealthGate")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains(&arn),
        "the passive endpoint's answer decided: {message}"
    );
    assert!(local.calls("health", "DescribeEvents", Some(0)) >= 1);
    assert_eq!(local.calls("health", "DescribeEvents", Some(1)), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_through() {
    let local = Local::start(&[]).await;
    local.fault(json!({"service": "health", "operation": "DescribeEvents", "kind": "throttle", "count": 2}));
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    let execution = local.finished(&local.start_execution("web-app"), TIMEOUT).await;
    assert_eq!(execution["status"], "Succeeded", "{execution:#}");
    assert_eq!(
        local.calls("health", "DescribeEvents", None),
        3,
        "two throttled attempts, then an answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_conflicting_pipeline_holds_the_gate_until_it_finishes() {
    let local = Local::start(&[]).await;
    local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": "cleanup", "stages": [{"name": "Clean", "actions": [{"name": "Sweep", "script": ["succeed"], "run_ms": 1500}]}]}),
    );
    local.gated_pipeline(
        "web-app",
        r#"{"on_block": "wait", "block_while_running": ["cleanup"]}"#,
        &["succeed"],
    );
    let cleanup = local.start_execution("cleanup");
    let deploy = local.start_execution("web-app");
    let execution = local.finished(&deploy, TIMEOUT).await;
    assert_eq!(execution["status"], "Succeeded", "{execution:#}");
    assert_eq!(local.execution(&cleanup)["status"], "Succeeded");
    assert!(
        local.calls("codepipeline", "ListPipelineExecutions", None) >= 2,
        "held at least once while cleanup ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_told_when_a_deployment_is_blocked() {
    let topic = "arn:aws:sns:us-east-1:123456789012:pipeguard";
    let local = Local::start(&[("NOTIFY_TOPIC_ARN", topic)]).await;
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    let arn = local.open_issue("us-east-1", "EC2");
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    local.finished(&local.start_execution("web-app"), TIMEOUT).await;
    let messages = local
        .wait_for(TIMEOUT, "the notification", || {
            Some(local.messages()).filter(|messages| !messages.is_empty())
        })
        .await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(messages[0]["subject"], "pipeguard: web-app blocked");
    assert!(messages[0]["message"].as_str().unwrap_or_default().contains(&arn));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_reads_as_text_in_email_and_as_a_custom_notification_in_chat() {
    let topic = "arn:aws:sns:us-east-1:123456789012:pipeguard";
    let local = Local::start(&[("NOTIFY_TOPIC_ARN", topic)]).await;
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    let arn = local.open_issue("us-east-1", "EC2");
    local.gated_pipeline("web-app", "us-east-1", &["succeed"]);
    local.finished(&local.start_execution("web-app"), TIMEOUT).await;
    let messages = local
        .wait_for(TIMEOUT, "the notification", || {
            Some(local.messages()).filter(|messages| !messages.is_empty())
        })
        .await;
    let link = "https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-app/view?region=us-east-1";
    let email = messages[0]["forms"]["email"].as_str().unwrap_or_default();
    assert!(
        email.contains(&arn)
            && email.contains("\n\nNext steps:\n- ")
            && email.ends_with(&format!("Pipeline: {link}")),
        "{email}"
    );
    assert_eq!(
        messages[0]["message"].as_str(),
        Some(email),
        "the default form is the text"
    );
    let chat: serde_json::Value =
        serde_json::from_str(messages[0]["forms"]["https"].as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(
        (chat["version"].as_str(), chat["source"].as_str()),
        (Some("1.0"), Some("custom")),
        "{chat:#}"
    );
    assert_eq!(chat["content"]["title"], "pipeguard: web-app blocked");
    assert!(
        chat["content"]["description"]
            .as_str()
            .unwrap_or_default()
            .contains(&arn)
    );
    let steps = chat["content"]["nextSteps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        steps
            .iter()
            .any(|step| step.as_str().unwrap_or_default().ends_with(link)),
        "{steps:?}"
    );
}
