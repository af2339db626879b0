//! `pipeguard oci` end to end: the real command line signs its requests as a config-file profile
//! or a resource principal, and the emulator's Resource Manager verifies every signature against
//! the registered public key, pages its answers and injects faults.

use e2e::Local;
use e2e::oci::{KEY_ID, PASSPHRASE, encrypted_key, home_with_config, key_pair};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const STACK: &str = "ocid1.ormstack.oc1.iad.local";

fn job(local: &Local, operation: &str, state: &str) -> String {
    local.admin(
        "POST",
        "/_admin/oci/jobs",
        json!({"stack": STACK, "operation": operation, "state": state}),
    )["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A succeeded APPLY_ROLLBACK job of the stack that returned it to the apply job `target`.
fn rollback_job(local: &Local, target: &str) -> String {
    local.admin(
        "POST",
        "/_admin/oci/jobs",
        json!({"stack": STACK, "operation": "APPLY_ROLLBACK", "state": "SUCCEEDED", "target": target}),
    )["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// `pipeguard --json oci COMMAND --stack STACK --endpoint <the emulator> EXTRA..` as a person
/// whose home is `home`, with `env`: the exit code, the JSON answer and standard error.
async fn oci(
    local: &Local,
    home: &Path,
    command: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, Value, String) {
    let endpoint = local.emulator.url();
    let home = home.display().to_string();
    let mut args = vec![
        "--json",
        "oci",
        command,
        "--stack",
        STACK,
        "--endpoint",
        &endpoint,
    ];
    args.extend_from_slice(extra);
    let mut all = vec![("HOME", home.as_str())];
    all.extend_from_slice(env);
    let (code, stdout, stderr) = local.cli(&args, &all).await;
    (code, serde_json::from_str(&stdout).unwrap_or(Value::Null), stderr)
}

/// The keys of a job in a `--json` answer, sorted: one shape, whichever command shows it.
fn job_keys(job: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = job
        .as_object()
        .map(|job| job.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

const JOB_KEYS: [&str; 5] = ["created", "failure", "id", "operation", "state"];

async fn status(local: &Local, home: &Path, env: &[(&str, &str)]) -> (i32, Value, String) {
    oci(local, home, "status", &[], env).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_finds_the_newest_good_apply_and_the_last_rollback_across_pages() {
    let local = Local::start(&[]).await;
    let (pem, public) = key_pair();
    local.admin(
        "POST",
        "/_admin/oci/keys",
        json!({"key_id": KEY_ID, "public_key_der_base64": public}),
    );
    let oldest_good = job(&local, "APPLY", "SUCCEEDED");
    let newest_good = job(&local, "APPLY", "SUCCEEDED");
    let rollback = rollback_job(&local, &newest_good);
    job(&local, "APPLY", "FAILED");
    // More recent plans than a page holds: the applies are on the second page.
    for _ in 0..60 {
        job(&local, "PLAN", "SUCCEEDED");
    }
    let home = home_with_config(&pem);
    local.fault(
        json!({"service": "resourcemanager", "operation": "ListJobs", "kind": "throttle", "count": 1}),
    );
    let (code, answer, stderr) = status(&local, &home, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        answer["last_good_apply"]["id"],
        newest_good.as_str(),
        "the newest, not the oldest ({oldest_good})"
    );
    assert_eq!(answer["last_rollback"]["id"], rollback.as_str());
    assert_eq!(answer["recent_jobs"].as_array().map(Vec::len), Some(10));
    assert_eq!(answer["recent_jobs"][0]["operation"], "PLAN");
    for shown in [
        &answer["recent_jobs"][0],
        &answer["last_good_apply"],
        &answer["last_rollback"],
    ] {
        assert_eq!(job_keys(shown), JOB_KEYS, "{shown}");
    }
    assert_eq!(
        local.calls("resourcemanager", "ListJobs", None),
        3,
        "the throttled first page asked again, then the second page"
    );
    assert!(!answer.to_string().contains("PRIVATE KEY") && !stderr.contains("PRIVATE KEY"));
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_resource_manager_does_not_know_is_refused_with_exit_code_3_and_nothing_secret_said() {
    let local = Local::start(&[]).await;
    let (_, registered) = key_pair();
    local.admin(
        "POST",
        "/_admin/oci/keys",
        json!({"key_id": KEY_ID, "public_key_der_base64": registered}),
    );
    let (other_pem, _) = key_pair();
    let home = home_with_config(&other_pem);
    let (code, answer, stderr) = status(&local, &home, &[]).await;
    assert_eq!(code, 3, "{answer}{stderr}");
    assert!(
        stderr.contains("refused the credentials (NotAuthenticated"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("PRIVATE KEY") && !stderr.contains(&other_pem[40..80]),
        "{stderr}"
    );
    // A profile the file lacks is a usage error, said before anything is asked.
    let (code, _, stderr) = status(&local, &home, &[("OCI_CLI_PROFILE", "prod")]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("has no profile [prod]"), "{stderr}");
    let _ = std::fs::remove_dir_all(home);
}

/// The resource principal an OCI DevOps build runner provides (version 2.2), its key in
/// `key_file`; it signs as `ST$rpst-of-the-build-runner`.
fn build_runner(key_file: &str) -> [(&str, &str); 5] {
    [
        ("OCI_CLI_AUTH", "resource_principal"),
        ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2"),
        ("OCI_RESOURCE_PRINCIPAL_RPST", "rpst-of-the-build-runner"),
        ("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", key_file),
        ("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_principal_signs_as_its_session_token() {
    let local = Local::start(&[]).await;
    let (pem, public) = key_pair();
    local.admin(
        "POST",
        "/_admin/oci/keys",
        json!({"key_id": "ST$rpst-of-the-build-runner", "public_key_der_base64": public}),
    );
    let good = job(&local, "APPLY", "SUCCEEDED");
    let home = home_with_config(&pem);
    let key_file = home.join(".oci/key.pem").display().to_string();
    let (code, answer, stderr) = status(&local, &home, &build_runner(&key_file)).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(answer["last_good_apply"]["id"], good.as_str());
    assert_eq!(answer["last_rollback"], Value::Null);
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_key_signs_with_its_passphrase_from_the_profile_the_variables_or_the_principal() {
    let local = Local::start(&[]).await;
    let (pem, public) = encrypted_key();
    for key_id in [KEY_ID, "ST$rpst-of-the-build-runner"] {
        local.admin(
            "POST",
            "/_admin/oci/keys",
            json!({"key_id": key_id, "public_key_der_base64": public}),
        );
    }
    let good = job(&local, "APPLY", "SUCCEEDED");
    let home = home_with_config(pem);
    // Without its passphrase, or with a wrong one: exit code 2, saying where the passphrase is
    // set and never showing it, before anything is asked of Resource Manager.
    let (code, _, stderr) = status(&local, &home, &[]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is encrypted, and no passphrase is given (its passphrase: OCI_CLI_PASSPHRASE, or pass_phrase in the config file's profile)"),
        "{stderr}"
    );
    let (code, _, stderr) = status(&local, &home, &[("OCI_CLI_PASSPHRASE", "not the passphrase")]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("does not decrypt it"), "{stderr}");
    assert!(!stderr.contains("not the passphrase"), "{stderr}");
    assert_eq!(local.calls("resourcemanager", "ListJobs", None), 0);
    // The OCI CLI's variable, then the profile's pass_phrase.
    let (code, answer, stderr) = status(&local, &home, &[("OCI_CLI_PASSPHRASE", PASSPHRASE)]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(answer["last_good_apply"]["id"], good.as_str());
    let config = home.join(".oci/config");
    let profile = std::fs::read_to_string(&config).unwrap_or_default();
    std::fs::write(&config, format!("{profile}pass_phrase={PASSPHRASE}\n")).expect("the config file");
    let (code, _, stderr) = status(&local, &home, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    // A resource principal whose key and passphrase are files, the passphrase with a line end.
    let passphrase_file = home.join("passphrase");
    std::fs::write(&passphrase_file, format!("{PASSPHRASE}\n")).expect("the passphrase file");
    let (key_file, passphrase_file) = (
        home.join(".oci/key.pem").display().to_string(),
        passphrase_file.display().to_string(),
    );
    let with_passphrase = [
        &build_runner(&key_file)[..],
        &[("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE", &passphrase_file)],
    ]
    .concat();
    let (code, _, stderr) = status(&local, &home, &with_passphrase).await;
    assert_eq!(code, 0, "{stderr}");
    // No config file at all: the OCI CLI's variables alone, the key in one of them.
    std::fs::remove_file(&config).expect("the config file goes");
    let (code, _, stderr) = status(
        &local,
        &home,
        &[
            ("OCI_CLI_USER", "ocid1.user.oc1..u"),
            ("OCI_CLI_TENANCY", "ocid1.tenancy.oc1..t"),
            ("OCI_CLI_FINGERPRINT", "20:3b:97:13:55"),
            ("OCI_CLI_KEY_CONTENT", pem),
            ("OCI_CLI_PASSPHRASE", PASSPHRASE),
            ("OCI_CLI_REGION", "us-ashburn-1"),
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(local.calls("resourcemanager", "ListJobs", None), 4);
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_principals_token_renewed_in_its_file_is_read_again_after_a_401() {
    let local = Local::start(&[]).await;
    let (pem, public) = key_pair();
    let register = |token: &str| {
        local.admin(
            "POST",
            "/_admin/oci/keys",
            json!({"key_id": format!("ST${token}"), "public_key_der_base64": public}),
        );
    };
    register("first-token");
    local.admin(
        "POST",
        "/_admin/oci/stacks",
        json!({"stack": STACK, "outcomes": ["hang"]}),
    );
    let home = home_with_config(&pem);
    let token_file = home.join("rpst");
    std::fs::write(&token_file, "first-token\n").expect("the token file");
    let (key_file, token_path) = (
        home.join(".oci/key.pem").display().to_string(),
        token_file.display().to_string(),
    );
    let mut principal = build_runner(&key_file);
    principal[2].1 = &token_path;
    // While the job runs, the platform renews the token: the old one is refused from now on.
    let renewing = async {
        local
            .wait_for(std::time::Duration::from_secs(10), "the apply job", || {
                (local.calls("resourcemanager", "CreateJob", None) == 1).then_some(())
            })
            .await;
        std::fs::write(&token_file, "second-token\n").expect("the renewed token");
        register("second-token");
        local.admin(
            "POST",
            "/_admin/oci/keys",
            json!({"key_id": "ST$first-token", "revoked": true}),
        );
    };
    let ((code, answer, stderr), ()) = tokio::join!(
        oci(&local, &home, "apply", &["--timeout", "6s"], &principal),
        renewing
    );
    // Without reading the token again this would be exit code 3, the credentials refused.
    assert_eq!(code, 1, "{answer} {stderr}");
    assert_eq!(answer["outcome"], "still_running", "{answer}");
    let statuses: Vec<u64> = local
        .admin("GET", "/_admin/calls", json!({}))
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .filter(|call| call["operation"] == "GetJob")
                .filter_map(|call| call["status"].as_u64())
                .collect()
        })
        .unwrap_or_default();
    let refused = statuses.iter().position(|status| *status == 401);
    assert!(
        refused.is_some_and(|at| statuses[at + 1..].contains(&200)),
        "a look refused the old token, and a later one was answered: {statuses:?}"
    );
    let _ = std::fs::remove_dir_all(home);
}

/// A signed-in home and a stack whose next created jobs end as `outcomes` say.
fn stack_with(local: &Local, outcomes: &[&str]) -> PathBuf {
    let (pem, public) = key_pair();
    local.admin(
        "POST",
        "/_admin/oci/keys",
        json!({"key_id": KEY_ID, "public_key_der_base64": public}),
    );
    local.admin(
        "POST",
        "/_admin/oci/stacks",
        json!({"stack": STACK, "outcomes": outcomes}),
    );
    home_with_config(&pem)
}

async fn apply(local: &Local, home: &Path, extra: &[&str]) -> (i32, Value, String) {
    oci(local, home, "apply", extra, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_that_succeeds_exits_0_and_a_create_that_failed_is_asked_again() {
    let local = Local::start(&[]).await;
    let home = stack_with(&local, &["succeed"]);
    local.fault(
        json!({"service": "resourcemanager", "operation": "CreateJob", "kind": "server-error", "count": 1}),
    );
    let (code, answer, stderr) = apply(&local, &home, &[]).await;
    assert_eq!(code, 0, "{answer} {stderr}");
    assert_eq!(answer["outcome"], "applied");
    assert_eq!(answer["apply"]["state"], "SUCCEEDED");
    assert_eq!(job_keys(&answer["apply"]), JOB_KEYS, "{answer}");
    assert_eq!(
        local.calls("resourcemanager", "CreateJob", None),
        2,
        "asked again after the 500"
    );
    assert!(
        local.calls("resourcemanager", "GetJob", None) >= 1,
        "it waited for the job"
    );
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_apply_is_rolled_back_to_the_newest_good_apply_not_the_oldest() {
    let local = Local::start(&[]).await;
    let home = stack_with(
        &local,
        &["fail:TERRAFORM_EXECUTION_ERROR:Error: quota exceeded", "succeed"],
    );
    let oldest = job(&local, "APPLY", "SUCCEEDED");
    let newest = job(&local, "APPLY", "SUCCEEDED");
    rollback_job(&local, &newest);
    let (code, answer, stderr) = apply(&local, &home, &[]).await;
    assert_eq!(code, 1, "the apply failed: {answer} {stderr}");
    assert_eq!(answer["outcome"], "rolled_back", "{answer}");
    assert_eq!(
        answer["target"]["id"],
        newest.as_str(),
        "not the oldest ({oldest})"
    );
    assert_eq!(answer["rollback"]["operation"], "APPLY_ROLLBACK");
    assert_eq!(answer["rollback"]["state"], "SUCCEEDED");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("FAILED (TERRAFORM_EXECUTION_ERROR: Error: quota exceeded); rolled back"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_earlier_good_apply_or_a_qualifying_failure_the_rollback_is_skipped_and_said() {
    let local = Local::start(&[]).await;
    let home = stack_with(
        &local,
        &[
            "fail:TERRAFORM_EXECUTION_ERROR:boom",
            "fail:JOB_TIMEOUT:slow",
            "fail:TERRAFORM_EXECUTION_ERROR:boom",
        ],
    );
    let (code, answer, _) = apply(&local, &home, &[]).await;
    assert_eq!((code, answer["outcome"].as_str()), (1, Some("no_target")));
    assert!(
        answer["message"].as_str().unwrap_or_default().ends_with(&format!(
            "rollback skipped: no earlier successful apply of stack {STACK}"
        )),
        "{answer}"
    );
    job(&local, "APPLY", "SUCCEEDED");
    let (code, answer, _) = apply(&local, &home, &[]).await;
    assert_eq!((code, answer["outcome"].as_str()), (1, Some("not_rolled_back")));
    assert!(
        answer["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("JOB_TIMEOUT, not one of TERRAFORM_EXECUTION_ERROR"),
        "{answer}"
    );
    let (code, answer, _) = apply(&local, &home, &["--no-rollback"]).await;
    assert_eq!((code, answer["reason"].as_str()), (1, Some("--no-rollback")));
    assert_eq!(
        local.calls("resourcemanager", "CreateJob", None),
        3,
        "no rollback job was made"
    );
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_that_runs_a_job_already_is_reported_not_asked_again() {
    let local = Local::start(&[]).await;
    let home = stack_with(&local, &["succeed"]);
    job(&local, "APPLY", "IN_PROGRESS");
    let (code, answer, stderr) = apply(&local, &home, &[]).await;
    assert_eq!(code, 1, "{answer}");
    assert!(
        stderr.contains("Resource Manager answered 409 Conflict"),
        "{stderr}"
    );
    assert_eq!(local.calls("resourcemanager", "CreateJob", None), 1);
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_was_lost_is_asked_again_with_its_retry_token_and_makes_one_job() {
    let local = Local::start(&[]).await;
    let home = stack_with(&local, &["succeed", "succeed"]);
    local.fault(json!({"service": "resourcemanager", "operation": "CreateJob", "kind": "late-answer", "ms": 50, "count": 1}));
    let (code, answer, stderr) = apply(&local, &home, &[]).await;
    assert_eq!(code, 0, "{answer} {stderr}");
    assert_eq!(
        local.calls("resourcemanager", "CreateJob", None),
        2,
        "asked again after the lost answer"
    );
    let (_, listed, _) = status(&local, &home, &[]).await;
    assert_eq!(
        listed["recent_jobs"].as_array().map(Vec::len),
        Some(1),
        "one job: {listed}"
    );
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_still_running_at_the_timeout_is_named_and_exits_1() {
    let local = Local::start(&[]).await;
    let home = stack_with(&local, &["hang"]);
    let started = std::time::Instant::now();
    let (code, answer, stderr) = apply(&local, &home, &["--timeout", "3s"]).await;
    assert_eq!(code, 1, "{answer} {stderr}");
    assert_eq!(answer["outcome"], "still_running");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("is still running (IN_PROGRESS) after --timeout"),
        "{message}"
    );
    assert!(
        message.contains(answer["apply"]["id"].as_str().unwrap_or("?")),
        "{message}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oci_going_quiet_while_a_job_runs_is_waited_out_and_when_it_stays_quiet_the_job_is_named() {
    let local = Local::start(&[]).await;
    let home = stack_with(&local, &["succeed", "hang"]);
    // Six answers lost: more than one look asks for, fewer than the wait has time for.
    local.fault(json!({"service": "resourcemanager", "operation": "GetJob", "kind": "drop", "count": 6}));
    let (code, answer, stderr) = apply(&local, &home, &[]).await;
    assert_eq!(code, 0, "{answer} {stderr}");
    assert_eq!(answer["outcome"], "applied");
    assert!(local.calls("resourcemanager", "GetJob", None) >= 7);
    // Quiet until the deadline: exit code 3, and the job that goes on is named.
    local.fault(json!({"service": "resourcemanager", "operation": "GetJob", "kind": "drop"}));
    let (code, answer, stderr) = apply(&local, &home, &["--timeout", "8s"]).await;
    assert_eq!(code, 3, "{answer} {stderr}");
    assert_eq!(answer["outcome"], "unknown");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!(
            "apply job {} of stack {STACK} was created, but its state could not be read",
            answer["apply"]["id"].as_str().unwrap_or("?")
        )),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_by_hand_returns_to_the_good_apply_before_the_latest_or_to_the_one_named() {
    let local = Local::start(&[]).await;
    let home = stack_with(&local, &["succeed"]);
    let before = job(&local, "APPLY", "SUCCEEDED");
    let latest = job(&local, "APPLY", "SUCCEEDED");
    let failed = job(&local, "APPLY", "FAILED");
    // The latest apply failed: the good apply before it is `latest`.
    let (code, answer, stderr) = oci(&local, &home, "rollback", &["--dry-run"], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        (answer["outcome"].as_str(), answer["target"]["id"].as_str()),
        (Some("dry_run"), Some(latest.as_str()))
    );
    assert_eq!(
        local.calls("resourcemanager", "CreateJob", None),
        0,
        "a dry run makes nothing"
    );
    let (code, _, stderr) = oci(&local, &home, "rollback", &["--to", &failed], &[]).await;
    assert_eq!(code, 2);
    assert!(
        stderr.contains("is a FAILED APPLY job: a rollback returns to a succeeded apply"),
        "{stderr}"
    );
    let (code, answer, stderr) = oci(&local, &home, "rollback", &["--to", &before], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(answer["outcome"], "rolled_back");
    assert_eq!(answer["target"]["id"], before.as_str());
    assert_eq!(answer["rollback"]["operation"], "APPLY_ROLLBACK");
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_rollback_a_failed_apply_returns_to_the_apply_the_rollback_returned_to() {
    let local = Local::start(&[]).await;
    let home = stack_with(
        &local,
        &["fail:TERRAFORM_EXECUTION_ERROR:Error: quota exceeded", "succeed"],
    );
    // E1 ✓, E2 ✓, a rollback to E1 ✓; then the apply E3 fails.
    let first = job(&local, "APPLY", "SUCCEEDED");
    let second = job(&local, "APPLY", "SUCCEEDED");
    rollback_job(&local, &first);
    let (code, answer, stderr) = apply(&local, &home, &[]).await;
    assert_eq!(code, 1, "the apply failed: {answer} {stderr}");
    assert_eq!(answer["outcome"], "rolled_back", "{answer}");
    assert_eq!(
        answer["target"]["id"],
        first.as_str(),
        "not {second}, which the rollback rolled away from"
    );
    let (_, listed, _) = status(&local, &home, &[]).await;
    assert_eq!(
        listed["last_good_apply"]["id"],
        first.as_str(),
        "the newest rollback stands for its target: {listed}"
    );
    let (code, _, stderr) = oci(&local, &home, "rollback", &["--dry-run"], &[]).await;
    assert_eq!(code, 2, "the stack shows a rollback's state already");
    assert!(stderr.contains("its last good state already"), "{stderr}");
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_locked_for_a_moment_is_asked_again_with_the_same_retry_token() {
    let local = Local::start(&[]).await;
    let home = stack_with(&local, &["succeed"]);
    local.fault(
        json!({"service": "resourcemanager", "operation": "CreateJob", "kind": "lock-conflict", "count": 2}),
    );
    let (code, answer, stderr) = apply(&local, &home, &[]).await;
    assert_eq!(code, 0, "{answer} {stderr}");
    assert_eq!(answer["outcome"], "applied");
    assert_eq!(
        local.calls("resourcemanager", "CreateJob", None),
        3,
        "asked again after each 409 LockConflict, as Oracle's SDKs do"
    );
    let (_, listed, _) = status(&local, &home, &[]).await;
    assert_eq!(
        listed["recent_jobs"].as_array().map(Vec::len),
        Some(1),
        "one job: {listed}"
    );
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_or_config_file_others_may_read_gets_the_oci_clis_warning_and_still_signs() {
    use std::os::unix::fs::PermissionsExt;
    let local = Local::start(&[]).await;
    let home = stack_with(&local, &[]);
    let (code, _, stderr) = status(&local, &home, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("WARNING"), "the owner's alone: {stderr}");
    let key = home.join(".oci/key.pem");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, stderr) = status(&local, &home, &[]).await;
    assert_eq!(code, 0, "a warning, not a refusal: {stderr}");
    assert!(
        stderr.contains(&format!(
            "WARNING: Permissions on {} are too open.",
            key.display()
        )),
        "{stderr}"
    );
    let (_, _, stderr) = status(
        &local,
        &home,
        &[("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING", "True")],
    )
    .await;
    assert!(!stderr.contains("WARNING"), "{stderr}");
    let _ = std::fs::remove_dir_all(home);
}
