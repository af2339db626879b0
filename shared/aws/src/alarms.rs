//! CloudWatch: the service's own alarms the gate watches (DescribeAlarms), metric and composite,
//! every page of every call the core plans (`alarm::queries`: a region and account at a time,
//! 100 names a call, one call per prefix), all at once. A region's client is built the first
//! time it is asked, so a gate that watches no alarm builds none.

use crate::fan_out::all_at_once;
use aws_config::SdkConfig;
use aws_sdk_cloudwatch::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatch::types::{AlarmType, CompositeAlarm, MetricAlarm};
use pipeguard_core::alarm::{
    AlarmAsk, AlarmCallError, AlarmKind, AlarmPlace, AlarmQuery, AlarmReading, AlarmReadings, AlarmState,
    AlarmsUnavailable, WatchedAlarm, queries,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The most alarms a page of DescribeAlarms holds.
const PAGE_SIZE: i32 = 100;

/// Builds the CloudWatch client of a region.
type ClientFor = Arc<dyn Fn(&str) -> aws_sdk_cloudwatch::Client + Send + Sync>;

/// The CloudWatch alarms of the gate's account, in any region.
pub struct CloudWatchAlarms {
    /// The region the gate runs in: where a watched name without an ARN is looked for.
    own_region: Option<String>,
    client_for: ClientFor,
    /// The clients built so far, by region.
    clients: Mutex<HashMap<String, aws_sdk_cloudwatch::Client>>,
}

impl fmt::Debug for CloudWatchAlarms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudWatchAlarms")
            .field("own_region", &self.own_region)
            .finish_non_exhaustive()
    }
}

impl CloudWatchAlarms {
    /// Alarms asked with `config`'s credentials, retries and endpoint, in `config`'s region and
    /// any other a watched ARN names.
    pub fn from_config(config: &SdkConfig) -> Self {
        let config = config.clone();
        Self::new(config.region().map(ToString::to_string), move |region: &str| {
            aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(&config)
                    .region(aws_sdk_cloudwatch::config::Region::new(region.to_owned()))
                    .build(),
            )
        })
    }

    /// Alarms asked through the clients `client_for` builds for a region (a test's mocks).
    pub fn new(
        own_region: Option<String>,
        client_for: impl Fn(&str) -> aws_sdk_cloudwatch::Client + Send + Sync + 'static,
    ) -> Self {
        Self {
            own_region,
            client_for: Arc::new(client_for),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The client of `region`, built on first use.
    fn client(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        // A panic while the map was held cannot leave it half-written: insert is one step.
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients
            .entry(region.to_owned())
            .or_insert_with(|| (self.client_for)(region))
            .clone()
    }

    /// Every alarm `watched` names, as CloudWatch answers for `own_account` (the job's, where
    /// the gate runs), each call within `budget`; the first call that fails is the error.
    pub async fn readings(
        &self,
        watched: &[WatchedAlarm],
        own_account: &str,
        budget: Duration,
    ) -> Result<AlarmReadings, AlarmsUnavailable> {
        let own = AlarmPlace {
            region: self.own_region.clone().unwrap_or_default(),
            account: own_account.to_owned(),
        };
        if self.own_region.is_none() {
            return Err(AlarmsUnavailable {
                place: own,
                error: AlarmCallError::NoRegion,
            });
        }
        let calls = queries(watched, &own).into_iter().map(|query| {
            let client = self.client(&query.place.region);
            async move {
                let place = query.place.clone();
                tokio::time::timeout(budget, ask(client, query))
                    .await
                    .unwrap_or(Err(AlarmCallError::Timeout))
                    .map_err(|error| AlarmsUnavailable { place, error })
            }
        });
        let alarms = all_at_once(calls).await?;
        Ok(AlarmReadings { own, alarms })
    }
}

/// One query, every page: metric and composite alarms (DescribeAlarms answers metric alarms
/// only unless asked for both).
async fn ask(
    client: aws_sdk_cloudwatch::Client,
    query: AlarmQuery,
) -> Result<Vec<AlarmReading>, AlarmCallError> {
    let request = client
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .max_records(PAGE_SIZE);
    let request = match &query.ask {
        AlarmAsk::Names(names) => request.set_alarm_names(Some(names.clone())),
        AlarmAsk::Prefix(prefix) => request.alarm_name_prefix(prefix),
    };
    let mut pages = request.into_paginator().send();
    let mut alarms = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(call_error)?;
        alarms.extend(
            page.metric_alarms()
                .iter()
                .map(|alarm| metric_reading(alarm, &query.place)),
        );
        alarms.extend(
            page.composite_alarms()
                .iter()
                .map(|alarm| composite_reading(alarm, &query.place)),
        );
    }
    Ok(alarms)
}

/// The fields both kinds of alarm share, as DescribeAlarms gives them.
struct Answered<'a> {
    name: Option<&'a str>,
    arn: Option<&'a str>,
    state: Option<&'a str>,
    reason: Option<&'a str>,
    transitioned: Option<&'a aws_sdk_cloudwatch::primitives::DateTime>,
    updated: Option<&'a aws_sdk_cloudwatch::primitives::DateTime>,
}

fn metric_reading(alarm: &MetricAlarm, asked: &AlarmPlace) -> AlarmReading {
    reading(
        AlarmKind::Metric,
        Answered {
            name: alarm.alarm_name(),
            arn: alarm.alarm_arn(),
            state: alarm.state_value().map(|state| state.as_str()),
            reason: alarm.state_reason(),
            transitioned: alarm.state_transitioned_timestamp(),
            updated: alarm.state_updated_timestamp(),
        },
        asked,
    )
}

fn composite_reading(alarm: &CompositeAlarm, asked: &AlarmPlace) -> AlarmReading {
    reading(
        AlarmKind::Composite,
        Answered {
            name: alarm.alarm_name(),
            arn: alarm.alarm_arn(),
            state: alarm.state_value().map(|state| state.as_str()),
            reason: alarm.state_reason(),
            transitioned: alarm.state_transitioned_timestamp(),
            updated: alarm.state_updated_timestamp(),
        },
        asked,
    )
}

/// An alarm in the core's words. Where it lives is where it was asked: a client of one region
/// signed by one account sees only that region's alarms of that account. Since when is the
/// state's last transition (a reason can be updated without one), else its last update.
fn reading(kind: AlarmKind, answered: Answered, asked: &AlarmPlace) -> AlarmReading {
    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
    AlarmReading {
        name: text(answered.name),
        arn: text(answered.arn),
        place: asked.clone(),
        kind,
        // An alarm without a state never blocks on it, and one with a state this version does
        // not know is kept as sent.
        state: AlarmState::from(answered.state.unwrap_or_default()),
        reason: text(answered.reason),
        since: answered.transitioned.or(answered.updated).map(|time| time.secs()),
    }
}

/// Why one call could not answer, in the core's words (plain text: the core holds no SDK type).
fn call_error<E, R>(error: SdkError<E, R>) -> AlarmCallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    match &error {
        SdkError::TimeoutError(_) => AlarmCallError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => AlarmCallError::Timeout,
        SdkError::DispatchFailure(_) => AlarmCallError::Unreachable(DisplayErrorContext(&error).to_string()),
        SdkError::ResponseError(_) | SdkError::ConstructionFailure(_) => {
            AlarmCallError::BadResponse(DisplayErrorContext(&error).to_string())
        }
        _ => {
            let code = error.code().unwrap_or("UnknownError").to_owned();
            let message = error.message().unwrap_or("no message").to_owned();
            match code.as_str() {
                "AccessDenied" | "AccessDeniedException" => AlarmCallError::AccessDenied(message),
                "Throttling"
                | "ThrottlingException"
                | "TooManyRequestsException"
                | "RequestLimitExceeded" => AlarmCallError::Throttled(message),
                _ => AlarmCallError::Service { code, message },
            }
        }
    }
}

#[cfg(test)]
#[path = "alarms_tests.rs"]
mod tests;
