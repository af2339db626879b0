use super::*;
use crate::rollback::LastGood;
use serde_json::json;

fn job(id: &str, operation: &str, state: &str, created: &str) -> serde_json::Value {
    json!({"id": id, "stackId": "ocid1.ormstack.oc1..s", "operation": operation, "lifecycleState": state, "timeCreated": created})
}

fn good(jobs: &[StackJob], except: Option<&str>) -> Option<String> {
    last_good_apply(jobs, except).target().map(|job| job.id.clone())
}

fn rollback_to(id: &str, target: &str, created: &str) -> serde_json::Value {
    let mut rollback = job(id, "APPLY_ROLLBACK", "SUCCEEDED", created);
    rollback["jobOperationDetails"] = json!({"operation": "APPLY_ROLLBACK",
        "executionPlanRollbackStrategy": "AUTO_APPROVED", "targetRollbackJobId": target});
    rollback
}

#[test]
fn the_last_good_apply_is_the_newest_succeeded_apply_never_a_plan_nor_the_failed_one() {
    let page = json!([
        job("j5", "APPLY", "FAILED", "2026-12-01T10:05:00.000Z"),
        job("j3", "PLAN", "SUCCEEDED", "2026-12-01T10:03:00.000Z"),
        job("j2", "APPLY", "SUCCEEDED", "2026-12-01T10:02:00.000Z"),
        job("j1", "APPLY", "SUCCEEDED", "2026-12-01T10:01:00.000Z"),
    ]);
    let jobs = StackJob::read_page(&page).unwrap();
    assert_eq!(
        good(&jobs, Some("j5")).as_deref(),
        Some("j2"),
        "the newest, not the oldest"
    );
    assert_eq!(good(&jobs, Some("j2")).as_deref(), Some("j1"));
    assert_eq!(good(&jobs[..1], None), None);
    let mut later = jobs.clone();
    later.insert(
        0,
        StackJob::read(&job("j6", "APPLY", "SUCCEEDED", "2026-12-01T10:06:00.000Z")).unwrap(),
    );
    assert_eq!(
        good(&later, Some("j5")).as_deref(),
        Some("j2"),
        "an apply run since the failure is not earlier"
    );
}

#[test]
fn after_a_rollback_the_last_good_apply_is_the_one_it_returned_to() {
    // E1 ✓, E2 ✓, a rollback to E1 ✓, E3 ✗.
    let page = json!([
        job("e3", "APPLY", "FAILED", "2026-12-01T10:04:00.000Z"),
        rollback_to("r1", "e1", "2026-12-01T10:03:00.000Z"),
        job("e2", "APPLY", "SUCCEEDED", "2026-12-01T10:02:00.000Z"),
        job("e1", "APPLY", "SUCCEEDED", "2026-12-01T10:01:00.000Z"),
    ]);
    let jobs = StackJob::read_page(&page).unwrap();
    assert_eq!(jobs[1].rollback_target.as_deref(), Some("e1"));
    assert_eq!(
        good(&jobs, Some("e3")).as_deref(),
        Some("e1"),
        "not e2, rolled away from"
    );
    assert_eq!(last_rollback(&jobs).map(|job| job.id.as_str()), Some("r1"));
    assert!(
        matches!(
            last_good_apply(&jobs[..3], Some("e3")),
            LastGood::Unlisted {
                target: Some("e1"),
                ..
            }
        ),
        "e1 not read yet: never e2"
    );
    let mut through_a_plan = page.clone();
    through_a_plan[1]["jobOperationDetails"] = json!({"operation": "APPLY_ROLLBACK",
        "executionPlanRollbackStrategy": "FROM_PLAN_ROLLBACK_JOB_ID", "executionPlanRollbackJobId": "p1"});
    let mut plan = job("p1", "PLAN_ROLLBACK", "SUCCEEDED", "2026-12-01T10:02:30.000Z");
    plan["jobOperationDetails"] = json!({"operation": "PLAN_ROLLBACK", "targetRollbackJobId": "e1"});
    if let Some(jobs) = through_a_plan.as_array_mut() {
        jobs.insert(2, plan);
    }
    let jobs = StackJob::read_page(&through_a_plan).unwrap();
    assert_eq!(
        good(&jobs, Some("e3")).as_deref(),
        Some("e1"),
        "through the rollback's plan"
    );
}

#[test]
fn a_job_without_the_legacy_operation_reads_it_from_its_operation_details() {
    let mut summary = job("r1", "APPLY_ROLLBACK", "SUCCEEDED", "2026-12-01T10:03:00.000Z");
    summary["jobOperationDetails"] = json!({"operation": "APPLY_ROLLBACK", "targetRollbackJobId": "e1"});
    if let Some(fields) = summary.as_object_mut() {
        fields.remove("operation");
    }
    let read = StackJob::read(&summary).unwrap();
    assert_eq!(read.operation, JobOperation::ApplyRollback);
    assert_eq!(read.rollback_target.as_deref(), Some("e1"));
    let mut legacy = job("j1", "APPLY", "SUCCEEDED", "2026-12-01T10:01:00.000Z");
    legacy["jobOperationDetails"] = json!({"operation": "DESTROY"});
    assert_eq!(
        StackJob::read(&legacy).unwrap().operation,
        JobOperation::Apply,
        "the top-level field, when it is there, as before"
    );
}

#[test]
fn a_failure_missing_a_field_still_reads() {
    let mut no_message = job("j9", "APPLY", "FAILED", "2026-12-01T10:09:00.000Z");
    no_message["failureDetails"] = json!({"code": "TERRAFORM_EXECUTION_ERROR"});
    let read = StackJob::read(&no_message).unwrap();
    assert_eq!(
        read.failure,
        Some(JobFailure {
            code: "TERRAFORM_EXECUTION_ERROR".into(),
            message: String::new()
        })
    );
    let mut no_code = no_message.clone();
    no_code["failureDetails"] = json!({"message": "Error: quota"});
    let read = StackJob::read(&no_code).unwrap();
    assert_eq!(
        read.failure.as_ref().map(|failure| failure.code.as_str()),
        Some("unknown")
    );
    assert!(not_qualifying(&read, &["TERRAFORM_EXECUTION_ERROR".to_owned()]).is_some());
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
