//! The bake (`bake_minutes`) through the handler on mocked SDK clients: each poll is a job, the
//! bake's start rides in the continuation token, and a firing alarm fails it as `BAKE_FAILED`.

use super::alarms::{alarm, alarms_answer};
use super::*;
use aws_sdk_cloudwatch::types::StateValue;

const BAKING: &str =
    r#"{"alarms": ["web-5xx"], "bake_minutes": 30, "block_while_running": ["db-migrations"]}"#;

fn baking_aws(state: StateValue, codepipeline: Vec<Rule>) -> Aws {
    let mut aws = Aws::new(vec![no_events()], codepipeline);
    aws.cloudwatch = vec![alarms_answer(vec![alarm("web-5xx", state)])];
    aws
}

/// A bake token for a bake that began `minutes` ago.
fn began(minutes: i64) -> String {
    WaitState::bake(pipeguard_aws::clock::unix_seconds() - minutes * 60).encode()
}

#[tokio::test]
async fn the_first_poll_starts_the_bake_in_progress_with_its_figures_and_asks_no_lock() {
    let in_progress = success_where(|request| {
        request.output_variables().is_none()
            && request
                .continuation_token()
                .and_then(|token| WaitState::decode(token).ok())
                .is_some_and(|state| state.is_bake())
            && request
                .execution_details()
                .and_then(|details| details.summary())
                .is_some_and(|summary| summary.contains("baked 0 of 30 minutes; alarms clear"))
    });
    let lock = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(|request| request.pipeline_name() == Some("db-migrations"))
        .then_output(|| ListPipelineExecutionsOutput::builder().build());
    let aws = baking_aws(
        StateValue::Ok,
        vec![in_progress.clone(), lock.clone(), runs_in("e-1"), history()],
    );
    aws.gate().handle(job("job-b1", BAKING, None)).await.unwrap();
    assert_eq!((in_progress.num_calls(), lock.num_calls()), (1, 0));
}

#[tokio::test]
async fn a_poll_after_bake_minutes_clear_passes_with_baked_minutes() {
    let passed = success_where(|request| {
        request.continuation_token().is_none()
            && variable(request, "verdict") == Some("PASS")
            && variable(request, "baked_minutes") == Some("31")
    });
    let aws = baking_aws(StateValue::Ok, vec![passed.clone()]);
    aws.gate()
        .handle(job("job-b2", BAKING, Some(&began(31))))
        .await
        .unwrap();
    assert_eq!(passed.num_calls(), 1);
}

#[tokio::test]
async fn an_alarm_that_fires_during_the_bake_fails_it_naming_the_alarm_and_tells_people() {
    let failed = failure_where(|request| {
        request.failure_details().is_some_and(|details| {
            let message = details.message();
            details.r#type().as_str() == "JobFailed"
                && message.starts_with("BAKE_FAILED: CloudWatch alarm web-5xx (us-east-1) fired during the bake")
                && message.contains("after 12 of 30 minutes")
                && message.contains("greater than the threshold")
                // No hold marker: stage-retry must not resume the stage when the alarm clears.
                && pipeguard_core::hold::Hold::read(message).is_none()
        })
    });
    let told = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|request| request.subject() == Some("pipeguard: web-app bake failed"))
        .then_output(|| PublishOutput::builder().build());
    let mut aws = baking_aws(StateValue::Alarm, vec![failed.clone(), job_details("web-app")]);
    aws.sns = vec![told.clone()];
    aws.topic = Some(TOPIC);
    aws.gate()
        .handle(job("job-b3", BAKING, Some(&began(12))))
        .await
        .unwrap();
    assert_eq!((failed.num_calls(), told.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_holds_token_given_back_to_a_bake_is_not_taken() {
    let failure = failure_of("JobFailed", "this action bakes (bake_minutes)");
    let aws = baking_aws(StateValue::Ok, vec![failure.clone()]);
    let hold = WaitState::new(pipeguard_aws::clock::unix_seconds(), vec![]).encode();
    aws.gate()
        .handle(job("job-b4", BAKING, Some(&hold)))
        .await
        .unwrap();
    assert_eq!(failure.num_calls(), 1);
}

/// GetJobDetails: the job runs in web-app's execution `execution`.
fn runs_in(execution: &'static str) -> Rule {
    use aws_sdk_codepipeline::types::{JobData, JobDetails, PipelineContext};
    mock!(aws_sdk_codepipeline::Client::get_job_details).then_output(move || {
        GetJobDetailsOutput::builder()
            .job_details(
                JobDetails::builder()
                    .id("job")
                    .data(
                        JobData::builder()
                            .pipeline_context(
                                PipelineContext::builder()
                                    .pipeline_name("web-app")
                                    .pipeline_execution_id(execution)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    })
}

/// ListPipelineExecutions: web-app's newest execution r-1 is a rollback, e-1 a deploy.
fn history() -> Rule {
    use aws_sdk_codepipeline::types::{ExecutionType, PipelineExecutionSummary};
    mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).then_output(|| {
        let summary = |id: &str, kind: ExecutionType| {
            PipelineExecutionSummary::builder()
                .pipeline_execution_id(id)
                .execution_type(kind)
                .build()
        };
        ListPipelineExecutionsOutput::builder()
            .pipeline_execution_summaries(summary("r-1", ExecutionType::Rollback))
            .pipeline_execution_summaries(summary("e-1", ExecutionType::Standard))
            .build()
    })
}

#[tokio::test]
async fn a_bake_in_a_rollback_execution_passes_at_once_though_the_alarm_fires() {
    let passed = success_where(|request| {
        request.continuation_token().is_none()
            && variable(request, "verdict") == Some("PASS_ROLLBACK_NOT_BAKED")
            && variable(request, "baked_minutes") == Some("0")
    });
    let aws = baking_aws(StateValue::Alarm, vec![passed.clone(), runs_in("r-1"), history()]);
    aws.gate().handle(job("job-b5", BAKING, None)).await.unwrap();
    assert_eq!(passed.num_calls(), 1);
}

#[tokio::test]
async fn a_bake_in_a_deploy_execution_is_baked_and_fails_on_the_alarm() {
    let failed = failure_of("JobFailed", "BAKE_FAILED: CloudWatch alarm web-5xx");
    let aws = baking_aws(StateValue::Alarm, vec![failed.clone(), runs_in("e-1"), history()]);
    aws.gate().handle(job("job-b6", BAKING, None)).await.unwrap();
    assert_eq!(failed.num_calls(), 1);
}
