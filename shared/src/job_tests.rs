use super::*;
use aws_sdk_codepipeline::operation::put_job_failure_result::{
    PutJobFailureResultError, PutJobFailureResultOutput,
};
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
use aws_sdk_codepipeline::types::error::InvalidJobStateException;
use aws_smithy_mocks::{mock, mock_client};
use serde_json::json;

fn documented_event() -> Value {
    serde_json::from_str(include_str!("../../tests/events/codepipeline-job.json")).unwrap()
}

#[test]
fn parses_the_aws_documentation_example() {
    let job = JobEvent::parse(&documented_event()).unwrap();
    assert_eq!(job.job_id, "11111111-abcd-1111-abcd-111111abcdef");
    assert_eq!(job.user_parameters.as_deref(), Some("some-input-such-as-a-URL"));
    assert_eq!(
        job.continuation_token.as_deref(),
        Some("A continuation token if continuing job")
    );
}

#[test]
fn never_keeps_the_artifact_credentials() {
    let job = JobEvent::parse(&documented_event()).unwrap();
    let printed = format!("{job:?}");
    assert!(!printed.contains("AKIAIOSFODNN7EXAMPLE") && !printed.contains("wJalrXUtnFEMI"));
}

#[test]
fn a_job_without_user_parameters_or_token_is_fine() {
    let job = JobEvent::parse(&json!({"CodePipeline.job": {"id": "j1", "data": {}}})).unwrap();
    assert_eq!(
        job,
        JobEvent {
            job_id: "j1".into(),
            user_parameters: None,
            continuation_token: None
        }
    );
}

#[test]
fn an_event_without_a_job_id_cannot_be_answered() {
    for event in [
        json!({}),
        json!({"CodePipeline.job": {}}),
        json!({"CodePipeline.job": {"id": 5}}),
        json!({"CodePipeline.job": {"id": ""}}),
    ] {
        assert_eq!(JobEvent::parse(&event), Err(JobEventError::NoJobId), "{event}");
    }
}

#[test]
fn malformed_data_keeps_the_job_id_so_the_job_can_be_failed() {
    let event = json!({"CodePipeline.job": {"id": "j2", "data": {"actionConfiguration": {"configuration": {"UserParameters": 42}}}}});
    match JobEvent::parse(&event) {
        Err(JobEventError::MalformedData { job_id, reason }) => {
            assert_eq!(job_id, "j2");
            assert!(reason.contains("integer"), "{reason}");
        }
        other => panic!("expected MalformedData, got {other:?}"),
    }
}

#[test]
fn results_are_cut_to_codepipeline_limits() {
    let JobResult::Failure { message, .. } = JobResult::failure(FailureKind::JobFailed, &"é".repeat(9000))
    else {
        panic!()
    };
    assert_eq!(message.chars().count(), MAX_FAILURE_MESSAGE_CHARS);
    let JobResult::Success { summary, .. } = JobResult::success(&"s".repeat(3000), vec![]) else {
        panic!()
    };
    assert_eq!(summary.chars().count(), MAX_SUMMARY_CHARS);
    let JobResult::Failure { message, .. } = JobResult::failure(FailureKind::JobFailed, "") else {
        panic!()
    };
    assert!(!message.is_empty(), "CodePipeline requires a message");
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
    let client = mock_client!(aws_sdk_codepipeline, [&put_failure]);
    report(
        &client,
        "j3",
        &JobResult::failure(FailureKind::ConfigurationError, "bad"),
    )
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
    let client = mock_client!(
        aws_sdk_codepipeline,
        aws_smithy_mocks::RuleMode::MatchAny,
        [&final_success, &in_progress]
    );
    report(
        &client,
        "j4",
        &JobResult::success("ok", vec![("verdict".into(), "PASS".into())]),
    )
    .await
    .unwrap();
    report(&client, "j5", &JobResult::in_progress("holding", "t".into()))
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
    let client = mock_client!(aws_sdk_codepipeline, [&put_failure]);
    let reported = report(&client, "j6", &JobResult::failure(FailureKind::JobFailed, "x")).await;
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
    let client = mock_client!(aws_sdk_codepipeline, [&put_failure]);
    let error = report(&client, "j7", &JobResult::failure(FailureKind::JobFailed, "x"))
        .await
        .unwrap_err();
    assert_eq!(error.job_id, "j7");
    assert!(error.to_string().contains("j7"));
}
