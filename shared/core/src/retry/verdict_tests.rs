use super::*;

fn exhausted(last_errors: &[&str]) -> RetryVerdict {
    RetryVerdict::Exhausted {
        attempts: 2,
        allowed: 2,
        last_errors: last_errors.iter().map(|error| error.to_string()).collect(),
    }
}

#[test]
fn the_exhausted_notice_names_pipeline_stage_attempts_and_error() {
    let notice = exhausted(&["Apply: JobFailed Rate exceeded"])
        .notice("web-app", "Deploy", "e1")
        .unwrap();
    assert_eq!(
        notice.subject,
        "pipeguard: web-app Deploy still failing after 2 retries"
    );
    for part in [
        "web-app",
        "Deploy",
        "e1",
        "2 automatic retries",
        "Apply: JobFailed Rate exceeded",
    ] {
        assert!(notice.body.contains(part), "{part}");
    }
}

#[test]
fn a_call_that_started_keeps_its_verdict_and_one_already_handled_is_a_skip() {
    let retried = RetryVerdict::Retried {
        attempt: 2,
        mode: RetryMode::FailedActions,
    };
    assert_eq!(
        RetryVerdict::after(RetryOutcome::Started, retried.clone()),
        retried
    );
    let skipped = RetryVerdict::after(
        RetryOutcome::AlreadyHandled("ConflictException: busy".into()),
        retried,
    );
    assert_eq!(skipped.label(), "SKIP");
    assert_eq!(
        skipped.reason(),
        "already handled or superseded: ConflictException: busy"
    );
}

#[test]
fn every_verdict_has_one_upper_case_label_and_a_reason() {
    let verdicts = [
        (
            RetryVerdict::Retried {
                attempt: 1,
                mode: RetryMode::AllActions,
            },
            "RETRY",
            "retry 1 started (ALL_ACTIONS)",
        ),
        (
            RetryVerdict::Resumed {
                because: "its AWS Health events had already closed".into(),
            },
            "RESUME",
            "its AWS Health events had already closed",
        ),
        (
            RetryVerdict::Held {
                by: vec!["arn:a".into(), "freeze f1 (INC-1)".into()],
            },
            "HOLD",
            "held, and resumed when these have all ended: arn:a, freeze f1 (INC-1)",
        ),
        (
            RetryVerdict::Exhausted {
                attempts: 1,
                allowed: 1,
                last_errors: vec!["Apply: JobFailed quota".into()],
            },
            "EXHAUSTED",
            "retries used up (1 of 1); last error: Apply: JobFailed quota",
        ),
        (RetryVerdict::Skipped("not managed".into()), "SKIP", "not managed"),
        (
            RetryVerdict::WouldRetry {
                attempt: 1,
                mode: RetryMode::FailedActions,
            },
            "DRY_RUN",
            "FAILED_ACTIONS, retry 1",
        ),
    ];
    for (verdict, label, reason) in verdicts {
        assert_eq!((verdict.label(), verdict.reason().as_str()), (label, reason));
    }
}

#[test]
fn the_reason_gives_the_first_line_of_each_error_and_the_notice_gives_them_whole() {
    let long = format!("Migrate: JobFailed {}", "x".repeat(2000));
    let verdict = exhausted(&["Apply: JobFailed Rate exceeded\nat line 3\nat line 4", &long]);
    let reason = verdict.reason();
    assert!(
        reason.starts_with(
            "retries used up (2 of 2); last error: Apply: JobFailed Rate exceeded; Migrate: JobFailed xxx"
        ),
        "{reason}"
    );
    assert!(!reason.contains('\n') && !reason.contains("line 3"), "{reason}");
    assert!(reason.chars().count() < 400, "{reason}");
    let notice = verdict.notice("web-app", "Deploy", "e1").unwrap();
    assert!(
        notice.body.contains("at line 4") && notice.body.contains(&long),
        "{}",
        notice.body
    );
    let escaping = exhausted(&["Apply: JobFailed \u{1b}]0;pwned\u{7}\nat line 2"]);
    let body = escaping.notice("web-app", "Deploy", "e1").unwrap().body;
    assert!(body.contains("\\u{1b}]0;pwned\\u{7}\nat line 2"), "{body}");
}

#[test]
fn only_used_up_retries_are_worth_a_notice() {
    let skipped = RetryVerdict::Skipped("not managed".into());
    assert_eq!(skipped.notice("web-app", "Deploy", "e1"), None);
    let held = RetryVerdict::Held {
        by: vec!["arn:a".into()],
    };
    assert_eq!(held.notice("web-app", "Deploy", "e1"), None);
}
