//! CloudWatch: the service's own alarms the gate watches (DescribeAlarms), metric and composite,
//! every page of every call the core plans (`alarm::queries`: a region and account at a time,
//! 100 names a call, one call per prefix), all at once. A region's client is built the first
//! time it is asked, so a gate that watches no alarm builds none; another account's alarms are
//! read with the credentials of the read-only role the policy names there (STS AssumeRole,
//! refreshed by the SDK before they expire).

use crate::fan_out::every_answer;
use crate::sdk_failure::SdkFailure;
use aws_config::SdkConfig;
use aws_sdk_cloudwatch::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatch::types::{AlarmType, CompositeAlarm, MetricAlarm};
use pipeguard_core::alarm::{
    AlarmAsk, AlarmCallError, AlarmKind, AlarmPlace, AlarmQuery, AlarmReading, AlarmReadings, AlarmState,
    AlarmsUnavailable, WatchedAlarm, queries, role_arn,
};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The most alarms a page of DescribeAlarms holds.
const PAGE_SIZE: i32 = 100;
/// The session name the gate's role sessions in other accounts carry (their CloudTrail shows it).
const ROLE_SESSION: &str = "pipeguard-gate";

/// Builds the CloudWatch client of a region.
type ClientFor = Arc<dyn Fn(&str) -> aws_sdk_cloudwatch::Client + Send + Sync>;
/// Builds the CloudWatch client of a region signed as a role (by its ARN) in another account.
type AssumedClientFor = Arc<
    dyn Fn(String, String) -> Pin<Box<dyn Future<Output = aws_sdk_cloudwatch::Client> + Send>> + Send + Sync,
>;

/// The CloudWatch alarms of the gate's account, in any region, and of other accounts through a
/// role there.
pub struct CloudWatchAlarms {
    /// The region the gate runs in: where a watched name without an ARN is looked for.
    own_region: Option<String>,
    client_for: ClientFor,
    assumed_client_for: AssumedClientFor,
    /// The clients built so far, by region and the role they sign as (None: the gate's own).
    clients: Mutex<HashMap<(String, Option<String>), aws_sdk_cloudwatch::Client>>,
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
        let own = config.clone();
        let assuming = config.clone();
        Self::new(own.region().map(ToString::to_string), move |region: &str| {
            aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(&own)
                    .region(aws_sdk_cloudwatch::config::Region::new(region.to_owned()))
                    .build(),
            )
        })
        .assuming_with(move |region, role_arn| {
            let config = assuming.clone();
            Box::pin(async move {
                // STS in the gate's own region and endpoint; the SDK caches the role's
                // credentials with the client and refreshes them before they expire.
                let role = aws_config::sts::AssumeRoleProvider::builder(role_arn)
                    .session_name(ROLE_SESSION)
                    .configure(&config)
                    .build()
                    .await;
                aws_sdk_cloudwatch::Client::from_conf(
                    aws_sdk_cloudwatch::config::Builder::from(&config)
                        .region(aws_sdk_cloudwatch::config::Region::new(region))
                        .credentials_provider(role)
                        .build(),
                )
            })
        })
    }

    /// Alarms asked through the clients `client_for` builds for a region (a test's mocks).
    pub fn new(
        own_region: Option<String>,
        client_for: impl Fn(&str) -> aws_sdk_cloudwatch::Client + Send + Sync + 'static,
    ) -> Self {
        let client_for: ClientFor = Arc::new(client_for);
        let own = Arc::clone(&client_for);
        Self {
            own_region,
            client_for,
            // Without a way to sign as another account, its alarms are asked as this one, which
            // has none of them: they are reported as matching no alarm.
            assumed_client_for: Arc::new(move |region, _| {
                let client = own(&region);
                Box::pin(async move { client })
            }),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// These alarms, with another account's asked through the client `assumed_client_for`
    /// builds for a region and a role's ARN (a test's mocks).
    pub fn assuming_with(
        mut self,
        assumed_client_for: impl Fn(
            String,
            String,
        ) -> Pin<Box<dyn Future<Output = aws_sdk_cloudwatch::Client> + Send>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.assumed_client_for = Arc::new(assumed_client_for);
        self
    }

    /// The client of `region`, signed as `role` (an ARN) or as the gate, built on first use.
    async fn client(&self, region: &str, role: Option<String>) -> aws_sdk_cloudwatch::Client {
        let key = (region.to_owned(), role);
        // A panic while the map was held cannot leave it half-written: insert is one step.
        let built = self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(client) = built {
            return client;
        }
        let client = match &key.1 {
            None => (self.client_for)(region),
            Some(role) => (self.assumed_client_for)(region.to_owned(), role.clone()).await,
        };
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert(client)
            .clone()
    }

    /// Every alarm `watched` names, as CloudWatch answers for `own_account` (the job's, where
    /// the gate runs) and, through the role named `role` in each, for other accounts; each call
    /// within `budget`; the first call that fails is the error.
    pub async fn readings(
        &self,
        watched: &[WatchedAlarm],
        own_account: &str,
        role: Option<&str>,
        budget: Duration,
    ) -> Result<AlarmReadings, AlarmsUnavailable> {
        let own = AlarmPlace {
            region: self.own_region.clone().unwrap_or_default(),
            account: own_account.to_owned(),
        };
        if self.own_region.is_none() {
            return Err(AlarmsUnavailable {
                place: own.clone(),
                error: AlarmCallError::NoRegion,
                known: AlarmReadings {
                    own,
                    alarms: Vec::new(),
                },
            });
        }
        let mut calls = Vec::new();
        for query in queries(watched, &own) {
            let signed_as = (query.place.account != own.account)
                .then(|| role.map(|role| role_arn(&query.place, role)))
                .flatten();
            // Building a client asks nothing yet (a role's credentials come with its first call).
            let client = self.client(&query.place.region, signed_as).await;
            calls.push(async move {
                let place = query.place.clone();
                tokio::time::timeout(budget, ask(client, query))
                    .await
                    .unwrap_or(Err(AlarmCallError::Timeout))
                    .map_err(|error| (place, error))
            });
        }
        let (alarms, failed) = every_answer(calls).await;
        let readings = AlarmReadings { own, alarms };
        match failed {
            None => Ok(readings),
            Some((place, error)) => Err(AlarmsUnavailable {
                place,
                error,
                known: readings,
            }),
        }
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
    R: fmt::Debug + 'static,
{
    if let Some(refused) = role_refusal(&error) {
        return AlarmCallError::RoleRefused(refused);
    }
    match SdkFailure::of(&error) {
        SdkFailure::Timeout => AlarmCallError::Timeout,
        SdkFailure::Unreachable(why) => AlarmCallError::Unreachable(why),
        SdkFailure::BadResponse(why) => AlarmCallError::BadResponse(why),
        SdkFailure::Refused { code, message } => match code.as_str() {
            "AccessDenied" | "AccessDeniedException" => AlarmCallError::AccessDenied(message),
            "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
                AlarmCallError::Throttled(message)
            }
            _ => AlarmCallError::Service { code, message },
        },
    }
}

/// What STS answered, when the call failed because the role's credentials could not be had:
/// the credentials provider's error is in the call's chain of sources.
fn role_refusal(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    type AssumeRoleFailure = SdkError<
        aws_sdk_sts::operation::assume_role::AssumeRoleError,
        aws_sdk_sts::config::http::HttpResponse,
    >;
    let mut next = Some(error);
    while let Some(current) = next {
        // Only STS's own answer is a refusal; a timeout or a dropped call is not.
        if let Some(refused @ SdkError::ServiceError(_)) = current.downcast_ref::<AssumeRoleFailure>() {
            return Some(match (refused.code(), refused.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                _ => DisplayErrorContext(refused).to_string(),
            });
        }
        next = current.source();
    }
    None
}

#[cfg(test)]
#[path = "alarms_tests.rs"]
mod tests;
