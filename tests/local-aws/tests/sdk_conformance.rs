//! The real AWS SDK against the emulator: every answer must parse, and errors must arrive as the
//! SDK's typed errors. This is the emulator's conformance check.

use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use aws_sdk_codepipeline::types::{
    ActionExecutionFilter, ExecutionType, PipelineExecutionFilter, PipelineExecutionStatus, StageRetryMode,
    SucceededInStageFilter,
};
mod common;

use common::admin;
use local_aws::Emulator;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Source, then Deploy with Migrate (always succeeds) and Apply (as scripted, taking `apply_ms`).
fn scripted_pipeline(emulator: &Emulator, name: &str, deploy_script: &[&str], apply_ms: u64) {
    admin(
        emulator,
        "POST",
        "/_admin/pipelines",
        json!({"name": name, "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [
                {"name": "Migrate", "category": "Deploy", "script": ["succeed"]},
                {"name": "Apply", "category": "Deploy", "provider": "CloudFormation", "script": deploy_script, "run_ms": apply_ms}
            ]}
        ]}),
    );
}

async fn settled(emulator: &Emulator, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let execution = admin(emulator, "GET", &format!("/_admin/executions/{id}"), json!({}));
        if execution["status"] != "InProgress" {
            return execution;
        }
        assert!(Instant::now() < deadline, "execution {id} never settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn start(codepipeline: &aws_sdk_codepipeline::Client, emulator: &Emulator) -> String {
    let started = codepipeline
        .start_pipeline_execution()
        .name("web-app")
        .send()
        .await
        .unwrap();
    let id = started.pipeline_execution_id().unwrap().to_owned();
    settled(emulator, &id).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_stage_is_visible_everywhere_and_can_be_retried_once() {
    let emulator = Emulator::start().await.unwrap();
    let codepipeline = client!(aws_sdk_codepipeline, emulator.url());
    scripted_pipeline(
        &emulator,
        "web-app",
        &["fail:JobFailed:Rate exceeded", "succeed"],
        200,
    );
    let id = start(&codepipeline, &emulator).await;

    let state = codepipeline
        .get_pipeline_state()
        .name("web-app")
        .send()
        .await
        .unwrap();
    let deploy = &state.stage_states()[1];
    assert_eq!(deploy.latest_execution().unwrap().status().as_str(), "Failed");
    let apply = deploy
        .action_states()
        .iter()
        .find(|action| action.action_name() == Some("Apply"))
        .unwrap();
    let error = apply.latest_execution().unwrap().error_details().unwrap();
    assert_eq!(
        (error.code(), error.message()),
        (Some("JobFailed"), Some("Rate exceeded"))
    );

    let executions = codepipeline
        .list_pipeline_executions()
        .pipeline_name("web-app")
        .send()
        .await
        .unwrap();
    let summary = &executions.pipeline_execution_summaries()[0];
    assert_eq!(summary.status(), Some(&PipelineExecutionStatus::Failed));
    assert_eq!(summary.execution_type(), Some(&ExecutionType::Standard));
    assert!(summary.start_time().is_some());

    let actions = codepipeline
        .list_action_executions()
        .pipeline_name("web-app")
        .filter(
            ActionExecutionFilter::builder()
                .pipeline_execution_id(&id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let failed = actions
        .action_execution_details()
        .iter()
        .find(|detail| detail.action_name() == Some("Apply"))
        .unwrap();
    let code = failed
        .output()
        .and_then(|output| output.execution_result())
        .and_then(|result| result.error_details());
    assert_eq!(code.and_then(|details| details.code()), Some("JobFailed"));

    let retry = || {
        codepipeline
            .retry_stage_execution()
            .pipeline_name("web-app")
            .stage_name("Deploy")
            .pipeline_execution_id(&id)
            .retry_mode(StageRetryMode::FailedActions)
            .send()
    };
    retry().await.unwrap();
    let again = retry().await.unwrap_err();
    assert_service_error!(again, is_conflict_exception);
    let execution = settled(&emulator, &id).await;
    assert_eq!(execution["status"], "Succeeded");
    assert_eq!(
        execution["stages"][1]["actions"][0]["status"], "Succeeded",
        "Migrate kept its success"
    );

    let state = codepipeline
        .get_pipeline_state()
        .name("web-app")
        .send()
        .await
        .unwrap();
    let retries = state.stage_states()[1]
        .retry_stage_metadata()
        .and_then(|meta| meta.manual_stage_retry_attempt());
    assert_eq!(retries, Some(1));
    let nothing_failed = retry().await.unwrap_err();
    assert_service_error!(nothing_failed, is_stage_not_retryable_exception);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_pipeline_reports_its_own_stages() {
    let emulator = Emulator::start().await.unwrap();
    let codepipeline = client!(aws_sdk_codepipeline, emulator.url());
    scripted_pipeline(&emulator, "web-app", &["fail"], 0);
    let own = start(&codepipeline, &emulator).await;
    scripted_pipeline(&emulator, "api", &["succeed"], 0);
    let other = codepipeline
        .start_pipeline_execution()
        .name("api")
        .send()
        .await
        .unwrap();
    settled(&emulator, other.pipeline_execution_id().unwrap()).await;
    let state = codepipeline
        .get_pipeline_state()
        .name("web-app")
        .send()
        .await
        .unwrap();
    let deploy = state.stage_states()[1].latest_execution().unwrap();
    assert_eq!(
        (deploy.pipeline_execution_id(), deploy.status().as_str()),
        (own.as_str(), "Failed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_latest_execution_of_a_stage_can_be_retried() {
    let emulator = Emulator::start().await.unwrap();
    let codepipeline = client!(aws_sdk_codepipeline, emulator.url());
    scripted_pipeline(&emulator, "web-app", &["fail"], 0);
    let older = start(&codepipeline, &emulator).await;
    start(&codepipeline, &emulator).await;
    let error = codepipeline
        .retry_stage_execution()
        .pipeline_name("web-app")
        .stage_name("Deploy")
        .pipeline_execution_id(&older)
        .retry_mode(StageRetryMode::FailedActions)
        .send()
        .await
        .unwrap_err();
    assert_service_error!(error, is_not_latest_pipeline_execution_exception);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_rolls_back_to_an_execution_that_succeeded_in_it() {
    let emulator = Emulator::start().await.unwrap();
    let codepipeline = client!(aws_sdk_codepipeline, emulator.url());
    scripted_pipeline(&emulator, "web-app", &["succeed", "fail"], 0);
    let good = start(&codepipeline, &emulator).await;
    let bad = start(&codepipeline, &emulator).await;

    let rollback = |target: &str, stage: &str| {
        codepipeline
            .rollback_stage()
            .pipeline_name("web-app")
            .stage_name(stage)
            .target_pipeline_execution_id(target)
            .send()
    };
    let failed_target = rollback(&bad, "Deploy").await.unwrap_err();
    assert_service_error!(failed_target, is_unable_to_rollback_stage_exception);
    let source = rollback(&good, "Source").await.unwrap_err();
    assert_service_error!(source, is_unable_to_rollback_stage_exception);
    let unknown = rollback("00000000-0000-0000-0000-000000000000", "Deploy")
        .await
        .unwrap_err();
    assert_service_error!(unknown, is_pipeline_execution_not_found_exception);

    let rolled = rollback(&good, "Deploy").await.unwrap().pipeline_execution_id;
    assert_eq!(settled(&emulator, &rolled).await["status"], "Succeeded");
    let executions = codepipeline
        .list_pipeline_executions()
        .pipeline_name("web-app")
        .send()
        .await
        .unwrap();
    let newest = &executions.pipeline_execution_summaries()[0];
    assert_eq!(newest.execution_type(), Some(&ExecutionType::Rollback));
    let target = newest
        .rollback_metadata()
        .and_then(|meta| meta.rollback_target_pipeline_execution_id());
    assert_eq!(target, Some(good.as_str()));
    let state = codepipeline
        .get_pipeline_state()
        .name("web-app")
        .send()
        .await
        .unwrap();
    let deploy = state.stage_states()[1].latest_execution().unwrap();
    assert_eq!(
        (deploy.pipeline_execution_id(), deploy.r#type()),
        (rolled.as_str(), Some(&ExecutionType::Rollback)),
        "the stage's latest execution says it is a rollback"
    );
    let of_a_rollback = rollback(&rolled, "Deploy").await.unwrap_err();
    assert_service_error!(of_a_rollback, is_unable_to_rollback_stage_exception);

    scripted_pipeline(&emulator, "web-app", &["succeed"], 0);
    let outdated = rollback(&good, "Deploy").await.unwrap_err();
    assert_service_error!(outdated, is_pipeline_execution_outdated_exception);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execution_history_pages_newest_first_and_filters_by_stage_success() {
    let emulator = Emulator::start().await.unwrap();
    let codepipeline = client!(aws_sdk_codepipeline, emulator.url());
    scripted_pipeline(
        &emulator,
        "web-app",
        &["succeed", "fail", "succeed", "fail", "fail"],
        0,
    );
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(start(&codepipeline, &emulator).await);
    }
    let mut pages = codepipeline
        .list_pipeline_executions()
        .pipeline_name("web-app")
        .max_results(2)
        .into_paginator()
        .send();
    let (mut listed, mut page_count) = (Vec::new(), 0);
    while let Some(page) = pages.next().await {
        page_count += 1;
        let page = page.unwrap();
        listed.extend(
            page.pipeline_execution_summaries()
                .iter()
                .filter_map(|s| s.pipeline_execution_id())
                .map(str::to_owned),
        );
    }
    ids.reverse();
    assert_eq!((listed, page_count), (ids.clone(), 3));
    let in_deploy = SucceededInStageFilter::builder().stage_name("Deploy").build();
    let succeeded = codepipeline
        .list_pipeline_executions()
        .pipeline_name("web-app")
        .filter(
            PipelineExecutionFilter::builder()
                .succeeded_in_stage(in_deploy)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let succeeded: Vec<&str> = succeeded
        .pipeline_execution_summaries()
        .iter()
        .filter_map(|s| s.pipeline_execution_id())
        .collect();
    assert_eq!(succeeded, [ids[2].as_str(), ids[4].as_str()]);
    let missing = codepipeline
        .list_pipeline_executions()
        .pipeline_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_service_error!(missing, is_pipeline_not_found_exception);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_results_for_unknown_jobs_are_typed_errors() {
    let emulator = Emulator::start().await.unwrap();
    let codepipeline = client!(aws_sdk_codepipeline, emulator.url());
    let error = codepipeline
        .put_job_success_result()
        .job_id("missing")
        .send()
        .await
        .unwrap_err();
    assert_service_error!(error, is_job_not_found_exception);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_events_page_filter_and_carry_timestamps() {
    let emulator = Emulator::start().await.unwrap();
    let health = client!(aws_sdk_health, emulator.url());
    for index in 0..25 {
        let region = if index % 5 == 0 { "eu-west-1" } else { "us-east-1" };
        let event = json!({"service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE", "region": region});
        admin(&emulator, "POST", "/_admin/health/events", event);
    }
    let closed = json!({"service": "LAMBDA", "eventTypeCode": "AWS_LAMBDA_OPERATIONAL_ISSUE", "region": "us-east-1", "statusCode": "closed"});
    admin(&emulator, "POST", "/_admin/health/events", closed);
    let filter = aws_sdk_health::types::EventFilter::builder()
        .regions("us-east-1")
        .event_status_codes(aws_sdk_health::types::EventStatusCode::Open)
        .build();
    let mut pages = health
        .describe_events()
        .filter(filter)
        .max_results(10)
        .into_paginator()
        .send();
    let mut events = Vec::new();
    while let Some(page) = pages.next().await {
        events.extend(page.unwrap().events().to_vec());
    }
    assert_eq!(events.len(), 20);
    assert!(
        events
            .iter()
            .all(|event| event.region() == Some("us-east-1") && event.start_time().is_some())
    );
    let updated: Vec<f64> = events
        .iter()
        .map(|event| event.last_updated_time().unwrap().as_secs_f64())
        .collect();
    assert!(updated.windows(2).all(|pair| pair[0] >= pair[1]), "newest first");

    let regions = (1..=11).map(|n| format!("xx-test-{n}")).collect();
    let eleven = aws_sdk_health::types::EventFilter::builder()
        .set_regions(Some(regions))
        .build();
    let error = health.describe_events().filter(eleven).send().await.unwrap_err();
    assert_eq!(error.code(), Some("ValidationException"));
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "health", "kind": "subscription-required", "count": 1}),
    );
    let error = health.describe_events().send().await.unwrap_err();
    assert_eq!(error.code(), Some("SubscriptionRequiredException"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_topics_take_subscriptions_and_keep_published_messages() {
    let emulator = Emulator::start().await.unwrap();
    let sns = client!(aws_sdk_sns, emulator.url());
    let topic = sns
        .create_topic()
        .name("alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    assert_eq!(topic, "arn:aws:sns:us-east-1:123456789012:alerts");
    let subscription = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("lambda")
        .endpoint("arn:aws:lambda:us-east-1:123456789012:function:listener")
        .send()
        .await
        .unwrap();
    assert!(
        subscription
            .subscription_arn()
            .is_some_and(|arn| arn.starts_with(&topic))
    );
    let message = "line one\nline <two> & more";
    let published = sns
        .publish()
        .topic_arn(&topic)
        .subject("hello")
        .message(message)
        .send()
        .await
        .unwrap();
    assert!(published.message_id().is_some());
    let messages = admin(&emulator, "GET", "/_admin/messages", json!({}));
    assert_eq!(
        (messages[0]["subject"].as_str(), messages[0]["message"].as_str()),
        (Some("hello"), Some(message))
    );
    let log = admin(&emulator, "GET", "/_admin/log", json!({}));
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["text"] == "Lambda invokes listener"),
        "the subscriber was invoked"
    );
    let structured =
        json!({"default": "for everyone", "email": "for email", "https": "{\"version\":\"1.0\"}"});
    sns.publish()
        .topic_arn(&topic)
        .message_structure("json")
        .message(structured.to_string())
        .send()
        .await
        .unwrap();
    let messages = admin(&emulator, "GET", "/_admin/messages", json!({}));
    assert_eq!(messages[1]["message"], "for everyone");
    assert_eq!(messages[1]["forms"]["email"], "for email");
    let pending = admin(&emulator, "GET", "/_admin/pending/listener", json!({}));
    assert_eq!(
        pending[1]["Records"][0]["Sns"]["Message"], "for everyone",
        "a Lambda subscriber gets the default form"
    );
    let no_default = sns
        .publish()
        .topic_arn(&topic)
        .message_structure("json")
        .message(json!({"email": "only email"}).to_string())
        .send()
        .await
        .unwrap_err();
    assert_eq!(no_default.code(), Some("InvalidParameter"));
    let missing = sns
        .publish()
        .topic_arn("arn:aws:sns:us-east-1:123456789012:nope")
        .message("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("NotFound"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_throttling_and_dropped_connections_are_retried_by_the_sdk() {
    let emulator = Emulator::start().await.unwrap();
    let codepipeline = client!(aws_sdk_codepipeline, emulator.url());
    for kind in ["throttle", "drop"] {
        let fault =
            json!({"service": "codepipeline", "operation": "ListPipelines", "kind": kind, "count": 1});
        admin(&emulator, "POST", "/_admin/faults", fault);
    }
    codepipeline.list_pipelines().send().await.unwrap();
    let calls = admin(&emulator, "GET", "/_admin/calls", json!({}));
    let faults: Vec<&Value> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|call| &call["fault"])
        .collect();
    assert_eq!(faults, [&json!("throttle"), &json!("drop"), &Value::Null]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_names_the_account_and_the_caller_and_takes_faults() {
    let emulator = Emulator::start().await.unwrap();
    let sts = client!(aws_sdk_sts, emulator.url());
    let identity = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(identity.account(), Some("123456789012"));
    assert_eq!(
        identity.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/local/local")
    );
    let user_id = identity.user_id().unwrap();
    assert!(
        user_id.starts_with("AROA") && user_id.ends_with(":local"),
        "{user_id}"
    );

    // Another access key is another caller (a function's key is its name).
    let config = sdk_config!(aws_sdk_sts, emulator.url())
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "health-gate",
            "secret",
            None,
            None,
            "test",
        ))
        .build();
    let gate = aws_sdk_sts::Client::from_conf(config);
    let identity = gate.get_caller_identity().send().await.unwrap();
    assert_eq!(
        identity.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/health-gate/health-gate")
    );

    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "sts", "operation": "GetCallerIdentity", "kind": "throttle", "count": 1}),
    );
    sts.get_caller_identity().send().await.unwrap();
    admin(
        &emulator,
        "POST",
        "/_admin/faults",
        json!({"service": "sts", "kind": "server-error"}),
    );
    let error = sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error.code(), Some("InternalFailure"));
    admin(&emulator, "DELETE", "/_admin/faults", json!({}));

    // SNS, on the same port and protocol, still answers as SNS.
    let sns = client!(aws_sdk_sns, emulator.url());
    sns.create_topic().name("alerts").send().await.unwrap();
    let calls = admin(&emulator, "GET", "/_admin/calls", json!({}));
    let recorded: Vec<(&str, &str, &str, &Value)> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|call| {
            (
                call["service"].as_str().unwrap(),
                call["operation"].as_str().unwrap(),
                call["caller"].as_str().unwrap(),
                &call["fault"],
            )
        })
        .collect();
    assert_eq!(
        &recorded[..4],
        [
            ("sts", "GetCallerIdentity", "local", &Value::Null),
            ("sts", "GetCallerIdentity", "health-gate", &Value::Null),
            ("sts", "GetCallerIdentity", "local", &json!("throttle")),
            ("sts", "GetCallerIdentity", "local", &Value::Null),
        ]
    );
    assert!(recorded[4..].iter().any(|call| call.3 == &json!("server-error")));
    assert_eq!(
        recorded.last().map(|call| (call.0, call.1)),
        Some(("sns", "CreateTopic"))
    );
}
