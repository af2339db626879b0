//! `pipeguard health`: the gate's decision for a deploy right now, from the gate's own policy
//! parsing and decision, for CI systems other than CodePipeline.

use crate::aws::Aws;
use crate::ended::{Ended, Problem};
use crate::freeze::{FreezeJson, UnreadableJson};
use crate::output::{Report, Tone, emit, paint};
use clap::Args;
use clap::builder::PossibleValuesParser;
use pipeguard_core::gate::{
    self, BakeOutcome, Blocker, GateDefaults, GateOutcome, GatePolicy, Observations, SourceChoice,
};
use pipeguard_core::hold;
use pipeguard_core::pipeline::ConflictCheckError;
use serde::Serialize;
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
    /// (without it, every active freeze blocks) and the overrides granted for it
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
    if let Some(why) = pipeguard_core::alarm::unreachable_accounts(
        &policy.alarms,
        &own_account,
        policy.alarms_role.as_deref(),
    ) {
        return Err(Problem::Usage(why));
    }
    let freezes = aws.freeze_store(args.events_table.clone());
    let sources = aws.health_sources(args.events_table.clone()).await;
    let alarms = aws.alarms();
    let calendars = aws.calendars();
    let (health, freezes, running, alarms, calendars) = tokio::join!(
        sources.events_within(&policy, &own_account, BUDGET),
        async {
            match &freezes {
                Some(store) => Some(store.for_gate(BUDGET).await),
                None => None,
            }
        },
        aws.codepipeline
            .running_executions(&policy.block_while_running, BUDGET),
        async {
            if policy.alarms.is_empty() {
                return None;
            }
            Some(
                alarms
                    .readings(
                        &policy.alarms,
                        &own_account,
                        policy.alarms_role.as_deref(),
                        BUDGET,
                    )
                    .await,
            )
        },
        async {
            if policy.change_calendars.is_empty() {
                return None;
            }
            Some(
                calendars
                    .readings(&policy.change_calendars, &own_account, BUDGET)
                    .await,
            )
        },
    );
    let now = pipeguard_aws::clock::unix_seconds();
    let observations = Observations {
        health,
        freezes,
        running,
        alarms,
        calendars,
        wait: None,
        pipeline: args.pipeline.clone(),
        now,
    };
    let outcome = gate::decide(&policy, observations.clone());
    let outcome = with_overrides(aws, &policy, observations, outcome, args.events_table).await;
    let report = HealthReport::of(&outcome, now);
    emit(&report, json)?;
    Ok(report.exit_code)
}

/// `outcome` with the overrides in force for `pipeline` applied, as the gate applies them: read
/// only when one could let the deploy through and the pipeline is named. Overrides that cannot
/// be read pass nothing, and are said.
async fn with_overrides(
    aws: &Aws,
    policy: &GatePolicy,
    observations: Observations,
    outcome: GateOutcome,
    table: Option<String>,
) -> GateOutcome {
    let (Some(pipeline), Some(store)) = (observations.pipeline.clone(), aws.override_store(table)) else {
        return outcome;
    };
    if !outcome.may_be_overridden() {
        return outcome;
    }
    match store.for_gate(BUDGET).await {
        Ok(recorded) => gate::decide_overridden(policy, observations, outcome, &recorded, &pipeline),
        Err(error) => {
            eprintln!(
                "pipeguard: no override applied: {}",
                pipeguard_core::text::printable(&error.to_string())
            );
            outcome
        }
    }
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
        GateOutcome::Pass { .. }
        | GateOutcome::PassOverridden { .. }
        | GateOutcome::Bake(BakeOutcome::Baked { .. } | BakeOutcome::NotBaked { .. }) => Ended::Ok,
        // `health` never bakes (it sets no bake_minutes); a bake under way is no pass yet.
        GateOutcome::Bake(BakeOutcome::Baking { .. } | BakeOutcome::Failed { .. })
        | GateOutcome::Blocked { .. }
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
        | GateOutcome::AlarmsUnavailable { .. }
        | GateOutcome::CalendarsUnavailable { .. }
        | GateOutcome::ConflictCheckFailed(_)
        | GateOutcome::OutOfTime { .. }
        | GateOutcome::Crashed(_) => Ended::Unavailable,
    }
}

/// What `health` answers: the gate's decision, what blocks the deploy, and the exit code.
#[derive(Serialize)]
pub struct HealthReport {
    deploy: bool,
    verdict: &'static str,
    health_source: &'static str,
    blocking: Vec<BlockerJson>,
    /// Without the gate's hold marker, which is for stage-retry, not for people.
    message: String,
    exit_code: Ended,
    /// For people, before the message: DEPLOY, or BLOCKED and what could not be read.
    #[serde(skip)]
    heading: &'static str,
}

impl HealthReport {
    /// The gate's `outcome` at `now`.
    pub fn of(outcome: &GateOutcome, now: i64) -> Self {
        let ended = ended(outcome);
        Self {
            deploy: ended == Ended::Ok,
            verdict: outcome.label(),
            health_source: outcome.health_source(),
            blocking: outcome
                .blockers()
                .iter()
                .map(|blocker| BlockerJson::of(blocker, now))
                .collect(),
            message: hold::without_marker(gate::render(outcome).text()),
            exit_code: ended,
            heading: match outcome {
                GateOutcome::Pass { .. } => "DEPLOY",
                GateOutcome::PassOverridden { .. } => "DEPLOY (overridden)",
                GateOutcome::HealthUnavailable { .. } => "BLOCKED (AWS Health unavailable)",
                GateOutcome::FreezesUnavailable { .. } => "BLOCKED (freezes unreadable)",
                GateOutcome::AlarmsUnavailable { .. } => "BLOCKED (alarms unreadable)",
                GateOutcome::CalendarsUnavailable { .. } => "BLOCKED (calendars unreadable)",
                _ => "BLOCKED",
            },
        }
    }
}

impl Report for HealthReport {
    fn text(&self, colour: bool) -> String {
        let tone = if self.deploy { Tone::Good } else { Tone::Bad };
        format!("{}: {}", paint(self.heading, tone, colour), self.message)
    }
}

/// Something that blocks the deploy, as `health --json` lists it: by its `kind`.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum BlockerJson {
    #[serde(rename = "aws_health_event")]
    HealthEvent {
        arn: String,
        service: String,
        region: String,
        /// The account an account-specific event concerns, or `all` for one every account sees.
        account: String,
        event_type_code: String,
        category: String,
        status: String,
        start_time: Option<i64>,
    },
    RunningPipeline {
        pipeline: String,
        execution_id: String,
        status: String,
    },
    Freeze(FreezeJson),
    OutsideWindow {
        because: String,
        opens_at: Option<i64>,
    },
    UnreadableFreeze(UnreadableJson),
    FreezesUnread {
        cause: String,
    },
    #[serde(rename = "cloudwatch_alarm")]
    Alarm {
        name: String,
        arn: String,
        region: String,
        account: String,
        state: String,
        reason: String,
        since: Option<i64>,
    },
    AlarmsUnread {
        cause: String,
    },
    #[serde(rename = "change_calendar")]
    Calendar {
        name: String,
        region: String,
        account: String,
        state: String,
        /// When it opens; null when no opening is scheduled.
        opens_at: Option<i64>,
    },
    CalendarsUnread {
        cause: String,
    },
}

impl BlockerJson {
    fn of(blocker: &Blocker, now: i64) -> Self {
        match blocker {
            Blocker::HealthEvent(event) => Self::HealthEvent {
                arn: event.arn.clone(),
                service: event.service.clone(),
                region: event.region.clone(),
                account: event.account.clone().unwrap_or_else(|| "all".into()),
                event_type_code: event.event_type_code.clone(),
                category: event.category.to_string(),
                status: event.status.to_string(),
                start_time: event.start_time,
            },
            Blocker::RunningPipeline(execution) => Self::RunningPipeline {
                pipeline: execution.pipeline.clone(),
                execution_id: execution.execution_id.clone(),
                status: execution.status.to_string(),
            },
            Blocker::Freeze(freeze) => Self::Freeze(FreezeJson::of(freeze, now)),
            Blocker::OutsideWindow(closed) => Self::OutsideWindow {
                because: closed.because.clone(),
                opens_at: closed.opens_at,
            },
            Blocker::UnreadableFreeze(unreadable) => Self::UnreadableFreeze(UnreadableJson::of(unreadable)),
            Blocker::FreezesUnread(cause) => Self::FreezesUnread { cause: cause.clone() },
            Blocker::Alarm(alarm) => Self::Alarm {
                name: alarm.name.clone(),
                arn: alarm.arn.clone(),
                region: alarm.place.region.clone(),
                account: alarm.place.account.clone(),
                state: alarm.state.to_string(),
                reason: alarm.reason.clone(),
                since: alarm.since,
            },
            Blocker::AlarmsUnread(cause) => Self::AlarmsUnread { cause: cause.clone() },
            Blocker::Calendar(calendar) => Self::Calendar {
                name: calendar.name.clone(),
                region: calendar.place.region.clone(),
                account: calendar.place.account.clone(),
                state: calendar.state.to_string(),
                opens_at: calendar.opens_at,
            },
            Blocker::CalendarsUnread(cause) => Self::CalendarsUnread { cause: cause.clone() },
        }
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
