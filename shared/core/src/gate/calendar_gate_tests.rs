use super::*;
use crate::calendar::{
    CalendarAnswer, CalendarCallError, CalendarPlace, CalendarReading, CalendarReadings, CalendarState,
    CalendarsUnavailable, ClosedCalendar,
};
use crate::hold::{HeldCalendar, Hold};
use crate::holder::{ALARMS_NOT_ASKED, AlarmsKnown, FreezesKnown, Holder, Known, Release, holders_now};

fn own_place() -> CalendarPlace {
    CalendarPlace {
        region: "us-east-1".into(),
        account: OWN.into(),
    }
}

fn answered(name: &str, state: CalendarState, next_transition: Option<i64>) -> CalendarReading {
    CalendarReading {
        name: name.into(),
        place: own_place(),
        answer: CalendarAnswer::State {
            state,
            next_transition,
        },
    }
}

fn with_calendars(calendars: Vec<CalendarReading>) -> Observations {
    let mut observations = observe(vec![]);
    observations.calendars = Some(Ok(CalendarReadings {
        own: own_place(),
        calendars,
    }));
    observations
}

fn ssm_down() -> Observations {
    partly_read(vec![])
}

/// release-train could not be read; SSM answered for `answered`.
fn partly_read(answered: Vec<CalendarReading>) -> Observations {
    let mut observations = observe(vec![]);
    observations.calendars = Some(Err(CalendarsUnavailable {
        name: "year-end".into(),
        place: own_place(),
        error: CalendarCallError::Throttled("Rate exceeded".into()),
        known: CalendarReadings {
            own: own_place(),
            calendars: answered,
        },
    }));
    observations
}

#[test]
fn a_closed_calendar_ssm_answered_for_blocks_though_another_could_not_be_read() {
    for on_error in ["fail-closed", "fail-open"] {
        let policy = policy(&format!(
            r#"{{"change_calendars": ["year-end", "release-train"], "on_health_error": "{on_error}"}}"#
        ));
        let closed = vec![answered("release-train", CalendarState::Closed, Some(NOW + 600))];
        let outcome = decide(&policy, partly_read(closed));
        let GateOutcome::Blocked { blockers, .. } = &outcome else {
            panic!("{on_error}: {outcome:?}")
        };
        assert!(
            blockers.iter().any(
                |blocker| matches!(blocker, Blocker::Calendar(calendar) if calendar.name == "release-train")
            ),
            "{on_error}: {blockers:?}"
        );
    }
}

fn closed(name: &str, opens_at: Option<i64>) -> ClosedCalendar {
    ClosedCalendar {
        name: name.into(),
        place: own_place(),
        state: CalendarState::Closed,
        opens_at,
    }
}

const WATCHING: &str = r#"{"change_calendars": ["year-end", "release-train"]}"#;

#[test]
fn a_closed_calendar_blocks_with_the_verdict_calendar_closed_naming_it_and_when_it_opens() {
    let outcome = decide(
        &policy(WATCHING),
        with_calendars(vec![
            answered("year-end", CalendarState::Closed, Some(NOW + 3600)),
            answered("release-train", CalendarState::Open, Some(NOW + 600)),
        ]),
    );
    assert_eq!(
        outcome,
        GateOutcome::Blocked {
            blockers: vec![Blocker::Calendar(closed("year-end", Some(NOW + 3600)))],
            health: ASKED,
            at: NOW,
        }
    );
    assert_eq!(outcome.label(), "CALENDAR_CLOSED");
    let JobResult::Failure { kind, message } = render(&outcome) else {
        panic!("{outcome:?}")
    };
    assert_eq!(kind, FailureKind::JobFailed);
    for part in [
        "Deployment blocked by 1 closed Change Calendar",
        "Change Calendar year-end (us-east-1, account 111111111111) is CLOSED; it opens at 2025-11-22 09:26 UTC",
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }
    let hold = Hold::read(&message).expect("a marker naming the calendar");
    assert_eq!(
        hold.calendars,
        [HeldCalendar {
            name: "year-end".into(),
            region: "us-east-1".into(),
            account: OWN.into(),
            opens_at: Some(NOW + 3600),
        }]
    );
}

#[test]
fn open_calendars_pass_and_say_how_many_were_watched() {
    let outcome = decide(
        &policy(WATCHING),
        with_calendars(vec![
            answered("year-end", CalendarState::Open, None),
            answered("release-train", CalendarState::Open, None),
        ]),
    );
    assert_eq!(outcome.label(), "PASS");
    let JobResult::Success {
        summary,
        output_variables: variables,
    } = render(&outcome)
    else {
        panic!("{outcome:?}")
    };
    assert!(summary.contains("2 Change Calendars open"), "{summary}");
    assert!(
        variables.contains(&("calendars".into(), "checked".into())),
        "{variables:?}"
    );
}

#[test]
fn a_calendar_that_does_not_exist_or_is_none_is_a_configuration_error_naming_it() {
    let outcome = decide(
        &policy(WATCHING),
        with_calendars(vec![
            answered("year-end", CalendarState::Closed, None),
            CalendarReading {
                name: "release-train".into(),
                place: own_place(),
                answer: CalendarAnswer::NoSuchCalendar("Invalid document".into()),
            },
        ]),
    );
    let GateOutcome::Misconfigured(reason) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        reason.contains(
            "Change Calendar `release-train` (us-east-1, account 111111111111): no such SSM document"
        ),
        "{reason}"
    );
    assert!(matches!(
        render(&outcome),
        JobResult::Failure {
            kind: FailureKind::ConfigurationError,
            ..
        }
    ));
}

#[test]
fn ssm_unreachable_fails_closed_as_calendars_unavailable_and_fail_open_passes_unchecked() {
    let outcome = decide(&policy(WATCHING), ssm_down());
    assert_eq!(outcome.label(), "CALENDARS_UNAVAILABLE");
    assert!(outcome.needs_a_person());
    let JobResult::Failure { kind, message } = render(&outcome) else {
        panic!("{outcome:?}")
    };
    assert_eq!(kind, FailureKind::SystemUnavailable);
    assert!(
        message.contains("GetCalendarState for year-end in us-east-1, account 111111111111: throttled"),
        "{message}"
    );

    let open = policy(r#"{"change_calendars": ["year-end"], "on_health_error": "fail-open"}"#);
    let outcome = decide(&open, ssm_down());
    assert_eq!(outcome.label(), "PASS_CALENDARS_UNCHECKED");
    let JobResult::Success {
        summary,
        output_variables: variables,
    } = render(&outcome)
    else {
        panic!("{outcome:?}")
    };
    assert!(
        summary.contains("its Change Calendars could not be read"),
        "{summary}"
    );
    assert!(variables.contains(&("calendars".into(), "unavailable".into())));
}

#[test]
fn a_policy_that_watches_no_calendar_ignores_what_ssm_says() {
    let outcome = decide(&policy(""), ssm_down());
    assert_eq!(outcome.label(), "PASS");
    let JobResult::Success {
        output_variables: variables,
        ..
    } = render(&outcome)
    else {
        panic!("{outcome:?}")
    };
    assert!(variables.contains(&("calendars".into(), "not-watched".into())));
}

#[test]
fn a_hold_waits_for_a_calendar_that_opens_in_time_and_fails_at_once_for_one_that_does_not() {
    let waiting = policy(r#"{"change_calendars": ["year-end"], "on_block": "wait", "max_wait_minutes": 60}"#);
    let soon = decide(
        &waiting,
        with_calendars(vec![answered(
            "year-end",
            CalendarState::Closed,
            Some(NOW + 30 * 60),
        )]),
    );
    let GateOutcome::Hold {
        wait,
        newly_held: true,
        ..
    } = &soon
    else {
        panic!("{soon:?}")
    };
    assert_eq!(wait.held_by, ["calendar us-east-1 111111111111 year-end"]);

    let mut opened = with_calendars(vec![answered("year-end", CalendarState::Open, None)]);
    opened.wait = Some(wait.clone());
    opened.now = NOW + 31 * 60;
    assert!(matches!(
        decide(&waiting, opened),
        GateOutcome::Pass {
            held_minutes: Some(31),
            ..
        }
    ));

    for opens_at in [Some(NOW + 61 * 60), None] {
        let too_far = decide(
            &waiting,
            with_calendars(vec![answered("year-end", CalendarState::Closed, opens_at)]),
        );
        assert!(
            matches!(too_far, GateOutcome::WindowTooFar { .. }),
            "{opens_at:?}: {too_far:?}"
        );
        assert_eq!(too_far.label(), "CALENDAR_CLOSED");
        let JobResult::Failure { message, .. } = render(&too_far) else {
            panic!("{too_far:?}")
        };
        assert!(
            message.contains("a closed Change Calendar would not let it start within max_wait_minutes (60)")
                && message.contains("stage-retry resumes it when the calendar opens"),
            "{message}"
        );
        if opens_at.is_none() {
            assert!(message.contains("no opening scheduled"), "{message}");
        }
    }
}

#[test]
fn a_held_calendar_ends_on_its_opening_event_or_once_its_opening_has_passed_and_only_it() {
    let held = HeldCalendar {
        name: "year-end".into(),
        region: "us-east-1".into(),
        account: OWN.into(),
        opens_at: Some(NOW + 3600),
    };
    let mut hold = Hold::new(vec![], None);
    hold.add(Holder::Calendar(held.clone()));
    hold.add(Holder::Freeze("frz-1".into()));
    let known = |release| Known {
        events_closed: Ok(&[]),
        release,
        freezes: FreezesKnown::Unreadable("not read in this test"),
        alarms: AlarmsKnown::NotAsked(ALARMS_NOT_ASKED),
        overrides: &[],
    };
    let calendar_holds = |release, now| {
        holders_now(&hold, &known(release), "web-app", now)
            .into_iter()
            .find(|state| state.holder.kind().name() == "calendar")
            .expect("the calendar")
            .still_holds()
    };
    assert!(calendar_holds(None, NOW), "closed until it opens");
    assert!(
        !calendar_holds(None, NOW + 3600),
        "the sweep: its opening has passed"
    );
    let opened = HeldCalendar {
        opens_at: None,
        ..held.clone()
    };
    assert!(
        !calendar_holds(Some(Release::CalendarOpened(&opened)), NOW),
        "its event"
    );
    let elsewhere = HeldCalendar {
        region: "eu-west-1".into(),
        ..opened.clone()
    };
    assert!(
        calendar_holds(Some(Release::CalendarOpened(&elsewhere)), NOW),
        "another region's"
    );
    let states = holders_now(
        &hold,
        &known(Some(Release::CalendarOpened(&opened))),
        "web-app",
        NOW,
    );
    assert!(
        states
            .iter()
            .any(|state| state.holder == Holder::Freeze("frz-1".into()) && state.still_holds()),
        "the freeze still holds the stage"
    );
    assert!(Release::CalendarOpened(&opened).ends_part_of(&hold));
    assert_eq!(
        states[0].describe(),
        "Change Calendar year-end (us-east-1, account 111111111111), until 2025-11-22 09:26 UTC: open"
    );
}

#[test]
fn a_marker_from_before_calendars_still_reads_and_calendars_too_many_are_counted() {
    let old = r#"pipeguard:hold:v1 {"events":[],"freezes":["frz-1"],"since":1763800000}"#;
    let read = Hold::read(old).expect("an old marker");
    assert!(read.calendars.is_empty() && read.more_calendars == 0);
    assert_eq!(read.freezes, ["frz-1"]);

    let mut hold = Hold::new(vec![], None);
    hold.freezes = vec!["frz-1".into()];
    hold.calendars = (0..40)
        .map(|n| HeldCalendar {
            name: format!("{n:02}-{}", "x".repeat(80)),
            region: "us-east-1".into(),
            account: OWN.into(),
            opens_at: Some(NOW),
        })
        .collect();
    let read = Hold::read(&hold.marker()).expect("a marker");
    assert!(
        read.more_calendars > 0 && read.calendars.len() + read.more_calendars == 40,
        "{read:?}"
    );
    assert_eq!(read.freezes, ["frz-1"], "freezes go last");
}

#[test]
fn a_calendar_arn_of_another_account_is_a_configuration_error_before_anything_is_asked() {
    let defaults = GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()));
    let job = JobEvent {
        job_id: "j".into(),
        account_id: OWN.into(),
        user_parameters: Some(
            r#"{"change_calendars": ["arn:aws:ssm:eu-west-1:222222222222:document/org-freeze"]}"#.into(),
        ),
        continuation_token: None,
    };
    let outcome = *read_job(&defaults, &job).unwrap_err();
    let GateOutcome::Misconfigured(reason) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        reason.contains(
            "Change Calendar `org-freeze` (eu-west-1, account 222222222222) is in account 222222222222"
        ),
        "{reason}"
    );
    let own_arn = JobEvent {
        user_parameters: Some(
            r#"{"change_calendars": ["arn:aws:ssm:eu-west-1:111111111111:document/org-freeze"]}"#.into(),
        ),
        ..job
    };
    assert!(read_job(&defaults, &own_arn).is_ok());
}

#[test]
fn calendars_unread_block_beside_what_else_blocks_and_keep_a_hold_going() {
    let mut beside = ssm_down();
    beside.health = Ok(HealthReport {
        source: HealthSource::Api,
        caveat: None,
        events: vec![ec2_issue()],
    });
    let blocked = decide(&policy(WATCHING), beside);
    assert!(
        matches!(
            blocked.blockers(),
            [Blocker::HealthEvent(_), Blocker::CalendarsUnread(_)]
        ),
        "{blocked:?}"
    );
    assert_eq!(blocked.label(), "CALENDARS_UNAVAILABLE");
    let JobResult::Failure { message, .. } = render(&blocked) else {
        panic!("{blocked:?}")
    };
    assert!(
        message.contains("Change Calendars that could not be read"),
        "{message}"
    );
    assert!(
        Hold::read(&message).is_some_and(|hold| hold.also == ["calendars"]),
        "{message}"
    );

    let waiting = policy(r#"{"change_calendars": ["year-end"], "on_block": "wait"}"#);
    let mut during = ssm_down();
    during.wait = Some(WaitState::new(
        NOW - 5 * 60,
        vec!["calendar us-east-1 111111111111 year-end".into()],
    ));
    let goes_on = decide(&waiting, during);
    assert!(
        matches!(&goes_on, GateOutcome::Hold { blockers, newly_held: false, .. } if matches!(blockers.as_slice(), [Blocker::CalendarsUnread(_)])),
        "{goes_on:?}"
    );
}

#[test]
fn a_closed_calendar_or_calendars_unread_pass_only_on_an_override_of_calendars() {
    use crate::gate::decide_overridden;
    use crate::overrides::{Override, OverrideKind, RecordedOverrides};
    const ONE: &str = r#"{"change_calendars": ["year-end"]}"#;
    let granted = |kinds: &[OverrideKind]| RecordedOverrides {
        overrides: vec![Override {
            id: "ovr-1".into(),
            pipeline: "web-app".into(),
            by: "arn:aws:sts::111111111111:assumed-role/oncall/ann".into(),
            reason: "INC-9: hotfix".into(),
            since: NOW - 60,
            until: NOW + 3600,
            kinds: kinds.to_vec(),
            ended: None,
        }],
        unreadable: vec![],
    };
    for observations in [
        with_calendars(vec![answered("year-end", CalendarState::Closed, None)]),
        ssm_down(),
    ] {
        let outcome = decide(&policy(ONE), observations.clone());
        let label = outcome.label();
        let passed = decide_overridden(
            &policy(ONE),
            observations.clone(),
            outcome.clone(),
            &granted(&[OverrideKind::Calendars]),
            "web-app",
        );
        assert_eq!(passed.label(), "PASS_OVERRIDDEN", "{label}");
        let JobResult::Success {
            summary,
            output_variables: variables,
        } = render(&passed)
        else {
            panic!("{passed:?}")
        };
        assert!(summary.contains("Change Calendar"), "{label}: {summary}");
        assert!(
            variables.contains(&("calendars".into(), "overridden".into())),
            "{label}: {variables:?}"
        );
        for other in [OverrideKind::Alarms, OverrideKind::Windows] {
            assert_eq!(
                decide_overridden(
                    &policy(ONE),
                    observations.clone(),
                    outcome.clone(),
                    &granted(&[other]),
                    "web-app",
                ),
                outcome,
                "{label}: an override of {} passes over no calendar",
                other.name()
            );
        }
    }
}
