use super::*;
use serde_json::json;

fn documented_event() -> Value {
    serde_json::from_str(include_str!("../../../tests/events/codepipeline-job.json")).unwrap()
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
    let job =
        JobEvent::parse(&json!({"CodePipeline.job": {"id": "j1", "accountId": "111111111111", "data": {}}}))
            .unwrap();
    assert_eq!(
        job,
        JobEvent {
            job_id: "j1".into(),
            account_id: "111111111111".into(),
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

/// Found by the property tests: job data double-encoded as a string was quoted whole in the
/// malformed-data reason (serde's "invalid type: string ..."), artifact credentials and all,
/// and that reason is the failure message CodePipeline shows.
#[test]
fn malformed_data_never_quotes_the_data_that_carries_the_credentials() {
    let mut event = documented_event();
    let data = event["CodePipeline.job"]["data"].to_string();
    for broken in [json!(data), json!([data])] {
        event["CodePipeline.job"]["data"] = broken;
        let parsed = JobEvent::parse(&event);
        let Err(error @ JobEventError::MalformedData { .. }) = &parsed else {
            panic!("expected MalformedData, got {parsed:?}")
        };
        for text in [error.to_string(), format!("{parsed:?}")] {
            assert!(text.contains("`data`"), "names the field: {text}");
            for credential in [
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI",
                "MIICiTCCAfICCQD6m7oRw0uXOjANBgkqhkiG9w0BAQUFADCBiDELMAkGA1UEBhMCVVMx",
            ] {
                assert!(!text.contains(credential), "{text}");
            }
        }
    }
}

/// Found by the property tests: serde reads a struct from an array too, so an array where
/// CodePipeline sends an object was read positionally into UserParameters and the token.
#[test]
fn an_array_where_an_object_belongs_is_malformed_data() {
    for (event, field) in [
        (
            json!({"CodePipeline.job": {"id": "0", "data": [null, " "]}}),
            "`data`",
        ),
        (
            json!({"CodePipeline.job": {"id": "0", "data": {"actionConfiguration": {"configuration": [""]}}}}),
            "`data.actionConfiguration.configuration`",
        ),
    ] {
        match JobEvent::parse(&event) {
            Err(JobEventError::MalformedData { job_id, reason }) => {
                assert_eq!(job_id, "0");
                assert!(reason.contains(field) && reason.contains("array"), "{reason}");
            }
            other => panic!("expected MalformedData for {event}, got {other:?}"),
        }
    }
}

#[test]
fn a_job_names_the_account_its_pipeline_runs_in_or_is_malformed() {
    let job = JobEvent::parse(&documented_event()).unwrap();
    assert_eq!(job.account_id, "111111111111");
    for (account, why) in [
        (json!(null), "no `accountId`"),
        (json!("1111-1111-1111"), "12-digit"),
        (json!(42), "integer"),
    ] {
        let mut event = documented_event();
        event["CodePipeline.job"]["accountId"] = account.clone();
        match JobEvent::parse(&event) {
            Err(JobEventError::MalformedData { reason, .. }) => {
                assert!(reason.contains(why), "{account}: {reason}")
            }
            other => panic!("{account}: {other:?}"),
        }
    }
}
