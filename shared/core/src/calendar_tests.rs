use super::*;

const OWN_ACCOUNT: &str = "111111111111";

fn own() -> CalendarPlace {
    place("us-east-1")
}

fn place(region: &str) -> CalendarPlace {
    CalendarPlace {
        region: region.into(),
        account: OWN_ACCOUNT.into(),
    }
}

fn watch(entries: &[&str]) -> Vec<WatchedCalendar> {
    entries
        .iter()
        .map(|entry| WatchedCalendar::parse(entry).unwrap())
        .collect()
}

fn reading(name: &str, at: &CalendarPlace, answer: CalendarAnswer) -> CalendarReading {
    CalendarReading {
        name: name.into(),
        place: at.clone(),
        answer,
    }
}

fn state(state: CalendarState, next_transition: Option<i64>) -> CalendarAnswer {
    CalendarAnswer::State {
        state,
        next_transition,
    }
}

#[test]
fn a_name_is_looked_for_where_the_gate_is_and_an_arn_where_it_says() {
    let by_name = WatchedCalendar::parse(" year-end-freeze ").unwrap();
    assert_eq!(by_name.name, "year-end-freeze");
    assert_eq!(by_name.place_or(&own()), &own());
    let by_arn = WatchedCalendar::parse("arn:aws:ssm:eu-west-1:111111111111:document/year-end").unwrap();
    assert_eq!(by_arn.name, "year-end");
    assert_eq!(by_arn.place_or(&own()), &place("eu-west-1"));
}

#[test]
fn what_is_not_a_calendar_name_or_document_arn_is_refused_with_why() {
    for (given, says) in [
        ("ab", "not an SSM Change Calendar name"),
        ("has space", "not an SSM Change Calendar name"),
        (
            "arn:aws:cloudwatch:us-east-1:111111111111:alarm:x",
            "not an SSM document ARN",
        ),
        (
            "arn:aws:ssm:us-east-1:111111111111:parameter/x",
            "not an SSM document ARN",
        ),
        (
            "arn:aws:ssm:useast1:111111111111:document/year-end",
            "not an AWS region code",
        ),
        (
            "arn:aws:ssm:us-east-1:1111:document/year-end",
            "not a 12-digit AWS account id",
        ),
        (
            "arn:aws:ssm:us-east-1:111111111111:document/a",
            "not an SSM Change Calendar name",
        ),
    ] {
        let error = WatchedCalendar::parse(given).unwrap_err();
        assert!(error.contains(says), "{given}: {error}");
    }
}

#[test]
fn each_calendar_is_asked_once_on_its_own_so_the_answer_names_it() {
    let watched = watch(&[
        "year-end",
        "arn:aws:ssm:us-east-1:111111111111:document/year-end",
        "arn:aws:ssm:eu-west-1:111111111111:document/year-end",
        "black-friday",
    ]);
    let asked: Vec<(String, String)> = asks(&watched, &own())
        .into_iter()
        .map(|ask| (ask.name, ask.place.region))
        .collect();
    assert_eq!(
        asked,
        [
            ("year-end".to_owned(), "us-east-1".to_owned()),
            ("year-end".to_owned(), "eu-west-1".to_owned()),
            ("black-friday".to_owned(), "us-east-1".to_owned()),
        ]
    );
}

#[test]
fn another_accounts_calendar_is_found_so_the_gate_can_refuse_it() {
    let watched = watch(&[
        "year-end",
        "arn:aws:ssm:us-east-1:222222222222:document/shared-freeze",
    ]);
    let foreign = in_other_accounts(&watched, OWN_ACCOUNT);
    assert_eq!(foreign.len(), 1);
    assert_eq!(foreign[0].0.name, "shared-freeze");
    assert!(in_other_accounts(&watch(&["year-end"]), OWN_ACCOUNT).is_empty());
}

#[test]
fn a_closed_calendar_blocks_with_when_it_opens_and_an_open_one_does_not() {
    let watched = watch(&["year-end", "black-friday"]);
    let found = assess(
        &watched,
        &CalendarReadings {
            own: own(),
            calendars: vec![
                reading(
                    "year-end",
                    &own(),
                    state(CalendarState::Closed, Some(1_798_761_600)),
                ),
                reading(
                    "black-friday",
                    &own(),
                    state(CalendarState::Open, Some(1_795_000_000)),
                ),
            ],
        },
    );
    assert_eq!(found.watched, 2);
    assert!(found.misconfigured.is_empty());
    assert_eq!(
        found.closed,
        [ClosedCalendar {
            name: "year-end".into(),
            place: own(),
            state: CalendarState::Closed,
            opens_at: Some(1_798_761_600),
        }]
    );
    assert_eq!(
        found.closed[0].describe(),
        "AWS Systems Manager Change Calendar year-end (us-east-1, account 111111111111) is CLOSED; it opens at 2027-01-01 00:00 UTC"
    );
}

#[test]
fn a_closed_calendar_with_no_transition_says_no_opening_is_scheduled() {
    let closed = ClosedCalendar {
        name: "forever".into(),
        place: own(),
        state: CalendarState::Closed,
        opens_at: None,
    };
    assert!(
        closed.describe().ends_with("is CLOSED; no opening scheduled"),
        "{}",
        closed.describe()
    );
    assert_eq!(closed.key(), "calendar us-east-1 111111111111 forever");
}

#[test]
fn a_state_this_version_does_not_know_blocks() {
    let found = assess(
        &watch(&["year-end"]),
        &CalendarReadings {
            own: own(),
            calendars: vec![reading(
                "year-end",
                &own(),
                state(CalendarState::from("HALF_OPEN"), None),
            )],
        },
    );
    assert_eq!(found.closed.len(), 1);
    assert_eq!(found.closed[0].state.as_str(), "HALF_OPEN");
}

#[test]
fn a_calendar_that_does_not_exist_or_is_no_change_calendar_is_named_as_misconfigured() {
    let found = assess(
        &watch(&["year-ned", "AWS-RunShellScript", "never-answered"]),
        &CalendarReadings {
            own: own(),
            calendars: vec![
                reading(
                    "year-ned",
                    &own(),
                    CalendarAnswer::NoSuchCalendar("Invalid document".into()),
                ),
                reading(
                    "AWS-RunShellScript",
                    &own(),
                    CalendarAnswer::NotACalendar("not a ChangeCalendar".into()),
                ),
            ],
        },
    );
    assert!(found.closed.is_empty());
    assert_eq!(found.misconfigured.len(), 3, "{:?}", found.misconfigured);
    assert!(
        found.misconfigured[0].contains("`year-ned`")
            && found.misconfigured[0].contains("no such SSM document")
    );
    assert!(found.misconfigured[1].contains("not a Change Calendar"));
    assert!(found.misconfigured[2].contains("no answer"));
    let error = misconfigured_error(&found.misconfigured);
    assert!(error.starts_with("change_calendars: "), "{error}");
}

#[test]
fn a_reading_of_another_region_does_not_answer_for_the_same_name_here() {
    let found = assess(
        &watch(&["year-end"]),
        &CalendarReadings {
            own: own(),
            calendars: vec![reading(
                "year-end",
                &place("eu-west-1"),
                state(CalendarState::Closed, None),
            )],
        },
    );
    assert!(found.closed.is_empty());
    assert_eq!(found.misconfigured.len(), 1);
}

#[test]
fn ssm_times_read_as_seconds_and_anything_else_is_refused() {
    assert_eq!(read_time("2027-01-01T00:00:00Z"), Ok(1_798_761_600));
    assert_eq!(read_time("2027-01-01T01:00:00+01:00"), Ok(1_798_761_600));
    assert!(
        read_time("next tuesday")
            .unwrap_err()
            .contains("not an ISO 8601 time")
    );
}
