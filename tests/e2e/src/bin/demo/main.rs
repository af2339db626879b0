//! `make demo`: one story, end to end, with the real functions against the local emulator.
//! A pipeline deploys; an AWS Health issue opens in its region and the gate holds the next
//! deployment; the issue closes and the deployment goes through; a deploy that hits a transient
//! error is retried by stage-retry without anyone clicking Retry; a broken infrastructure apply is
//! rolled back to the last good execution by apply-rollback; in an account without an AWS
//! support plan, the gate decides from the AWS Health events EventBridge delivered; across
//! accounts, an issue in the workload account a pipeline deploys into holds that pipeline only;
//! a freeze stops every deploy until one unfreeze releases them all, while a deploy outside its
//! window waits for it; the fix for an incident goes through the freeze on an audited override
//! while everything else stays frozen; the service's own alarm holds a deploy until it clears; a
//! closed AWS Systems Manager Change Calendar holds another until it opens; a deploy whose alarm
//! fires during its bake is rolled back to the last good execution; and in Oracle Cloud, a failed
//! Resource Manager apply is rolled back to the newest good apply.

mod alarms;
mod bake;
mod calendars;
mod freezes;
mod oracle;
mod overrides;
mod story;

use e2e::{Local, action};
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;
use story::{STEP_TIMEOUT, Story};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:pipeguard-notifications";

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

    freezes::freezes_and_windows(&mut story).await;
    overrides::break_glass(&mut story).await;
    alarms::alarms(&mut story).await;
    calendars::change_calendar(&mut story).await;
    bake::bake_and_roll_back(&mut story).await;
    oracle::oracle_stacks(&mut story).await;

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
