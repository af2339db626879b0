use super::*;
use aws_sdk_ssm::error::ErrorMetadata;
use aws_sdk_ssm::operation::get_calendar_state::{GetCalendarStateInput, GetCalendarStateOutput};
use aws_sdk_ssm::types::error::{InvalidDocument, InvalidDocumentType};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

const OWN: &str = "111111111111";
const BUDGET: Duration = Duration::from_secs(5);

fn watch(entries: &[&str]) -> Vec<WatchedCalendar> {
    entries
        .iter()
        .map(|entry| WatchedCalendar::parse(entry).unwrap())
        .collect()
}

/// Answers a call for `name` with `state`, opening or closing next at `next`.
fn answers(name: &'static str, state: aws_sdk_ssm::types::CalendarState, next: Option<&'static str>) -> Rule {
    mock!(aws_sdk_ssm::Client::get_calendar_state)
        .match_requests(move |input: &GetCalendarStateInput| input.calendar_names() == [name])
        .then_output(move || {
            GetCalendarStateOutput::builder()
                .state(state.clone())
                .at_time("2026-12-07T18:00:00Z")
                .set_next_transition_time(next.map(str::to_owned))
                .build()
        })
}

/// Calendars whose every region's client answers with `rules`; `regions` records the regions a
/// client was built for.
fn calendars_with(rules: Vec<Rule>, regions: Arc<Mutex<Vec<String>>>) -> ChangeCalendars {
    ChangeCalendars::new(Some("us-east-1".into()), move |region: &str| {
        regions.lock().unwrap().push(region.to_owned());
        mock_client!(aws_sdk_ssm, RuleMode::MatchAny, &rules, |conf| conf.retry_config(
            aws_sdk_ssm::config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1))
        ))
    })
}

fn calendars(rules: Vec<Rule>) -> ChangeCalendars {
    calendars_with(rules, Arc::default())
}

#[tokio::test]
async fn each_calendar_is_asked_on_its_own_and_its_state_and_next_transition_are_read() {
    use aws_sdk_ssm::types::CalendarState as Sdk;
    let closed = answers("year-end", Sdk::Closed, Some("2027-01-01T00:00:00Z"));
    let open = answers("black-friday", Sdk::Open, None);
    let read = calendars(vec![closed.clone(), open.clone()])
        .readings(&watch(&["year-end", "black-friday"]), OWN, BUDGET)
        .await
        .unwrap();
    assert_eq!((closed.num_calls(), open.num_calls()), (1, 1));
    let answer_of = |name: &str| {
        read.calendars
            .iter()
            .find(|reading| reading.name == name)
            .map(|reading| reading.answer.clone())
    };
    assert_eq!(
        answer_of("year-end"),
        Some(CalendarAnswer::State {
            state: CalendarState::Closed,
            next_transition: Some(1_798_761_600)
        })
    );
    assert_eq!(
        answer_of("black-friday"),
        Some(CalendarAnswer::State {
            state: CalendarState::Open,
            next_transition: None
        })
    );
    assert_eq!(read.own.account, OWN);
}

#[tokio::test]
async fn each_region_gets_its_own_client_built_on_first_use_and_only_once() {
    use aws_sdk_ssm::types::CalendarState as Sdk;
    let regions = Arc::new(Mutex::new(Vec::new()));
    let gate = calendars_with(vec![answers("year-end", Sdk::Open, None)], Arc::clone(&regions));
    assert!(
        regions.lock().unwrap().is_empty(),
        "no client before a calendar is watched"
    );
    let watched = watch(&["year-end", "arn:aws:ssm:eu-west-1:111111111111:document/year-end"]);
    for _ in 0..2 {
        let read = gate.readings(&watched, OWN, BUDGET).await.unwrap();
        let mut places: Vec<&str> = read
            .calendars
            .iter()
            .map(|reading| reading.place.region.as_str())
            .collect();
        places.sort_unstable();
        assert_eq!(places, ["eu-west-1", "us-east-1"]);
    }
    let mut built = regions.lock().unwrap().clone();
    built.sort();
    assert_eq!(built, ["eu-west-1", "us-east-1"]);
}

#[tokio::test]
async fn a_document_that_does_not_exist_or_is_no_change_calendar_is_an_answer_not_an_outage() {
    let missing = mock!(aws_sdk_ssm::Client::get_calendar_state)
        .match_requests(|input: &GetCalendarStateInput| input.calendar_names() == ["year-ned"])
        .then_error(|| {
            GetCalendarStateError::InvalidDocument(
                InvalidDocument::builder()
                    .message("Invalid document: year-ned")
                    .build(),
            )
        });
    let wrong_type = mock!(aws_sdk_ssm::Client::get_calendar_state)
        .match_requests(|input: &GetCalendarStateInput| input.calendar_names() == ["run-script"])
        .then_error(|| {
            GetCalendarStateError::InvalidDocumentType(
                InvalidDocumentType::builder()
                    .message("run-script is not a ChangeCalendar document")
                    .build(),
            )
        });
    let read = calendars(vec![missing.clone(), wrong_type.clone()])
        .readings(&watch(&["year-ned", "run-script"]), OWN, BUDGET)
        .await
        .unwrap();
    let mut answers: Vec<CalendarAnswer> = read.calendars.into_iter().map(|reading| reading.answer).collect();
    answers.sort_by_key(|answer| format!("{answer:?}"));
    assert_eq!(
        answers,
        [
            CalendarAnswer::NoSuchCalendar("Invalid document: year-ned".into()),
            CalendarAnswer::NotACalendar("run-script is not a ChangeCalendar document".into()),
        ]
    );
    assert_eq!(
        (missing.num_calls(), wrong_type.num_calls()),
        (1, 1),
        "neither is retried"
    );
}

fn refusing(code: &'static str) -> Rule {
    mock!(aws_sdk_ssm::Client::get_calendar_state).then_error(move || {
        GetCalendarStateError::generic(ErrorMetadata::builder().code(code).message("no").build())
    })
}

#[tokio::test]
async fn refusals_are_typed_and_name_the_calendar_and_where_it_was_asked() {
    for (code, expected, calls) in [
        (
            "AccessDeniedException",
            CalendarCallError::AccessDenied("no".into()),
            1,
        ),
        (
            "ThrottlingException",
            CalendarCallError::Throttled("no".into()),
            3,
        ),
        (
            "InternalServerError",
            CalendarCallError::Service {
                code: "InternalServerError".into(),
                message: "no".into(),
            },
            1,
        ),
    ] {
        let rule = refusing(code);
        let error = calendars(vec![rule.clone()])
            .readings(
                &watch(&["arn:aws:ssm:eu-west-1:111111111111:document/year-end"]),
                OWN,
                BUDGET,
            )
            .await
            .unwrap_err();
        assert_eq!(error.error, expected, "{code}");
        assert_eq!(
            (error.name.as_str(), error.place.region.as_str()),
            ("year-end", "eu-west-1")
        );
        assert_eq!(rule.num_calls(), calls, "{code}: throttling alone is retried");
    }
}

#[tokio::test]
async fn an_answer_without_a_state_is_unreadable_and_one_with_an_unreadable_time_keeps_its_state() {
    let no_state = mock!(aws_sdk_ssm::Client::get_calendar_state)
        .then_output(|| GetCalendarStateOutput::builder().build());
    let error = calendars(vec![no_state])
        .readings(&watch(&["year-end"]), OWN, BUDGET)
        .await
        .unwrap_err();
    assert!(
        matches!(error.error, CalendarCallError::BadResponse(_)),
        "{error}"
    );
    let bad_time = answers(
        "year-end",
        aws_sdk_ssm::types::CalendarState::Closed,
        Some("soon"),
    );
    let read = calendars(vec![bad_time])
        .readings(&watch(&["year-end"]), OWN, BUDGET)
        .await
        .unwrap();
    assert_eq!(
        read.calendars[0].answer,
        CalendarAnswer::State {
            state: CalendarState::Closed,
            next_transition: None,
        },
        "closed, with no opening known: it blocks"
    );
}

#[tokio::test]
async fn an_ssm_that_does_not_answer_in_time_is_a_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            held.push(connection);
        }
    });
    let silent = ChangeCalendars::new(Some("us-east-1".into()), move |region: &str| {
        aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::Config::builder()
                .behavior_version_latest()
                .region(aws_sdk_ssm::config::Region::new(region.to_owned()))
                .credentials_provider(aws_sdk_ssm::config::Credentials::new(
                    "test", "test", None, None, "test",
                ))
                .endpoint_url(url.clone())
                .build(),
        )
    });
    let started = std::time::Instant::now();
    let error = silent
        .readings(&watch(&["year-end"]), OWN, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_eq!(error.error, CalendarCallError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
    server.abort();
}

#[tokio::test]
async fn without_a_region_nothing_is_asked() {
    let rule = refusing("AccessDeniedException");
    let rules = vec![rule.clone()];
    let gate = ChangeCalendars::new(None, move |_: &str| {
        mock_client!(aws_sdk_ssm, RuleMode::MatchAny, &rules)
    });
    let error = gate
        .readings(&watch(&["year-end"]), OWN, BUDGET)
        .await
        .unwrap_err();
    assert_eq!(error.error, CalendarCallError::NoRegion);
    assert_eq!(rule.num_calls(), 0);
}
