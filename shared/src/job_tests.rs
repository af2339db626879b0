use super::*;
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

#[test]
fn a_trailer_survives_the_cut_to_the_limit() {
    let trailer = "pipeguard:hold:v1 {\"events\":[]}";
    let JobResult::Failure { message, .. } =
        JobResult::failure_with_trailer(FailureKind::JobFailed, &"x".repeat(9000), trailer)
    else {
        panic!()
    };
    assert_eq!(message.chars().count(), MAX_FAILURE_MESSAGE_CHARS);
    assert!(message.ends_with(&format!("\n{trailer}")), "{message}");
}

#[test]
fn a_trailer_too_long_for_the_limit_is_dropped_not_sent_over_it() {
    let JobResult::Failure { message, .. } =
        JobResult::failure_with_trailer(FailureKind::JobFailed, "blocked", &"t".repeat(6000))
    else {
        panic!()
    };
    assert_eq!(message, "blocked");
}
