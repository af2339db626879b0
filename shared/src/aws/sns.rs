//! SNS: publishing notices to the topic people subscribe to, in one message with a form for
//! each kind of subscriber (SNS's per-protocol message structure): the text for email and
//! everything else, and a custom notification for chat, whose subscription is HTTPS.

use crate::notice::Notice;
use aws_sdk_sns::error::DisplayErrorContext;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
#[error("could not publish \"{subject}\" to {topic_arn}: {cause}")]
pub struct NotifyError {
    pub subject: String,
    pub topic_arn: String,
    pub cause: String,
}

/// Publishes notices to `NOTIFY_TOPIC_ARN`, or does nothing when it is not set.
#[derive(Debug, Clone)]
pub struct Notifier {
    client: aws_sdk_sns::Client,
    topic_arn: Option<String>,
}

impl Notifier {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: Option<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.filter(|arn| !arn.trim().is_empty()),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.topic_arn.is_some()
    }

    pub async fn publish(&self, notice: &Notice) -> Result<(), NotifyError> {
        let Some(topic_arn) = &self.topic_arn else {
            return Ok(());
        };
        let region = self.client.config().region().map(|region| region.to_string());
        let link = region.and_then(|region| notice.console_link(&region));
        let text = notice.email_text(link.as_deref());
        let forms = json!({
            "default": text,
            "email": text,
            "https": notice.chat_message(link.as_deref()).to_string(),
        });
        self.client
            .publish()
            .topic_arn(topic_arn)
            .subject(&notice.subject)
            .message_structure("json")
            .message(forms.to_string())
            .send()
            .await
            .map(drop)
            .map_err(|error| NotifyError {
                subject: notice.subject.clone(),
                topic_arn: topic_arn.clone(),
                cause: DisplayErrorContext(&error).to_string(),
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
