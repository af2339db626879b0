use super::*;
use crate::freeze::RecordedFreezes;
use crate::health::{
    EventCategory, EventStatus, HealthCallError, HealthEvent, HealthReport, HealthSource, HealthUnavailable,
};
use crate::hold::Hold;
use crate::job::{FailureKind, JobEvent, JobResult};
use crate::pipeline::{ConflictCheckError, ExecutionStatus, RunningExecution};

const NOW: i64 = 1_763_800_000;

/// The account the gate runs in.
const OWN: &str = "111111111111";

fn policy(user_parameters: &str) -> GatePolicy {
    GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()))
        .unwrap()
        .for_action(Some(user_parameters))
        .unwrap()
        .with_own_account(OWN)
}

fn event(arn: &str, region: &str, service: &str, code: &str) -> HealthEvent {
    HealthEvent {
        arn: arn.into(),
        service: service.into(),
        event_type_code: code.into(),
        category: EventCategory::Issue,
        region: region.into(),
        status: EventStatus::Open,
        account: None,
        start_time: Some(NOW - 3600),
    }
}

fn ec2_issue() -> HealthEvent {
    event(
        "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/1",
        "us-east-1",
        "EC2",
        "AWS_EC2_OPERATIONAL_ISSUE",
    )
}

fn running(pipeline: &str) -> RunningExecution {
    RunningExecution {
        pipeline: pipeline.into(),
        execution_id: "exec-1".into(),
        status: ExecutionStatus::InProgress,
    }
}

const ASKED: HealthCheck = HealthCheck::Asked {
    source: HealthSource::Api,
    caveat: None,
};

fn observe(events: Vec<HealthEvent>) -> Observations {
    Observations {
        health: Ok(HealthReport {
            source: HealthSource::Api,
            caveat: None,
            events,
        }),
        running: Ok(vec![]),
        alarms: None,
        calendars: None,
        wait: None,
        pipeline: None,
        now: NOW,
        freezes: Some(Ok(RecordedFreezes::default())),
    }
}

fn unavailable() -> HealthUnavailable {
    HealthUnavailable::of(vec![(
        "health.us-east-1.amazonaws.com".into(),
        HealthCallError::SubscriptionRequired,
    )])
}

#[test]
fn no_events_pass() {
    assert_eq!(
        decide(&policy(""), observe(vec![])),
        GateOutcome::Pass {
            scope: Scope::of(&policy("")),
            held_minutes: None,
            health: ASKED,
            freezes: FreezeCheck::Checked,
            released_from: vec![],
            alarms: AlarmCheck::NotWatched,
            calendars: CalendarCheck::NotWatched,
        }
    );
}

#[test]
fn an_open_issue_in_a_watched_region_blocks() {
    let outcome = decide(&policy(""), observe(vec![ec2_issue()]));
    assert_eq!(
        outcome,
        GateOutcome::Blocked {
            blockers: vec![Blocker::HealthEvent(ec2_issue())],
            health: ASKED,
            at: NOW,
        }
    );
}

#[test]
fn events_outside_the_policy_do_not_block() {
    let policy = policy(
        r#"{"regions": ["us-east-1"], "services": ["LAMBDA"], "ignore_event_types": ["AWS_LAMBDA_NOISE"]}"#,
    );
    let mut upcoming = event("arn:u", "us-east-1", "LAMBDA", "AWS_LAMBDA_OPERATIONAL_ISSUE");
    upcoming.status = EventStatus::Upcoming;
    let mut notification = event("arn:n", "us-east-1", "LAMBDA", "AWS_LAMBDA_OPERATIONAL_ISSUE");
    notification.category = EventCategory::AccountNotification;
    let outside = vec![
        event("arn:r", "eu-west-1", "LAMBDA", "AWS_LAMBDA_OPERATIONAL_ISSUE"),
        event("arn:s", "us-east-1", "EC2", "AWS_EC2_OPERATIONAL_ISSUE"),
        event("arn:i", "us-east-1", "LAMBDA", "AWS_LAMBDA_NOISE"),
        upcoming,
        notification,
    ];
    assert!(matches!(
        decide(&policy, observe(outside)),
        GateOutcome::Pass { .. }
    ));
}

#[test]
fn a_running_conflicting_pipeline_blocks_like_an_event() {
    let mut observations = observe(vec![]);
    observations.running = Ok(vec![running("cleanup")]);
    let outcome = decide(&policy(r#"{"block_while_running": ["cleanup"]}"#), observations);
    assert_eq!(
        outcome,
        GateOutcome::Blocked {
            blockers: vec![Blocker::RunningPipeline(running("cleanup"))],
            health: ASKED,
            at: NOW,
        }
    );
}

#[test]
fn wait_mode_starts_a_hold_with_what_blocks() {
    let outcome = decide(&policy(r#"{"on_block": "wait"}"#), observe(vec![ec2_issue()]));
    let GateOutcome::Hold {
        wait,
        newly_held: true,
        blockers,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(wait.since, NOW);
    assert_eq!(wait.held_by, [ec2_issue().arn]);
    assert_eq!(blockers.len(), 1);
}

#[test]
fn wait_mode_keeps_holding_from_the_original_start() {
    let mut observations = observe(vec![ec2_issue()]);
    observations.wait = Some(WaitState::new(NOW - 30 * 60, vec![]));
    let outcome = decide(
        &policy(r#"{"on_block": "wait", "max_wait_minutes": 31}"#),
        observations,
    );
    let GateOutcome::Hold {
        wait,
        newly_held: false,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(wait.since, NOW - 30 * 60);
}

#[test]
fn wait_mode_gives_up_after_max_wait_minutes() {
    let mut observations = observe(vec![ec2_issue()]);
    observations.wait = Some(WaitState::new(NOW - 30 * 60, vec![]));
    let outcome = decide(
        &policy(r#"{"on_block": "wait", "max_wait_minutes": 30}"#),
        observations,
    );
    assert!(
        matches!(
            outcome,
            GateOutcome::GaveUp {
                waited_minutes: 30,
                ..
            }
        ),
        "{outcome:?}"
    );
}

/// Found by the property tests: a continuation token reads as any start, and `now - since`
/// overflowed for one in the far past (a panic in a debug build, a wrapped "0 minutes" and a hold
/// without end in a release build).
#[test]
fn a_token_starting_a_hold_at_the_earliest_second_gives_up_without_overflow() {
    let token = r#"{"v":1,"since":-9223372036854775808,"held_by":[]}"#;
    let mut observations = observe(vec![ec2_issue()]);
    observations.wait = Some(WaitState::decode(token).unwrap());
    let outcome = decide(&policy(r#"{"on_block": "wait"}"#), observations);
    assert!(
        matches!(outcome, GateOutcome::GaveUp { waited_minutes, .. } if waited_minutes == i64::MAX / 60),
        "{outcome:?}"
    );
}

#[test]
fn a_hold_ends_in_a_pass_once_nothing_blocks() {
    let mut observations = observe(vec![]);
    observations.wait = Some(WaitState::new(NOW - 42 * 60, vec![]));
    let policy = policy(r#"{"on_block": "wait"}"#);
    let outcome = decide(&policy, observations);
    assert_eq!(
        outcome,
        GateOutcome::Pass {
            scope: Scope::of(&policy),
            held_minutes: Some(42),
            health: ASKED,
            freezes: FreezeCheck::Checked,
            released_from: vec![],
            alarms: AlarmCheck::NotWatched,
            calendars: CalendarCheck::NotWatched,
        }
    );
}

#[test]
fn health_unavailable_fails_closed_by_default_and_passes_when_fail_open() {
    let observations = Observations {
        health: Err(unavailable()),
        running: Ok(vec![]),
        alarms: None,
        calendars: None,
        wait: None,
        pipeline: None,
        now: NOW,
        freezes: Some(Ok(RecordedFreezes::default())),
    };
    assert!(
        matches!(decide(&policy(""), observations.clone()), GateOutcome::HealthUnavailable { cause } if cause.contains("SubscriptionRequiredException"))
    );
    let outcome = decide(&policy(r#"{"on_health_error": "fail-open"}"#), observations);
    assert!(
        matches!(
            outcome,
            GateOutcome::Pass {
                health: HealthCheck::Unavailable(_),
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[test]
fn fail_open_still_respects_the_lock() {
    let observations = Observations {
        health: Err(unavailable()),
        running: Ok(vec![running("cleanup")]),
        alarms: None,
        calendars: None,
        wait: None,
        pipeline: None,
        now: NOW,
        freezes: Some(Ok(RecordedFreezes::default())),
    };
    let outcome = decide(
        &policy(r#"{"on_health_error": "fail-open", "block_while_running": ["cleanup"]}"#),
        observations,
    );
    assert!(matches!(outcome, GateOutcome::Blocked { .. }), "{outcome:?}");
}

#[test]
fn fail_open_still_blocks_on_the_events_a_source_did_answer_with() {
    let policy = policy(r#"{"on_health_error": "fail-open", "accounts": ["222233334444"]}"#);
    let mut view_throttled = HealthUnavailable::of(vec![(
        "health.us-east-1.amazonaws.com".into(),
        HealthCallError::Throttled("Rate exceeded".into()),
    )]);
    view_throttled.known = vec![ec2_issue()];
    let observations = Observations {
        health: Err(view_throttled),
        ..observe(vec![])
    };
    let outcome = decide(&policy, observations);
    assert!(
        matches!(&outcome, GateOutcome::Blocked { blockers, health: HealthCheck::Unavailable(_), .. } if blockers == &[Blocker::HealthEvent(ec2_issue())]),
        "{outcome:?}"
    );
    let JobResult::Failure { message, .. } = render(&outcome) else {
        panic!("{outcome:?}")
    };
    assert!(
        message.contains("could not be asked in full") && message.contains("Rate exceeded"),
        "{message}"
    );
}

#[test]
fn a_failed_lock_check_blocks() {
    let mut observations = observe(vec![]);
    observations.running = Err(ConflictCheckError::PipelineNotFound("cleanup".into()));
    let outcome = decide(&policy(r#"{"block_while_running": ["cleanup"]}"#), observations);
    let JobResult::Failure { kind, message } = render(&outcome) else {
        panic!()
    };
    assert_eq!(kind, FailureKind::ConfigurationError);
    assert!(message.contains("cleanup"));
}

#[test]
fn a_pass_reports_output_variables_for_later_actions() {
    let policy = policy("us-east-1,eu-west-1");
    let JobResult::Success {
        summary,
        output_variables,
    } = render(&GateOutcome::Pass {
        scope: Scope::of(&policy),
        held_minutes: Some(7),
        health: ASKED,
        freezes: FreezeCheck::Checked,
        released_from: vec![],
        alarms: AlarmCheck::NotWatched,
        calendars: CalendarCheck::NotWatched,
    })
    else {
        panic!()
    };
    assert!(
        summary.contains("us-east-1, eu-west-1 (all services)") && summary.contains("7 minutes"),
        "{summary}"
    );
    let variables: std::collections::HashMap<_, _> = output_variables.into_iter().collect();
    assert_eq!(variables["verdict"], "PASS");
    assert_eq!(variables["blocking_events"], "0");
    assert_eq!(variables["regions_checked"], "us-east-1,eu-west-1");
    assert_eq!(variables["accounts_checked"], OWN);
    assert_eq!(variables["held_minutes"], "7");
}

fn of_account(account: &str) -> HealthEvent {
    HealthEvent {
        account: Some(account.into()),
        ..ec2_issue()
    }
}

#[test]
fn account_specific_events_block_only_in_the_accounts_the_pipeline_deploys_into() {
    let policy = policy(r#"{"accounts": ["222233334444", "333344445555"]}"#);
    assert_eq!(
        policy.accounts,
        ["222233334444", "333344445555"],
        "named: not the gate's own"
    );
    assert!(blocks(&policy, &of_account("222233334444")));
    assert!(!blocks(&policy, &of_account("444455556666")));
    assert!(
        !blocks(&policy, &of_account(OWN)),
        "the gate's own account is not deployed into"
    );
    assert!(
        blocks(&policy, &ec2_issue()),
        "a public event blocks whichever account reported it"
    );
    let own_only = self::policy("{}");
    assert_eq!(own_only.accounts, [OWN]);
    assert!(blocks(&own_only, &of_account(OWN)));
    assert!(!blocks(&own_only, &of_account("222233334444")));
}

#[test]
fn every_blocker_names_its_account_or_all_accounts() {
    let policy = policy(r#"{"accounts": ["222233334444"]}"#);
    let outcome = decide(&policy, observe(vec![ec2_issue(), of_account("222233334444")]));
    let listed: Vec<String> = outcome.blockers().iter().map(Blocker::describe).collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed[0].contains("EC2 in us-east-1 for all accounts"),
        "{listed:?}"
    );
    assert!(
        listed[1].contains("EC2 in us-east-1 for account 222233334444"),
        "{listed:?}"
    );
    let JobResult::Failure { message, .. } = render(&outcome) else {
        panic!()
    };
    let hold = Hold::read(&message).unwrap();
    let accounts: Vec<Option<&str>> = hold.events.iter().map(|held| held.account.as_deref()).collect();
    assert_eq!(
        accounts,
        [None, Some("222233334444")],
        "the marker carries each event's account"
    );
    let JobResult::Success { output_variables, .. } = render(&decide(&policy, observe(vec![]))) else {
        panic!()
    };
    let variables: std::collections::HashMap<_, _> = output_variables.into_iter().collect();
    assert_eq!(variables["accounts_checked"], "222233334444");
}

#[test]
fn a_job_watches_its_own_account_unless_its_policy_names_others() {
    let defaults = GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()));
    let job = |parameters: &str| JobEvent {
        job_id: "j".into(),
        account_id: "999988887777".into(),
        user_parameters: Some(parameters.into()),
        continuation_token: None,
    };
    let (own, _) = read_job(&defaults, &job("{}")).unwrap();
    assert_eq!(own.accounts, ["999988887777"]);
    let (named, _) = read_job(&defaults, &job(r#"{"accounts": ["222233334444"]}"#)).unwrap();
    assert_eq!(named.accounts, ["222233334444"]);
}

#[test]
fn a_source_that_answered_in_place_of_another_says_why() {
    let mut observed = observe(vec![]);
    observed.health = Ok(HealthReport {
        source: HealthSource::Events,
        caveat: Some("the organizational view could not be asked".into()),
        events: vec![],
    });
    let JobResult::Success { summary, .. } = render(&decide(&policy("{}"), observed)) else {
        panic!()
    };
    assert!(
        summary.contains(
            "AWS Health events recorded from EventBridge: the organizational view could not be asked"
        ),
        "{summary}"
    );
}

#[test]
fn a_lock_on_the_gates_own_pipeline_is_misconfigured_before_anything_else() {
    let mut observations = observe(vec![ec2_issue()]);
    observations.pipeline = Some("web-app".into());
    let outcome = decide(&policy(r#"{"block_while_running": ["web-app"]}"#), observations);
    let JobResult::Failure { kind, message } = render(&outcome) else {
        panic!()
    };
    assert_eq!(kind, FailureKind::ConfigurationError);
    assert!(
        message.contains("names this pipeline itself (web-app)"),
        "{message}"
    );
}

#[test]
fn a_job_is_read_into_its_policy_and_hold_or_answered_as_misconfigured() {
    let defaults = GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()));
    let job = |parameters: &str, token: Option<String>| JobEvent {
        job_id: "j".into(),
        account_id: "111111111111".into(),
        user_parameters: Some(parameters.into()),
        continuation_token: token,
    };
    let token = WaitState::new(NOW, vec![]).encode();
    let (policy, wait) = read_job(&defaults, &job("eu-west-1", Some(token))).unwrap();
    assert_eq!(
        (policy.regions, wait.map(|wait| wait.since)),
        (vec!["eu-west-1".to_owned()], Some(NOW))
    );
    let bad = read_job(&defaults, &job(r#"{"on_block": "later"}"#, None)).unwrap_err();
    assert_eq!(bad.label(), "MISCONFIGURED");
    let forged = read_job(&defaults, &job("", Some("forged".into()))).unwrap_err();
    assert_eq!(forged.label(), "UNREADABLE_TOKEN");
    let JobResult::Failure { kind, .. } = render(&forged) else {
        panic!()
    };
    assert_eq!(kind, FailureKind::JobFailed);
}

#[test]
fn running_out_of_time_or_crashing_blocks_the_deployment_and_says_why() {
    for (outcome, kind, words) in [
        (
            GateOutcome::OutOfTime { budget_secs: 20 },
            FailureKind::SystemUnavailable,
            "ran out of time after 20 s",
        ),
        (
            GateOutcome::Crashed("panic: boom".into()),
            FailureKind::JobFailed,
            "failed unexpectedly (panic: boom)",
        ),
    ] {
        let JobResult::Failure {
            kind: reported,
            message,
        } = render(&outcome)
        else {
            panic!()
        };
        assert_eq!(reported, kind);
        assert!(
            message.contains(words) && message.contains("blocked to be safe"),
            "{message}"
        );
        assert_eq!(notice(&outcome, "web-app"), None);
    }
}

#[test]
fn every_answer_says_which_health_source_decided() {
    let policy = policy("");
    let mut from_events = observe(vec![]);
    from_events.health = Ok(HealthReport {
        source: HealthSource::Events,
        caveat: None,
        events: vec![],
    });
    let JobResult::Success {
        summary,
        output_variables,
    } = render(&decide(&policy, from_events))
    else {
        panic!()
    };
    assert!(
        summary.contains("AWS Health events recorded from EventBridge"),
        "{summary}"
    );
    assert!(output_variables.contains(&("health_source".into(), "events".into())));
    let unchecked = GateOutcome::Pass {
        scope: Scope::of(&policy),
        held_minutes: None,
        health: HealthCheck::Unavailable("no plan".into()),
        freezes: FreezeCheck::Checked,
        released_from: vec![],
        alarms: AlarmCheck::NotWatched,
        calendars: CalendarCheck::NotWatched,
    };
    let JobResult::Success { output_variables, .. } = render(&unchecked) else {
        panic!()
    };
    assert!(output_variables.contains(&("health_source".into(), "none".into())));
    let blocked = GateOutcome::Blocked {
        blockers: vec![Blocker::HealthEvent(ec2_issue())],
        health: HealthCheck::Asked {
            source: HealthSource::Events,
            caveat: None,
        },
        at: NOW,
    };
    let JobResult::Failure { message, .. } = render(&blocked) else {
        panic!()
    };
    assert!(
        message.contains("AWS Health source: AWS Health events recorded from EventBridge."),
        "{message}"
    );
    assert_eq!(
        crate::hold::Hold::read(&message).and_then(|hold| hold.source),
        Some(HealthSource::Events)
    );
    let told = notice(&blocked, "web-app").unwrap();
    assert!(told.body.contains("recorded from EventBridge"), "{}", told.body);
}

#[test]
fn only_answers_the_gate_could_not_reach_as_asked_need_a_person() {
    let pass = decide(&policy("{}"), observe(vec![]));
    let blocked = decide(&policy("{}"), observe(vec![ec2_issue()]));
    assert!(!pass.needs_a_person() && !blocked.needs_a_person());
    for stuck in [
        GateOutcome::Misconfigured("bad".into()),
        GateOutcome::UnreadableToken("bad".into()),
        GateOutcome::OutOfTime { budget_secs: 19 },
        GateOutcome::Crashed("panic".into()),
        GateOutcome::HealthUnavailable {
            cause: "no plan".into(),
        },
        GateOutcome::ConflictCheckFailed(ConflictCheckError::PipelineNotFound("cleanup".into())),
    ] {
        assert!(stuck.needs_a_person(), "{stuck:?}");
    }
}

/// How each answer is worded: job results, failure messages, notices.
#[path = "wording_tests.rs"]
mod wording;

/// Freezes and deployment windows as blockers.
#[path = "freeze_window_tests.rs"]
mod freezes_and_windows;

/// The service's own CloudWatch alarms as blockers.
#[path = "alarm_gate_tests.rs"]
mod alarms;

/// The service's AWS Systems Manager Change Calendars as blockers.
#[path = "calendar_gate_tests.rs"]
mod calendars;
