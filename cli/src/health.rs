//! `pipeguard health`: the gate's decision for a deploy right now, from the gate's own policy
//! parsing and decision, for CI systems other than CodePipeline.

use crate::aws::Aws;
use crate::output::{Tone, colour_enabled, json_line, paint};
use crate::{Ended, Problem};
use clap::Args;
use clap::builder::PossibleValuesParser;
use pipeguard_core::gate::{self, Blocker, GateDefaults, GateOutcome, Observations, SourceChoice};
use pipeguard_core::hold;
use pipeguard_core::pipeline::ConflictCheckError;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// As long as the gate gives AWS Health in Lambda.
const BUDGET: Duration = Duration::from_secs(20);

#[derive(Args)]
pub struct HealthArgs {
    /// Regions to check, comma-separated (`global` for global services)
    #[arg(long, value_delimiter = ',')]
    regions: Vec<String>,
    /// AWS Health service codes, comma-separated (default: all)
    #[arg(long, value_delimiter = ',')]
    services: Vec<String>,
    /// Accounts the deploy goes into, comma-separated 12-digit ids (default: the credentials'
    /// account): their account-specific events block, and public events whatever the account
    #[arg(long, value_delimiter = ',')]
    accounts: Vec<String>,
    /// Where to learn of AWS Health events (the gate's `health_source`)
    #[arg(long, value_parser = PossibleValuesParser::new(SourceChoice::ALL.iter().map(|choice| choice.as_str())))]
    source: Option<String>,
    /// The gate's UserParameters, as JSON (the flags above override its fields)
    #[arg(long)]
    params: Option<String>,
    /// The event store's DynamoDB table, where freezes are kept too (default: HEALTH_EVENTS_TABLE)
    #[arg(long = "events-table")]
    events_table: Option<String>,
    /// The pipeline (or service) the deploy is for, for freezes that cover some pipelines only
    /// (without it, every active freeze blocks)
    #[arg(long)]
    pipeline: Option<String>,
    /// Deployment windows, `;`-separated: `Mon-Thu 09:00-16:00 Europe/Berlin`
    #[arg(long, value_delimiter = ';')]
    windows: Vec<String>,
    /// Blackouts, `;`-separated: `2026-12-20..2027-01-04 Europe/Berlin`
    #[arg(long, value_delimiter = ';')]
    blackouts: Vec<String>,
    /// Deploy even while a freeze covers it (an emergency fix); the answer says which freeze
    #[arg(long)]
    ignore_freezes: bool,
}

pub async fn run(aws: &Aws, args: HealthArgs, json: bool) -> Result<Ended, Problem> {
    let parameters = user_parameters(&args).map_err(Problem::Usage)?;
    let policy =
        GateDefaults::from_env(aws.env(args.events_table.clone()).lookup())?.for_action(Some(&parameters))?;
    let own_account = aws.own_account().await?;
    let policy = policy.with_own_account(&own_account);
    let freezes = aws.freeze_store(args.events_table.clone());
    let sources = aws.health_sources(args.events_table).await;
    let (health, freezes, running) = tokio::join!(
        sources.events_within(&policy, &own_account, BUDGET),
        async {
            match &freezes {
                Some(store) => Some(store.for_gate(BUDGET).await),
                None => None,
            }
        },
        aws.codepipeline.running_executions(&policy.block_while_running),
    );
    let now = pipeguard_aws::clock::unix_seconds();
    let outcome = gate::decide(
        &policy,
        Observations {
            health,
            freezes,
            running,
            wait: None,
            pipeline: args.pipeline,
            now,
        },
    );
    let ended = ended(&outcome);
    if json {
        println!("{}", json_line(&as_json(&outcome, ended, now)));
    } else {
        print_text(&outcome);
    }
    Ok(ended)
}

/// The UserParameters the gate would get: `--params`, with the flags' fields over it.
fn user_parameters(args: &HealthArgs) -> Result<String, String> {
    let mut fields: Map<String, Value> = match &args.params {
        Some(text) => serde_json::from_str(text).map_err(|error| {
            format!("--params is not a JSON object of the gate's UserParameters: {error}")
        })?,
        None => Map::new(),
    };
    if !args.regions.is_empty() {
        fields.insert("regions".into(), json!(args.regions));
    }
    if !args.services.is_empty() {
        fields.insert("services".into(), json!(args.services));
    }
    if !args.accounts.is_empty() {
        fields.insert("accounts".into(), json!(args.accounts));
    }
    if let Some(source) = &args.source {
        fields.insert("health_source".into(), json!(source));
    }
    if !args.windows.is_empty() {
        fields.insert("windows".into(), json!(args.windows));
    }
    if !args.blackouts.is_empty() {
        fields.insert("blackouts".into(), json!(args.blackouts));
    }
    if args.ignore_freezes {
        fields.insert("ignore_freezes".into(), json!(true));
    }
    Ok(Value::Object(fields).to_string())
}

/// The exit code: 0 deploy, 1 blocked, 2 configuration, 3 AWS Health unavailable.
fn ended(outcome: &GateOutcome) -> Ended {
    match outcome {
        GateOutcome::Pass { .. } => Ended::Ok,
        GateOutcome::Blocked { .. }
        | GateOutcome::WindowTooFar { .. }
        | GateOutcome::Hold { .. }
        | GateOutcome::GaveUp { .. } => Ended::Failed,
        GateOutcome::ConflictCheckFailed(
            ConflictCheckError::PipelineNotFound(_) | ConflictCheckError::NotPermitted(_),
        )
        | GateOutcome::Misconfigured(_)
        | GateOutcome::UnreadableToken(_) => Ended::Usage,
        GateOutcome::HealthUnavailable { .. }
        | GateOutcome::FreezesUnavailable { .. }
        | GateOutcome::ConflictCheckFailed(_)
        | GateOutcome::OutOfTime { .. }
        | GateOutcome::Crashed(_) => Ended::Unavailable,
    }
}

/// Without the gate's hold marker, which is for stage-retry, not for people.
fn message(outcome: &GateOutcome) -> String {
    hold::without_marker(gate::render(outcome).text())
}

fn print_text(outcome: &GateOutcome) {
    let colour = colour_enabled();
    let verdict = match outcome {
        GateOutcome::Pass { .. } => paint("DEPLOY", Tone::Good, colour),
        GateOutcome::HealthUnavailable { .. } => paint("BLOCKED (AWS Health unavailable)", Tone::Bad, colour),
        GateOutcome::FreezesUnavailable { .. } => paint("BLOCKED (freezes unreadable)", Tone::Bad, colour),
        _ => paint("BLOCKED", Tone::Bad, colour),
    };
    println!("{verdict}: {}", message(outcome));
}

fn as_json(outcome: &GateOutcome, ended: Ended, now: i64) -> Value {
    let blockers: Vec<Value> = outcome
        .blockers()
        .iter()
        .map(|blocker| blocker_json(blocker, now))
        .collect();
    json!({
        "deploy": ended == Ended::Ok,
        "verdict": outcome.label(),
        "health_source": outcome.health_source(),
        "blocking": blockers,
        "message": message(outcome),
        "exit_code": ended as u8,
    })
}

fn blocker_json(blocker: &Blocker, now: i64) -> Value {
    match blocker {
        Blocker::HealthEvent(event) => json!({
            "kind": "aws_health_event",
            "arn": event.arn,
            "service": event.service,
            "region": event.region,
            // The account an account-specific event concerns, or `all` for one every account sees.
            "account": event.account.as_deref().unwrap_or("all"),
            "event_type_code": event.event_type_code,
            "category": event.category.as_str(),
            "status": event.status.as_str(),
            "start_time": event.start_time,
        }),
        Blocker::RunningPipeline(execution) => json!({
            "kind": "running_pipeline",
            "pipeline": execution.pipeline,
            "execution_id": execution.execution_id,
            "status": execution.status.as_str(),
        }),
        Blocker::Freeze(freeze) => {
            let mut shown = crate::freeze::freeze_json(freeze, now);
            shown["kind"] = json!("freeze");
            shown
        }
        Blocker::OutsideWindow(closed) => json!({
            "kind": "outside_window",
            "because": closed.because,
            "opens_at": closed.opens_at,
        }),
        Blocker::UnreadableFreeze(unreadable) => {
            let mut shown = crate::freeze::unreadable_json(unreadable);
            shown["kind"] = json!("unreadable_freeze");
            shown
        }
        Blocker::FreezesUnread(cause) => json!({
            "kind": "freezes_unread",
            "cause": cause,
        }),
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
