use super::*;
use serde_json::json;

fn job(id: &str, operation: &str, state: &str, created: &str) -> serde_json::Value {
    json!({"id": id, "stackId": "ocid1.ormstack.oc1..s", "operation": operation, "lifecycleState": state, "timeCreated": created})
}

#[test]
fn the_last_good_apply_is_the_newest_succeeded_apply_never_a_rollback_nor_the_failed_one() {
    let page = json!([
        job("j5", "APPLY", "FAILED", "2026-12-01T10:05:00.000Z"),
        job("j4", "APPLY_ROLLBACK", "SUCCEEDED", "2026-12-01T10:04:00.000Z"),
        job("j3", "PLAN", "SUCCEEDED", "2026-12-01T10:03:00.000Z"),
        job("j2", "APPLY", "SUCCEEDED", "2026-12-01T10:02:00.000Z"),
        job("j1", "APPLY", "SUCCEEDED", "2026-12-01T10:01:00.000Z"),
    ]);
    let jobs = StackJob::read_page(&page).unwrap();
    assert_eq!(
        last_good_apply(&jobs, Some("j5")).map(|job| job.id.as_str()),
        Some("j2"),
        "the newest, not the oldest"
    );
    assert_eq!(
        last_good_apply(&jobs, Some("j2")).map(|job| job.id.as_str()),
        Some("j1")
    );
    assert_eq!(last_rollback(&jobs).map(|job| job.id.as_str()), Some("j4"));
    assert_eq!(last_good_apply(&jobs[..1], None), None);
    let mut later = jobs.clone();
    later.insert(
        0,
        StackJob::read(&job("j6", "APPLY", "SUCCEEDED", "2026-12-01T10:06:00.000Z")).unwrap(),
    );
    assert_eq!(
        last_good_apply(&later, Some("j5")).map(|job| job.id.as_str()),
        Some("j2"),
        "an apply run since the failure is not earlier"
    );
}

#[test]
fn a_job_reads_its_failure_and_keeps_names_this_version_does_not_know() {
    let mut failed = job("j9", "APPLY", "FAILED", "2026-12-01T10:09:00.000Z");
    failed["failureDetails"] = json!({"code": "TERRAFORM_EXECUTION_ERROR", "message": "Error: quota"});
    let read = StackJob::read(&failed).unwrap();
    assert_eq!(
        read.failure.map(|failure| failure.code),
        Some("TERRAFORM_EXECUTION_ERROR".into())
    );
    assert!(read.state.is_final());
    let future = StackJob::read(&job("j0", "DRIFT_DETECTION", "QUEUED", "x")).unwrap();
    assert_eq!(future.operation, JobOperation::Other("DRIFT_DETECTION".into()));
    assert!(!future.state.is_final());
    assert!(
        StackJob::read(&json!({"operation": "APPLY"})).is_err(),
        "a job without an id"
    );
    assert!(StackJob::read_page(&json!({"items": []})).is_err());
}

#[test]
fn a_failure_qualifies_for_a_rollback_by_its_code() {
    let mut failed = StackJob::read(&job("j9", "APPLY", "FAILED", "2026-12-01T10:09:00.000Z")).unwrap();
    let codes = vec!["TERRAFORM_EXECUTION_ERROR".to_owned()];
    assert_eq!(
        not_qualifying(&failed, &codes),
        Some("it failed with unknown, not one of TERRAFORM_EXECUTION_ERROR".into())
    );
    failed.failure = Some(JobFailure {
        code: "TERRAFORM_EXECUTION_ERROR".into(),
        message: "Error: quota".into(),
    });
    assert_eq!(not_qualifying(&failed, &codes), None);
    assert!(not_qualifying(&failed, &["JOB_TIMEOUT".to_owned()]).is_some());
}
