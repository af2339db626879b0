use super::*;
use aws_sdk_codepipeline::error::ErrorMetadata;
use aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateOutput;
use aws_sdk_codepipeline::operation::list_pipeline_executions::{
    ListPipelineExecutionsError, ListPipelineExecutionsOutput,
};
use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultError;
use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultOutput;
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
use aws_sdk_codepipeline::operation::retry_stage_execution::RetryStageExecutionError;
use aws_sdk_codepipeline::operation::retry_stage_execution::RetryStageExecutionOutput;
use aws_sdk_codepipeline::types::error::{
    ConflictException, InvalidJobStateException, PipelineNotFoundException,
};
use aws_sdk_codepipeline::types::{
    ActionExecution, ActionExecutionStatus, ActionState, ErrorDetails, RetryStageMetadata, StageExecution,
    StageExecutionStatus,
};
use aws_sdk_codepipeline::types::{FailureType, StageRetryMode, StageState};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use pipeguard_core::job::FailureKind;
use pipeguard_core::job::JobResult;
use pipeguard_core::pipeline::{
    ConflictCheckError, ExecutionType, RetryMode, RetryOutcome, RollbackOutcome, StageSnapshot,
};

#[tokio::test]
async fn snapshots_carry_status_attempts_and_errors() {
    let state = mock!(aws_sdk_codepipeline::Client::get_pipeline_state).then_output(|| {
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
                            .manual_stage_retry_attempt(1)
                            .auto_stage_retry_attempt(1)
                            .build(),
                    )
                    .action_states(
                        ActionState::builder()
                            .action_name("Apply")
                            .latest_execution(
                                ActionExecution::builder()
                                    .status(ActionExecutionStatus::Failed)
                                    .error_details(
                                        ErrorDetails::builder()
                                            .code("JobFailed")
                                            .message("Rate exceeded")
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .stage_states(StageState::builder().stage_name("Later").build())
            .build()
    });
    let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&state]));
    let stages = client.stages("web-app").await.unwrap();
    assert_eq!(stages[0].execution_id.as_deref(), Some("e1"));
    assert!(stages[0].is_failed());
    assert_eq!(stages[0].attempts_used, 2);
    let failed: Vec<_> = stages[0].failed_actions().collect();
    assert_eq!(failed[0].error_code.as_deref(), Some("JobFailed"));
    assert_eq!(failed[0].error_message.as_deref(), Some("Rate exceeded"));
    assert_eq!(
        stages[1],
        StageSnapshot {
            name: "Later".into(),
            ..StageSnapshot::default()
        }
    );
}

#[tokio::test]
async fn a_conflict_means_someone_already_retried() {
    let conflict = mock!(aws_sdk_codepipeline::Client::retry_stage_execution).then_error(|| {
        RetryStageExecutionError::ConflictException(ConflictException::builder().message("busy").build())
    });
    let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&conflict]));
    let outcome = client
        .retry_stage("web-app", "Deploy", "e1", RetryMode::FailedActions)
        .await
        .unwrap();
    assert!(matches!(outcome, RetryOutcome::AlreadyHandled(reason) if reason.contains("busy")));
}

#[tokio::test]
async fn other_retry_errors_are_errors_with_context() {
    let missing = mock!(aws_sdk_codepipeline::Client::retry_stage_execution).then_error(|| {
        RetryStageExecutionError::PipelineNotFoundException(
            PipelineNotFoundException::builder()
                .message("no such pipeline")
                .build(),
        )
    });
    let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&missing]));
    let error = client
        .retry_stage("web-app", "Deploy", "e1", RetryMode::FailedActions)
        .await
        .unwrap_err();
    assert_eq!(
        (error.operation, error.pipeline.as_str()),
        ("RetryStageExecution", "web-app")
    );
}

#[tokio::test]
async fn the_newest_wanted_execution_is_found_across_pages() {
    use aws_sdk_codepipeline::types::{ExecutionType as SdkExecutionType, PipelineExecutionSummary};
    let first = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(|request| request.next_token().is_none() && request.filter().is_some())
        .then_output(|| {
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(
                    PipelineExecutionSummary::builder()
                        .pipeline_execution_id("r9")
                        .execution_type(SdkExecutionType::Rollback)
                        .build(),
                )
                .next_token("p2")
                .build()
        });
    let second = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .match_requests(|request| request.next_token() == Some("p2"))
        .then_output(|| {
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(
                    PipelineExecutionSummary::builder()
                        .pipeline_execution_id("e1")
                        .execution_type(SdkExecutionType::Standard)
                        .build(),
                )
                .build()
        });
    let client = CodePipeline::new(mock_client!(
        aws_sdk_codepipeline,
        aws_smithy_mocks::RuleMode::MatchAny,
        [&first, &second]
    ));
    let found = client
        .newest_execution_where("web-app", Some("Deploy"), |execution| {
            execution.execution_type == ExecutionType::Standard
        })
        .await
        .unwrap();
    assert_eq!(found.map(|execution| execution.id).as_deref(), Some("e1"));
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_refused_rollback_is_explained_not_raised() {
    use aws_sdk_codepipeline::operation::rollback_stage::RollbackStageError;
    use aws_sdk_codepipeline::types::error::PipelineExecutionOutdatedException;
    let outdated = mock!(aws_sdk_codepipeline::Client::rollback_stage).then_error(|| {
        RollbackStageError::PipelineExecutionOutdatedException(
            PipelineExecutionOutdatedException::builder()
                .message("outdated")
                .build(),
        )
    });
    let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&outdated]));
    let outcome = client.rollback_stage("web-app", "Deploy", "e1").await.unwrap();
    assert!(
        matches!(outcome, RollbackOutcome::Refused(reason) if reason.contains("earlier version of the pipeline"))
    );
}

#[tokio::test]
async fn a_pipeline_the_gate_may_not_read_is_a_configuration_problem_not_an_outage() {
    let denied = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions).then_error(|| {
        ListPipelineExecutionsError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized")
                .build(),
        )
    });
    let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&denied]));
    let error = client
        .running_executions(&["cleanup".to_owned()], std::time::Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(error, ConflictCheckError::NotPermitted("cleanup".into()));
}

#[tokio::test]
async fn reports_a_failure_with_its_type_and_message() {
    let put_failure = mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
        .match_requests(|request| {
            request.job_id() == Some("j3")
                && request
                    .failure_details()
                    .map(|details| (details.r#type().as_str(), details.message()))
                    == Some(("ConfigurationError", "bad"))
        })
        .then_output(|| PutJobFailureResultOutput::builder().build());
    let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&put_failure]));
    client
        .report("j3", &JobResult::failure(FailureKind::ConfigurationError, "bad"))
        .await
        .unwrap();
    assert_eq!(put_failure.num_calls(), 1);
}

#[tokio::test]
async fn reports_output_variables_only_on_final_success() {
    let final_success = mock!(aws_sdk_codepipeline::Client::put_job_success_result)
        .match_requests(|request| {
            request.continuation_token().is_none()
                && request
                    .output_variables()
                    .and_then(|vars| vars.get("verdict"))
                    .map(String::as_str)
                    == Some("PASS")
        })
        .then_output(|| PutJobSuccessResultOutput::builder().build());
    let in_progress = mock!(aws_sdk_codepipeline::Client::put_job_success_result)
        .match_requests(|request| {
            request.continuation_token() == Some("t") && request.output_variables().is_none()
        })
        .then_output(|| PutJobSuccessResultOutput::builder().build());
    let client = CodePipeline::new(mock_client!(
        aws_sdk_codepipeline,
        aws_smithy_mocks::RuleMode::MatchAny,
        [&final_success, &in_progress]
    ));
    client
        .report(
            "j4",
            &JobResult::success("ok", vec![("verdict".into(), "PASS".into())]),
        )
        .await
        .unwrap();
    client
        .report("j5", &JobResult::in_progress("holding", "t".into()))
        .await
        .unwrap();
    assert_eq!((final_success.num_calls(), in_progress.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_job_that_already_has_a_result_is_not_an_error() {
    let put_failure = mock!(aws_sdk_codepipeline::Client::put_job_failure_result).then_error(|| {
        PutJobFailureResultError::InvalidJobStateException(
            InvalidJobStateException::builder().message("done").build(),
        )
    });
    let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&put_failure]));
    let reported = client
        .report("j6", &JobResult::failure(FailureKind::JobFailed, "x"))
        .await;
    assert_eq!(reported.unwrap(), Reported::AlreadyAnswered);
}

#[tokio::test]
async fn other_reporting_errors_are_returned_with_the_job_id() {
    let put_failure = mock!(aws_sdk_codepipeline::Client::put_job_failure_result).then_error(|| {
        PutJobFailureResultError::JobNotFoundException(
            aws_sdk_codepipeline::types::error::JobNotFoundException::builder()
                .message("gone")
                .build(),
        )
    });
    let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&put_failure]));
    let error = client
        .report("j7", &JobResult::failure(FailureKind::JobFailed, "x"))
        .await
        .unwrap_err();
    let ReportError::Refused { job_id, cause } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(job_id, "j7");
    assert!(
        matches!(**cause, CodePipelineError::JobNotFoundException(_)),
        "{cause:?}"
    );
    assert!(
        error.to_string().contains("j7") && error.to_string().contains("gone"),
        "{error}"
    );
}

#[test]
fn pipeguards_names_of_retry_modes_and_failure_types_are_codepipelines() {
    assert_eq!(
        StageRetryMode::from(RetryMode::FailedActions.as_str()),
        StageRetryMode::FailedActions
    );
    assert_eq!(
        StageRetryMode::from(RetryMode::AllActions.as_str()),
        StageRetryMode::AllActions
    );
    for kind in FailureKind::ALL {
        let sent = FailureType::from(kind.as_str());
        assert_eq!(sent.as_str(), kind.as_str());
        assert!(FailureType::values().contains(&sent.as_str()), "{kind}");
    }
}

fn started() -> RetryStageExecutionOutput {
    RetryStageExecutionOutput::builder()
        .pipeline_execution_id("e1")
        .build()
}

fn throttled() -> RetryStageExecutionError {
    RetryStageExecutionError::generic(
        ErrorMetadata::builder()
            .code("ThrottlingException")
            .message("Rate exceeded")
            .build(),
    )
}

#[tokio::test]
async fn a_throttled_retry_is_sent_again_because_aws_refused_it_before_acting() {
    let retry = mock!(aws_sdk_codepipeline::Client::retry_stage_execution)
        .sequence()
        .error(throttled)
        .output(started)
        .build();
    let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&retry]));
    let outcome = client
        .retry_stage("web-app", "Deploy", "e1", RetryMode::FailedActions)
        .await
        .unwrap();
    assert!(matches!(outcome, RetryOutcome::Started), "{outcome:?}");
    assert_eq!(retry.num_calls(), 2);
}

#[tokio::test]
async fn a_retry_whose_outcome_is_unknown_is_not_sent_again() {
    for status in [500, 503] {
        let retry = mock!(aws_sdk_codepipeline::Client::retry_stage_execution)
            .sequence()
            .http_status(status, None)
            .output(started)
            .build();
        let client = CodePipeline::new(mock_client!(aws_sdk_codepipeline, [&retry]));
        let sent = client
            .retry_stage("web-app", "Deploy", "e1", RetryMode::FailedActions)
            .await;
        assert!(sent.is_err(), "{status}: {sent:?}");
        assert_eq!(retry.num_calls(), 1, "{status}");
    }
}

#[tokio::test]
async fn named_pipelines_are_taken_as_named_and_others_are_selected_from_every_page() {
    use aws_sdk_codepipeline::operation::list_pipelines::ListPipelinesOutput;
    use aws_sdk_codepipeline::types::PipelineSummary;
    let page = |names: &[&str], next: Option<&str>| {
        let summaries = names
            .iter()
            .map(|name| PipelineSummary::builder().name(*name).build());
        ListPipelinesOutput::builder()
            .set_pipelines(Some(summaries.collect()))
            .set_next_token(next.map(str::to_owned))
            .build()
    };
    let first = mock!(aws_sdk_codepipeline::Client::list_pipelines)
        .match_requests(|request| request.next_token().is_none())
        .then_output(move || page(&["prod-web", "dev-web"], Some("2")));
    let second = mock!(aws_sdk_codepipeline::Client::list_pipelines)
        .match_requests(|request| request.next_token() == Some("2"))
        .then_output(move || page(&["prod-api"], None));
    let codepipeline = CodePipeline::new(mock_client!(
        aws_sdk_codepipeline,
        RuleMode::MatchAny,
        [&first, &second]
    ));

    let named = PipelineSelection::Names(vec!["b".into(), "a".into()]);
    assert_eq!(codepipeline.selected_pipelines(&named).await.unwrap(), ["b", "a"]);
    assert_eq!(
        first.num_calls() + second.num_calls(),
        0,
        "named pipelines need no call"
    );

    let prefixed = PipelineSelection::Prefix("prod-".into());
    assert_eq!(
        codepipeline.selected_pipelines(&prefixed).await.unwrap(),
        ["prod-api", "prod-web"]
    );
    let everything = codepipeline
        .selected_pipelines(&PipelineSelection::Everything)
        .await
        .unwrap();
    assert_eq!(everything, ["dev-web", "prod-api", "prod-web"]);
}
