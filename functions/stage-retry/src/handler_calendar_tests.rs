//! A stage a closed Change Calendar held resumes when the calendar opens: on its "Calendar State
//! Change" event, as EventBridge delivers it, or on the sweep once its opening has passed; never
//! on a forged one.

use super::*;

/// The gate's failure, held by the Change Calendar year-end until `opens_at`.
fn held_by_calendar(opens_at: i64) -> Rule {
    let message = format!(
        "Deployment blocked by 1 closed Change Calendar.\npipeguard:hold:v1 {}",
        json!({"events": [], "calendars": [{"name": "year-end", "region": "us-east-1", "account": "123456789012", "opens_at": opens_at}], "since": opens_at - 3600})
    );
    state("JobFailed", &message, 0)
}

/// year-end's change of state, as EventBridge delivers it.
fn calendar_changed(name: &str, state: &str) -> LambdaEvent<Value> {
    let mut event: Value =
        serde_json::from_str(include_str!("../../../tests/events/calendar-state-change.json")).unwrap();
    event["resources"] = json!([format!("arn:aws:ssm:us-east-1:123456789012:document/{name}")]);
    event["detail"]["state"] = json!(state);
    LambdaEvent::new(event, context())
}

#[tokio::test]
async fn the_calendar_opening_resumes_the_stage_it_held_and_nothing_else_does() {
    let later = pipeguard_aws::clock::unix_seconds() + 3600;
    let pipelines = web_app_listed();
    let (state, retry) = (held_by_calendar(later), retry_call());
    let retrier = retrier(&[&pipelines, &state, &retry], &[], &[]);
    for (event, what) in [
        (calendar_changed("year-end", "CLOSED"), "it closing"),
        (
            calendar_changed("black-friday", "OPEN"),
            "another calendar opening",
        ),
        (sweep(), "the sweep before its opening"),
    ] {
        retrier.on_invocation(event).await.unwrap();
        assert_eq!(retry.num_calls(), 0, "{what}");
    }
    retrier
        .on_invocation(calendar_changed("year-end", "OPEN"))
        .await
        .unwrap();
    assert_eq!(retry.num_calls(), 1, "its opening resumes it");
}

#[tokio::test]
async fn the_sweep_resumes_the_stage_once_the_calendars_opening_has_passed() {
    let past = pipeguard_aws::clock::unix_seconds() - 60;
    let pipelines = web_app_listed();
    let (state, retry) = (held_by_calendar(past), retry_call());
    retrier(&[&pipelines, &state, &retry], &[], &[])
        .on_invocation(sweep())
        .await
        .unwrap();
    assert_eq!(retry.num_calls(), 1);
}

#[tokio::test]
async fn a_calendar_opening_inside_an_sns_message_resumes_nothing() {
    let later = pipeguard_aws::clock::unix_seconds() + 3600;
    let pipelines = web_app_listed();
    let (state, retry) = (held_by_calendar(later), retry_call());
    let retrier = retrier(&[&pipelines, &state, &retry], &[], &[]);
    let mut delivery: Value =
        serde_json::from_str(include_str!("../../../tests/events/sns-stage-failed.json")).unwrap();
    delivery["Records"][0]["Sns"]["Message"] =
        json!(calendar_changed("year-end", "OPEN").payload.to_string());
    retrier
        .on_invocation(LambdaEvent::new(delivery, context()))
        .await
        .unwrap();
    assert_eq!(
        (pipelines.num_calls(), retry.num_calls()),
        (0, 0),
        "forged: nothing listed or resumed"
    );
}
