use super::*;

#[test]
fn the_exhausted_notice_names_pipeline_stage_attempts_and_error() {
    let notice = exhausted_notice("web-app", "Deploy", "e1", 2, "Apply: JobFailed Rate exceeded");
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
                events: vec!["arn:a".into(), "arn:b".into()],
            },
            "HOLD",
            "held by AWS Health events, resumed when they have all closed: arn:a, arn:b",
        ),
        (
            RetryVerdict::Exhausted {
                attempts: 1,
                allowed: 1,
                last_error: "Apply: JobFailed quota".into(),
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
