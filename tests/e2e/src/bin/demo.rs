//! `make demo`: one story, end to end, with the real functions against the local emulator.
//! A pipeline deploys; an AWS Health issue opens in its region and the gate holds the next
//! deployment; the issue closes and the deployment goes through; a deploy that hits a transient
//! error is retried by stage-retry without anyone clicking Retry; a broken infrastructure apply is
//! rolled back to the last good execution by apply-rollback; in an account without an AWS
//! support plan, the gate decides from the AWS Health events EventBridge delivered; across
//! accounts, an issue in the workload account a pipeline deploys into holds that pipeline only;
//! a freeze stops every deploy until one unfreeze releases them all, while a deploy outside its
//! window waits for it; and in Oracle Cloud, a failed Resource Manager apply is rolled back to
//! the newest good apply.

use e2e::{Local, action};
use serde_json::{Value, json};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard-notifications";
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

struct Story {
    local: Local,
    began: Instant,
    /// The same moment in seconds since the epoch, to place the emulator's timeline entries.
    began_epoch: f64,
    checks: Vec<(String, bool)>,
}

impl Story {
    fn say(&mut self, text: &str) {
        self.flush();
        println!("\n== {text}");
    }

    /// Prints what happened in the emulator since the last call.
    fn flush(&mut self) {
        for (at, text) in self.local.new_timeline() {
            println!("  +{:>5.2}s  {text}", (at - self.began_epoch).max(0.0));
        }
    }

    fn check(&mut self, what: &str, passed: bool) {
        self.flush();
        println!("  {} {what}", if passed { "ok  " } else { "FAIL" });
        self.checks.push((what.to_owned(), passed));
    }

    async fn run_to_end(&mut self, execution: &str) -> Value {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            self.flush();
            let state = self.local.execution(execution);
            if state["status"] != "InProgress" || Instant::now() > deadline {
                return state;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Chapter 10: an incident commander stops every deploy and lets them go again; a deploy outside
/// its window waits for it.
async fn freezes_and_windows(story: &mut Story) {
    story.say("10. Freezes and deployment windows: \"stop all deploys\", then \"let them go, and tell me what was held\"");
    story.local.route_stage_failures_to_stage_retry();
    story.local.route_pipeguard_events_to_stage_retry();
    for pipeline in ["pay-web", "pay-api"] {
        story
            .local
            .gated_pipeline(pipeline, r#"{"regions": ["us-east-1"]}"#, &["succeed"]);
    }
    let (code, frozen, errors) = story
        .local
        .cli(
            &[
                "freeze",
                "--reason",
                "INC-4211: checkout errors",
                "--events-table",
                e2e::EVENT_STORE,
            ],
            &[("NO_COLOR", "1")],
        )
        .await;
    for line in frozen.lines() {
        println!("  $ pipeguard freeze ... | {line}");
    }
    let id = frozen
        .split_whitespace()
        .find(|word| word.starts_with("frz-"))
        .unwrap_or_default()
        .to_owned();
    story.check(
        "pipeguard freeze recorded a freeze, who froze and why",
        code == 0 && !id.is_empty() && errors.is_empty(),
    );
    let executions: Vec<String> = ["pay-web", "pay-api"]
        .iter()
        .map(|pipeline| story.local.start_execution(pipeline))
        .collect();
    let mut held_messages = Vec::new();
    for execution in &executions {
        let failed = story
            .local
            .wait_for(STEP_TIMEOUT, "the gate's failure", || {
                Some(story.local.execution(execution)).filter(|execution| execution["status"] == "Failed")
            })
            .await;
        held_messages.push(
            action(&failed, "Gate", "HealthGate")["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    story.check(
        "the freeze holds both pipelines, and the gate says which freeze, who and why",
        held_messages.iter().all(|message| {
            message.contains(&format!("freeze {id} by arn:aws:sts::"))
                && message.contains("INC-4211: checkout errors")
        }),
    );
    let (code, unfrozen, _) = story
        .local
        .cli(
            &["unfreeze", &id, "--events-table", e2e::EVENT_STORE],
            &[("NO_COLOR", "1")],
        )
        .await;
    for line in unfrozen.lines() {
        println!("  $ pipeguard unfreeze {id} | {line}");
    }
    // Failed until stage-retry resumes them: wait for the deploys themselves.
    story
        .local
        .wait_for(STEP_TIMEOUT, "both held deploys to go ahead", || {
            executions
                .iter()
                .all(|execution| story.local.execution(execution)["status"] == "Succeeded")
                .then_some(())
        })
        .await;
    story.flush();
    let released = story
        .local
        .wait_for(STEP_TIMEOUT, "the release notice", || {
            story
                .local
                .messages()
                .into_iter()
                .find(|message| message["subject"] == "pipeguard: 2 deployments released")
        })
        .await;
    let body = released["message"].as_str().unwrap_or_default();
    println!(
        "  [pipeguard: 2 deployments released]\n    {}",
        body.replace('\n', "\n    ")
    );
    story.check(
        "one unfreeze released both at once, and the notice says who froze, why and how long each was held",
        code == 0
            && executions
                .iter()
                .all(|execution| story.local.execution(execution)["status"] == "Succeeded")
            && ["pay-web", "pay-api"].iter().all(|pipeline| {
                body.contains(&format!("- {pipeline}, stage Gate: held for "))
                    && body.contains("INC-4211: checkout errors")
            }),
    );

    // A window that opens two hours from now, for an hour, and a hold of up to three hours.
    let minute_of_day = |ahead: u64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let minute = (now / 60 + ahead) % (24 * 60);
        format!("{:02}:{:02}", minute / 60, minute % 60)
    };
    let window = format!("daily {}-{} UTC", minute_of_day(120), minute_of_day(180));
    story.local.gated_pipeline(
        "reports",
        &json!({"regions": ["us-east-1"], "windows": [window], "on_block": "wait", "max_wait_minutes": 180})
            .to_string(),
        &["succeed"],
    );
    let reports = story.local.start_execution("reports");
    story
        .local
        .wait_for(STEP_TIMEOUT, "the hold's notice", || {
            story
                .local
                .messages()
                .into_iter()
                .find(|message| message["subject"] == "pipeguard: reports held")
        })
        .await;
    story.check(
        &format!("outside its window ({window}) the deploy is held, not failed"),
        story.local.execution(&reports)["status"] == "InProgress",
    );
    println!("  (the emulator moves the clock the functions see two hours ahead: the window opens)");
    story.local.clock_ahead(2 * 3600 + 60);
    let reports = story.run_to_end(&reports).await;
    let gate = action(&reports, "Gate", "HealthGate");
    story.check(
        "when the window opens the held deploy goes ahead by itself, after about two hours",
        reports["status"] == "Succeeded"
            && gate["output_variables"]["held_minutes"]
                .as_str()
                .and_then(|minutes| minutes.parse::<i64>().ok())
                .is_some_and(|minutes| (119..=125).contains(&minutes)),
    );
}

/// Chapter 11: Oracle Cloud Resource Manager stacks, applied and rolled back by `pipeguard oci`.
async fn oracle_stacks(story: &mut Story) {
    story.say(
        "11. Oracle Cloud: pipeguard oci apply, rolled back to the newest good apply when the apply fails",
    );
    const STACK: &str = "ocid1.ormstack.oc1.iad.shop";
    const NEW_STACK: &str = "ocid1.ormstack.oc1.iad.brand-new";
    println!(
        "  (signed as a user whose key is encrypted, as `oci setup keys --passphrase` writes it; its passphrase is in OCI_CLI_PASSPHRASE)"
    );
    let (pem, public) = e2e::oci::encrypted_key();
    story.local.admin(
        "POST",
        "/_admin/oci/keys",
        json!({"key_id": e2e::oci::KEY_ID, "public_key_der_base64": public}),
    );
    story.local.admin(
        "POST",
        "/_admin/oci/stacks",
        json!({"stack": STACK, "outcomes": ["succeed", "succeed", "fail:TERRAFORM_EXECUTION_ERROR:Error: 400-LimitExceeded, compute quota reached", "succeed"]}),
    );
    story.local.admin(
        "POST",
        "/_admin/oci/stacks",
        json!({"stack": NEW_STACK, "outcomes": ["fail:TERRAFORM_EXECUTION_ERROR:Error: bad variable"]}),
    );
    let home = e2e::oci::home_with_config(pem);
    let home_dir = home.display().to_string();
    let endpoint = story.local.emulator.url();
    let apply = async |stack: &str| {
        let (code, stdout, stderr) = story
            .local
            .cli(
                &[
                    "--json",
                    "oci",
                    "apply",
                    "--stack",
                    stack,
                    "--endpoint",
                    &endpoint,
                ],
                &[
                    ("HOME", home_dir.as_str()),
                    ("OCI_CLI_PASSPHRASE", e2e::oci::PASSPHRASE),
                ],
            )
            .await;
        let answer: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        println!(
            "  $ pipeguard oci apply --stack {stack}   (exit {code})\n    {}{}",
            answer["message"].as_str().unwrap_or_default(),
            stderr.trim()
        );
        (code, answer)
    };
    let (first, first_answer) = apply(STACK).await;
    let (second, second_answer) = apply(STACK).await;
    let (third, rolled_back) = apply(STACK).await;
    let (fresh, skipped) = apply(NEW_STACK).await;
    let _ = std::fs::remove_dir_all(home);
    story.check(
        "two applies of the stack succeed (exit 0)",
        (first, second) == (0, 0)
            && first_answer["outcome"] == "applied"
            && second_answer["outcome"] == "applied",
    );
    story.check(
        "the third fails with TERRAFORM_EXECUTION_ERROR and is rolled back to the newest good apply, not the oldest (exit 1)",
        third == 1
            && rolled_back["outcome"] == "rolled_back"
            && rolled_back["target"]["id"] == second_answer["apply"]["id"]
            && rolled_back["target"]["id"] != first_answer["apply"]["id"],
    );
    story.check(
        "a stack with no good apply is not rolled back, and says so (exit 1)",
        fresh == 1
            && skipped["outcome"] == "no_target"
            && skipped["message"].as_str().is_some_and(|message| {
                message.ends_with(&format!("no earlier successful apply of stack {NEW_STACK}"))
            }),
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    println!("pipeguard demo: the real functions against local-aws (no AWS account involved)");
    let local = Local::start_with_store(&[("NOTIFY_TOPIC_ARN", TOPIC)]).await;
    local.admin("POST", "/_admin/settings", json!({"continuation_delay_ms": 500}));
    local.admin(
        "POST",
        "/_admin/topics",
        json!({"name": "pipeguard-notifications"}),
    );
    let began_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64());
    let mut story = Story {
        local,
        began: Instant::now(),
        began_epoch,
        checks: Vec::new(),
    };

    story.say("A V2 pipeline: Source -> HealthGate (health-gate, on_block=wait) -> Deploy");
    story.local.gated_pipeline(
        "web-app",
        r#"{"regions": ["us-east-1"], "on_block": "wait", "max_wait_minutes": 30}"#,
        &["succeed"],
    );

    story.local.route_health_events_to_stage_retry();

    story.say("1. A deployment while AWS is healthy");
    let first = story.local.start_execution("web-app");
    let first = story.run_to_end(&first).await;
    story.check("the deployment succeeded", first["status"] == "Succeeded");
    story.check(
        "the gate passed it",
        action(&first, "Gate", "HealthGate")["output_variables"]["verdict"] == "PASS",
    );

    story.say("2. AWS Health reports an EC2 issue in us-east-1, and a new deployment starts");
    let issue = story.local.open_issue("us-east-1", "EC2");
    let second = story.local.start_execution("web-app");
    story
        .local
        .wait_for(STEP_TIMEOUT, "the gate to re-check twice", || {
            (story.local.calls("health", "DescribeEvents", None) >= 3).then_some(())
        })
        .await;
    story.check(
        "the gate holds the deployment while the issue is open",
        story.local.execution(&second)["status"] == "InProgress",
    );

    story.say("3. The issue closes");
    story.local.close_issue(&issue);
    let second = story.run_to_end(&second).await;
    story.check(
        "the held deployment went through",
        second["status"] == "Succeeded",
    );
    story.check(
        "Deploy ran only after the issue closed",
        action(&second, "Deploy", "Apply")["status"] == "Succeeded",
    );

    story.say("4. Another pipeline's deploy is throttled by AWS; stage-retry retries only the failed action");
    story.local.admin(
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED",
               "pipeline": "api", "function": "stage-retry"}),
    );
    story.local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": "api", "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Deploy", "actions": [
                {"name": "Migrate", "category": "Deploy", "script": ["succeed"]},
                {"name": "Apply", "category": "Deploy", "provider": "CloudFormation", "script": ["fail:JobFailed:Throttling: Rate exceeded", "succeed"], "run_ms": 200}
            ]}
        ]}),
    );
    let third = story.local.start_execution("api");
    let third = story
        .local
        .wait_for(STEP_TIMEOUT, "the retried deploy", || {
            Some(story.local.execution(&third)).filter(|execution| execution["status"] == "Succeeded")
        })
        .await;
    story.check(
        "the throttled deploy succeeded on its retry",
        third["status"] == "Succeeded",
    );
    story.check(
        "only the failed action ran again (Migrate once, one retry)",
        third["stages"][1]["manual_retries"] == 1
            && story
                .local
                .successful_calls("codepipeline", "RetryStageExecution")
                == 1,
    );

    story
        .say("5. An infrastructure apply fails; apply-rollback returns the stage to the last good execution");
    story.local.admin(
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED",
               "pipeline": "infra", "function": "apply-rollback"}),
    );
    story.local.admin(
        "POST",
        "/_admin/pipelines",
        json!({"name": "infra", "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source", "script": ["succeed"]}]},
            {"name": "Apply", "actions": [
                {"name": "Terraform", "category": "Deploy", "provider": "CodeBuild", "script": ["succeed", "fail:JobFailed:TERRAFORM_EXECUTION_ERROR: subnet not found"]}
            ]}
        ]}),
    );
    let good = story.local.start_execution("infra");
    let good_state = story.run_to_end(&good).await;
    story.check("the first apply succeeded", good_state["status"] == "Succeeded");
    let broken = story.local.start_execution("infra");
    story.run_to_end(&broken).await;
    let rollback = story
        .local
        .wait_for(STEP_TIMEOUT, "the rollback", || {
            let executions = story.local.admin("GET", "/_admin/executions", json!({}));
            executions
                .as_array()
                .into_iter()
                .flatten()
                .find(|execution| execution["type"] == "ROLLBACK")
                .cloned()
        })
        .await;
    let rollback = story
        .run_to_end(rollback["id"].as_str().unwrap_or_default())
        .await;
    story.check(
        "the broken apply was rolled back to the last good execution",
        rollback["status"] == "Succeeded" && rollback["rollback_target"] == good.as_str(),
    );

    story.say("6. An account without an AWS support plan: the gate learns from EventBridge");
    story
        .local
        .fault(json!({"service": "health", "kind": "subscription-required"}));
    story.local.admin(
        "POST",
        "/_admin/rules",
        json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED",
               "pipeline": "billing", "function": "stage-retry"}),
    );
    story.local.gated_pipeline(
        "billing",
        r#"{"regions": ["us-east-1"], "services": ["LAMBDA"]}"#,
        &["succeed"],
    );
    let lambda_issue = story.local.open_issue("us-east-1", "LAMBDA");
    story.local.stored(&lambda_issue, "open").await;
    story.check(
        "stage-retry recorded the open issue in the event store",
        story
            .local
            .stored_events()
            .contains(&(lambda_issue.clone(), "open".to_owned())),
    );
    let billing = story.local.start_execution("billing");
    let blocked = story
        .local
        .wait_for(STEP_TIMEOUT, "the gate's failure", || {
            Some(story.local.execution(&billing)).filter(|execution| execution["status"] == "Failed")
        })
        .await;
    let message = action(&blocked, "Gate", "HealthGate")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    story.check(
        "the gate blocked the deployment on the recorded event, and says so",
        message.contains(&lambda_issue) && message.contains("recorded from EventBridge"),
    );
    story.local.close_issue(&lambda_issue);
    let billing = story
        .local
        .wait_for(STEP_TIMEOUT, "the resumed deployment", || {
            Some(story.local.execution(&billing)).filter(|execution| execution["status"] == "Succeeded")
        })
        .await;
    story.check(
        "the closing event was recorded and the held deployment resumed by itself",
        action(&billing, "Gate", "HealthGate")["output_variables"]["health_source"] == "events",
    );

    story.say("7. What people were told (SNS)");
    let messages = story
        .local
        .wait_for(STEP_TIMEOUT, "the notices", || {
            Some(story.local.messages()).filter(|messages| messages.len() >= 5)
        })
        .await;
    for message in &messages {
        println!(
            "  [{}]\n    {}",
            message["subject"].as_str().unwrap_or_default(),
            message["message"]
                .as_str()
                .unwrap_or_default()
                .replace('\n', "\n    ")
        );
    }
    let subjects: Vec<&str> = messages
        .iter()
        .filter_map(|message| message["subject"].as_str())
        .collect();
    story.check(
        "a hold, a release, a rollback, a block notice and its release",
        subjects
            == [
                "pipeguard: web-app held",
                "pipeguard: web-app released",
                "pipeguard: infra Apply rolled back",
                "pipeguard: billing blocked",
                "pipeguard: billing released",
            ],
    );

    story.say("8. pipeguard status: what the command line sees");
    let (code, table, errors) = story
        .local
        .cli(&["status", "--table"], &[("NO_COLOR", "1")])
        .await;
    for line in table.lines() {
        println!("  {line}");
    }
    if !errors.is_empty() {
        println!("  {errors}");
    }
    story.check(
        "pipeguard status lists every pipeline of the story",
        code == 0
            && ["web-app", "api", "infra", "billing"]
                .iter()
                .all(|pipeline| table.contains(pipeline)),
    );

    story.say("9. Across accounts: pipelines deploy into workload accounts, whose forwarders send their AWS Health events here");
    const WORKLOAD: &str = "222233334444";
    const OTHER_WORKLOAD: &str = "333344445555";
    for (pipeline, account) in [("shop-prod", WORKLOAD), ("shop-staging", OTHER_WORKLOAD)] {
        story.local.admin(
            "POST",
            "/_admin/rules",
            json!({"source": "aws.codepipeline", "detail_type": "CodePipeline Stage Execution State Change", "state": "FAILED",
                   "pipeline": pipeline, "function": "stage-retry"}),
        );
        story.local.gated_pipeline(
            pipeline,
            &format!(r#"{{"regions": ["us-east-1"], "accounts": ["{account}"]}}"#),
            &["succeed"],
        );
    }
    let workload_issue = story.local.open_issue_in("us-east-1", "EC2", &[WORKLOAD]);
    let recorded_as = format!("{workload_issue}#{WORKLOAD}");
    let stored = story
        .local
        .wait_for(STEP_TIMEOUT, "the workload account's event in the store", || {
            let stored = story.local.stored_events();
            stored
                .iter()
                .any(|(key, _)| key.starts_with(&workload_issue))
                .then_some(stored)
        })
        .await;
    story.check(
        "an EC2 issue only account 222233334444 sees was recorded as that account's, not as everyone's",
        stored.contains(&(recorded_as, "open".to_owned()))
            && !stored.iter().any(|(key, _)| *key == workload_issue),
    );
    let prod = story.local.start_execution("shop-prod");
    let staging = story.local.start_execution("shop-staging");
    let prod_blocked = story
        .local
        .wait_for(STEP_TIMEOUT, "the gate's failure", || {
            Some(story.local.execution(&prod)).filter(|execution| execution["status"] == "Failed")
        })
        .await;
    let message = action(&prod_blocked, "Gate", "HealthGate")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    story.check(
        "it holds shop-prod, which deploys into 222233334444, and says whose issue it is",
        message.contains(&workload_issue) && message.contains("for account 222233334444"),
    );
    let staging = story.run_to_end(&staging).await;
    story.check(
        "it does not hold shop-staging, which deploys into 333344445555",
        staging["status"] == "Succeeded"
            && action(&staging, "Gate", "HealthGate")["output_variables"]["accounts_checked"]
                == OTHER_WORKLOAD,
    );
    story.local.close_issue(&workload_issue);
    let prod = story
        .local
        .wait_for(STEP_TIMEOUT, "the resumed deployment", || {
            Some(story.local.execution(&prod)).filter(|execution| execution["status"] == "Succeeded")
        })
        .await;
    story.check(
        "the issue closed in 222233334444 and shop-prod resumed by itself",
        action(&prod, "Deploy", "Apply")["status"] == "Succeeded",
    );

    freezes_and_windows(&mut story).await;
    oracle_stacks(&mut story).await;

    story.say("Summary");
    let describe = story.local.calls("health", "DescribeEvents", None);
    let recorded = story.local.calls("dynamodb", "PutItem", None);
    let results = story.local.calls("codepipeline", "PutJobSuccessResult", None)
        + story.local.calls("codepipeline", "PutJobFailureResult", None);
    println!(
        "  AWS Health DescribeEvents calls: {describe}; DynamoDB writes (Health event updates, freezes): {recorded}; job results reported: {results}; SNS messages: {}",
        story.local.messages().len()
    );
    let failed: Vec<&String> = story
        .checks
        .iter()
        .filter(|(_, passed)| !passed)
        .map(|(what, _)| what)
        .collect();
    story.local.emulator.shutdown();
    if failed.is_empty() {
        println!(
            "  all {} checks passed in {:.1}s",
            story.checks.len(),
            story.began.elapsed().as_secs_f64()
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "  {} of {} checks failed: {failed:?}",
            failed.len(),
            story.checks.len()
        );
        ExitCode::FAILURE
    }
}
