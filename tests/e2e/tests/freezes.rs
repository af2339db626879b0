//! Freezes and deployment windows end to end: people freeze and unfreeze with the real command
//! line, the real gate blocks what a freeze covers, and the real stage-retry resumes it, at once
//! on an unfreeze and by its sweep when a freeze reaches its end or a window opens. The clock
//! the functions see is moved by the emulator (the test clock of the e2e build).

use aws_sdk_dynamodb::types::AttributeValue;
use e2e::{CLI_CALLER, EVENT_STORE, Local, action, gate_message};
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

fn subjects(local: &Local) -> Vec<String> {
    local
        .messages()
        .iter()
        .filter_map(|message| message["subject"].as_str().map(str::to_owned))
        .collect()
}

fn message_with_subject(local: &Local, subject: &str) -> Option<String> {
    local
        .messages()
        .iter()
        .find(|message| message["subject"] == subject)
        .and_then(|message| message["message"].as_str().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freeze_holds_what_it_covers_and_an_unfreeze_releases_them_at_once() {
    let local = Local::start_for_people().await;
    for pipeline in ["prod-web", "prod-api", "staging-web"] {
        local.gated_pipeline(pipeline, "", &["succeed"]);
    }
    let id = local
        .freeze(&["--reason", "INC-4211: checkout errors", "--prefix", "prod-"])
        .await;

    let held: Vec<String> = ["prod-web", "prod-api"]
        .iter()
        .map(|pipeline| local.start_execution(pipeline))
        .collect();
    let free = local.start_execution("staging-web");
    local.reaches(&free, "Succeeded", TIMEOUT).await;
    for execution in &held {
        let failed = local.reaches(execution, "Failed", TIMEOUT).await;
        let message = gate_message(&failed);
        assert!(
            message.contains(&format!(
                "freeze {id} by {CLI_CALLER}: \"INC-4211: checkout errors\""
            )),
            "{message}"
        );
        assert_eq!(
            action(&failed, "Gate", "HealthGate")["error"]["code"],
            "JobFailed"
        );
    }
    let listed = listed_freezes(&local, &[]).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed:#}");
    assert_eq!(listed[0]["covers"], "pipelines starting with prod-");
    let (code, status, _) = local
        .cli(
            &["status", "--table", "--events-table", EVENT_STORE, "prod-web"],
            &[("NO_COLOR", "1")],
        )
        .await;
    assert_eq!(code, 0);
    assert!(
        status.contains(&format!("freeze {id} (\"INC-4211: checkout errors\")")),
        "{status}"
    );
    // stage-retry saw both failures and holds them for the freeze.
    local
        .invoked("stage-retry", 2, "stage-retry to see both failures")
        .await;
    assert_eq!(local.calls("codepipeline", "RetryStageExecution", None), 0);

    let (code, stdout, stderr) = local
        .cli(&["unfreeze", &id, "--events-table", EVENT_STORE], &[])
        .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("UNFROZEN: freeze {id}")), "{stdout}");
    for execution in &held {
        local.reaches(execution, "Succeeded", TIMEOUT).await;
    }
    assert_eq!(
        local.calls("codepipeline", "RetryStageExecution", None),
        2,
        "each held stage resumed once"
    );
    let released = local
        .wait_for(TIMEOUT, "the release notice", || {
            message_with_subject(&local, "pipeguard: 2 deployments released")
        })
        .await;
    for pipeline in ["prod-web", "prod-api"] {
        assert!(
            released.contains(&format!(
                "- {pipeline}, stage Gate: held for 0 minutes by freeze {id} ({CLI_CALLER}: \"INC-4211: checkout errors\")"
            )),
            "{released}"
        );
    }
    assert!(
        released.contains(&format!("freeze {id} was unfrozen")),
        "{released}"
    );
    // The sweep that follows finds nothing left to resume.
    local.sweep();
    local.invoked("stage-retry", 4, "the sweep").await;
    assert_eq!(local.calls("codepipeline", "RetryStageExecution", None), 2);
    assert_eq!(
        subjects(&local)
            .iter()
            .filter(|subject| subject.contains("released"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freeze_that_reaches_its_end_releases_by_the_sweep_and_an_emergency_fix_passes_over_it() {
    let local = Local::start_for_people().await;
    local.gated_pipeline("web", "", &["succeed"]);
    local.gated_pipeline("hotfix", r#"{"ignore_freezes": true}"#, &["succeed"]);
    let id = local
        .freeze(&["--reason", "change freeze", "--for", "30m", "web", "hotfix"])
        .await;
    let fix = local.finished(&local.start_execution("hotfix"), TIMEOUT).await;
    assert_eq!(fix["status"], "Succeeded", "{fix:#}");
    let gate = action(&fix, "Gate", "HealthGate");
    assert_eq!(gate["output_variables"]["verdict"], "PASS_FREEZE_IGNORED");
    assert_eq!(gate["output_variables"]["freezes"], "ignored");

    let held = local.start_execution("web");
    local.reaches(&held, "Failed", TIMEOUT).await;
    local
        .invoked("stage-retry", 1, "stage-retry to see the failure")
        .await;
    local.sweep();
    local.invoked("stage-retry", 2, "a sweep before the end").await;
    assert_eq!(local.calls("codepipeline", "RetryStageExecution", None), 0);
    local.clock_ahead(31 * 60);
    local.sweep();
    local.reaches(&held, "Succeeded", TIMEOUT).await;
    let released = local
        .wait_for(TIMEOUT, "the release notice", || {
            message_with_subject(&local, "pipeguard: web released")
        })
        .await;
    assert!(released.contains(&format!("by freeze {id}")), "{released}");
    assert!(released.contains("held for 31 minutes"), "{released}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freezes_that_cannot_be_made_as_asked_write_nothing() {
    let local = Local::start_for_people().await;
    local.gated_pipeline("web", "", &["succeed"]);
    let table = ["--events-table", EVENT_STORE];
    let cases: [(&[&str], &str); 6] = [
        (&["freeze", "--reason", "  "], "a freeze needs a reason"),
        (
            &["freeze", "--reason", "x", "--until", "2020-01-01T00:00:00Z"],
            "is not in the future",
        ),
        (
            &["freeze", "--reason", "x", "web", "wbe"],
            "no such pipeline: wbe",
        ),
        (
            &["freeze", "--reason", "x", "--for", "forever"],
            "`forever` is not a duration",
        ),
        (&["unfreeze", "frz-nope"], "no freeze has id frz-nope"),
        (
            &["freeze", "--reason", "x", "--until", "2099-01-01T00:00:00Z"],
            "a freeze lasts at most a year",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().chain(table.iter()).copied().collect();
        let (code, _, stderr) = local.cli(&args, &[]).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = local.cli(&["freeze", "--reason", "x"], &[]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("no table to keep freezes in"), "{stderr}");
    let items = local.admin("GET", &format!("/_admin/tables/{EVENT_STORE}/items"), json!({}));
    assert_eq!(items.as_array().map(Vec::len), Some(0), "{items:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freeze_written_by_hand_that_does_not_read_blocks_shows_as_unreadable_and_ends_by_its_key() {
    let local = Local::start_for_people().await;
    let logs = std::env::temp_dir().join(format!("pipeguard-unreadable-freeze-{}", std::process::id()));
    std::fs::create_dir_all(&logs).unwrap();
    local.admin(
        "POST",
        "/_admin/settings",
        json!({"log_dir": logs.display().to_string()}),
    );
    for pipeline in ["prod-web", "staging-web"] {
        local.gated_pipeline(pipeline, "", &["succeed"]);
    }
    // No `since`, and a reason that would retitle an operator's terminal.
    local
        .freeze_by_hand(
            "INC-4211",
            &[
                ("frozen_by", AttributeValue::S("alice".into())),
                (
                    "reason",
                    AttributeValue::S("checkout \u{1b}]0;pwned\u{7}errors".into()),
                ),
                ("prefix", AttributeValue::S("prod-".into())),
            ],
        )
        .await;
    let held = local.start_execution("prod-web");
    let free = local.start_execution("staging-web");
    local.reaches(&free, "Succeeded", TIMEOUT).await;
    let failed = local.reaches(&held, "Failed", TIMEOUT).await;
    let message = gate_message(&failed);
    assert!(
        message.contains("unreadable freeze INC-4211: the reason must be one line of text, without control characters; since is missing; it holds pipelines starting with prod- until `pipeguard unfreeze INC-4211` ends it"),
        "{message}"
    );
    assert!(!message.contains('\u{1b}'), "{message:?}");
    let gate_log = std::fs::read_to_string(logs.join("health-gate.log")).unwrap_or_default();
    assert!(
        gate_log
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .any(|line| line["UnreadableFreezes"] == 1 && line["Function"] == "health-gate"),
        "the gate counts it for its alarm: {gate_log}"
    );

    let (code, listed, _) = local.cli(&["freezes", "--events-table", EVENT_STORE], &[]).await;
    assert_eq!(code, 0);
    assert!(
        listed.contains("- UNREADABLE: unreadable freeze INC-4211: the reason must be one line"),
        "{listed}"
    );
    let listed = listed_freezes(&local, &[]).await;
    assert_eq!(listed[0]["id"], "INC-4211", "{listed:#}");
    assert_eq!(listed[0]["active"], true);
    assert!(
        listed[0]["unreadable"]
            .as_str()
            .is_some_and(|why| why.contains("since is missing"))
    );
    let (code, status, _) = local
        .cli(
            &["status", "--table", "--events-table", EVENT_STORE, "prod-web"],
            &[("NO_COLOR", "1")],
        )
        .await;
    assert_eq!(code, 0);
    assert!(status.contains("freeze INC-4211 (unreadable: the reason must be one line of text, without control characters; since is missing)"), "{status}");
    assert!(!status.contains('\u{1b}'), "{status:?}");

    // The sweep does not take it for ended.
    local
        .invoked("stage-retry", 1, "stage-retry to see the failure")
        .await;
    local.sweep();
    local.invoked("stage-retry", 2, "the sweep").await;
    assert_eq!(local.calls("codepipeline", "RetryStageExecution", None), 0);

    let (code, stdout, stderr) = local
        .cli(&["unfreeze", "INC-4211", "--events-table", EVENT_STORE], &[])
        .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("UNFROZEN: unreadable freeze INC-4211"),
        "{stdout}"
    );
    local.reaches(&held, "Succeeded", TIMEOUT).await;
    let (code, _, stderr) = local
        .cli(&["unfreeze", "INC-4211", "--events-table", EVENT_STORE], &[])
        .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("freeze INC-4211 already ended at"), "{stderr}");
    // What was written stays, with who ended it and when: the record.
    let listed = listed_freezes(&local, &["--all"]).await;
    assert_eq!(listed[0]["unfrozen_by"], CLI_CALLER, "{listed:#}");
    assert!(
        listed[0]["unreadable"]
            .as_str()
            .is_some_and(|why| why.contains("the reason must be one line"))
    );

    // `unfreeze --all` ends every active freeze, those that do not read among them.
    local
        .freeze_by_hand("INC-4212", &[("reason", AttributeValue::S("no one".into()))])
        .await;
    let (code, stdout, stderr) = local
        .cli(&["unfreeze", "--all", "--events-table", EVENT_STORE], &[])
        .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("UNFROZEN: unreadable freeze INC-4212"),
        "{stdout}"
    );
    assert!(!stdout.contains("INC-4211"), "ended already: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfreeze_all_ends_every_active_freeze_and_a_freeze_that_ended_is_said_so_not_ended_again() {
    let local = Local::start_for_people().await;
    local.gated_pipeline("web", "", &["succeed"]);
    let table = ["--events-table", EVENT_STORE];
    let by_time = local.freeze(&["--reason", "change freeze", "--for", "30m"]).await;
    local.clock_ahead(31 * 60);
    let by_hand = local.freeze(&["--reason", "INC-1: over"]).await;
    let (code, _, stderr) = local
        .cli(&[&["unfreeze", &by_hand][..], &table].concat(), &[])
        .await;
    assert_eq!(code, 0, "{stderr}");
    let web = local.freeze(&["--reason", "INC-2", "web"]).await;
    let everything = local.freeze(&["--reason", "INC-3"]).await;
    let announced_before = local.calls("events", "PutEvents", None);

    for ended in [&by_time, &by_hand] {
        let (code, _, stderr) = local.cli(&[&["unfreeze", ended][..], &table].concat(), &[]).await;
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!("freeze {ended} already ended at")),
            "{stderr}"
        );
    }
    let (code, stdout, stderr) = local
        .cli(&[&["--json", "unfreeze", "--all"][..], &table].concat(), &[])
        .await;
    assert_eq!(code, 0, "{stderr}");
    let answer: Value = serde_json::from_str(&stdout).unwrap();
    let mut ended: Vec<&str> = answer["unfrozen"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|freeze| freeze["id"].as_str())
        .collect();
    ended.sort_unstable();
    let mut expected = [web.as_str(), everything.as_str()];
    expected.sort_unstable();
    assert_eq!(ended, expected, "{answer:#}");
    let mut announced: Vec<&str> = answer["resumes_announced"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    announced.sort_unstable();
    assert_eq!(announced, expected, "{answer:#}");
    assert_eq!(
        local.calls("events", "PutEvents", None),
        announced_before + 2,
        "stage-retry told of the two it ended, nothing more"
    );

    // A freeze that reached its end is not ended again by hand.
    let listed = listed_freezes(&local, &["--all"]).await;
    let freezes = listed.as_array().unwrap();
    let reached_its_end = freezes.iter().find(|freeze| freeze["id"] == by_time.as_str());
    assert_eq!(
        reached_its_end.map(|freeze| &freeze["unfrozen_by"]),
        Some(&Value::Null),
        "{listed:#}"
    );
    assert!(
        freezes.iter().all(|freeze| freeze["active"] == false),
        "{listed:#}"
    );
    let (code, stdout, _) = local
        .cli(&[&["unfreeze", "--all"][..], &table].concat(), &[])
        .await;
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), "No active freeze to end.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_people_unfreezing_at_once_one_ends_the_freeze_and_the_other_is_told_someone_just_did() {
    let local = Local::start_for_people().await;
    let id = local.freeze(&["--reason", "INC-4211"]).await;
    // Both read the freeze active before either write lands.
    local.fault(json!({"service": "dynamodb", "operation": "PutItem", "kind": "latency", "ms": 3000, "count": 2, "caller": "pipeguard-cli"}));
    let unfreeze = ["unfreeze", id.as_str(), "--events-table", EVENT_STORE];
    let (first, second) = tokio::join!(local.cli(&unfreeze, &[]), local.cli(&unfreeze, &[]));
    let mut answers = [first, second];
    answers.sort_by_key(|(code, _, _)| *code);
    let [(won, unfrozen, _), (lost, _, told)] = answers;
    assert_eq!((won, lost), (0, 1), "{unfrozen}\n{told}");
    assert!(unfrozen.contains(&format!("UNFROZEN: freeze {id}")), "{unfrozen}");
    assert!(
        told.contains(&format!(
            "no active freeze has id {id}: someone ended it just now"
        )),
        "{told}"
    );
    assert_eq!(
        local.calls("events", "PutEvents", None),
        1,
        "stage-retry is told once, by whoever ended it"
    );
}

/// `HH:MM` of the machine's UTC time `minutes` from now, for a daily window.
/// `pipeguard --json freezes` of the stack's table (with `flags`), which must succeed.
async fn listed_freezes(local: &Local, flags: &[&str]) -> Value {
    let args = [&["--json", "freezes", "--events-table", EVENT_STORE][..], flags].concat();
    let (code, listed, stderr) = local.cli(&args, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&listed).unwrap()
}

fn utc_in(minutes: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let minute_of_day = (now / 60 + minutes).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_its_window_a_deploy_waits_for_the_window_or_fails_at_once_when_it_is_too_far() {
    let local = Local::start_for_people().await;
    local.admin("POST", "/_admin/settings", json!({"continuation_delay_ms": 200}));
    // The window opens two hours from now and lasts an hour.
    let window = format!("daily {}-{} UTC", utc_in(120), utc_in(180));
    local.gated_pipeline(
        "waits",
        &json!({"windows": [window], "on_block": "wait", "max_wait_minutes": 180}).to_string(),
        &["succeed"],
    );
    local.gated_pipeline(
        "too-far",
        &json!({"windows": [window], "on_block": "wait", "max_wait_minutes": 60}).to_string(),
        &["succeed"],
    );
    let waiting = local.start_execution("waits");
    let too_far = local.start_execution("too-far");
    let failed = local.reaches(&too_far, "Failed", TIMEOUT).await;
    let message = gate_message(&failed);
    assert!(
        message.contains("would not let it start within max_wait_minutes (60), so it fails now"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "outside the deployment window {window}; deploys may start again at"
        )),
        "{message}"
    );
    local
        .wait_for(TIMEOUT, "the hold's notice", || {
            subjects(&local)
                .contains(&"pipeguard: waits held".to_owned())
                .then_some(())
        })
        .await;
    assert_eq!(local.execution(&waiting)["status"], "InProgress");
    // stage-retry holds the one that failed until the window opens: a sweep before resumes nothing.
    local
        .invoked("stage-retry", 1, "stage-retry to see the failure")
        .await;
    local.sweep();
    local
        .invoked("stage-retry", 2, "a sweep before the window opens")
        .await;
    assert_eq!(local.calls("codepipeline", "RetryStageExecution", None), 0);
    assert_eq!(local.execution(&too_far)["status"], "Failed");

    // The window opens: the held deploy goes ahead, and the sweep resumes the one that failed.
    local.clock_ahead(2 * 3600 + 60);
    let passed = local.reaches(&waiting, "Succeeded", TIMEOUT).await;
    let gate = action(&passed, "Gate", "HealthGate");
    assert_eq!(gate["output_variables"]["verdict"], "PASS");
    let held_minutes: i64 = gate["output_variables"]["held_minutes"]
        .as_str()
        .and_then(|minutes| minutes.parse().ok())
        .unwrap_or_default();
    assert!((119..=125).contains(&held_minutes), "{gate:#}");
    local.sweep();
    local.reaches(&too_far, "Succeeded", TIMEOUT).await;
    local.invoked("stage-retry", 3, "the sweep").await;
    assert_eq!(
        local.calls("codepipeline", "RetryStageExecution", None),
        1,
        "the failed stage resumed once, by the sweep"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_that_cannot_learn_its_pipelines_name_is_held_by_any_freeze_until_stage_retry_knows_better() {
    // Failures are not routed to stage-retry here: it resumes a stage it finds held by nothing at
    // once, and that resume would meet the gate's fault again, as fast as the gate fails, until
    // the resumes are used up. It learns of this one from its sweep, once the fault is gone.
    let local = Local::start_with_store(&[("NOTIFY_TOPIC_ARN", e2e::PEOPLES_TOPIC)]).await;
    local.admin("POST", "/_admin/topics", json!({"name": "pipeguard"}));
    local.gated_pipeline("prod-web", "", &["succeed"]);
    local.gated_pipeline("dev-web", "", &["succeed"]);
    let id = local.freeze(&["--reason", "INC-9", "--prefix", "prod-"]).await;
    local.fault(json!({"service": "codepipeline", "operation": "GetJobDetails", "kind": "server-error", "caller": "health-gate"}));
    let held = local.start_execution("dev-web");
    let failed = local.reaches(&held, "Failed", TIMEOUT).await;
    assert!(
        gate_message(&failed).contains(&format!("freeze {id}")),
        "{failed:#}"
    );
    local.admin("DELETE", "/_admin/faults", json!({}));
    // stage-retry knows the pipeline: the prod- freeze does not hold dev-web.
    local.sweep();
    let passed = local.reaches(&held, "Succeeded", TIMEOUT).await;
    assert_eq!(
        action(&passed, "Gate", "HealthGate")["output_variables"]["freezes"],
        "checked"
    );
}
