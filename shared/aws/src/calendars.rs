//! AWS Systems Manager: the Change Calendars the gate watches (GetCalendarState), one call per
//! calendar (SSM answers CLOSED when any calendar named is, so one call would not say which),
//! all at once, each in its calendar's region. A region's client is built the first time it is
//! asked, so a gate that watches no calendar builds none and its cold start does not pay for it.

use crate::fan_out::every_answer;
use crate::sdk_failure::SdkFailure;
use aws_config::SdkConfig;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssm::operation::get_calendar_state::GetCalendarStateError;
use pipeguard_core::calendar::{
    CalendarAnswer, CalendarAsk, CalendarCallError, CalendarPlace, CalendarReading, CalendarReadings,
    CalendarState, CalendarsUnavailable, WatchedCalendar, asks, read_time,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Builds the SSM client of a region.
type ClientFor = Arc<dyn Fn(&str) -> aws_sdk_ssm::Client + Send + Sync>;

/// The Change Calendars of the gate's account, in any region.
pub struct ChangeCalendars {
    /// The region the gate runs in: where a watched name without an ARN is looked for.
    own_region: Option<String>,
    client_for: ClientFor,
    /// The clients built so far, by region.
    clients: Mutex<HashMap<String, aws_sdk_ssm::Client>>,
}

impl fmt::Debug for ChangeCalendars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeCalendars")
            .field("own_region", &self.own_region)
            .finish_non_exhaustive()
    }
}

impl ChangeCalendars {
    /// Calendars asked with `config`'s credentials, retries and endpoint, in `config`'s region
    /// and any other a watched ARN names.
    pub fn from_config(config: &SdkConfig) -> Self {
        let config = config.clone();
        Self::new(config.region().map(ToString::to_string), move |region: &str| {
            aws_sdk_ssm::Client::from_conf(
                aws_sdk_ssm::config::Builder::from(&config)
                    .region(aws_sdk_ssm::config::Region::new(region.to_owned()))
                    .build(),
            )
        })
    }

    /// Calendars asked through the clients `client_for` builds for a region (a test's mocks).
    pub fn new(
        own_region: Option<String>,
        client_for: impl Fn(&str) -> aws_sdk_ssm::Client + Send + Sync + 'static,
    ) -> Self {
        Self {
            own_region,
            client_for: Arc::new(client_for),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The client of `region`, built on first use.
    fn client(&self, region: &str) -> aws_sdk_ssm::Client {
        // A panic while the map was held cannot leave it half-written: insert is one step.
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients
            .entry(region.to_owned())
            .or_insert_with(|| (self.client_for)(region))
            .clone()
    }

    /// The state of every calendar `watched` names, as SSM answers for `own_account` (the
    /// job's, where the gate runs), each call within `budget`; the first call that fails (other
    /// than for a document that is no Change Calendar, which is an answer) is the error.
    pub async fn readings(
        &self,
        watched: &[WatchedCalendar],
        own_account: &str,
        budget: Duration,
    ) -> Result<CalendarReadings, CalendarsUnavailable> {
        let own = CalendarPlace {
            region: self.own_region.clone().unwrap_or_default(),
            account: own_account.to_owned(),
        };
        if self.own_region.is_none() {
            return Err(CalendarsUnavailable {
                name: watched
                    .first()
                    .map(|calendar| calendar.name.clone())
                    .unwrap_or_default(),
                place: own.clone(),
                error: CalendarCallError::NoRegion,
                known: CalendarReadings {
                    own,
                    calendars: Vec::new(),
                },
            });
        }
        let calls = asks(watched, &own).into_iter().map(|ask| {
            let client = self.client(&ask.place.region);
            async move {
                let (name, place) = (ask.name.clone(), ask.place.clone());
                tokio::time::timeout(budget, ask_state(client, ask))
                    .await
                    .unwrap_or(Err(CalendarCallError::Timeout))
                    .map(|reading| vec![reading])
                    .map_err(|error| (name, place, error))
            }
        });
        let (calendars, failed) = every_answer(calls).await;
        let readings = CalendarReadings { own, calendars };
        match failed {
            None => Ok(readings),
            Some((name, place, error)) => Err(CalendarsUnavailable {
                name,
                place,
                error,
                known: readings,
            }),
        }
    }
}

/// One calendar's state. A calendar is asked by its name in its own region: a client of one
/// region signed by one account sees only that region's documents of that account.
async fn ask_state(
    client: aws_sdk_ssm::Client,
    ask: CalendarAsk,
) -> Result<CalendarReading, CalendarCallError> {
    let answer = match client.get_calendar_state().calendar_names(&ask.name).send().await {
        Ok(output) => {
            // A time that does not read never costs the state: the calendar counts with no
            // opening known (a closed one then blocks, and a hold fails at once).
            let next_transition = output
                .next_transition_time()
                .filter(|text| !text.trim().is_empty())
                .and_then(|text| {
                    read_time(text)
                        .inspect_err(|error| {
                            tracing::warn!(calendar = %ask.name, %error, "NextTransitionTime does not read: no opening known")
                        })
                        .ok()
                });
            let state = output
                .state()
                .map(|state| CalendarState::from(state.as_str()))
                .ok_or_else(|| CalendarCallError::BadResponse("no State in the answer".into()))?;
            CalendarAnswer::State {
                state,
                next_transition,
            }
        }
        Err(error) => match error.as_service_error() {
            Some(GetCalendarStateError::InvalidDocument(invalid)) => {
                CalendarAnswer::NoSuchCalendar(said(invalid.message()))
            }
            Some(GetCalendarStateError::InvalidDocumentType(invalid)) => {
                CalendarAnswer::NotACalendar(said(invalid.message()))
            }
            Some(GetCalendarStateError::UnsupportedCalendarException(unsupported)) => {
                CalendarAnswer::NotACalendar(format!(
                    "its calendar entries are not supported: {}",
                    said(unsupported.message())
                ))
            }
            _ => return Err(call_error(error)),
        },
    };
    Ok(CalendarReading {
        name: ask.name,
        place: ask.place,
        answer,
    })
}

fn said(message: Option<&str>) -> String {
    message.unwrap_or("no message").to_owned()
}

/// Why one call could not answer, in the core's words (plain text: the core holds no SDK type).
fn call_error<E, R>(error: SdkError<E, R>) -> CalendarCallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    match SdkFailure::of(&error) {
        SdkFailure::Timeout => CalendarCallError::Timeout,
        SdkFailure::Unreachable(why) => CalendarCallError::Unreachable(why),
        SdkFailure::BadResponse(why) => CalendarCallError::BadResponse(why),
        SdkFailure::Refused { code, message } => match code.as_str() {
            "AccessDenied" | "AccessDeniedException" => CalendarCallError::AccessDenied(message),
            "Throttling" | "ThrottlingException" | "TooManyRequestsException" => {
                CalendarCallError::Throttled(message)
            }
            _ => CalendarCallError::Service { code, message },
        },
    }
}

#[cfg(test)]
#[path = "calendars_tests.rs"]
mod tests;
