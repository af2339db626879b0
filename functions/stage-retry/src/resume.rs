//! Held stages end by themselves: every AWS Health event is recorded before anything acts on
//! it, a closing event (or an unfreeze) resumes the stages it held, and the sweep's schedule
//! re-checks every held stage, so a hold ends even when its closing event was lost or could not
//! be acted on, when a freeze reaches its end time, and when a deployment window opens.

use crate::handler::Retrier;
use crate::invocation::Invocation;
use pipeguard_aws::Recorded;
use pipeguard_aws::lambda::InvocationError;
use pipeguard_core::alarm::{AlarmPattern, AlarmPlace, AlarmReading, WatchedAlarm};
use pipeguard_core::freeze::RecordedFreezes;
use pipeguard_core::health::{EventStatus, HealthRecord};
use pipeguard_core::hold::{EventRef, GateActions, HeldAlarm, Hold};
use pipeguard_core::holder::{self, AlarmsKnown, FreezesKnown, HolderState, Known, Release};
use pipeguard_core::overrides::{Override, RecordedOverrides};
use pipeguard_core::pipeline::{RetryMode, StageSnapshot};
use pipeguard_core::retry::{self, Released, RetryVerdict};

/// What the sweep keeps of its invocation's time when it backfills the index: the marker's last
/// write, and the answer to Lambda.
const BACKFILL_MARGIN: std::time::Duration = std::time::Duration::from_secs(5);
/// How long the backfill may take when the runtime gives no deadline (local runs).
const BACKFILL_WITHOUT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);
/// Why a hold's freezes are not known without the table.
const NO_FREEZES_TABLE: &str = "the freezes cannot be read here";
/// How long CloudWatch may take to say whether held alarms are OK again, per call.
const ALARMS_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// What people set in the table, each read at most once an invocation and only when needed:
/// the freezes when a hold names one, the overrides when a stage is held; and what CloudWatch
/// says of the held alarms, each asked at most once an invocation.
#[derive(Default)]
pub(crate) struct TableRead {
    freezes: Option<RecordedFreezes>,
    overrides: Option<RecordedOverrides>,
    alarms_asked: Vec<HeldAlarm>,
    alarms: Vec<AlarmReading>,
    /// Why CloudWatch could not say, once it could not: not asked again this invocation.
    alarms_unread: Option<String>,
}

impl Retrier {
    /// Records the update (when there is an event store), then, if the event closed, resumes
    /// the stages it held: never before the closing is recorded, so a gate that runs right
    /// after the resume sees the event closed.
    pub(crate) async fn on_health_event(
        &self,
        invocation: &Invocation<'_>,
        record: &HealthRecord,
    ) -> Result<(), InvocationError> {
        let event = &record.event;
        if let Some(store) = self.health.store() {
            let outcome = match store.record(record, invocation.own_account).await? {
                Recorded::Stored => "recorded",
                Recorded::Outdated => "already recorded (this update or a newer one)",
            };
            tracing::info!(event_arn = %event.arn, account = event.account.as_deref(), region = %event.region, status = %event.status, backup = record.backup, outcome, "AWS Health event");
        }
        if event.status == EventStatus::Closed {
            let closed = EventRef {
                arn: &event.arn,
                account: event.account.as_deref(),
            };
            self.resume_held(invocation, Some(Release::EventClosed(closed)))
                .await?;
        }
        Ok(())
    }

    /// The schedule: every held stage nothing holds any more resumes. Then, until the event
    /// store's index of what can block is complete, the events recorded before it are given
    /// their key, in what is left of the invocation but a margin (`deadline`: milliseconds since
    /// the epoch; none in local runs).
    pub(crate) async fn sweep(
        &self,
        invocation: &Invocation<'_>,
        deadline: u64,
    ) -> Result<(), InvocationError> {
        self.resume_held(invocation, None).await?;
        let Some(store) = self.health.store() else {
            return Ok(());
        };
        let time_left = pipeguard_aws::lambda::time_left(deadline).unwrap_or(BACKFILL_WITHOUT_DEADLINE);
        let until = tokio::time::Instant::now() + time_left.saturating_sub(BACKFILL_MARGIN);
        let backfill = store.backfill_open_index(invocation.own_account, until).await?;
        if backfill.scanned > 0 || !backfill.complete {
            tracing::info!(
                scanned = backfill.scanned,
                keyed = backfill.keyed,
                complete = backfill.complete,
                "the event store's index of what can block: events recorded before it given their key"
            );
        }
        Ok(())
    }

    /// What still holds `pipeline`'s stage now, each as people read it: its AWS Health events
    /// not closed, its freezes that still hold the pipeline, its deployment schedule not open.
    pub(crate) async fn still_holding(
        &self,
        invocation: &Invocation<'_>,
        hold: &Hold,
        release: Option<Release<'_>>,
        table: &mut TableRead,
        pipeline: &str,
    ) -> Result<Vec<String>, InvocationError> {
        let closed = self.health.closed(hold, invocation.own_account).await?;
        let now = pipeguard_aws::clock::unix_seconds();
        // Owned: the freezes are read through the same cache below.
        let in_force: Vec<Override> = self
            .overrides(table)
            .await
            .active_for(pipeline, now)
            .cloned()
            .collect();
        let in_force: Vec<&Override> = in_force.iter().collect();
        self.ask_alarms(hold, invocation.own_account, table).await;
        // Copied out: the freezes below are read through the same cache.
        let (readings, unread) = (table.alarms.clone(), table.alarms_unread.clone());
        let alarms = match &unread {
            Some(why) => AlarmsKnown::Unreadable(why),
            None => AlarmsKnown::Read {
                account: invocation.own_account,
                readings: &readings,
            },
        };
        let known = Known {
            events_closed: Ok(&closed),
            release,
            freezes: self.freezes_for(hold, table).await?,
            alarms,
            overrides: &in_force,
        };
        Ok(holder::holders_now(hold, &known, pipeline, now)
            .iter()
            .filter(|state| state.still_holds())
            .map(HolderState::describe)
            .collect())
    }

    /// Asks CloudWatch about the alarms of the stack's account that `hold` names and no earlier
    /// hold of this invocation did, all in one go (100 names a call, per region). Another
    /// account's alarm is not asked: its clearing event resumes the stage.
    async fn ask_alarms(&self, hold: &Hold, own_account: &str, read: &mut TableRead) {
        let unasked: Vec<HeldAlarm> = hold
            .alarms
            .iter()
            .filter(|alarm| alarm.account == own_account && !read.alarms_asked.contains(alarm))
            .cloned()
            .collect();
        if unasked.is_empty() || read.alarms_unread.is_some() {
            return;
        }
        let watched: Vec<WatchedAlarm> = unasked
            .iter()
            .map(|alarm| WatchedAlarm {
                pattern: AlarmPattern::Exact(alarm.name.clone()),
                place: Some(AlarmPlace {
                    region: alarm.region.clone(),
                    account: alarm.account.clone(),
                }),
            })
            .collect();
        match self
            .alarms
            .readings(&watched, own_account, None, ALARMS_BUDGET)
            .await
        {
            Ok(answered) => {
                read.alarms.extend(answered.alarms);
                read.alarms_asked.extend(unasked);
            }
            Err(error) => {
                tracing::warn!(%error, "CloudWatch could not say whether held alarms are OK again: their stages stay held");
                read.alarms_unread = Some(format!("CloudWatch could not be asked: {error}"));
            }
        }
    }

    /// The freezes, as far as they are known here, when the hold names any: read once an
    /// invocation from the table, or unreadable without one.
    async fn freezes_for<'a>(
        &self,
        hold: &Hold,
        read: &'a mut TableRead,
    ) -> Result<FreezesKnown<'a>, InvocationError> {
        if hold.freezes.is_empty() && !hold.holds_by_every_freeze() {
            return Ok(FreezesKnown::Read(RecordedFreezes::NONE));
        }
        let Some(store) = &self.freezes else {
            return Ok(FreezesKnown::Unreadable(NO_FREEZES_TABLE));
        };
        if read.freezes.is_none() {
            read.freezes = Some(store.all().await?);
        }
        Ok(read
            .freezes
            .as_ref()
            .map_or(FreezesKnown::Unreadable(NO_FREEZES_TABLE), FreezesKnown::Read))
    }

    /// The overrides, read once an invocation from the table: none without one, or when they
    /// cannot be read (then what they cover stays held, and the sweep asks again).
    async fn overrides<'a>(&self, read: &'a mut TableRead) -> &'a RecordedOverrides {
        if read.overrides.is_none() {
            let recorded = match &self.overrides {
                Some(store) => store.all().await.unwrap_or_else(|error| {
                    tracing::warn!(%error, "the overrides could not be read: what they cover stays held");
                    RecordedOverrides::default()
                }),
                None => RecordedOverrides::default(),
            };
            read.overrides = Some(recorded);
        }
        read.overrides.get_or_insert_default()
    }

    /// An override was granted: the stages of its pipeline held only by what it covers resume,
    /// when the table holds it in force for that pipeline. The event is not believed: its id
    /// is looked up, and the override's own kinds are used.
    pub(crate) async fn on_override(
        &self,
        invocation: &Invocation<'_>,
        override_id: &str,
        pipeline: &str,
    ) -> Result<(), InvocationError> {
        let Some(store) = &self.overrides else {
            tracing::warn!(
                override_id,
                "an override was announced, but there is no table to read it from"
            );
            return Ok(());
        };
        let now = pipeguard_aws::clock::unix_seconds();
        let recorded = store.all().await?;
        let Some(granted) = recorded
            .active_for(pipeline, now)
            .find(|granted| granted.id == override_id)
        else {
            tracing::warn!(
                override_id,
                pipeline,
                "an announced override is not in force for that pipeline in the table: nothing resumes"
            );
            return Ok(());
        };
        tracing::info!(
            override_id,
            pipeline,
            "override granted: resuming the stages held only by what it covers"
        );
        let release = Release::Overridden {
            pipeline: &granted.pipeline,
            kinds: &granted.kinds,
        };
        self.resume_held(invocation, Some(release)).await
    }

    /// A stage resumed now, for the release notice: how long it was held, and by whose freezes.
    pub(crate) async fn released(
        &self,
        pipeline: &str,
        stage: &str,
        hold: &Hold,
        table: &mut TableRead,
    ) -> Released {
        let held_by = match self.freezes_for(hold, table).await {
            Ok(FreezesKnown::Read(recorded)) => recorded
                .freezes
                .iter()
                .filter(|freeze| hold.freezes.contains(&freeze.id))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        Released::new(
            pipeline,
            stage,
            hold.since,
            pipeguard_aws::clock::unix_seconds(),
            held_by,
        )
    }

    /// Resumes the held stages of the managed pipelines (only those `release` was part of, when
    /// given) that nothing holds any more, and tells people which resumed. One pipeline that
    /// cannot be read does not keep the others from resuming; its error still fails the
    /// invocation afterwards, so the event is delivered again (or kept in the dead-letter queue).
    pub(crate) async fn resume_held(
        &self,
        invocation: &Invocation<'_>,
        release: Option<Release<'_>>,
    ) -> Result<(), InvocationError> {
        let managed = &invocation.policies.managed_pipelines;
        // An override is about one pipeline: only it is looked at, if stage-retry manages it.
        let pipelines = match release.and_then(|release| release.pipeline()) {
            Some(only) if managed.selects(only) => vec![only.to_owned()],
            Some(_) => Vec::new(),
            None => self.codepipeline.selected_pipelines(managed).await?,
        };
        let (mut released, mut first_error) = (Vec::new(), None);
        let mut table = TableRead::default();
        for pipeline in &pipelines {
            if let Err(error) = self
                .resume_in(invocation, pipeline, release, &mut table, &mut released)
                .await
            {
                tracing::warn!(pipeline = %pipeline, %error, "could not look for stages to resume");
                first_error.get_or_insert(error);
            }
        }
        let trigger = describe(release);
        tracing::info!(
            trigger,
            checked = pipelines.len(),
            resumed = released.len(),
            "held stages checked"
        );
        // Told even when a pipeline failed: the stages resumed are no longer held, and the
        // redelivery would not find them to tell.
        if let Some(notice) = retry::release_notice(&released, &trigger) {
            self.notifier.tell(&notice).await;
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Resumes the held stages of one pipeline that may resume, adding each to `released`.
    async fn resume_in(
        &self,
        invocation: &Invocation<'_>,
        pipeline: &str,
        release: Option<Release<'_>>,
        table: &mut TableRead,
        released: &mut Vec<Released>,
    ) -> Result<(), InvocationError> {
        let stages = self.codepipeline.stages(pipeline).await?;
        let gates = self.gate_actions(invocation, pipeline, &stages).await?;
        let policy = invocation.policies.for_pipeline(pipeline);
        for (stage, hold) in retry::held_stages(&stages, release, &gates) {
            if retry::resumes_used_up(policy, stage) {
                // Its failure was given up on, and people told, when it arrived (`decide`).
                tracing::debug!(pipeline, stage = %stage.name, "held stage not resumed: its resumes are used up");
                continue;
            }
            let holding = self
                .still_holding(invocation, &hold, release, table, pipeline)
                .await?;
            if !holding.is_empty() {
                let execution_id = stage.execution_id.as_deref().unwrap_or_default();
                Self::decided(
                    pipeline,
                    execution_id,
                    Some(&stage.name),
                    &RetryVerdict::Held { by: holding },
                );
                continue;
            }
            let reason = format!("{}, and nothing else holds it", describe(release));
            if self.resume(pipeline, stage, policy.retry_mode, &reason).await? {
                released.push(self.released(pipeline, &stage.name, &hold, table).await);
            }
        }
        Ok(())
    }

    /// The actions of `pipeline` that invoke the stack's gates, from its structure, asked only
    /// when one of `stages` carries a hold marker and some gate is known.
    pub(crate) async fn gate_actions(
        &self,
        invocation: &Invocation<'_>,
        pipeline: &str,
        stages: &[StageSnapshot],
    ) -> Result<GateActions, InvocationError> {
        let gate_functions = &invocation.policies.gate_functions;
        if gate_functions.is_empty() || !stages.iter().any(retry::carries_marker) {
            return Ok(GateActions::default());
        }
        let declared = self.codepipeline.declared_actions(pipeline).await?;
        Ok(GateActions::of(&declared, gate_functions))
    }

    /// Retries a held stage's failed execution; false when someone already did.
    pub(crate) async fn resume(
        &self,
        pipeline: &str,
        stage: &StageSnapshot,
        mode: RetryMode,
        reason: &str,
    ) -> Result<bool, InvocationError> {
        let execution_id = stage.execution_id.as_deref().unwrap_or_default();
        let outcome = self
            .codepipeline
            .retry_stage(pipeline, &stage.name, execution_id, mode)
            .await?;
        let resumed = RetryVerdict::Resumed {
            because: reason.to_owned(),
        };
        let verdict = RetryVerdict::after(outcome, resumed);
        Self::decided(pipeline, execution_id, Some(&stage.name), &verdict);
        Ok(matches!(verdict, RetryVerdict::Resumed { .. }))
    }
}

/// What ended, for the log and the release notice.
fn describe(release: Option<Release>) -> String {
    release.map_or_else(
        || "the sweep found what held them had ended".into(),
        |release| release.describe(),
    )
}
