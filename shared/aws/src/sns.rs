//! SNS: publishing notices to the topic people subscribe to, in one message with a form for
//! each kind of subscriber (SNS's per-protocol message structure): the text for email and
//! everything else, and a custom notification for chat, whose subscription is HTTPS.

use crate::env::Environment;
use aws_config::SdkConfig;
use aws_sdk_sns::error::DisplayErrorContext;
use pipeguard_core::notice::Notice;
use serde_json::json;
use std::sync::OnceLock;

/// SNS takes at most 256 KiB a message, all forms together, with room left for the subject.
const MAX_MESSAGE_BYTES: usize = 250 * 1024;
/// A body short enough that its three forms fit in any script, for the rare notice whose full
/// body does not.
const SHORTENED_BODY_CHARS: usize = 4_000;

/// The message with a form for each kind of subscriber, as SNS's JSON message structure.
fn message_forms(notice: &Notice, region: Option<&str>) -> String {
    let link = region.and_then(|region| notice.console_link(region));
    let text = notice.email_text(link.as_deref());
    json!({
        "default": text,
        "email": text,
        "https": notice.chat_message(link.as_deref()).to_string(),
    })
    .to_string()
}

/// A notice SNS did not take.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not publish \"{subject}\" to {topic_arn}: {}",
    DisplayErrorContext(cause)
)]
pub struct NotifyError {
    /// The notice's subject.
    pub subject: String,
    /// The topic.
    pub topic_arn: String,
    /// What the SDK answered, typed for matching. The message gives it with its chain, so it is
    /// not also the error's `source()`, which would print it twice.
    pub cause: Box<aws_sdk_sns::Error>,
}

/// The SNS client: given, or built when the first notice is published. Most decisions tell no
/// one, and building a client of a service first loads its endpoint rules (the partitions'
/// table, its patterns compiled): a cold start that passes a deploy does without.
#[derive(Debug, Clone)]
enum SnsClient {
    Ready(aws_sdk_sns::Client),
    OnFirstNotice(Box<SdkConfig>, OnceLock<aws_sdk_sns::Client>),
}

impl SnsClient {
    fn get(&self) -> &aws_sdk_sns::Client {
        match self {
            Self::Ready(client) => client,
            Self::OnFirstNotice(config, built) => built.get_or_init(|| aws_sdk_sns::Client::new(config)),
        }
    }
}

/// Publishes notices to `NOTIFY_TOPIC_ARN`, or does nothing when it is not set.
#[derive(Debug, Clone)]
pub struct Notifier {
    client: SnsClient,
    topic_arn: Option<String>,
}

impl Notifier {
    /// Publishes to `topic_arn` through `client`; None, silent.
    pub fn new(client: aws_sdk_sns::Client, topic_arn: Option<String>) -> Self {
        Self {
            client: SnsClient::Ready(client),
            topic_arn,
        }
    }

    /// The notifier for `NOTIFY_TOPIC_ARN` (silent when it is unset), its client built with
    /// `config` when the first notice is published.
    pub fn from_env(config: &SdkConfig, env: &Environment) -> Self {
        Self {
            client: SnsClient::OnFirstNotice(Box::new(config.clone()), OnceLock::new()),
            topic_arn: env.get("NOTIFY_TOPIC_ARN"),
        }
    }

    /// Whether the SNS client has been built (tests: not before the first notice).
    #[cfg(test)]
    fn client_built(&self) -> bool {
        match &self.client {
            SnsClient::Ready(_) => true,
            SnsClient::OnFirstNotice(_, built) => built.get().is_some(),
        }
    }

    /// Whether notices go anywhere.
    pub fn is_enabled(&self) -> bool {
        self.topic_arn.is_some()
    }

    /// Publishes `notice` once (shortened when it would not fit one message); nothing when
    /// there is no topic.
    pub async fn publish(&self, notice: &Notice) -> Result<(), NotifyError> {
        let Some(topic_arn) = &self.topic_arn else {
            return Ok(());
        };
        let client = self.client.get();
        let region = client.config().region().map(|region| region.to_string());
        let forms = match message_forms(notice, region.as_deref()) {
            forms if forms.len() <= MAX_MESSAGE_BYTES => forms,
            _ => message_forms(&notice.shortened(SHORTENED_BODY_CHARS), region.as_deref()),
        };
        client
            .publish()
            .topic_arn(topic_arn)
            .subject(&notice.subject)
            .message_structure("json")
            .message(forms)
            // Retrying a publish whose answer was lost would tell people twice.
            .customize()
            .config_override(
                aws_sdk_sns::config::Builder::default().retry_classifier(crate::retry::OnlyThrottlingRetried),
            )
            .send()
            .await
            .map(drop)
            .map_err(|error| NotifyError {
                subject: notice.subject.clone(),
                topic_arn: topic_arn.clone(),
                cause: Box::new(error.into()),
            })
    }

    /// Publishes, and logs rather than fails when it cannot: a notice never undoes the
    /// decision it reports.
    pub async fn tell(&self, notice: &Notice) {
        if let Err(error) = self.publish(notice).await {
            tracing::warn!(%error, "notification not sent; the decision stands");
        }
    }
}

#[cfg(test)]
#[path = "sns_tests.rs"]
mod tests;
