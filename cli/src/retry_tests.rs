use super::*;
use serde_json::json;

#[test]
fn a_dry_run_lists_what_it_would_retry_and_how_under_its_own_key() {
    let mut report = RetryReport::new(true);
    report.push(
        "flaky",
        "Deploy",
        Ok(RetryVerdict::WouldRetry {
            attempt: 1,
            mode: RetryMode::FailedActions,
        }),
    );
    report.push(
        "broken",
        "Deploy",
        Ok(RetryVerdict::Skipped(
            "ConfigurationError: template invalid".into(),
        )),
    );
    report.push("gone", "-", Err("GetPipelineState: throttled".into()));
    assert_eq!(
        json!(report),
        json!({
            "dry_run": true,
            "would_retry": [{"pipeline": "flaky", "stage": "Deploy", "verdict": "DRY_RUN", "how": "FAILED_ACTIONS, retry 1"}],
            "skipped": [{"pipeline": "broken", "stage": "Deploy", "verdict": "SKIP", "reason": "ConfigurationError: template invalid"}],
            "errors": [{"pipeline": "gone", "stage": "-", "error": "GetPipelineState: throttled"}],
        })
    );
    assert_eq!(
        report.text(false),
        "would retry  flaky Deploy (FAILED_ACTIONS, retry 1)\n\
         skipped  broken Deploy: ConfigurationError: template invalid\n\
         error    gone -: GetPipelineState: throttled\n\
         1 would be retried (dry run: nothing was), 1 skipped, 1 errors"
    );
}

#[test]
fn a_retry_lists_the_stages_it_retried_with_their_verdict_only() {
    let mut report = RetryReport::new(false);
    report.push(
        "flaky",
        "Deploy",
        Ok(RetryVerdict::Retried {
            attempt: 1,
            mode: RetryMode::FailedActions,
        }),
    );
    assert_eq!(
        json!(report),
        json!({"dry_run": false, "retried": [{"pipeline": "flaky", "stage": "Deploy", "verdict": "RETRY"}],
               "skipped": [], "errors": []})
    );
    assert_eq!(
        report.text(false),
        "retried  flaky Deploy\n1 retried, 0 skipped, 0 errors"
    );
}
