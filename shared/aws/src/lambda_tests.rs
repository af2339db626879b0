use super::*;

#[test]
fn an_unknown_deadline_is_none_and_a_past_one_is_zero() {
    assert_eq!(time_left(0), None);
    assert_eq!(time_left(1), Some(Duration::ZERO));
    let in_a_minute = crate::clock::unix_millis() as u64 + 60_000;
    assert!(time_left(in_a_minute).is_some_and(|left| left > Duration::from_secs(55)));
}

#[test]
fn lambda_is_told_what_kind_of_failure_an_invocation_had() {
    let configuration = Diagnostic::from(InvocationError::from(SettingError {
        setting: "environment variable RETRY_MODE".into(),
        reason: "`SOMETIMES` is not one of FAILED_ACTIONS, ALL_ACTIONS".into(),
    }));
    assert_eq!(configuration.error_type, "ConfigurationError");
    assert!(configuration.error_message.contains("RETRY_MODE"));
    let call = Diagnostic::from(InvocationError::from(PipelineCallError {
        operation: "GetPipelineState",
        pipeline: "web-app".into(),
        cause: Box::new(aws_sdk_codepipeline::Error::ConcurrentModificationException(
            aws_sdk_codepipeline::types::error::ConcurrentModificationException::builder()
                .message("throttled")
                .build(),
        )),
    }));
    assert_eq!(call.error_type, "CodePipelineCallFailed");
    assert_eq!(
        Diagnostic::from(InvocationError::from(JobEventError::NoJobId)).error_type,
        "NotACodePipelineJob"
    );
}

#[test]
fn a_function_runs_in_the_account_its_arn_names() {
    assert_eq!(
        account_of("arn:aws:lambda:us-east-1:123456789012:function:stage-retry"),
        Some("123456789012".to_owned())
    );
    assert_eq!(
        account_of("arn:aws:lambda:us-east-1:123456789012:function:stage-retry:live"),
        Some("123456789012".to_owned()),
        "an alias's ARN"
    );
    for not_one in [
        "",
        "arn:aws:lambda:us-east-1:12345:function:x",
        "arn:aws:sns:us-east-1:123456789012:topic",
    ] {
        assert_eq!(account_of(not_one), None, "{not_one}");
    }
}
