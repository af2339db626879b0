use super::*;

#[test]
fn a_block_lists_every_event_and_pipeline_with_what_identifies_it() {
    let outcome = GateOutcome::Blocked {
        blockers: vec![
            Blocker::HealthEvent(ec2_issue()),
            Blocker::RunningPipeline(running("cleanup")),
        ],
        health: ASKED,
        at: NOW,
    };
    let JobResult::Failure { kind, message } = render(&outcome) else {
        panic!()
    };
    assert_eq!(kind, FailureKind::JobFailed);
    assert!(
        message.starts_with(
            "Deployment blocked by 1 AWS Health event and 1 running conflicting pipeline execution:"
        ),
        "{message}"
    );
    for part in [
        "EC2",
        "us-east-1",
        "AWS_EC2_OPERATIONAL_ISSUE",
        "2025-11-22T07:26:40Z",
        &ec2_issue().arn,
        "pipeline cleanup is running (execution exec-1",
    ] {
        assert!(message.contains(part), "missing {part} in {message}");
    }
}

#[test]
fn a_huge_block_message_is_cut_to_the_api_limit() {
    let blockers = (0..500)
        .map(|i| {
            Blocker::HealthEvent(event(
                &format!("arn:aws:health:us-east-1::event/EC2/X/{i}"),
                "us-east-1",
                "EC2",
                "X_Y_Z",
            ))
        })
        .collect();
    let JobResult::Failure { message, .. } = render(&GateOutcome::Blocked {
        blockers,
        health: ASKED,
        at: NOW,
    }) else {
        panic!()
    };
    assert_eq!(message.chars().count(), 5000);
}

#[test]
fn a_hold_reports_in_progress_with_a_token_and_no_variables() {
    let outcome = decide(
        &policy(r#"{"on_block": "wait", "max_wait_minutes": 90}"#),
        observe(vec![ec2_issue()]),
    );
    let JobResult::InProgress {
        summary,
        continuation_token,
    } = render(&outcome)
    else {
        panic!()
    };
    assert!(
        summary.contains("up to 90 minutes") && summary.contains("AWS_EC2_OPERATIONAL_ISSUE"),
        "{summary}"
    );
    assert_eq!(WaitState::decode(&continuation_token).unwrap().since, NOW);
}

#[test]
fn giving_up_and_health_errors_say_why() {
    let JobResult::Failure { kind, message } = render(&GateOutcome::GaveUp {
        blockers: vec![Blocker::HealthEvent(ec2_issue())],
        waited_minutes: 60,
        max_wait_minutes: 60,
        health: ASKED,
        since: NOW,
    }) else {
        panic!()
    };
    assert_eq!(kind, FailureKind::JobFailed);
    assert!(
        message.contains("60 minutes") && message.contains("max_wait_minutes"),
        "{message}"
    );
    let JobResult::Failure { kind, message } = render(&GateOutcome::HealthUnavailable {
        cause: unavailable().to_string(),
    }) else {
        panic!()
    };
    assert_eq!(kind, FailureKind::SystemUnavailable);
    assert!(
        message.contains("SubscriptionRequiredException") && message.contains("fail-closed"),
        "{message}"
    );
}

#[test]
fn people_hear_about_blocks_new_holds_give_ups_and_releases_only() {
    let policy = policy(r#"{"on_block": "wait"}"#);
    let blockers = vec![Blocker::HealthEvent(ec2_issue())];
    let wait = WaitState::new(NOW, vec![]);
    let subject = |outcome: GateOutcome| notice(&outcome, "web-app").map(|notice| notice.subject);
    assert_eq!(
        subject(GateOutcome::Blocked {
            blockers: blockers.clone(),
            health: ASKED,
            at: NOW,
        })
        .as_deref(),
        Some("pipeguard: web-app blocked")
    );
    assert_eq!(
        subject(GateOutcome::Hold {
            wait: wait.clone(),
            blockers: blockers.clone(),
            newly_held: true,
            max_wait_minutes: 60,
            health: ASKED,
        })
        .as_deref(),
        Some("pipeguard: web-app held")
    );
    assert_eq!(
        subject(GateOutcome::Hold {
            wait,
            blockers: blockers.clone(),
            newly_held: false,
            max_wait_minutes: 60,
            health: ASKED,
        }),
        None
    );
    assert_eq!(
        subject(GateOutcome::GaveUp {
            blockers,
            waited_minutes: 60,
            max_wait_minutes: 60,
            health: ASKED,
            since: NOW,
        })
        .as_deref(),
        Some("pipeguard: web-app gave up waiting")
    );
    assert_eq!(
        subject(GateOutcome::Pass {
            scope: Scope::of(&policy),
            held_minutes: Some(3),
            health: ASKED,
            freezes: FreezeCheck::Checked,
            released_from: vec![],
            alarms: AlarmCheck::NotWatched,
            calendars: CalendarCheck::NotWatched,
        })
        .as_deref(),
        Some("pipeguard: web-app released")
    );
    assert_eq!(
        subject(GateOutcome::Pass {
            scope: Scope::of(&policy),
            held_minutes: None,
            health: ASKED,
            freezes: FreezeCheck::Checked,
            released_from: vec![],
            alarms: AlarmCheck::NotWatched,
            calendars: CalendarCheck::NotWatched,
        }),
        None
    );
}

#[test]
fn a_block_marks_its_health_events_for_whatever_resumes_the_stage() {
    let mut iam = event(
        "arn:aws:health:us-east-1::event/IAM/AWS_IAM_OPERATIONAL_ISSUE/9",
        "global",
        "IAM",
        "AWS_IAM_OPERATIONAL_ISSUE",
    );
    iam.start_time = None;
    let blockers = vec![
        Blocker::HealthEvent(iam.clone()),
        Blocker::RunningPipeline(running("cleanup")),
    ];
    for outcome in [
        GateOutcome::Blocked {
            blockers: blockers.clone(),
            health: ASKED,
            at: NOW,
        },
        GateOutcome::GaveUp {
            blockers: blockers.clone(),
            waited_minutes: 61,
            max_wait_minutes: 60,
            health: ASKED,
            since: NOW,
        },
    ] {
        let JobResult::Failure { message, .. } = render(&outcome) else {
            panic!()
        };
        let hold = crate::hold::Hold::read(&message).unwrap();
        assert_eq!(hold.arns().collect::<Vec<_>>(), [iam.arn.as_str()]);
        assert_eq!(hold.events[0].region, "global", "from the marker, not the ARN");
    }
    let JobResult::Failure { message, .. } = render(&GateOutcome::Blocked {
        blockers: vec![Blocker::RunningPipeline(running("cleanup"))],
        health: ASKED,
        at: NOW,
    }) else {
        panic!()
    };
    assert_eq!(
        crate::hold::Hold::read(&message),
        None,
        "a lock alone holds nothing"
    );
}
