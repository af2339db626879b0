use super::*;
use crate::alarm::{
    AlarmCallError, AlarmKind, AlarmPlace, AlarmReading, AlarmReadings, AlarmState, AlarmsUnavailable,
};
use crate::hold::Hold;

fn own_place() -> AlarmPlace {
    AlarmPlace {
        region: "us-east-1".into(),
        account: OWN.into(),
    }
}

fn alarm(name: &str, state: AlarmState) -> AlarmReading {
    AlarmReading {
        name: name.into(),
        arn: format!("arn:aws:cloudwatch:us-east-1:{OWN}:alarm:{name}"),
        place: own_place(),
        kind: AlarmKind::Metric,
        state,
        reason: "Threshold Crossed: 3 datapoints were greater than the threshold (1.0).".into(),
        since: Some(NOW - 600),
    }
}

fn with_alarms(alarms: Vec<AlarmReading>) -> Observations {
    let mut observations = observe(vec![]);
    observations.alarms = Some(Ok(AlarmReadings {
        own: own_place(),
        alarms,
    }));
    observations
}

fn cloudwatch_down() -> Observations {
    let mut observations = observe(vec![]);
    observations.alarms = Some(Err(AlarmsUnavailable {
        place: own_place(),
        error: AlarmCallError::Throttled("Rate exceeded".into()),
        known: AlarmReadings {
            own: own_place(),
            alarms: vec![],
        },
    }));
    observations
}

/// One place could not be read; another answered with `alarms`.
fn partly_read(alarms: Vec<AlarmReading>) -> Observations {
    let mut observations = observe(vec![]);
    observations.alarms = Some(Err(AlarmsUnavailable {
        place: AlarmPlace {
            region: "eu-west-1".into(),
            account: OWN.into(),
        },
        error: AlarmCallError::Throttled("Rate exceeded".into()),
        known: AlarmReadings {
            own: own_place(),
            alarms,
        },
    }));
    observations
}

#[test]
fn an_alarm_firing_where_cloudwatch_answered_blocks_though_another_place_could_not_be_read() {
    let watching = r#"{"alarms": ["web-5xx", "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-cpu"]}"#;
    for on_error in ["fail-closed", "fail-open"] {
        let policy = policy(&watching.replace('}', &format!(r#", "on_health_error": "{on_error}"}}"#)));
        let outcome = decide(&policy, partly_read(vec![alarm("web-5xx", AlarmState::Alarm)]));
        let GateOutcome::Blocked { blockers, .. } = &outcome else {
            panic!("{on_error}: {outcome:?}")
        };
        assert!(
            blockers
                .iter()
                .any(|blocker| matches!(blocker, Blocker::Alarm(firing) if firing.name == "web-5xx")),
            "{on_error}: {blockers:?}"
        );
        let clear = decide(&policy, partly_read(vec![alarm("web-5xx", AlarmState::Ok)]));
        let expected = if on_error == "fail-open" {
            "PASS_ALARMS_UNCHECKED"
        } else {
            "ALARMS_UNAVAILABLE"
        };
        assert_eq!(clear.label(), expected, "{on_error}");
    }
}

const WATCHING: &str = r#"{"alarms": ["web-5xx", "web-latency"]}"#;

#[test]
fn a_watched_alarm_in_alarm_blocks_with_the_verdict_alarm_naming_it() {
    let firing = alarm("web-5xx", AlarmState::Alarm);
    let outcome = decide(
        &policy(WATCHING),
        with_alarms(vec![firing.clone(), alarm("web-latency", AlarmState::Ok)]),
    );
    assert_eq!(
        outcome,
        GateOutcome::Blocked {
            blockers: vec![Blocker::Alarm(firing)],
            health: ASKED,
            at: NOW,
        }
    );
    assert_eq!(outcome.label(), "ALARM");
    let JobResult::Failure { kind, message } = render(&outcome) else {
        panic!("{outcome:?}")
    };
    assert_eq!(kind, FailureKind::JobFailed);
    for part in [
        "Deployment blocked by 1 CloudWatch alarm",
        "CloudWatch metric alarm web-5xx in us-east-1, account 111111111111 is ALARM since",
        "Threshold Crossed",
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }
}

#[test]
fn clear_alarms_pass_and_say_how_many_were_watched() {
    let outcome = decide(
        &policy(WATCHING),
        with_alarms(vec![
            alarm("web-5xx", AlarmState::Ok),
            alarm("web-latency", AlarmState::InsufficientData),
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
    assert!(
        summary.contains("none of its 2 CloudWatch alarms is in a blocking state"),
        "{summary}"
    );
    assert!(
        variables.contains(&("alarms".into(), "checked".into())),
        "{variables:?}"
    );
}

#[test]
fn insufficient_data_blocks_only_when_alarm_states_names_it() {
    let policy = policy(r#"{"alarms": ["web-5xx"], "alarm_states": ["ALARM", "INSUFFICIENT_DATA"]}"#);
    let outcome = decide(
        &policy,
        with_alarms(vec![alarm("web-5xx", AlarmState::InsufficientData)]),
    );
    assert_eq!(outcome.label(), "ALARM");
}

#[test]
fn a_watched_name_that_matches_no_alarm_is_a_configuration_error_naming_it() {
    let outcome = decide(
        &policy(WATCHING),
        with_alarms(vec![alarm("web-5xx", AlarmState::Ok)]),
    );
    let GateOutcome::Misconfigured(reason) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        reason.contains("alarm name `web-latency` (us-east-1, account 111111111111)"),
        "{reason}"
    );
    assert!(!reason.contains("`web-5xx`"), "{reason}");
    let JobResult::Failure { kind, .. } = render(&outcome) else {
        panic!("{outcome:?}")
    };
    assert_eq!(kind, FailureKind::ConfigurationError);
}

#[test]
fn cloudwatch_unreachable_fails_closed_as_alarms_unavailable_naming_the_call() {
    let outcome = decide(&policy(WATCHING), cloudwatch_down());
    assert_eq!(outcome.label(), "ALARMS_UNAVAILABLE");
    assert!(outcome.needs_a_person());
    let JobResult::Failure { kind, message } = render(&outcome) else {
        panic!("{outcome:?}")
    };
    assert_eq!(kind, FailureKind::SystemUnavailable);
    for part in [
        "CloudWatch DescribeAlarms in us-east-1, account 111111111111",
        "throttled after retries (Rate exceeded)",
        "fail-closed",
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }
}

#[test]
fn cloudwatch_unreachable_fail_open_passes_saying_the_alarms_were_not_checked() {
    let policy = policy(r#"{"alarms": ["web-5xx"], "on_health_error": "fail-open"}"#);
    let outcome = decide(&policy, cloudwatch_down());
    assert_eq!(outcome.label(), "PASS_ALARMS_UNCHECKED");
    let JobResult::Success {
        summary,
        output_variables: variables,
    } = render(&outcome)
    else {
        panic!("{outcome:?}")
    };
    assert!(
        summary.contains("could not be read (CloudWatch DescribeAlarms"),
        "{summary}"
    );
    assert!(
        variables.contains(&("alarms".into(), "unavailable".into())),
        "{variables:?}"
    );
    // The Health event still blocks when the alarms cannot be read.
    let mut observations = cloudwatch_down();
    observations.health = Ok(HealthReport {
        source: HealthSource::Api,
        caveat: None,
        events: vec![ec2_issue()],
    });
    assert_eq!(decide(&policy, observations).label(), "BLOCKED");
}

#[test]
fn a_policy_that_watches_no_alarm_ignores_what_cloudwatch_says() {
    let outcome = decide(&policy(""), cloudwatch_down());
    assert_eq!(outcome.label(), "PASS");
    let JobResult::Success {
        output_variables: variables,
        ..
    } = render(&outcome)
    else {
        panic!("{outcome:?}")
    };
    assert!(
        variables.contains(&("alarms".into(), "not-watched".into())),
        "{variables:?}"
    );
}

#[test]
fn a_hold_goes_on_while_an_alarm_fires_and_ends_when_it_clears() {
    let policy = policy(r#"{"alarms": ["web-5xx"], "on_block": "wait"}"#);
    let firing = alarm("web-5xx", AlarmState::Alarm);
    let began = decide(&policy, with_alarms(vec![firing.clone()]));
    let GateOutcome::Hold {
        wait,
        newly_held: true,
        ..
    } = &began
    else {
        panic!("{began:?}")
    };
    assert_eq!(wait.held_by, [firing.key()]);
    assert!(matches!(render(&began), JobResult::InProgress { .. }));

    let mut again = with_alarms(vec![firing.clone()]);
    again.wait = Some(wait.clone());
    again.now = NOW + 20 * 60;
    let goes_on = decide(&policy, again);
    assert!(
        matches!(&goes_on, GateOutcome::Hold { newly_held: false, blockers, .. } if blockers == &[Blocker::Alarm(firing.clone())]),
        "{goes_on:?}"
    );

    let mut cleared = with_alarms(vec![alarm("web-5xx", AlarmState::Ok)]);
    cleared.wait = Some(wait.clone());
    cleared.now = NOW + 30 * 60;
    let released = decide(&policy, cleared);
    assert!(
        matches!(
            released,
            GateOutcome::Pass {
                held_minutes: Some(30),
                ..
            }
        ),
        "{released:?}"
    );
}

#[test]
fn a_failure_alarms_caused_marks_them_and_they_hold_where_cloudwatch_is_not_asked() {
    let waiting = policy(r#"{"alarms": ["web-5xx"], "on_block": "wait", "max_wait_minutes": 10}"#);
    let mut observations = with_alarms(vec![alarm("web-5xx", AlarmState::Alarm)]);
    observations.wait = Some(WaitState::new(NOW - 11 * 60, vec![]));
    let gave_up = decide(&waiting, observations);
    assert_eq!(gave_up.label(), "GAVE_UP");
    let JobResult::Failure { message, .. } = render(&gave_up) else {
        panic!("{gave_up:?}")
    };
    let held = crate::hold::HeldAlarm {
        name: "web-5xx".into(),
        region: "us-east-1".into(),
        account: OWN.into(),
    };
    let hold = Hold::read(&message).expect("a marker naming the alarm");
    assert_eq!(hold.alarms, std::slice::from_ref(&held));
    assert!(hold.events.is_empty() && hold.freezes.is_empty() && hold.opens_at.is_none());
    // Where CloudWatch is not asked, the alarm holds, as far as anyone there can tell.
    let known = crate::holder::Known {
        events_closed: Ok(&[]),
        release: None,
        freezes: crate::holder::FreezesKnown::Read(crate::freeze::RecordedFreezes::NONE),
        alarms: crate::holder::AlarmsKnown::NotAsked(crate::holder::ALARMS_NOT_ASKED),
        overrides: &[],
    };
    let states = crate::holder::holders_now(&hold, &known, "web-app", NOW);
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].holder, crate::holder::Holder::Alarm(held));
    assert!(states[0].still_holds());
    assert_eq!(states[0].holder.kind().name(), "alarm");
    assert_eq!(states[0].holder.account(), Some(OWN));
    assert!(
        states[0]
            .describe()
            .starts_with("CloudWatch alarm web-5xx (us-east-1, account 111111111111): unknown (CloudWatch is not asked here"),
        "{}",
        states[0].describe()
    );
    // Beside a Health event, the marker names both.
    let mut observations = with_alarms(vec![alarm("web-5xx", AlarmState::Alarm)]);
    observations.health = Ok(HealthReport {
        source: HealthSource::Api,
        caveat: None,
        events: vec![ec2_issue()],
    });
    let blocked = decide(&policy(r#"{"alarms": ["web-5xx"]}"#), observations);
    let JobResult::Failure { message, .. } = render(&blocked) else {
        panic!("{blocked:?}")
    };
    let hold = Hold::read(&message).expect("a marker");
    assert_eq!((hold.events.len(), hold.alarms.len()), (1, 1));
}

#[test]
fn alarms_too_many_for_the_marker_are_counted_after_the_events_and_before_the_freezes() {
    let mut hold = Hold::new(vec![], None);
    hold.freezes = vec!["frz-1".into()];
    hold.alarms = (0..40)
        .map(|n| crate::hold::HeldAlarm {
            name: format!("{n:02}-{}", "x".repeat(80)),
            region: "us-east-1".into(),
            account: OWN.into(),
        })
        .collect();
    let marker = hold.marker();
    assert!(marker.chars().count() <= 2000, "{}", marker.len());
    let read = Hold::read(&marker).expect("a marker");
    assert!(
        read.more_alarms > 0 && read.alarms.len() + read.more_alarms == 40,
        "{read:?}"
    );
    assert_eq!(
        read.alarms[..],
        hold.alarms[..read.alarms.len()],
        "the first alarms kept"
    );
    assert_eq!(read.freezes, ["frz-1"], "freezes go last");
}

#[test]
fn an_alarm_arn_of_another_account_is_a_configuration_error_before_anything_is_asked() {
    let defaults = GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()));
    let job = JobEvent {
        job_id: "j".into(),
        account_id: OWN.into(),
        user_parameters: Some(
            r#"{"alarms": ["arn:aws:cloudwatch:eu-west-1:222222222222:alarm:db-cpu"]}"#.into(),
        ),
        continuation_token: None,
    };
    let outcome = *read_job(&defaults, &job).unwrap_err();
    let GateOutcome::Misconfigured(reason) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        reason.contains("alarm name `db-cpu` (eu-west-1, account 222222222222) is in account 222222222222")
            && reason.contains("`alarms_role`"),
        "{reason}"
    );
    let own_arn = JobEvent {
        user_parameters: Some(
            r#"{"alarms": ["arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db-cpu"]}"#.into(),
        ),
        ..job.clone()
    };
    assert!(read_job(&defaults, &own_arn).is_ok());
    let through_a_role = JobEvent {
        user_parameters: Some(
            r#"{"alarms": ["arn:aws:cloudwatch:eu-west-1:222222222222:alarm:db-cpu"], "alarms_role": "pipeguard-alarms-reader"}"#
                .into(),
        ),
        ..job
    };
    let (policy, _) = read_job(&defaults, &through_a_role).unwrap();
    assert_eq!(policy.alarms_role.as_deref(), Some("pipeguard-alarms-reader"));
}

#[test]
fn alarms_role_is_an_iam_role_name_and_blank_reads_as_none() {
    let defaults = GateDefaults::from_env(|name| match name {
        "AWS_REGION" => Some("us-east-1".to_owned()),
        "GATE_ALARMS_ROLE" => Some("org-reader".to_owned()),
        _ => None,
    })
    .unwrap();
    let role = |parameters: &str| {
        defaults
            .for_action(Some(parameters))
            .map(|policy| policy.alarms_role)
    };
    assert_eq!(role("{}").unwrap().as_deref(), Some("org-reader"));
    assert_eq!(
        role(r#"{"alarms_role": "team.reader@x"}"#).unwrap().as_deref(),
        Some("team.reader@x")
    );
    assert_eq!(role(r#"{"alarms_role": " "}"#).unwrap(), None);
    let error = role(r#"{"alarms_role": "role/with-path"}"#).unwrap_err();
    assert!(
        error.to_string().contains("alarms_role") && error.to_string().contains("not an IAM role name"),
        "{error}"
    );
    assert!(role(&format!(r#"{{"alarms_role": "{}"}}"#, "r".repeat(65))).is_err());
}

#[test]
fn a_firing_alarm_or_alarms_unread_pass_only_on_an_override_of_alarms() {
    use crate::gate::decide_overridden;
    use crate::overrides::{Override, OverrideKind, RecordedOverrides};
    const ONE: &str = r#"{"alarms": ["web-5xx"]}"#;
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
        with_alarms(vec![alarm("web-5xx", AlarmState::Alarm)]),
        cloudwatch_down(),
    ] {
        let outcome = decide(&policy(ONE), observations.clone());
        let label = outcome.label();
        let passed = decide_overridden(
            &policy(ONE),
            observations.clone(),
            outcome.clone(),
            &granted(&[OverrideKind::Alarms]),
            "web-app",
        );
        assert_eq!(passed.label(), "PASS_OVERRIDDEN", "{label}");
        let JobResult::Success { summary, .. } = render(&passed) else {
            panic!("{passed:?}")
        };
        assert!(summary.contains("CloudWatch"), "{label}: {summary}");
        let other = decide_overridden(
            &policy(ONE),
            observations,
            outcome.clone(),
            &granted(&[OverrideKind::Health]),
            "web-app",
        );
        assert_eq!(
            other, outcome,
            "{label}: an override of health passes over no alarm"
        );
    }
}

#[test]
fn alarms_unread_block_beside_what_else_blocks_and_keep_a_hold_going() {
    let mut beside = cloudwatch_down();
    beside.health = Ok(HealthReport {
        source: HealthSource::Api,
        caveat: None,
        events: vec![ec2_issue()],
    });
    let blocked = decide(&policy(WATCHING), beside);
    let GateOutcome::Blocked { blockers, .. } = &blocked else {
        panic!("{blocked:?}")
    };
    assert!(
        matches!(
            blockers.as_slice(),
            [Blocker::HealthEvent(_), Blocker::AlarmsUnread(_)]
        ),
        "{blockers:?}"
    );
    assert_eq!(blocked.label(), "ALARMS_UNAVAILABLE");
    assert!(blocked.needs_a_person());
    let JobResult::Failure { message, .. } = render(&blocked) else {
        panic!("{blocked:?}")
    };
    assert!(
        message.contains("CloudWatch alarms that could not be read"),
        "{message}"
    );
    assert!(
        Hold::read(&message).is_some_and(|hold| hold.events.len() == 1),
        "the marker names the event to resume for: {message}"
    );

    let waiting = policy(r#"{"alarms": ["web-5xx"], "on_block": "wait"}"#);
    let mut during = cloudwatch_down();
    during.wait = Some(WaitState::new(
        NOW - 5 * 60,
        vec!["alarm us-east-1 111111111111 web-5xx".into()],
    ));
    let goes_on = decide(&waiting, during);
    assert!(
        matches!(&goes_on, GateOutcome::Hold { blockers, newly_held: false, .. } if matches!(blockers.as_slice(), [Blocker::AlarmsUnread(_)])),
        "{goes_on:?}"
    );
    assert_eq!(goes_on.label(), "ALARMS_UNAVAILABLE");
}
