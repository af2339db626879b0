//! One job, read top to bottom: parse the job, fetch what the policy asks about (AWS Health, the
//! freezes, the service's CloudWatch alarms and Change Calendars, the conflicting pipelines,
//! the job's pipeline), decide (or, for a bake, judge this poll of it), report exactly one
//! result, notify.

use lambda_runtime::LambdaEvent;
use pipeguard_aws::lambda::{Function, InvocationError};
use pipeguard_aws::{
    ChangeCalendars, CloudWatchAlarms, CodePipeline, Environment, FreezeStore, HealthSources, Notifier,
    OverrideStore, ReportError, Reported, SdkConfig, Table,
};
use pipeguard_core::config::SettingError;
use pipeguard_core::gate::{self, GateDefaults, GateOutcome, GatePolicy, Observations, Scope};
use pipeguard_core::job::{JobEvent, JobEventError};
use pipeguard_core::pipeline::ExecutionType;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Time kept back from the Lambda deadline to report the result, so that a slow AWS never
/// leaves a job unanswered.
const REPORT_RESERVE: Duration = Duration::from_secs(10);
/// AWS Health (and CloudWatch, and the freezes' table) must answer this much before the deciding
/// budget runs out, so that a hanging one is handled by `on_health_error` (fail-open passes)
/// rather than by the deadline.
const HEALTH_MARGIN: Duration = Duration::from_secs(1);
/// The most the overrides may take once the rest is decided: within `HEALTH_MARGIN`, so that
/// reading them never costs the answer, even when AWS Health took all its time.
const OVERRIDES_MARGIN: Duration = Duration::from_millis(700);
/// Kept back from the Lambda deadline so that an answer cut short still ends the invocation
/// with its error, rather than Lambda stopping it.
const DEADLINE_MARGIN: Duration = Duration::from_millis(500);
/// Budget when the runtime gives no deadline.
const DEFAULT_BUDGET: Duration = Duration::from_secs(20);

/// Everything built once per cold start.
pub struct Gate {
    defaults: Result<GateDefaults, SettingError>,
    codepipeline: CodePipeline,
    health: HealthSources,
    /// The freezes people set, when `HEALTH_EVENTS_TABLE` names the table they are kept in.
    freezes: Option<FreezeStore>,
    /// The break-glass overrides people grant, in the same table.
    overrides: Option<OverrideStore>,
    /// The service's own alarms; a region's client is built when a policy first watches one.
    alarms: CloudWatchAlarms,
    /// The service's Change Calendars; a region's client is built when a policy first watches one.
    calendars: ChangeCalendars,
    notifier: Notifier,
}

/// What the gate decided for a job, and the pipeline it belongs to when that was asked.
struct Decision {
    outcome: GateOutcome,
    pipeline: Option<String>,
    /// What the policy asked about, when the job got as far as a policy.
    scope: Option<Scope>,
}

impl Decision {
    /// An answer reached before anything was asked: no policy, no pipeline.
    fn before_asking(outcome: GateOutcome) -> Self {
        Self {
            outcome,
            pipeline: None,
            scope: None,
        }
    }
}

impl Function for Gate {
    const NAME: &'static str = "health-gate";

    async fn from_env(config: &SdkConfig, env: &Environment) -> Self {
        let defaults =
            pipeguard_aws::lambda::settings_at_cold_start("gate", GateDefaults::from_env(env.lookup()));
        // One table, one client: the event store and the freezes share it.
        let table = Table::from_env(config, env);
        Self {
            defaults,
            codepipeline: CodePipeline::from_config(config),
            health: HealthSources::from_env(config, env, table.clone()).await,
            freezes: table.clone().map(FreezeStore::in_table),
            overrides: table.map(OverrideStore::in_table),
            alarms: CloudWatchAlarms::from_config(config),
            calendars: ChangeCalendars::from_config(config),
            notifier: Notifier::from_env(config, env),
        }
    }

    /// Answers the job exactly once, whatever happens while deciding: bad input, AWS errors,
    /// running out of time, or a panic.
    async fn handle(self: Arc<Self>, event: LambdaEvent<Value>) -> Result<(), InvocationError> {
        let (payload, context) = event.into_parts();
        let time_left = pipeguard_aws::lambda::time_left(context.deadline);
        // The answer and the notice must be sent before Lambda stops the function: past this,
        // the invocation fails instead, and Lambda's retry answers.
        let answer_by = time_left.map(|left| Instant::now() + left.saturating_sub(DEADLINE_MARGIN));
        let job = match JobEvent::parse(&payload) {
            Ok(job) => job,
            // Without a job id there is nothing to report against: fail the invocation.
            Err(error @ JobEventError::NoJobId) => return Err(error.into()),
            Err(JobEventError::MalformedData { job_id, reason }) => {
                let outcome = GateOutcome::Misconfigured(format!("malformed job data: {reason}"));
                return self
                    .answer(&job_id, Decision::before_asking(outcome), answer_by)
                    .await;
            }
        };
        let job_id = job.job_id.clone();
        let budget = time_left
            .unwrap_or(DEFAULT_BUDGET)
            .saturating_sub(REPORT_RESERVE)
            .max(Duration::from_secs(1));
        let deciding = tokio::spawn(Arc::clone(&self).decide(job, budget.saturating_sub(HEALTH_MARGIN)));
        let decision = match tokio::time::timeout(budget, deciding).await {
            Ok(Ok(decision)) => decision,
            Ok(Err(joined)) => Decision::before_asking(GateOutcome::Crashed(panic_text(joined))),
            Err(_) => Decision::before_asking(GateOutcome::OutOfTime {
                budget_secs: budget.as_secs(),
            }),
        };
        self.answer(&job_id, decision, answer_by).await
    }
}

impl Gate {
    async fn decide(self: Arc<Self>, job: JobEvent, health_budget: Duration) -> Decision {
        let (policy, wait) = match gate::read_job(&self.defaults, &job) {
            Ok(read) => read,
            Err(outcome) => return Decision::before_asking(*outcome),
        };
        // The pipeline's name is asked only when something needs it: a notice, the check that
        // the lock does not name the gate's own pipeline, or a freeze that covers some pipelines
        // only. It never holds up the decision: a slow answer leaves it unknown (and every freeze
        // then covers the pipeline).
        // A bake looks at its own signals only: no freezes, windows or conflicting pipelines.
        let baking = policy.bake_minutes.is_some();
        let looked_at = if baking {
            gate::bake::signals(&policy)
        } else {
            policy.clone()
        };
        let name_needed = self.notifier.is_enabled() || !looked_at.block_while_running.is_empty();
        let asked_by = Instant::now() + health_budget;
        let (health, freezes, alarms, calendars, running, pipeline, rollback) = tokio::join!(
            self.health.events_within(&policy, &job.account_id, health_budget),
            async {
                match &self.freezes {
                    Some(store) if !baking => Some(store.for_gate(health_budget).await),
                    _ => None,
                }
            },
            async {
                if policy.alarms.is_empty() {
                    return None;
                }
                Some(
                    self.alarms
                        .readings(
                            &policy.alarms,
                            &job.account_id,
                            policy.alarms_role.as_deref(),
                            health_budget,
                        )
                        .await,
                )
            },
            async {
                if policy.change_calendars.is_empty() {
                    return None;
                }
                Some(
                    self.calendars
                        .readings(&policy.change_calendars, &job.account_id, health_budget)
                        .await,
                )
            },
            self.codepipeline
                .running_executions(&looked_at.block_while_running, health_budget),
            self.job_pipeline(&job.job_id, name_needed, health_budget),
            async {
                // Only a bake's first poll asks: a rollback is not baked.
                if baking && wait.is_none() {
                    self.rollback_running(&job.job_id, health_budget).await
                } else {
                    None
                }
            },
        );
        let now = pipeguard_aws::clock::unix_seconds();
        if let Some(Ok(recorded)) = &freezes {
            // Only those that hold: one ended by hand stays in the table (its record) for 30 days.
            let holding = recorded
                .unreadable
                .iter()
                .filter(|unreadable| unreadable.is_active());
            pipeguard_aws::metrics::unreadable_freezes(Self::NAME, holding.count());
        }
        let name_matters = matches!(&freezes, Some(Ok(recorded)) if recorded.name_matters(now));
        let pipeline = match pipeline {
            None if name_matters && !name_needed => {
                let left = asked_by.saturating_duration_since(Instant::now());
                self.job_pipeline(&job.job_id, true, left).await
            }
            asked => asked,
        };
        let observations = Observations {
            health,
            freezes,
            running,
            alarms,
            calendars,
            wait: wait.clone(),
            pipeline: pipeline.clone(),
            now,
        };
        let overrides_by = asked_by + OVERRIDES_MARGIN;
        let (outcome, pipeline) = match policy.bake_minutes {
            None => {
                let outcome = gate::decide(&policy, observations.clone());
                self.with_overrides(&policy, observations, outcome, &job.job_id, overrides_by)
                    .await
            }
            // An override in force passes over what it covers in each poll of the bake too, so
            // that an incident fix is not failed (and rolled back) by its own alarm.
            Some(_) if let Some(rollback) = rollback => (gate::bake::rollback_not_baked(rollback), pipeline),
            Some(bake_minutes) => {
                let polled = gate::bake::poll(&policy, observations.clone());
                let observed = gate::bake::observed(observations);
                let (polled, pipeline) = self
                    .with_overrides(&looked_at, observed, polled, &job.job_id, overrides_by)
                    .await;
                (
                    gate::bake::judge(&policy, bake_minutes, wait, polled, now),
                    pipeline,
                )
            }
        };
        Decision {
            outcome,
            pipeline,
            scope: Some(Scope::of(&policy)),
        }
    }

    /// `outcome` with the overrides in force for the job's pipeline applied, when one could let
    /// the deploy through: only then are they read (with the pipeline's name, asked if it is not
    /// known yet), by `deadline`. Overrides that cannot be read pass nothing: the answer stands.
    async fn with_overrides(
        &self,
        policy: &GatePolicy,
        observations: Observations,
        outcome: GateOutcome,
        job_id: &str,
        deadline: Instant,
    ) -> (GateOutcome, Option<String>) {
        let pipeline = observations.pipeline.clone();
        let Some(store) = self.overrides.as_ref().filter(|_| outcome.may_be_overridden()) else {
            return (outcome, pipeline);
        };
        let pipeline = match pipeline {
            Some(name) => Some(name),
            None => {
                let left = deadline.saturating_duration_since(Instant::now());
                self.job_pipeline(job_id, true, left).await
            }
        };
        let Some(name) = pipeline.as_deref() else {
            tracing::warn!(job_id, "no override applied: the job's pipeline is not known");
            return (outcome, pipeline);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        match store.for_gate(left).await {
            Ok(recorded) => (
                gate::decide_overridden(policy, observations, outcome, &recorded, name),
                pipeline,
            ),
            Err(error) => {
                tracing::warn!(job_id, pipeline = name, %error, "no override applied: the overrides could not be read");
                (outcome, pipeline)
            }
        }
    }

    /// The rollback execution the job runs in, when it runs in one (GetJobDetails, then the
    /// execution's type from ListPipelineExecutions), within `budget`. Not known, it is taken for
    /// a deploy and baked: at worst a person looks at a rollback whose bake failed.
    async fn rollback_running(&self, job_id: &str, budget: Duration) -> Option<String> {
        let asked = async {
            let context = self.codepipeline.job_context(job_id).await?;
            let execution_id = context.execution_id?;
            let found = self
                .codepipeline
                .newest_execution_where(&context.pipeline, None, |execution| execution.id == execution_id)
                .await;
            match found {
                Ok(Some(execution)) => {
                    (execution.execution_type == ExecutionType::Rollback).then_some(execution_id)
                }
                Ok(None) => None,
                Err(error) => {
                    tracing::warn!(job_id, %error, "could not learn whether the bake runs in a rollback; baking it");
                    None
                }
            }
        };
        tokio::time::timeout(budget, asked).await.ok().flatten()
    }

    /// The job's pipeline, when `needed`, within `budget`: None when not needed or not known in
    /// time.
    async fn job_pipeline(&self, job_id: &str, needed: bool, budget: Duration) -> Option<String> {
        if !needed {
            return None;
        }
        match tokio::time::timeout(budget, self.codepipeline.job_pipeline(job_id)).await {
            Ok(name) => name,
            Err(_) => {
                tracing::warn!(
                    job_id,
                    "the job's pipeline name did not come in time; deciding without it"
                );
                None
            }
        }
    }

    /// Reports the job's one result, logs the decision and tells people when it is worth it.
    async fn answer(
        &self,
        job_id: &str,
        decision: Decision,
        answer_by: Option<Instant>,
    ) -> Result<(), InvocationError> {
        let Decision {
            outcome,
            pipeline,
            scope,
        } = decision;
        let result = gate::render(&outcome);
        // Lists as comma-separated values; absent when the job never got as far as a policy, and
        // services absent when every service is watched.
        let regions = scope.as_ref().map(|scope| scope.regions.join(","));
        let services = scope
            .as_ref()
            .filter(|scope| !scope.services.is_empty())
            .map(|scope| scope.services.join(","));
        let reason = result.text();
        let verdict = outcome.label();
        let health_source = outcome.health_source();
        // One line, its fields written once; at WARN when a person has to look. A tracing event's
        // level is part of its call site, so the two levels are two call sites.
        macro_rules! decision_line {
            ($level:expr) => {
                tracing::event!(
                    $level,
                    job_id,
                    pipeline,
                    verdict,
                    health_source,
                    regions,
                    services,
                    reason,
                    "gate decision"
                )
            };
        }
        // Breaking glass stands out in the logs as a person's doing, as it does on the topic.
        if outcome.needs_a_person() || matches!(outcome, GateOutcome::PassOverridden { .. }) {
            decision_line!(tracing::Level::WARN);
        } else {
            decision_line!(tracing::Level::INFO);
        }
        pipeguard_aws::metrics::decision(Self::NAME, verdict, Some(health_source));
        let reported = before(answer_by, self.codepipeline.report(job_id, &result))
            .await
            .unwrap_or_else(|| {
                Err(ReportError::OutOfTime {
                    job_id: job_id.to_owned(),
                })
            })?;
        // A duplicate invocation's result was not recorded: telling people about it could
        // contradict what CodePipeline shows.
        if reported == Reported::Recorded
            && let Some(notice) = gate::notice(&outcome, pipeline.as_deref().unwrap_or("(unknown pipeline)"))
            && before(answer_by, self.notifier.tell(&notice)).await.is_none()
        {
            tracing::warn!(
                job_id,
                "notification cut short by the invocation's deadline; the result stands"
            );
        }
        Ok(())
    }
}

/// Runs `work` until `deadline` (when there is one): None when the deadline came first.
async fn before<T>(deadline: Option<Instant>, work: impl Future<Output = T>) -> Option<T> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, work).await.ok(),
        None => Some(work.await),
    }
}

fn panic_text(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => match payload.downcast::<String>() {
            Ok(text) => format!("panic: {text}"),
            Err(payload) => payload
                .downcast::<&str>()
                .map_or_else(|_| "panic".to_owned(), |text| format!("panic: {text}")),
        },
        Err(error) => format!("task failed: {error}"),
    }
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
