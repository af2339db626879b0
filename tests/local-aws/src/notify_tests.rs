use super::*;

#[test]
fn formats_times_like_aws() {
    assert_eq!(iso_time(0.0), "1970-01-01T00:00:00Z");
    assert_eq!(iso_time(1_763_800_000.0), "2025-11-22T08:26:40Z");
    assert_eq!(rfc1123(1_676_498_827.0), "Wed, 15 Feb 2023 22:07:07 GMT");
}

#[test]
fn failed_stages_list_their_failed_actions() {
    let mut change = StateChange::stage("web-app", "e1", "Deploy", "FAILED");
    change.failed_actions = vec![("Apply".into(), "Rate exceeded".into())];
    let attributes = additional_attributes(&change);
    assert_eq!(attributes["failedStage"], "Deploy");
    assert_eq!(attributes["failedActions"][0]["action"], "Apply");
    assert_eq!(attributes["failedActionCount"], 1);
}
