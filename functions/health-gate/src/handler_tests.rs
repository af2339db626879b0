use super::*;
use aws_sdk_codepipeline::operation::get_job_details::GetJobDetailsOutput;
use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsOutput;
use aws_sdk_codepipeline::operation::put_job_failure_result::{
    PutJobFailureResultError, PutJobFailureResultInput, PutJobFailureResultOutput,
};
use aws_sdk_codepipeline::operation::put_job_success_result::{
    PutJobSuccessResultInput, PutJobSuccessResultOutput,
};
use aws_sdk_codepipeline::types::error::InvalidJobStateException;
use aws_sdk_codepipeline::types::{
    JobData, JobDetails, PipelineContext, PipelineExecutionStatus, PipelineExecutionSummary,
};
use aws_sdk_health::error::ErrorMetadata;
use aws_sdk_health::operation::describe_events::{DescribeEventsError, DescribeEventsOutput};
use aws_sdk_health::types::{Event, EventStatusCode, EventTypeCategory};
use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use lambda_runtime::Context;
use pipeguard_aws::{HealthApi, HealthEndpoint};
use pipeguard_core::gate::WaitState;
use pipeguard_core::testing::env_of;
use serde_json::json;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard";
const ARN: &str = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/abc";

fn job(id: &str, user_parameters: &str, continuation_token: Option<&str>) -> LambdaEvent<Value> {
    let mut data = json!({"actionConfiguration": {"configuration": {"FunctionName": "health-gate", "UserParameters": user_parameters}}});
    if let Some(token) = continuation_token {
        data["continuationToken"] = json!(token);
    }
    LambdaEvent::new(
        json!({"CodePipeline.job": {"id": id, "accountId": "123456789012", "data": data}}),
        Context::default(),
    )
}

fn open_issue() -> Event {
    Event::builder()
        .arn(ARN)
        .service("EC2")
        .event_type_code("AWS_EC2_OPERATIONAL_ISSUE")
        .event_type_category(EventTypeCategory::Issue)
        .region("us-east-1")
        .status_code(EventStatusCode::Open)
        .build()
}

/// Mocked AWS for one test: the rules each client answers with.
struct Aws {
    codepipeline: Vec<Rule>,
    health: Vec<Rule>,
    cloudwatch: Vec<Rule>,
    ssm: Vec<Rule>,
    sns: Vec<Rule>,
    env: Vec<(&'static str, &'static str)>,
    topic: Option<&'static str>,
}

impl Aws {
    fn new(health: Vec<Rule>, codepipeline: Vec<Rule>) -> Self {
        Self {
            codepipeline,
            health,
            cloudwatch: vec![],
            ssm: vec![],
            sns: vec![],
            env: vec![("AWS_REGION", "us-east-1")],
            topic: None,
        }
    }

    fn gate(&self) -> Arc<Gate> {
        Arc::new(Gate {
            defaults: GateDefaults::from_env(env_of(&self.env)),
            codepipeline: CodePipeline::new(mock_client!(
                aws_sdk_codepipeline,
                RuleMode::MatchAny,
                &self.codepipeline
            )),
            health: HealthSources::new(
                HealthApi::new(vec![HealthEndpoint {
                    name: "health".into(),
                    client: mock_client!(aws_sdk_health, RuleMode::MatchAny, &self.health),
                }]),
                None,
            ),
            freezes: None,
            overrides: None,
            alarms: {
                let rules = self.cloudwatch.clone();
                CloudWatchAlarms::new(Some("us-east-1".into()), move |_: &str| {
                    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &rules)
                })
            },
            calendars: {
                let rules = self.ssm.clone();
                ChangeCalendars::new(Some("us-east-1".into()), move |_: &str| {
                    mock_client!(aws_sdk_ssm, RuleMode::MatchAny, &rules)
                })
            },
            notifier: Notifier::new(
                mock_client!(aws_sdk_sns, RuleMode::MatchAny, &self.sns),
                self.topic.map(str::to_owned),
            ),
        })
    }
}

fn no_events() -> Rule {
    mock!(aws_sdk_health::Client::describe_events).then_output(|| DescribeEventsOutput::builder().build())
}

fn success_where(check: impl Fn(&PutJobSuccessResultInput) -> bool + Send + Sync + 'static) -> Rule {
    mock!(aws_sdk_codepipeline::Client::put_job_success_result)
        .match_requests(check)
        .then_output(|| PutJobSuccessResultOutput::builder().build())
}

fn failure_where(check: impl Fn(&PutJobFailureResultInput) -> bool + Send + Sync + 'static) -> Rule {
    mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
        .match_requests(check)
        .then_output(|| PutJobFailureResultOutput::builder().build())
}

fn failure_of(kind: &'static str, needle: &'static str) -> Rule {
    failure_where(move |request| {
        request
            .failure_details()
            .is_some_and(|details| details.r#type().as_str() == kind && details.message().contains(needle))
    })
}

fn variable<'a>(request: &'a PutJobSuccessResultInput, name: &str) -> Option<&'a str> {
    request
        .output_variables()
        .and_then(|vars| vars.get(name))
        .map(String::as_str)
}

fn job_details(pipeline: &'static str) -> Rule {
    mock!(aws_sdk_codepipeline::Client::get_job_details).then_output(move || {
        GetJobDetailsOutput::builder()
            .job_details(
                JobDetails::builder()
                    .id("job")
                    .data(
                        JobData::builder()
                            .pipeline_context(PipelineContext::builder().pipeline_name(pipeline).build())
                            .build(),
                    )
                    .build(),
            )
            .build()
    })
}

#[tokio::test]
async fn a_healthy_region_passes_with_one_describe_and_one_result() {
    let describe = no_events();
    let success = success_where(|request| {
        request.job_id() == Some("job-1")
            && variable(request, "verdict") == Some("PASS")
            && variable(request, "regions_checked") == Some("us-east-1")
            && variable(request, "blocking_events") == Some("0")
    });
    let details = job_details("web-app");
    let aws = Aws::new(vec![describe.clone()], vec![success.clone(), details.clone()]);
    aws.gate().handle(job("job-1", "", None)).await.unwrap();
    assert_eq!(
        (describe.num_calls(), success.num_calls(), details.num_calls()),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn an_open_issue_on_the_second_page_fails_the_job_naming_it() {
    let first = mock!(aws_sdk_health::Client::describe_events)
        .match_requests(|request| request.next_token().is_none())
        .then_output(|| DescribeEventsOutput::builder().next_token("p2").build());
    let second = mock!(aws_sdk_health::Client::describe_events)
        .match_requests(|request| request.next_token() == Some("p2"))
        .then_output(|| DescribeEventsOutput::builder().events(open_issue()).build());
    let failure = failure_of("JobFailed", ARN);
    let aws = Aws::new(vec![first.clone(), second.clone()], vec![failure.clone()]);
    aws.gate().handle(job("job-2", "us-east-1", None)).await.unwrap();
    assert_eq!(
        (first.num_calls(), second.num_calls(), failure.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn bad_user_parameters_are_a_configuration_error_and_ask_nothing() {
    let describe = no_events();
    let failure = failure_of("ConfigurationError", "UserParameters field `on_block`");
    let aws = Aws::new(vec![describe.clone()], vec![failure.clone()]);
    aws.gate()
        .handle(job("job-3", r#"{"on_block": "later"}"#, None))
        .await
        .unwrap();
    assert_eq!((describe.num_calls(), failure.num_calls()), (0, 1));
}

#[tokio::test]
async fn a_bad_environment_fails_every_job_naming_the_variable() {
    let failure = failure_of("ConfigurationError", "GATE_MAX_WAIT_MINUTES");
    let mut aws = Aws::new(vec![no_events()], vec![failure.clone()]);
    aws.env.push(("GATE_MAX_WAIT_MINUTES", "forever"));
    aws.gate().handle(job("job-4", "", None)).await.unwrap();
    assert_eq!(failure.num_calls(), 1);
}

#[tokio::test]
async fn wait_mode_holds_then_releases_and_tells_people() {
    let blocked = mock!(aws_sdk_health::Client::describe_events)
        .then_output(|| DescribeEventsOutput::builder().events(open_issue()).build());
    let hold = success_where(|request| {
        request.continuation_token().is_some() && request.output_variables().is_none()
    });
    let details = job_details("web-app");
    let held = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|request| {
            request.subject() == Some("pipeguard: web-app held")
                && request.message().is_some_and(|m| m.contains(ARN))
        })
        .then_output(|| PublishOutput::builder().build());
    let mut aws = Aws::new(vec![blocked], vec![hold.clone(), details.clone()]);
    aws.sns = vec![held.clone()];
    aws.topic = Some(TOPIC);
    aws.gate()
        .handle(job("job-5", r#"{"on_block": "wait"}"#, None))
        .await
        .unwrap();
    assert_eq!((hold.num_calls(), held.num_calls()), (1, 1));

    let token = WaitState::new(pipeguard_aws::clock::unix_seconds() - 25 * 60, vec![ARN.into()]).encode();
    let released = success_where(|request| {
        request.continuation_token().is_none()
            && variable(request, "verdict") == Some("PASS")
            && variable(request, "held_minutes") == Some("25")
    });
    let release_notice = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|request| request.subject() == Some("pipeguard: web-app released"))
        .then_output(|| PublishOutput::builder().build());
    let mut aws = Aws::new(vec![no_events()], vec![released.clone(), job_details("web-app")]);
    aws.sns = vec![release_notice.clone()];
    aws.topic = Some(TOPIC);
    aws.gate()
        .handle(job("job-6", r#"{"on_block": "wait"}"#, Some(&token)))
        .await
        .unwrap();
    assert_eq!((released.num_calls(), release_notice.num_calls()), (1, 1));
}

#[tokio::test]
async fn waiting_longer_than_allowed_fails() {
    let blocked = mock!(aws_sdk_health::Client::describe_events)
        .then_output(|| DescribeEventsOutput::builder().events(open_issue()).build());
    let failure = failure_of("JobFailed", "max_wait_minutes = 10");
    let token = WaitState::new(pipeguard_aws::clock::unix_seconds() - 11 * 60, vec![]).encode();
    let aws = Aws::new(vec![blocked], vec![failure.clone()]);
    aws.gate()
        .handle(job(
            "job-7",
            r#"{"on_block": "wait", "max_wait_minutes": 10}"#,
            Some(&token),
        ))
        .await
        .unwrap();
    assert_eq!(failure.num_calls(), 1);
}

#[tokio::test]
async fn an_unreadable_continuation_token_fails_the_job() {
    let failure = failure_of("JobFailed", "continuation token");
    let aws = Aws::new(vec![no_events()], vec![failure.clone()]);
    aws.gate()
        .handle(job("job-8", "", Some("garbage")))
        .await
        .unwrap();
    assert_eq!(failure.num_calls(), 1);
}

fn subscription_required() -> Rule {
    mock!(aws_sdk_health::Client::describe_events).then_error(|| {
        DescribeEventsError::generic(
            ErrorMetadata::builder()
                .code("SubscriptionRequiredException")
                .message("no plan")
                .build(),
        )
    })
}

#[tokio::test]
async fn without_a_support_plan_the_gate_fails_closed_by_default() {
    let failure = failure_of("SystemUnavailable", "SubscriptionRequiredException");
    let aws = Aws::new(vec![subscription_required()], vec![failure.clone()]);
    aws.gate().handle(job("job-9", "", None)).await.unwrap();
    assert_eq!(failure.num_calls(), 1);
}

#[tokio::test]
async fn without_a_support_plan_fail_open_passes_and_says_so() {
    let success = success_where(|request| {
        variable(request, "verdict") == Some("PASS_HEALTH_UNCHECKED")
            && request
                .execution_details()
                .and_then(|details| details.summary())
                .is_some_and(|s| s.contains("fail-open"))
    });
    let aws = Aws::new(vec![subscription_required()], vec![success.clone()]);
    aws.gate()
        .handle(job("job-10", r#"{"on_health_error": "fail-open"}"#, None))
        .await
        .unwrap();
    assert_eq!(success.num_calls(), 1);
}

#[tokio::test]
async fn a_running_conflicting_pipeline_holds_the_gate() {
    let executions = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(|request| request.pipeline_name() == Some("cleanup"))
        .then_output(|| {
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(
                    PipelineExecutionSummary::builder()
                        .pipeline_execution_id("exec-9")
                        .status(PipelineExecutionStatus::InProgress)
                        .build(),
                )
                .pipeline_execution_summaries(
                    PipelineExecutionSummary::builder()
                        .pipeline_execution_id("exec-8")
                        .status(PipelineExecutionStatus::Succeeded)
                        .build(),
                )
                .build()
        });
    let failure = failure_of("JobFailed", "pipeline cleanup is running (execution exec-9");
    let aws = Aws::new(
        vec![no_events()],
        vec![executions.clone(), failure.clone(), job_details("web-app")],
    );
    aws.gate()
        .handle(job("job-11", r#"{"block_while_running": ["cleanup"]}"#, None))
        .await
        .unwrap();
    assert_eq!((executions.num_calls(), failure.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_lock_on_the_pipeline_itself_is_a_configuration_error() {
    let executions = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .then_output(|| ListPipelineExecutionsOutput::builder().build());
    let failure = failure_of("ConfigurationError", "names this pipeline itself (web-app)");
    let aws = Aws::new(
        vec![no_events()],
        vec![executions, failure.clone(), job_details("web-app")],
    );
    aws.gate()
        .handle(job("job-12", r#"{"block_while_running": ["web-app"]}"#, None))
        .await
        .unwrap();
    assert_eq!(failure.num_calls(), 1);
}

/// Panics inside the SDK call for GetJobDetails, outside any mock (a panicking mock would
/// poison the mocked client that must then report the result).
#[derive(Debug)]
struct PanicOnGetJobDetails;

impl aws_sdk_codepipeline::config::Intercept for PanicOnGetJobDetails {
    fn name(&self) -> &'static str {
        "PanicOnGetJobDetails"
    }

    fn read_before_execution(
        &self,
        context: &aws_sdk_codepipeline::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut aws_sdk_codepipeline::config::ConfigBag,
    ) -> Result<(), aws_sdk_codepipeline::error::BoxError> {
        if context
            .input()
            .downcast_ref::<aws_sdk_codepipeline::operation::get_job_details::GetJobDetailsInput>()
            .is_some()
        {
            panic!("boom");
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_panic_while_deciding_still_fails_the_job() {
    let failure = failure_of("JobFailed", "panic: boom");
    let mut aws = Aws::new(vec![no_events()], vec![]);
    aws.topic = Some(TOPIC);
    let mut gate = Arc::into_inner(aws.gate()).unwrap();
    gate.codepipeline = CodePipeline::new(mock_client!(
        aws_sdk_codepipeline,
        RuleMode::MatchAny,
        [&failure],
        |conf| conf.interceptor(PanicOnGetJobDetails)
    ));
    Arc::new(gate).handle(job("job-13", "", None)).await.unwrap();
    assert_eq!(failure.num_calls(), 1);
}

#[tokio::test]
async fn a_job_that_already_has_a_result_is_a_duplicate_not_an_error() {
    let answered = mock!(aws_sdk_codepipeline::Client::put_job_success_result)
        .then_error(|| aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultError::InvalidJobStateException(
            InvalidJobStateException::builder().message("already answered").build(),
        ));
    let aws = Aws::new(vec![no_events()], vec![answered.clone()]);
    aws.gate().handle(job("job-14", "", None)).await.unwrap();
    assert_eq!(answered.num_calls(), 1);
}

#[tokio::test]
async fn a_result_codepipeline_refuses_fails_the_invocation_so_lambda_retries_it() {
    let refused = mock!(aws_sdk_codepipeline::Client::put_job_failure_result).then_error(|| {
        PutJobFailureResultError::ValidationException(
            aws_sdk_codepipeline::types::error::ValidationException::builder()
                .message("no")
                .build(),
        )
    });
    let aws = Aws::new(vec![subscription_required()], vec![refused]);
    let error = aws.gate().handle(job("job-15", "", None)).await.unwrap_err();
    assert!(error.to_string().contains("job-15"), "{error}");
}

#[tokio::test]
async fn malformed_job_data_is_answered_and_a_job_without_id_is_an_invocation_error() {
    let failure = failure_of("ConfigurationError", "malformed job data");
    let aws = Aws::new(vec![no_events()], vec![failure.clone()]);
    let gate = aws.gate();
    let malformed = json!({"CodePipeline.job": {"id": "job-16", "data": {"continuationToken": 7}}});
    gate.clone()
        .handle(LambdaEvent::new(malformed, Context::default()))
        .await
        .unwrap();
    assert_eq!(failure.num_calls(), 1);
    assert!(
        gate.handle(LambdaEvent::new(json!({"hello": "world"}), Context::default()))
            .await
            .is_err()
    );
    assert_eq!(failure.num_calls(), 1);
}

/// An endpoint that accepts connections and never answers, except to `answer` requests (by
/// their X-Amz-Target), which get `{}`; it records the bodies of those it answered.
async fn hanging_server(
    answer: &'static str,
) -> (
    String,
    Arc<std::sync::Mutex<Vec<String>>>,
    tokio::task::JoinHandle<()>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answered = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&answered);
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut connection, _)) = listener.accept().await {
            let mut request = vec![0; 65536];
            let read = connection.read(&mut request).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&request[..read]).to_string();
            if !answer.is_empty() && request.contains(answer) {
                seen.lock().unwrap().push(request);
                let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: 2\r\n\r\n{}";
                let _ = connection.write_all(reply.as_bytes()).await;
            }
            held.push(connection);
        }
    });
    (url, answered, server)
}

macro_rules! client_at {
    ($sdk:ident, $url:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version_latest()
                .region($sdk::config::Region::new("us-east-1"))
                .credentials_provider($sdk::config::Credentials::new("test", "test", None, None, "test"))
                .endpoint_url($url)
                .build(),
        )
    };
}

fn event_with_seconds_left(id: &str, user_parameters: &str, seconds: u64) -> LambdaEvent<Value> {
    let mut event = job(id, user_parameters, None);
    let now_ms = pipeguard_aws::clock::unix_millis() as u64;
    event.context.deadline = now_ms + REPORT_RESERVE.as_millis() as u64 + seconds * 1000;
    event
}

#[tokio::test]
async fn a_hanging_health_endpoint_is_health_unavailable_before_the_deadline() {
    let (url, _, server) = hanging_server("").await;
    for (parameters, expected) in [
        ("", failure_of("SystemUnavailable", "timed out")),
        (
            r#"{"on_health_error": "fail-open"}"#,
            success_where(|request| variable(request, "verdict") == Some("PASS_HEALTH_UNCHECKED")),
        ),
    ] {
        let aws = Aws::new(vec![], vec![expected.clone()]);
        let mut gate = Arc::into_inner(aws.gate()).unwrap();
        gate.health = HealthSources::new(
            HealthApi::new(vec![HealthEndpoint {
                name: "silent".into(),
                client: client_at!(aws_sdk_health, url.clone()),
            }]),
            None,
        );
        Arc::new(gate)
            .handle(event_with_seconds_left("job-17", parameters, 2))
            .await
            .unwrap();
        assert_eq!(expected.num_calls(), 1, "{parameters}");
    }
    server.abort();
}

#[tokio::test]
async fn a_hanging_lock_check_is_told_as_the_locks_before_the_deadline() {
    let (url, answered, server) = hanging_server("PutJobFailureResult").await;
    let mut aws = Aws::new(vec![no_events()], vec![]);
    aws.topic = Some(TOPIC);
    let mut gate = Arc::into_inner(aws.gate()).unwrap();
    gate.codepipeline = CodePipeline::new(client_at!(aws_sdk_codepipeline, url));
    Arc::new(gate)
        .handle(event_with_seconds_left(
            "job-18",
            r#"{"block_while_running": ["cleanup"]}"#,
            2,
        ))
        .await
        .unwrap();
    let answered = answered.lock().unwrap().clone();
    assert_eq!(answered.len(), 1);
    assert!(
        answered[0].contains("SystemUnavailable")
            && answered[0].contains("could not check whether pipeline `cleanup` is running: ListPipelineExecutions did not answer within"),
        "{}",
        answered[0]
    );
    server.abort();
}

#[tokio::test]
async fn a_hanging_pipeline_name_lookup_does_not_hold_up_the_decision() {
    let (url, answered, server) = hanging_server("PutJobSuccessResult").await;
    let mut aws = Aws::new(vec![no_events()], vec![]);
    aws.topic = Some(TOPIC);
    let mut gate = Arc::into_inner(aws.gate()).unwrap();
    gate.codepipeline = CodePipeline::new(client_at!(aws_sdk_codepipeline, url));
    Arc::new(gate)
        .handle(event_with_seconds_left("job-19", "", 2))
        .await
        .unwrap();
    let answered = answered.lock().unwrap().clone();
    assert_eq!(answered.len(), 1);
    assert!(answered[0].contains("PASS"), "{}", answered[0]);
    server.abort();
}

#[tokio::test]
async fn a_result_call_that_hangs_fails_the_invocation_before_the_deadline() {
    let (url, _, server) = hanging_server("").await;
    let aws = Aws::new(vec![no_events()], vec![]);
    let mut gate = Arc::into_inner(aws.gate()).unwrap();
    gate.codepipeline = CodePipeline::new(client_at!(aws_sdk_codepipeline, url));
    let mut event = job("job-20", "", None);
    let now_ms = pipeguard_aws::clock::unix_millis() as u64;
    event.context.deadline = now_ms + 2_000;
    let started = std::time::Instant::now();
    let error = Arc::new(gate).handle(event).await.unwrap_err();
    assert!(matches!(error, InvocationError::JobResult(_)), "{error}");
    assert!(error.to_string().contains("deadline"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "ended before Lambda would stop it"
    );
    server.abort();
}

/// The service's own CloudWatch alarms, end to end through the handler on mocked SDK clients.
#[path = "handler_alarm_tests.rs"]
mod alarms;

/// The bake after the deploy, through the handler on mocked SDK clients.
#[path = "handler_bake_tests.rs"]
mod bake;

/// The service's Change Calendars, end to end through the handler on mocked SDK clients.
#[path = "handler_calendar_tests.rs"]
mod calendars;
