use super::*;
use aws_sdk_ssm::operation::get_calendar_state::{GetCalendarStateError, GetCalendarStateOutput};
use aws_sdk_ssm::types::CalendarState;
use aws_sdk_ssm::types::error::{InternalServerError, InvalidDocument, InvalidDocumentType};

fn calendar_answer(state: CalendarState, next: Option<&str>) -> Rule {
    let next = next.map(str::to_owned);
    mock!(aws_sdk_ssm::Client::get_calendar_state).then_output(move || {
        GetCalendarStateOutput::builder()
            .state(state.clone())
            .at_time("2026-12-07T18:00:00Z")
            .set_next_transition_time(next.clone())
            .build()
    })
}

fn calendar_error(error: fn() -> GetCalendarStateError) -> Rule {
    mock!(aws_sdk_ssm::Client::get_calendar_state).then_error(error)
}

fn with_ssm(ssm: Vec<Rule>, codepipeline: Vec<Rule>) -> Aws {
    let mut aws = Aws::new(vec![no_events()], codepipeline);
    aws.ssm = ssm;
    aws
}

const WATCHING: &str = r#"{"change_calendars": ["year-end"]}"#;

/// An opening far enough ahead that no hold could reach it.
const NEXT_YEAR: &str = "2099-01-01T00:00:00Z";

#[tokio::test]
async fn a_closed_calendar_fails_the_job_naming_it_and_when_it_opens() {
    let state = calendar_answer(CalendarState::Closed, Some(NEXT_YEAR));
    let failure = failure_where(|request| {
        request.failure_details().is_some_and(|details| {
            let message = details.message();
            details.r#type().as_str() == "JobFailed"
                && message.contains("Deployment blocked by 1 closed Change Calendar")
                && message.contains("Change Calendar year-end (us-east-1, account 123456789012) is CLOSED; it opens at 2099-01-01 00:00 UTC")
                && message.contains(r#""calendars":[{"name":"year-end""#)
        })
    });
    let aws = with_ssm(vec![state.clone()], vec![failure.clone()]);
    aws.gate().handle(job("job-c1", WATCHING, None)).await.unwrap();
    assert_eq!((state.num_calls(), failure.num_calls()), (1, 1));
}

#[tokio::test]
async fn open_calendars_pass_with_the_calendars_checked() {
    let success = success_where(|request| {
        variable(request, "verdict") == Some("PASS") && variable(request, "calendars") == Some("checked")
    });
    let aws = with_ssm(
        vec![calendar_answer(CalendarState::Open, None)],
        vec![success.clone()],
    );
    aws.gate().handle(job("job-c2", WATCHING, None)).await.unwrap();
    assert_eq!(success.num_calls(), 1);
}

#[tokio::test]
async fn a_gate_that_watches_no_calendar_never_asks_ssm() {
    let state = calendar_answer(CalendarState::Closed, None);
    let success = success_where(|request| variable(request, "calendars") == Some("not-watched"));
    let aws = with_ssm(vec![state.clone()], vec![success.clone()]);
    aws.gate().handle(job("job-c3", "", None)).await.unwrap();
    assert_eq!((state.num_calls(), success.num_calls()), (0, 1));
}

#[tokio::test]
async fn a_calendar_that_does_not_exist_or_is_no_change_calendar_is_a_configuration_error() {
    for (error, says) in [
        (
            (|| {
                GetCalendarStateError::InvalidDocument(
                    InvalidDocument::builder().message("Invalid document").build(),
                )
            }) as fn() -> GetCalendarStateError,
            "Change Calendar `year-end` (us-east-1, account 123456789012): no such SSM document",
        ),
        (
            || {
                GetCalendarStateError::InvalidDocumentType(
                    InvalidDocumentType::builder()
                        .message("document type is not ChangeCalendar")
                        .build(),
                )
            },
            "Change Calendar `year-end` (us-east-1, account 123456789012): the SSM document is not a Change Calendar",
        ),
    ] {
        let failure = failure_of("ConfigurationError", says);
        let aws = with_ssm(vec![calendar_error(error)], vec![failure.clone()]);
        aws.gate().handle(job("job-c4", WATCHING, None)).await.unwrap();
        assert_eq!(failure.num_calls(), 1, "{says}");
    }
}

fn internal_error() -> GetCalendarStateError {
    // As the SDK reads it off the wire: the error's code in its metadata too.
    GetCalendarStateError::InternalServerError(
        InternalServerError::builder()
            .message("try later")
            .meta(
                aws_sdk_ssm::error::ErrorMetadata::builder()
                    .code("InternalServerError")
                    .message("try later")
                    .build(),
            )
            .build(),
    )
}

fn throttled() -> GetCalendarStateError {
    GetCalendarStateError::generic(
        aws_sdk_ssm::error::ErrorMetadata::builder()
            .code("ThrottlingException")
            .message("Rate exceeded")
            .build(),
    )
}

#[tokio::test]
async fn ssm_failing_fails_closed_as_calendars_unavailable_and_fail_open_passes_unchecked() {
    for (error, cause) in [
        (
            internal_error as fn() -> GetCalendarStateError,
            "InternalServerError",
        ),
        (throttled, "throttled after retries"),
    ] {
        let failure = failure_where(move |request| {
            request.failure_details().is_some_and(|details| {
                details.r#type().as_str() == "SystemUnavailable"
                    && details
                        .message()
                        .contains("The Change Calendars could not be read")
                    && details.message().contains("GetCalendarState for year-end")
                    && details.message().contains(cause)
            })
        });
        let aws = with_ssm(vec![calendar_error(error)], vec![failure.clone()]);
        aws.gate().handle(job("job-c5", WATCHING, None)).await.unwrap();
        assert_eq!(failure.num_calls(), 1, "{cause}");

        let success = success_where(|request| {
            variable(request, "verdict") == Some("PASS_CALENDARS_UNCHECKED")
                && variable(request, "calendars") == Some("unavailable")
        });
        let aws = with_ssm(vec![calendar_error(error)], vec![success.clone()]);
        aws.gate()
            .handle(job(
                "job-c6",
                r#"{"change_calendars": ["year-end"], "on_health_error": "fail-open"}"#,
                None,
            ))
            .await
            .unwrap();
        assert_eq!(success.num_calls(), 1, "{cause}");
    }
}

#[tokio::test]
async fn a_hanging_ssm_is_calendars_unavailable_before_the_deadline() {
    let (url, _, server) = hanging_server("").await;
    let failure = failure_where(|request| {
        request.failure_details().is_some_and(|details| {
            details.r#type().as_str() == "SystemUnavailable"
                && details
                    .message()
                    .contains("GetCalendarState for year-end in us-east-1, account 123456789012: timed out")
        })
    });
    let aws = Aws::new(vec![no_events()], vec![failure.clone()]);
    let mut gate = Arc::into_inner(aws.gate()).unwrap();
    gate.calendars = ChangeCalendars::new(Some("us-east-1".into()), move |_: &str| {
        client_at!(aws_sdk_ssm, url.clone())
    });
    Arc::new(gate)
        .handle(event_with_seconds_left("job-c7", WATCHING, 2))
        .await
        .unwrap();
    assert_eq!(failure.num_calls(), 1);
    server.abort();
}

#[tokio::test]
async fn a_calendar_of_another_account_is_a_configuration_error_and_nothing_is_asked() {
    let state = calendar_answer(CalendarState::Open, None);
    let failure = failure_of("ConfigurationError", "is in account 222233334444");
    let aws = with_ssm(vec![state.clone()], vec![failure.clone()]);
    aws.gate()
        .handle(job(
            "job-c8",
            r#"{"change_calendars": ["arn:aws:ssm:us-east-1:222233334444:document/org-freeze"]}"#,
            None,
        ))
        .await
        .unwrap();
    assert_eq!((state.num_calls(), failure.num_calls()), (0, 1));
}

#[tokio::test]
async fn a_calendar_that_opens_after_the_longest_hold_fails_at_once_and_one_sooner_is_held() {
    let parameters = r#"{"change_calendars": ["year-end"], "on_block": "wait", "max_wait_minutes": 60}"#;
    let too_late = failure_where(|request| {
        request.failure_details().is_some_and(|details| {
            details
                .message()
                .contains("a closed Change Calendar would not let it start within max_wait_minutes (60)")
        })
    });
    let aws = with_ssm(
        vec![calendar_answer(CalendarState::Closed, Some(NEXT_YEAR))],
        vec![too_late.clone()],
    );
    aws.gate().handle(job("job-c9", parameters, None)).await.unwrap();
    assert_eq!(too_late.num_calls(), 1);

    let opens = chrono::DateTime::from_timestamp(pipeguard_aws::clock::unix_seconds() + 20 * 60, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let held = success_where(|request| {
        request.continuation_token().is_some()
            && request
                .execution_details()
                .and_then(|details| details.summary())
                .is_some_and(|summary| summary.contains("year-end") && summary.contains("is CLOSED"))
    });
    let aws = with_ssm(
        vec![calendar_answer(CalendarState::Closed, Some(&opens))],
        vec![held.clone()],
    );
    aws.gate().handle(job("job-c10", parameters, None)).await.unwrap();
    assert_eq!(held.num_calls(), 1);
}
