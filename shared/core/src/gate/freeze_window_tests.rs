use super::*;
use crate::freeze::{Freeze, FreezesUnread, RecordedFreezes, Unfrozen, UnreadableFreeze};
use crate::hold;
use crate::schedule::describe_time;
use crate::selection::PipelineSelection;

const IC: &str = "arn:aws:iam::111111111111:user/incident-commander";

fn freeze(id: &str, coverage: PipelineSelection) -> Freeze {
    Freeze {
        id: id.into(),
        by: IC.into(),
        reason: "INC-4211: checkout errors".into(),
        since: NOW - 600,
        until: None,
        coverage,
        unfrozen: None,
    }
}

fn with_freezes(freezes: Vec<Freeze>, pipeline: Option<&str>) -> Observations {
    let mut observations = observe(vec![]);
    observations.freezes = Some(Ok(freezes.into()));
    observations.pipeline = pipeline.map(str::to_owned);
    observations
}

#[test]
fn an_active_freeze_covering_the_pipeline_blocks_naming_who_why_and_until_when() {
    let frozen = freeze("frz-1", PipelineSelection::Prefix("prod-".into()));
    let outcome = decide(&policy(""), with_freezes(vec![frozen.clone()], Some("prod-web")));
    assert_eq!(
        outcome,
        GateOutcome::Blocked {
            blockers: vec![Blocker::Freeze(frozen.clone())],
            health: ASKED,
            at: NOW,
        }
    );
    assert_eq!(outcome.label(), "FROZEN");
    let JobResult::Failure { kind, message } = render(&outcome) else {
        panic!("not a failure")
    };
    assert_eq!(kind, FailureKind::JobFailed);
    assert!(message.starts_with("Deployment blocked by 1 freeze:\n- freeze frz-1 by arn:aws:iam::111111111111:user/incident-commander: \"INC-4211: checkout errors\""), "{message}");
    assert!(message.contains("until unfrozen"), "{message}");
    let hold = Hold::read(&message).expect("a hold marker stage-retry reads");
    assert_eq!((hold.freezes, hold.since), (vec!["frz-1".to_owned()], Some(NOW)));
    let notice = notice(&outcome, "prod-web").unwrap();
    assert!(
        notice
            .next_steps
            .iter()
            .any(|step| step.contains("stage-retry resumes the stage when the freeze ends")),
        "{:?}",
        notice.next_steps
    );
}

#[test]
fn freezes_that_do_not_cover_the_pipeline_or_have_ended_do_not_block() {
    let mut unfrozen = freeze("frz-2", PipelineSelection::Everything);
    unfrozen.unfrozen = Some(Unfrozen {
        at: NOW - 60,
        by: IC.into(),
    });
    let mut expired = freeze("frz-3", PipelineSelection::Everything);
    expired.until = Some(NOW);
    let freezes = vec![
        freeze("frz-1", PipelineSelection::Names(vec!["other".into()])),
        unfrozen,
        expired,
    ];
    let outcome = decide(&policy(""), with_freezes(freezes, Some("prod-web")));
    assert_eq!(outcome.label(), "PASS");
    assert!(
        render(&outcome).text().contains("no freeze holds it"),
        "{}",
        render(&outcome).text()
    );
}

#[test]
fn a_pipeline_whose_name_is_unknown_is_held_by_any_freeze() {
    let outcome = decide(
        &policy(""),
        with_freezes(
            vec![freeze("frz-1", PipelineSelection::Prefix("prod-".into()))],
            None,
        ),
    );
    assert_eq!(outcome.label(), "FROZEN");
}

#[test]
fn ignore_freezes_passes_and_says_which_freeze_it_passed_over() {
    let outcome = decide(
        &policy(r#"{"ignore_freezes": true}"#),
        with_freezes(
            vec![freeze("frz-1", PipelineSelection::Everything)],
            Some("prod-web"),
        ),
    );
    assert_eq!(outcome.label(), "PASS_FREEZE_IGNORED");
    let JobResult::Success {
        summary,
        output_variables: variables,
    } = render(&outcome)
    else {
        panic!("not a pass")
    };
    assert!(
        summary.contains("freezes ignored (ignore_freezes), though 1 freeze would hold it: freeze frz-1"),
        "{summary}"
    );
    assert!(variables.contains(&("freezes".to_owned(), "ignored".to_owned())));
}

#[test]
fn freezes_that_cannot_be_read_fail_closed_or_are_passed_over_when_fail_open() {
    let mut observations = observe(vec![]);
    observations.freezes = Some(Err(FreezesUnread(
        "Query on table pipeguard-health-events failed: throttled".into(),
    )));
    let closed = decide(&policy(""), observations.clone());
    assert_eq!(closed.label(), "FREEZES_UNAVAILABLE");
    assert!(closed.needs_a_person());
    let JobResult::Failure { kind, message } = render(&closed) else {
        panic!("not a failure")
    };
    assert_eq!(kind, FailureKind::SystemUnavailable);
    assert!(message.contains("pipeguard-health-events"), "{message}");
    let open = decide(
        &policy(r#"{"on_health_error": "fail-open"}"#),
        observations.clone(),
    );
    assert_eq!(open.label(), "PASS_FREEZES_UNCHECKED");
    assert!(
        render(&open).text().contains("freezes could not be read"),
        "{}",
        render(&open).text()
    );
    let ignoring = decide(&policy(r#"{"ignore_freezes": true}"#), observations);
    assert_eq!(ignoring.label(), "PASS");
}

#[test]
fn without_a_table_freezes_are_not_checked_and_the_pass_says_so() {
    let mut observations = observe(vec![]);
    observations.freezes = None;
    let outcome = decide(&policy(""), observations);
    assert_eq!(outcome.label(), "PASS");
    assert!(
        render(&outcome).text().contains("freezes not checked"),
        "{}",
        render(&outcome).text()
    );
}

#[test]
fn a_hold_by_a_freeze_ends_when_it_is_unfrozen_and_the_release_says_who_froze_and_why() {
    let policy = policy(r#"{"on_block": "wait", "max_wait_minutes": 120}"#);
    let frozen = freeze("frz-1", PipelineSelection::Everything);
    let held = decide(&policy, with_freezes(vec![frozen.clone()], Some("prod-web")));
    let GateOutcome::Hold {
        wait,
        newly_held: true,
        ..
    } = held
    else {
        panic!("not held: {held:?}")
    };
    let mut unfrozen = frozen;
    unfrozen.unfrozen = Some(Unfrozen {
        at: NOW + 1200,
        by: IC.into(),
    });
    let mut later = with_freezes(vec![unfrozen.clone()], Some("prod-web"));
    later.wait = Some(wait);
    later.now = NOW + 25 * 60;
    let released = decide(&policy, later);
    let GateOutcome::Pass {
        held_minutes,
        released_from,
        ..
    } = &released
    else {
        panic!("not released: {released:?}")
    };
    assert_eq!((*held_minutes, released_from), (Some(25), &vec![unfrozen]));
    let notice = notice(&released, "prod-web").unwrap();
    assert!(
        notice.body.contains("was held for 25 minutes by freeze frz-1 (arn:aws:iam::111111111111:user/incident-commander: \"INC-4211: checkout errors\")"),
        "{}",
        notice.body
    );
}

fn at(text: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
        .timestamp()
}

fn observe_at(now: i64) -> Observations {
    let mut observations = observe(vec![]);
    observations.now = now;
    observations
}

#[test]
fn outside_its_window_the_gate_fails_and_says_when_the_next_opens() {
    let policy = policy(r#"{"windows": ["Mon-Thu 09:00-16:00 Europe/Berlin"]}"#);
    // 2026-12-04 is a Friday: closed until Monday 09:00 Berlin (08:00 UTC).
    let outcome = decide(&policy, observe_at(at("2026-12-04 10:00")));
    assert_eq!(outcome.label(), "OUTSIDE_WINDOW");
    let message = render(&outcome).text().to_owned();
    assert!(
        message.contains("outside the deployment window Mon-Thu 09:00-16:00 Europe/Berlin; deploys may start again at 2026-12-07 08:00 UTC"),
        "{message}"
    );
    let hold = Hold::read(&message).expect("stage-retry resumes it when the window opens");
    assert_eq!(hold.opens_at, Some(at("2026-12-07 08:00")));
    let inside = decide(&policy, observe_at(at("2026-12-07 08:00")));
    assert_eq!(inside.label(), "PASS");
    assert!(render(&inside).text().contains("inside the deployment schedule"));
}

#[test]
fn a_blackout_blocks_whatever_the_windows_say() {
    let policy =
        policy(r#"{"windows": ["daily 00:00-24:00 UTC"], "blackouts": ["2026-12-20..2027-01-04 UTC"]}"#);
    let outcome = decide(&policy, observe_at(at("2026-12-24 12:00")));
    assert_eq!(outcome.label(), "OUTSIDE_WINDOW");
    assert!(
        render(&outcome)
            .text()
            .contains("blackout 2026-12-20..2027-01-04 UTC; deploys may start again at 2027-01-05 00:00 UTC")
    );
}

#[test]
fn a_wait_for_a_window_within_the_hold_holds_and_one_beyond_it_fails_at_once() {
    let near =
        policy(r#"{"windows": ["daily 12:00-13:00 UTC"], "on_block": "wait", "max_wait_minutes": 120}"#);
    let outcome = decide(&near, observe_at(at("2026-12-01 11:00")));
    assert!(
        matches!(outcome, GateOutcome::Hold { newly_held: true, .. }),
        "{outcome:?}"
    );
    let far = decide(&near, observe_at(at("2026-12-01 09:00")));
    let GateOutcome::WindowTooFar {
        max_wait_minutes: 120,
        ..
    } = &far
    else {
        panic!("not failed at once: {far:?}")
    };
    assert_eq!(far.label(), "OUTSIDE_WINDOW");
    let JobResult::Failure { message, .. } = render(&far) else {
        panic!("not a failure")
    };
    assert!(
        message.contains("would not let it start within max_wait_minutes (120), so it fails now"),
        "{message}"
    );
    assert_eq!(
        Hold::read(&message).and_then(|hold| hold.opens_at),
        Some(at("2026-12-01 12:00"))
    );
    // A hold already under way counts from when it began.
    let mut resumed = observe_at(at("2026-12-01 11:30"));
    resumed.wait = Some(WaitState::new(at("2026-12-01 09:30"), vec![]));
    assert!(matches!(decide(&near, resumed), GateOutcome::WindowTooFar { .. }));
}

#[test]
fn window_settings_are_checked_with_the_expression_quoted() {
    let defaults =
        GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned())).unwrap();
    let error = defaults
        .for_action(Some(
            r#"{"windows": ["Mon-Fri 09:00-17:00 UTC", "Mon 09:00-09:00 UTC"]}"#,
        ))
        .unwrap_err();
    assert_eq!(error.setting, "UserParameters field `windows[1]`");
    assert!(
        error
            .reason
            .contains("`Mon 09:00-09:00 UTC`: this window never opens"),
        "{}",
        error.reason
    );
    let error = defaults
        .for_action(Some(r#"{"blackouts": ["2026-12-20..2027-01-04 Mars/Base"]}"#))
        .unwrap_err();
    assert!(
        error.reason.contains("`Mars/Base` is not an IANA time zone"),
        "{}",
        error.reason
    );
    let from_env = GateDefaults::from_env(|name| match name {
        "AWS_REGION" => Some("us-east-1".into()),
        "GATE_WINDOWS" => Some("Mon,Wed 09:00-12:00 UTC; Fri 10:00-11:00 Europe/Berlin".into()),
        _ => None,
    })
    .unwrap()
    .for_action(None)
    .unwrap();
    assert_eq!(
        from_env.schedule.windows(),
        ["Mon,Wed 09:00-12:00 UTC", "Fri 10:00-11:00 Europe/Berlin"]
    );
    assert_eq!(describe_time(at("2026-12-01 09:00")), "2026-12-01 09:00 UTC");
}

#[test]
fn freezes_that_cannot_be_read_never_end_a_hold_or_hide_what_else_blocks() {
    let unread = || {
        Some(Err(FreezesUnread(
            "Query on the freezes failed: throttled".into(),
        )))
    };
    // A hold under way goes on, the unread freezes beside it.
    let waiting = policy(r#"{"on_block": "wait", "max_wait_minutes": 60}"#);
    let mut during_hold = observe(vec![]);
    during_hold.freezes = unread();
    during_hold.wait = Some(WaitState::new(NOW - 600, vec!["freeze frz-1".into()]));
    let held = decide(&waiting, during_hold);
    let GateOutcome::Hold {
        blockers,
        newly_held: false,
        ..
    } = &held
    else {
        panic!("the hold ended: {held:?}")
    };
    assert!(matches!(blockers.as_slice(), [Blocker::FreezesUnread(cause)] if cause.contains("throttled")));
    assert_eq!(held.label(), "FREEZES_UNAVAILABLE");
    // A hold at its end, or a failing policy, with nothing else blocking: the outage itself.
    for (parameters, since) in [
        (r#"{"on_block": "wait", "max_wait_minutes": 60}"#, NOW - 3600),
        (r#"{"on_block": "fail"}"#, NOW - 600),
    ] {
        let mut observations = observe(vec![]);
        observations.freezes = unread();
        observations.wait = Some(WaitState::new(since, vec![]));
        let outcome = decide(&policy(parameters), observations);
        assert!(
            matches!(outcome, GateOutcome::FreezesUnavailable { .. }),
            "{parameters}: {outcome:?}"
        );
    }
    // An open event still blocks, and its marker still holds the stage for it.
    let mut with_event = observe(vec![ec2_issue()]);
    with_event.freezes = unread();
    let blocked = decide(&policy(""), with_event);
    assert_eq!(
        blocked.label(),
        "FREEZES_UNAVAILABLE",
        "counted as the outage it is"
    );
    assert!(blocked.needs_a_person());
    let message = render(&blocked).text().to_owned();
    assert!(
        message.contains("Deployment blocked by 1 AWS Health event and freezes that could not be read"),
        "{message}"
    );
    assert_eq!(Hold::read(&message).map(|hold| hold.events.len()), Some(1));
}

fn unreadable_item(key: &str, coverage: PipelineSelection) -> UnreadableFreeze {
    UnreadableFreeze {
        key: key.into(),
        why: "the reason is 600 characters; at most 500".into(),
        coverage,
        unfrozen: None,
    }
}

fn with_unreadable(unreadable: Vec<UnreadableFreeze>, pipeline: Option<&str>) -> Observations {
    let mut observations = observe(vec![]);
    observations.freezes = Some(Ok(RecordedFreezes {
        freezes: vec![],
        unreadable,
    }));
    observations.pipeline = pipeline.map(str::to_owned);
    observations
}

#[test]
fn a_freeze_item_that_does_not_read_blocks_what_it_might_cover_and_a_person_is_asked_to_look() {
    let bad = unreadable_item("frz-bad", PipelineSelection::Prefix("prod-".into()));
    let outcome = decide(&policy(""), with_unreadable(vec![bad.clone()], Some("prod-web")));
    assert_eq!(outcome.blockers(), [Blocker::UnreadableFreeze(bad.clone())]);
    assert_eq!(outcome.label(), "FROZEN");
    assert!(outcome.needs_a_person());
    let JobResult::Failure { message, .. } = render(&outcome) else {
        panic!("not a failure")
    };
    assert!(
        message.starts_with("Deployment blocked by 1 unreadable freeze:\n- unreadable freeze frz-bad: the reason is 600 characters; at most 500; it holds pipelines starting with prod- until `pipeguard unfreeze frz-bad` ends it"),
        "{message}"
    );
    let hold = Hold::read(&message).expect("a hold marker stage-retry reads");
    assert_eq!(
        hold.freezes,
        ["frz-bad"],
        "stage-retry waits for it as for any freeze"
    );
    let steps = notice(&outcome, "prod-web").unwrap().next_steps;
    assert!(
        steps.iter().any(|step| step.contains("pipeguard unfreeze")),
        "{steps:?}"
    );

    let waiting = decide(
        &policy(r#"{"on_block": "wait"}"#),
        with_unreadable(vec![bad.clone()], None),
    );
    assert!(matches!(waiting, GateOutcome::Hold { .. }), "{waiting:?}");

    let elsewhere = decide(
        &policy(""),
        with_unreadable(vec![bad.clone()], Some("staging-web")),
    );
    assert_eq!(elsewhere.label(), "PASS");
    let ended = UnreadableFreeze {
        unfrozen: Some(Unfrozen {
            at: NOW - 60,
            by: IC.into(),
        }),
        ..bad.clone()
    };
    assert_eq!(
        decide(&policy(""), with_unreadable(vec![ended], Some("prod-web"))).label(),
        "PASS"
    );

    let ignoring = decide(
        &policy(r#"{"ignore_freezes": true}"#),
        with_unreadable(vec![bad], Some("prod-web")),
    );
    assert_eq!(ignoring.label(), "PASS_FREEZE_IGNORED");
    assert!(render(&ignoring).text().contains("unreadable freeze frz-bad"));
}

#[test]
fn text_from_events_and_freezes_reaches_the_job_result_with_its_control_characters_escaped() {
    let mut frozen = freeze("frz-1", PipelineSelection::Everything);
    frozen.reason = "INC\u{1b}]0;pwned\u{7}".into();
    let outcome = decide(&policy(""), with_freezes(vec![frozen], Some("prod-web")));
    let text = hold::without_marker(render(&outcome).text());
    assert!(!text.replace('\n', "").chars().any(char::is_control), "{text:?}");
    let unread = GateOutcome::FreezesUnavailable {
        cause: "Query failed: \u{1b}[2J".into(),
    };
    assert!(!render(&unread).text().chars().any(char::is_control));
}
