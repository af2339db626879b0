use super::*;
use serde_json::json;

fn rollback_job(state: &str, failure: Option<(&str, &str)>) -> StackJob {
    let mut job = json!({"id": "ocid1.ormjob.oc1..r", "stackId": "s", "operation": "APPLY_ROLLBACK",
                         "lifecycleState": state, "timeCreated": "2026-12-01T00:00:00.000Z"});
    if let Some((code, message)) = failure {
        job["failureDetails"] = json!({"code": code, "message": message});
    }
    StackJob::read(&job).unwrap()
}

#[test]
fn a_rollback_job_ends_in_one_of_four_ways_said_alike_by_apply_and_rollback() {
    let rolled_back = rollback_end(Waited::Ended(rollback_job("SUCCEEDED", None)), "s");
    assert_eq!(
        (
            rolled_back.outcome,
            rolled_back.how.as_str(),
            rolled_back.ended as u8
        ),
        ("rolled_back", "rolled back", 0)
    );
    let failed = rollback_end(
        Waited::Ended(rollback_job(
            "FAILED",
            Some(("TERRAFORM_EXECUTION_ERROR", "boom")),
        )),
        "s",
    );
    assert_eq!(
        (failed.outcome, failed.how.as_str(), failed.ended as u8),
        (
            "rollback_failed",
            "the rollback failed (TERRAFORM_EXECUTION_ERROR: boom)",
            1
        )
    );
    let running = rollback_end(Waited::StillRunning(rollback_job("IN_PROGRESS", None)), "s");
    assert_eq!(
        (running.outcome, running.ended as u8),
        ("rollback_still_running", 1)
    );
    assert!(
        running.how.ends_with("see `pipeguard oci status --stack s`"),
        "{}",
        running.how
    );
    let unread = rollback_end(
        Waited::Unread {
            job: rollback_job("IN_PROGRESS", None),
            problem: Problem::Unavailable("OCI went quiet".into()),
        },
        "s",
    );
    assert_eq!((unread.outcome, unread.ended as u8), ("rollback_unknown", 3));
    assert_eq!(unread.reason.as_deref(), Some("OCI went quiet"));
    assert!(
        unread.how.contains("could not be read (OCI went quiet)"),
        "{}",
        unread.how
    );
    assert!(rolled_back.reason.is_none() && failed.reason.is_none() && running.reason.is_none());
}

#[test]
fn a_job_has_one_json_shape_whether_it_was_got_or_listed() {
    let got = rollback_job("FAILED", Some(("TERRAFORM_EXECUTION_ERROR", "boom")));
    let listed = rollback_job("SUCCEEDED", None);
    assert_eq!(
        json!(JobJson::from(&got)),
        json!({"id": "ocid1.ormjob.oc1..r", "operation": "APPLY_ROLLBACK", "state": "FAILED",
               "created": "2026-12-01T00:00:00.000Z",
               "failure": {"code": "TERRAFORM_EXECUTION_ERROR", "message": "boom"}})
    );
    assert_eq!(
        json!(JobJson::from(&listed)),
        json!({"id": "ocid1.ormjob.oc1..r", "operation": "APPLY_ROLLBACK", "state": "SUCCEEDED",
               "created": "2026-12-01T00:00:00.000Z", "failure": null})
    );
}

#[test]
fn a_stack_outcome_has_the_jobs_it_names_and_a_reason_only_when_there_is_one() {
    let target = rollback_job("SUCCEEDED", None);
    let rolled_back = StackOutcome::new("s", "rolled_back", Ended::Failed, "rolled back".into())
        .target(&target)
        .rollback(&target)
        .reason(None);
    assert_eq!(
        json!(rolled_back),
        json!({"stack": "s", "outcome": "rolled_back", "message": "rolled back", "exit_code": 1,
               "target": JobJson::from(&target), "rollback": JobJson::from(&target)})
    );
    let unknown = StackOutcome::new("s", "unknown", Ended::Unavailable, "went quiet".into())
        .apply(&target)
        .reason(Some("OCI went quiet".into()));
    assert_eq!(
        json!(unknown),
        json!({"stack": "s", "outcome": "unknown", "message": "went quiet", "exit_code": 3,
               "apply": JobJson::from(&target), "reason": "OCI went quiet"})
    );
    let quoted = StackOutcome::new("s", "applied", Ended::Ok, "Error:\u{1b}[2J boom".into());
    assert_eq!(quoted.text(false), "Error:\\u{1b}[2J boom");
}
