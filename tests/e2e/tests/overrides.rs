//! Break glass end to end: a deploy a freeze holds goes through on `pipeguard override` (the
//! real command line, the real gate and stage-retry, the table in the emulator's DynamoDB), the
//! topic says who broke the glass and why, another pipeline stays held, and an override that
//! cannot be granted as asked writes nothing.

use e2e::{CLI_CALLER, EVENT_STORE, Local, action, gate_message};
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

async fn overrides(local: &Local, all: bool) -> Value {
    let mut args = vec!["--json", "overrides", "--events-table", EVENT_STORE];
    if all {
        args.push("--all");
    }
    let (code, stdout, stderr) = local.cli(&args, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_lets_one_held_pipeline_through_the_freeze_and_the_topic_says_who_and_why() {
    let local = Local::start_for_people().await;
    for pipeline in ["prod-web", "prod-api"] {
        local.gated_pipeline(pipeline, "", &["succeed"]);
    }
    local
        .freeze(&["--reason", "INC-4211: checkout errors", "--prefix", "prod-"])
        .await;
    let web = local.start_execution("prod-web");
    let api = local.start_execution("prod-api");
    for execution in [&web, &api] {
        let failed = local.reaches(execution, "Failed", TIMEOUT).await;
        assert!(gate_message(&failed).contains("INC-4211"), "{failed:#}");
    }
    local
        .invoked("stage-retry", 2, "stage-retry to hold both failures")
        .await;

    let (code, stdout, stderr) = local
        .cli(
            &[
                "--json",
                "override",
                "--pipeline",
                "prod-web",
                "--reason",
                "INC-9: the fix for checkout",
                "--for",
                "30m",
                "--only",
                "freezes",
                "--events-table",
                EVENT_STORE,
            ],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let answer: Value = serde_json::from_str(&stdout).unwrap();
    let id = answer["granted"]["id"].as_str().unwrap().to_owned();
    assert_eq!(answer["granted"]["kinds"], json!(["freezes"]));
    assert_eq!(answer["granted"]["by"], CLI_CALLER);
    assert_eq!(answer["resume_announced"], true);

    // stage-retry resumes prod-web at once; the gate lets it through the freeze, on the override.
    let passed = local.reaches(&web, "Succeeded", TIMEOUT).await;
    let gate = action(&passed, "Gate", "HealthGate");
    assert_eq!(gate["output_variables"]["verdict"], "PASS_OVERRIDDEN", "{gate:#}");
    assert_eq!(gate["output_variables"]["overridden_by"], id.as_str());
    let told = local
        .wait_for(TIMEOUT, "the break-glass notice", || {
            local
                .messages()
                .into_iter()
                .find(|message| message["subject"] == "pipeguard: break glass used on prod-web")
                .and_then(|message| message["message"].as_str().map(str::to_owned))
        })
        .await;
    assert!(
        told.contains(CLI_CALLER)
            && told.contains("INC-9: the fix for checkout")
            && told.contains("INC-4211"),
        "who, why, and what it passed over: {told}"
    );
    // prod-api stays held: the override is prod-web's.
    assert_eq!(local.execution(&api)["status"], "Failed");
    assert_eq!(local.calls("codepipeline", "RetryStageExecution", None), 1);

    let listed = overrides(&local, false).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed:#}");
    assert_eq!(listed[0]["active"], true);
    let (code, _, stderr) = local
        .cli(&["override", "--end", &id, "--events-table", EVENT_STORE], &[])
        .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(overrides(&local, false).await, json!([]));
    assert_eq!(overrides(&local, true).await[0]["ended_by"], CLI_CALLER);
    let (code, _, stderr) = local
        .cli(&["override", "--end", &id, "--events-table", EVENT_STORE], &[])
        .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("already ended"), "{stderr}");

    // Ended, it lets nothing through: prod-web frozen again fails on the freeze.
    let again = local.start_execution("prod-web");
    let failed = local.reaches(&again, "Failed", TIMEOUT).await;
    assert!(gate_message(&failed).contains("INC-4211"), "{failed:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_that_cannot_be_granted_as_asked_writes_nothing() {
    let local = Local::start_for_people().await;
    local.gated_pipeline("web-app", "", &["succeed"]);
    for (args, words) in [
        (
            vec!["--pipeline", "web-app", "--reason", "  "],
            "an override needs a reason",
        ),
        (
            vec!["--pipeline", "web-app", "--reason", "INC-9", "--for", "25h"],
            "at most 24 hours",
        ),
        (
            vec![
                "--pipeline",
                "web-app",
                "--reason",
                "INC-9",
                "--until",
                "2020-01-01T00:00:00Z",
            ],
            "not after now",
        ),
        (
            vec![
                "--pipeline",
                "web-app",
                "--reason",
                "INC-9",
                "--only",
                "health,everything",
            ],
            "`everything` is not a kind",
        ),
        (
            vec!["--pipeline", "no-such-app", "--reason", "INC-9"],
            "unknown pipeline: no-such-app",
        ),
    ] {
        let mut command = vec!["override", "--events-table", EVENT_STORE];
        command.extend(args);
        let (code, stdout, stderr) = local.cli(&command, &[]).await;
        assert_eq!(code, 2, "{command:?}: {stdout}{stderr}");
        assert!(stderr.contains(words), "{command:?}: {stderr}");
    }
    assert_eq!(overrides(&local, true).await, json!([]), "nothing written");
    assert_eq!(local.calls("events", "PutEvents", None), 0, "nothing announced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_grant_resumes_nothing_and_a_lost_one_is_caught_by_the_sweep() {
    let local = Local::start_for_people().await;
    local.gated_pipeline("prod-web", "", &["succeed"]);
    local
        .freeze(&["--reason", "INC-4211: checkout errors", "--prefix", "prod-"])
        .await;
    let held = local.start_execution("prod-web");
    local.reaches(&held, "Failed", TIMEOUT).await;
    local
        .invoked("stage-retry", 1, "stage-retry to hold the failure")
        .await;

    // Anyone who may put pipeguard's events can claim an override: stage-retry looks it up.
    let mut forged: Value = serde_json::from_str(include_str!("../../events/override-granted.json")).unwrap();
    forged["detail"] = json!({"override_id": "ovr-forged", "pipeline": "prod-web", "kinds": ["freezes"]});
    local.admin(
        "POST",
        "/_admin/invoke",
        json!({"function": "stage-retry", "payload": forged}),
    );
    local.invoked("stage-retry", 2, "the forged grant").await;
    assert_eq!(
        local.calls("codepipeline", "RetryStageExecution", None),
        0,
        "no override ovr-forged is in the table: nothing resumes"
    );

    // A genuine override whose announcement is lost: the sweep reads the overrides itself.
    local.fault(json!({"service": "events", "operation": "PutEvents", "kind": "server-error"}));
    let (code, _, stderr) = local
        .cli(
            &[
                "override",
                "--pipeline",
                "prod-web",
                "--reason",
                "INC-9: the fix",
                "--only",
                "freezes",
                "--events-table",
                EVENT_STORE,
            ],
            &[],
        )
        .await;
    assert_eq!(code, 1, "granted, but stage-retry could not be told: {stderr}");
    assert!(stderr.contains("its sweep resumes"), "{stderr}");
    local.sweep();
    let passed = local.reaches(&held, "Succeeded", TIMEOUT).await;
    assert_eq!(
        action(&passed, "Gate", "HealthGate")["output_variables"]["verdict"],
        "PASS_OVERRIDDEN"
    );
    assert_eq!(local.calls("codepipeline", "RetryStageExecution", None), 1);
}
