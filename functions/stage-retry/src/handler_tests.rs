use super::*;
use crate::failure::delay_within;
use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
use aws_sdk_codepipeline::operation::get_pipeline_state::{GetPipelineStateError, GetPipelineStateOutput};
use aws_sdk_codepipeline::operation::list_pipelines::ListPipelinesOutput;
use aws_sdk_codepipeline::operation::retry_stage_execution::{
    RetryStageExecutionError, RetryStageExecutionOutput,
};
use aws_sdk_codepipeline::types::error::{ConflictException, PipelineNotFoundException};
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionExecution, ActionExecutionStatus, ActionOwner, ActionState,
    ActionTypeId, ErrorDetails, PipelineDeclaration, PipelineSummary, RetryStageMetadata, StageDeclaration,
    StageExecution, StageExecutionStatus, StageState,
};
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_health::operation::describe_events::DescribeEventsOutput;
use aws_sdk_health::types::{Event, EventStatusCode};
use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use lambda_runtime::Context;
use pipeguard_aws::{HealthApi, HealthEndpoint};
use pipeguard_core::hold::{HeldBy, Hold};
use pipeguard_core::testing::env_of;
use serde_json::json;
use std::time::Duration;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";
/// The invocation's context as Lambda gives it: the function's ARN names the stack's account.
fn context() -> Context {
    let mut context = Context::default();
    context.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:stage-retry".into();
    context
}

const ARN: &str = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/abc";

/// The stack's gate, as the template names it in stage-retry's environment.
const GATE: &str = "pipeguard-HealthGate-1AB2";

/// GetPipeline: web-app's Deploy stage, whose action Apply invokes `function` (a Lambda invoke
/// action) or, with None, runs CodeBuild.
fn structure(function: Option<&'static str>) -> Rule {
    mock!(aws_sdk_codepipeline::Client::get_pipeline).then_output(move || {
        let kind = |category, owner, provider: &str| {
            ActionTypeId::builder()
                .category(category)
                .owner(owner)
                .provider(provider)
                .version("1")
                .build()
                .unwrap()
        };
        let apply = match function {
            Some(function) => ActionDeclaration::builder()
                .action_type_id(kind(ActionCategory::Invoke, ActionOwner::Aws, "Lambda"))
                .configuration("FunctionName", function),
            None => ActionDeclaration::builder()
                .action_type_id(kind(ActionCategory::Build, ActionOwner::Aws, "CodeBuild"))
                .configuration("ProjectName", "web-app"),
        };
        GetPipelineOutput::builder()
            .pipeline(
                PipelineDeclaration::builder()
                    .name("web-app")
                    .role_arn("arn:aws:iam::123456789012:role/web-app")
                    .stages(
                        StageDeclaration::builder()
                            .name("Deploy")
                            .actions(apply.name("Apply").build().unwrap())
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

/// A retrier on these mocks; SNS accepts any notice the rules given do not match (a resume
/// tells people which stages it released). Unless the rules say otherwise, the failed action
/// Apply is the stack's gate (`GATE_FUNCTIONS` in `env` unless set there).
fn retrier(codepipeline: &[&Rule], sns: &[&Rule], env: &[(&str, &str)]) -> Retrier {
    let accepted =
        mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().message_id("m").build());
    let sns: Vec<&Rule> = sns.iter().copied().chain([&accepted]).collect();
    let gate_structure = structure(Some(GATE));
    let codepipeline: Vec<&Rule> = codepipeline.iter().copied().chain([&gate_structure]).collect();
    let mut env = env.to_vec();
    if !env.iter().any(|(name, _)| *name == "GATE_FUNCTIONS") {
        env.push(("GATE_FUNCTIONS", GATE));
    }
    Retrier {
        policies: RetryPolicies::from_env(env_of(&env)),
        codepipeline: CodePipeline::new(mock_client!(
            aws_sdk_codepipeline,
            RuleMode::MatchAny,
            &codepipeline
        )),
        notifier: Notifier::new(
            mock_client!(aws_sdk_sns, RuleMode::MatchAny, &sns),
            Some(TOPIC.into()),
        ),
        health: HealthSources::new(health_api(&[]), None),
        freezes: None,
        overrides: None,
        alarms: CloudWatchAlarms::new(Some("us-east-1".into()), |_: &str| {
            mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&answers_no_alarm()])
        }),
    }
}

/// CloudWatch that has no alarm: any held alarm of the stack's account is gone.
fn answers_no_alarm() -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(|| {
        aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput::builder().build()
    })
}

/// An AWS Health event as EventBridge delivers it, for `arn` with `status`.
fn health_event(arn: &str, status: &str) -> LambdaEvent<Value> {
    let mut event: Value =
        serde_json::from_str(include_str!("../../../tests/events/health-event-closed.json")).unwrap();
    event["detail"]["eventArn"] = json!(arn);
    event["detail"]["statusCode"] = json!(status);
    LambdaEvent::new(event, context())
}

/// A Health API that knows these events (and no others).
fn health_api(events: &[(&'static str, EventStatusCode)]) -> HealthApi {
    let events = events.to_vec();
    let describe = mock!(aws_sdk_health::Client::describe_events).then_compute_output(move |request| {
        let wanted = request
            .filter()
            .map(|filter| filter.event_arns().to_vec())
            .unwrap_or_default();
        let mut output = DescribeEventsOutput::builder();
        for (arn, status) in &events {
            if wanted.iter().any(|wanted| wanted == arn) {
                output = output.events(Event::builder().arn(*arn).status_code(status.clone()).build());
            }
        }
        output.build()
    });
    health_api_answering(&describe)
}

/// A Health API whose DescribeEvents answers as `describe` does.
fn health_api_answering(describe: &Rule) -> HealthApi {
    HealthApi::new(vec![HealthEndpoint {
        name: "health".into(),
        client: mock_client!(aws_sdk_health, RuleMode::MatchAny, [describe]),
    }])
}

fn eventbridge(level: &str, detail: Value) -> LambdaEvent<Value> {
    let detail_type = format!("CodePipeline {level} Execution State Change");
    LambdaEvent::new(
        json!({"source": "aws.codepipeline", "detail-type": detail_type, "detail": detail}),
        context(),
    )
}

fn stage_failed(stage: &str) -> LambdaEvent<Value> {
    eventbridge(
        "Stage",
        json!({"pipeline": "web-app", "execution-id": "e1", "stage": stage, "state": "FAILED", "version": 1}),
    )
}

/// GetPipelineState: Deploy's latest execution e1 failed in Apply with `code`, after `retries`.
fn state(code: &str, message: &str, retries: i32) -> Rule {
    let (code, message) = (code.to_owned(), message.to_owned());
    mock!(aws_sdk_codepipeline::Client::get_pipeline_state).then_output(move || {
        GetPipelineStateOutput::builder()
            .stage_states(
                StageState::builder()
                    .stage_name("Deploy")
                    .latest_execution(
                        StageExecution::builder()
                            .pipeline_execution_id("e1")
                            .status(StageExecutionStatus::Failed)
                            .build()
                            .unwrap(),
                    )
                    .retry_stage_metadata(
                        RetryStageMetadata::builder()
                            .manual_stage_retry_attempt(retries)
                            .build(),
                    )
                    .action_states(
                        ActionState::builder()
                            .action_name("Apply")
                            .latest_execution(
                                ActionExecution::builder()
                                    .status(ActionExecutionStatus::Failed)
                                    .error_details(
                                        ErrorDetails::builder().code(&code).message(&message).build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    })
}

fn retry_call() -> Rule {
    mock!(aws_sdk_codepipeline::Client::retry_stage_execution)
        .match_requests(|request| {
            request.pipeline_name() == Some("web-app")
                && request.stage_name() == Some("Deploy")
                && request.pipeline_execution_id() == Some("e1")
                && request.retry_mode().map(|mode| mode.as_str()) == Some("FAILED_ACTIONS")
        })
        .then_output(|| {
            RetryStageExecutionOutput::builder()
                .pipeline_execution_id("e1")
                .build()
        })
}

/// ListPipelines: web-app alone.
fn web_app_listed() -> Rule {
    mock!(aws_sdk_codepipeline::Client::list_pipelines).then_output(|| {
        ListPipelinesOutput::builder()
            .pipelines(PipelineSummary::builder().name("web-app").build())
            .build()
    })
}

/// The sweep's schedule, as EventBridge delivers it.
fn sweep() -> LambdaEvent<Value> {
    LambdaEvent::new(
        json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}),
        context(),
    )
}

fn publish() -> Rule {
    mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().message_id("m").build())
}

#[tokio::test]
async fn a_transient_stage_failure_is_retried_with_two_calls() {
    let (state, retry) = (state("JobFailed", "Rate exceeded", 0), retry_call());
    retrier(&[&state, &retry], &[], &[])
        .on_invocation(stage_failed("Deploy"))
        .await
        .unwrap();
    assert_eq!((state.num_calls(), retry.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_notification_rule_message_through_sns_is_retried_too() {
    let (state, retry) = (state("JobFailed", "Rate exceeded", 0), retry_call());
    let sns: Value =
        serde_json::from_str(include_str!("../../../tests/events/sns-stage-failed.json")).unwrap();
    let sns = json!({"Records": sns["Records"].clone()});
    let sns = {
        let mut event = sns;
        let message = event["Records"][0]["Sns"]["Message"]
            .as_str()
            .unwrap()
            .replace("c5d3a0c2-1111-2222-3333-444455556666", "e1");
        event["Records"][0]["Sns"]["Message"] = json!(message);
        event
    };
    retrier(&[&state, &retry], &[], &[])
        .on_invocation(LambdaEvent::new(sns, context()))
        .await
        .unwrap();
    assert_eq!(retry.num_calls(), 1);
}

#[tokio::test]
async fn a_pipeline_level_failure_finds_its_failed_stage() {
    let (state, retry) = (state("JobFailed", "Rate exceeded", 0), retry_call());
    let event = eventbridge(
        "Pipeline",
        json!({"pipeline": "web-app", "execution-id": "e1", "state": "FAILED", "version": 1}),
    );
    retrier(&[&state, &retry], &[], &[])
        .on_invocation(event)
        .await
        .unwrap();
    assert_eq!(retry.num_calls(), 1);
}

#[tokio::test]
async fn when_retries_run_out_people_are_told_once_and_nothing_is_retried() {
    let (state, retry, publish) = (state("JobFailed", "Rate exceeded", 2), retry_call(), publish());
    retrier(&[&state, &retry], &[&publish], &[])
        .on_invocation(stage_failed("Deploy"))
        .await
        .unwrap();
    assert_eq!((retry.num_calls(), publish.num_calls()), (0, 1));
}

#[tokio::test]
async fn a_configuration_error_is_never_retried() {
    let (state, retry, publish) = (
        state("ConfigurationError", "template invalid", 0),
        retry_call(),
        publish(),
    );
    retrier(&[&state, &retry], &[&publish], &[])
        .on_invocation(stage_failed("Deploy"))
        .await
        .unwrap();
    assert_eq!((retry.num_calls(), publish.num_calls()), (0, 0));
}

#[tokio::test]
async fn a_stage_the_gate_failed_is_not_retried_while_its_event_is_open() {
    let (state, retry) = (state("JobFailed", &blocked_message(), 0), retry_call());
    let open = mock!(aws_sdk_health::Client::describe_events)
        .match_requests(|request| {
            request
                .filter()
                .is_some_and(|filter| filter.event_arns() == [ARN])
        })
        .then_output(|| {
            DescribeEventsOutput::builder()
                .events(
                    Event::builder()
                        .arn(ARN)
                        .status_code(EventStatusCode::Open)
                        .build(),
                )
                .build()
        });
    let mut retrier = retrier(&[&state, &retry], &[], &[]);
    retrier.health = HealthSources::new(health_api_answering(&open), None);
    retrier.on_invocation(stage_failed("Deploy")).await.unwrap();
    assert_eq!(
        (open.num_calls(), retry.num_calls()),
        (1, 0),
        "asked whether its event closed, told it is open, and held"
    );
}

#[tokio::test]
async fn a_closed_health_event_resumes_the_stages_it_held() {
    let pipelines = web_app_listed();
    let (state, retry) = (state("JobFailed", &blocked_message(), 3), retry_call());
    let released = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|publish| {
            publish.subject() == Some("pipeguard: web-app released")
                && publish.message().is_some_and(|message| {
                    message.contains(&format!("AWS Health event {ARN} closed"))
                        && message.contains("- web-app, stage ")
                })
        })
        .then_output(|| PublishOutput::builder().message_id("m").build());
    retrier(&[&pipelines, &state, &retry], &[&released], &[])
        .on_invocation(health_event(ARN, "closed"))
        .await
        .unwrap();
    assert_eq!(
        (pipelines.num_calls(), retry.num_calls(), released.num_calls()),
        (1, 1, 1),
        "resumed even after retries were used up, and people told"
    );
}

#[tokio::test]
async fn managed_pipelines_skip_listing_every_pipeline() {
    let pipelines = mock!(aws_sdk_codepipeline::Client::list_pipelines)
        .then_output(|| ListPipelinesOutput::builder().build());
    let (state, retry) = (state("JobFailed", &blocked_message(), 0), retry_call());
    let closed = health_event(ARN, "closed");
    retrier(
        &[&pipelines, &state, &retry],
        &[],
        &[("RETRY_PIPELINES", "web-app")],
    )
    .on_invocation(closed)
    .await
    .unwrap();
    assert_eq!(
        (pipelines.num_calls(), state.num_calls(), retry.num_calls()),
        (0, 1, 1)
    );
}

#[tokio::test]
async fn a_retry_someone_else_already_made_is_not_an_error() {
    let state = state("JobFailed", "Rate exceeded", 0);
    let conflict = mock!(aws_sdk_codepipeline::Client::retry_stage_execution).then_error(|| {
        RetryStageExecutionError::ConflictException(
            ConflictException::builder().message("retry running").build(),
        )
    });
    retrier(&[&state, &conflict], &[], &[])
        .on_invocation(stage_failed("Deploy"))
        .await
        .unwrap();
    assert_eq!(conflict.num_calls(), 1);
}

#[tokio::test]
async fn action_failures_and_other_events_ask_nothing() {
    let state = state("JobFailed", "Rate exceeded", 0);
    let retrier = retrier(&[&state], &[], &[]);
    let action = eventbridge(
        "Action",
        json!({"pipeline": "web-app", "execution-id": "e1", "stage": "Deploy", "action": "Apply", "state": "FAILED"}),
    );
    retrier.on_invocation(action).await.unwrap();
    retrier
        .on_invocation(stage_failed_with_state("SUCCEEDED"))
        .await
        .unwrap();
    retrier
        .on_invocation(LambdaEvent::new(json!({"hello": "world"}), context()))
        .await
        .unwrap();
    assert_eq!(state.num_calls(), 0);
}

fn stage_failed_with_state(state: &str) -> LambdaEvent<Value> {
    eventbridge(
        "Stage",
        json!({"pipeline": "web-app", "execution-id": "e1", "stage": "Deploy", "state": state}),
    )
}

#[tokio::test]
async fn aws_errors_fail_the_invocation_so_lambda_delivers_it_again() {
    let missing = mock!(aws_sdk_codepipeline::Client::get_pipeline_state).then_error(|| {
        GetPipelineStateError::PipelineNotFoundException(
            PipelineNotFoundException::builder().message("gone").build(),
        )
    });
    let error = retrier(&[&missing], &[], &[])
        .on_invocation(stage_failed("Deploy"))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("GetPipelineState for pipeline web-app"),
        "{error}"
    );
}

#[tokio::test]
async fn a_bad_environment_fails_every_invocation_naming_the_variable() {
    let state = state("JobFailed", "Rate exceeded", 0);
    let error = retrier(&[&state], &[], &[("RETRY_MODE", "SOMETIMES")])
        .on_invocation(stage_failed("Deploy"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("RETRY_MODE"), "{error}");
    assert_eq!(state.num_calls(), 0);
}

#[test]
fn a_delay_never_outlasts_the_invocation() {
    assert_eq!(delay_within(30, None), Duration::from_secs(30));
    assert_eq!(
        delay_within(30, Some(Duration::from_secs(60))),
        Duration::from_secs(30)
    );
    assert_eq!(
        delay_within(30, Some(Duration::from_secs(25))),
        Duration::from_secs(15)
    );
    assert_eq!(delay_within(30, Some(Duration::from_secs(5))), Duration::ZERO);
}

#[tokio::test]
async fn one_unreadable_pipeline_does_not_keep_the_others_from_resuming() {
    let pipelines = mock!(aws_sdk_codepipeline::Client::list_pipelines).then_output(|| {
        ListPipelinesOutput::builder()
            .pipelines(PipelineSummary::builder().name("prod-locked").build())
            .pipelines(PipelineSummary::builder().name("web-app").build())
            .pipelines(PipelineSummary::builder().name("prod-web").build())
            .build()
    });
    let denied = mock!(aws_sdk_codepipeline::Client::get_pipeline_state)
        .match_requests(|request| request.name() == Some("prod-locked"))
        .then_error(|| {
            GetPipelineStateError::PipelineNotFoundException(
                PipelineNotFoundException::builder().message("gone").build(),
            )
        });
    let held = state("JobFailed", &blocked_message(), 0);
    let retry = mock!(aws_sdk_codepipeline::Client::retry_stage_execution)
        .match_requests(|request| request.pipeline_name() == Some("prod-web"))
        .then_output(|| {
            RetryStageExecutionOutput::builder()
                .pipeline_execution_id("e1")
                .build()
        });
    let closed = health_event(ARN, "closed");
    let result = retrier(
        &[&pipelines, &denied, &held, &retry],
        &[],
        &[("RETRY_PIPELINE_PREFIX", "prod-")],
    )
    .on_invocation(closed)
    .await;
    assert_eq!(
        retry.num_calls(),
        1,
        "prod-web resumed; web-app is outside the prefix"
    );
    assert_eq!(held.num_calls(), 1);
    assert!(
        result.is_err(),
        "the unreadable pipeline still fails the invocation, so the event is not lost"
    );
}

/// The gate's failure message for one open AWS Health event, marked as the gate marks it (a gate
/// that asked the API, or that does not say where it learned of the event).
fn blocked_message() -> String {
    let hold = Hold::new(
        vec![HeldBy {
            arn: ARN.into(),
            region: "us-east-1".into(),
            account: None,
        }],
        None,
    );
    format!(
        "Deployment blocked by 1 AWS Health event: ({ARN})\n{}",
        hold.marker()
    )
}

fn held_state(marker_source: &str) -> Rule {
    let marker = format!(
        "pipeguard:hold:v1 {{\"events\":[{{\"arn\":\"{ARN}\",\"region\":\"us-east-1\"}}],\"source\":\"{marker_source}\"}}"
    );
    state(
        "JobFailed",
        &format!("Deployment blocked by 1 AWS Health event\n{marker}"),
        0,
    )
}

#[tokio::test]
async fn a_gate_failure_whose_events_already_closed_resumes_at_once() {
    let (state, retry) = (held_state("api"), retry_call());
    let mut retrier = retrier(&[&state, &retry], &[], &[]);
    retrier.health = HealthSources::new(health_api(&[(ARN, EventStatusCode::Closed)]), None);
    retrier.on_invocation(stage_failed("Deploy")).await.unwrap();
    assert_eq!(retry.num_calls(), 1);
}

#[tokio::test]
async fn every_health_event_is_recorded_before_anything_acts_on_it() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| {
            request.table_name() == Some("health-events")
                && request.item().and_then(|item| item.get("status"))
                    == Some(&AttributeValue::S("closed".into()))
                && request.condition_expression().is_some()
        })
        .then_output(|| PutItemOutput::builder().build());
    let pipelines = web_app_listed();
    let (state, retry) = (held_state("events"), retry_call());
    let mut retrier = retrier(&[&pipelines, &state, &retry], &[], &[]);
    retrier.health = HealthSources::new(
        health_api(&[]),
        Some(store_with(&[&put, &stored_status("closed")])),
    );
    retrier.on_invocation(health_event(ARN, "closed")).await.unwrap();
    assert_eq!((put.num_calls(), retry.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_closing_event_that_cannot_be_recorded_resumes_nothing_and_comes_back() {
    let failing = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        aws_sdk_dynamodb::operation::put_item::PutItemError::generic(
            aws_sdk_dynamodb::error::ErrorMetadata::builder()
                .code("InternalServerError")
                .message("try again")
                .build(),
        )
    });
    let (state, retry) = (held_state("events"), retry_call());
    let mut retrier = retrier(&[&state, &retry], &[], &[]);
    retrier.health = HealthSources::new(health_api(&[]), Some(store_with(&[&failing])));
    let error = retrier
        .on_invocation(health_event(ARN, "closed"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("PutItem"), "{error}");
    assert_eq!((state.num_calls(), retry.num_calls()), (0, 0));
}

#[tokio::test]
async fn the_sweep_resumes_a_held_stage_once_the_store_says_its_events_closed() {
    let pipelines = web_app_listed();
    for (status, resumed) in [("open", 0), ("closed", 1)] {
        let (state, retry) = (held_state("events"), retry_call());
        let mut retrier = retrier(&[&pipelines, &state, &retry], &[], &[]);
        retrier.health = HealthSources::new(health_api(&[]), Some(store_with(&[&stored_status(status)])));
        retrier.on_invocation(sweep()).await.unwrap();
        assert_eq!(retry.num_calls(), resumed, "event {status}");
    }
}

#[tokio::test]
async fn a_health_event_that_cannot_be_recorded_is_skipped_not_redelivered_forever() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
    let mut retrier = retrier(&[], &[], &[]);
    retrier.health = HealthSources::new(health_api(&[]), Some(store_with(&[&put])));
    let mut event = health_event(ARN, "closed");
    event.payload["detail"]["lastUpdatedTime"] = json!("not a time");
    retrier.on_invocation(event).await.unwrap();
    assert_eq!(put.num_calls(), 0);
}

#[tokio::test]
async fn an_invocation_that_names_no_account_fails_so_it_is_delivered_again() {
    let state = state("JobFailed", "Rate exceeded", 0);
    let error = retrier(&[&state], &[], &[])
        .on_invocation(LambdaEvent::new(
            json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}),
            Context::default(),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "UnknownAccount");
    assert_eq!(state.num_calls(), 0, "nothing was asked");
}

/// The event store as the tests see it.
#[path = "handler_store_tests.rs"]
mod store;
use store::{store_with, stored_status};

/// Inputs from who may not send them: refused, never acted on.
#[path = "handler_trust_tests.rs"]
mod trust;

/// Stages a watched alarm held.
#[path = "handler_alarm_tests.rs"]
mod alarm;

/// Stages a Change Calendar held, resumed when it opens.
#[path = "handler_calendar_tests.rs"]
mod calendars;
