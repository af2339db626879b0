//! Messages for people, published to an SNS topic (and from there to email or chat).

use crate::text::truncate_chars;
use aws_sdk_sns::error::DisplayErrorContext;

/// SNS subjects are at most 100 characters of printable ASCII on one line.
const MAX_SUBJECT_CHARS: usize = 100;
/// SNS messages are at most 256 KB; staying well below leaves room for the envelope.
const MAX_BODY_CHARS: usize = 60_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub subject: String,
    pub body: String,
}

impl Notice {
    pub fn new(subject: &str, body: &str) -> Self {
        let mut printable: String = subject
            .chars()
            .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
            .collect();
        if printable.len() > MAX_SUBJECT_CHARS {
            printable.truncate(MAX_SUBJECT_CHARS - 3);
            printable.push_str("...");
        }
        Self {
            subject: printable,
            body: truncate_chars(body, MAX_BODY_CHARS),
        }
    }
}

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
        self.client
            .publish()
            .topic_arn(topic_arn)
            .subject(&notice.subject)
            .message(&notice.body)
            .send()
            .await
            .map(drop)
            .map_err(|error| NotifyError {
                subject: notice.subject.clone(),
                topic_arn: topic_arn.clone(),
                cause: DisplayErrorContext(&error).to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sns::operation::publish::PublishOutput;
    use aws_smithy_mocks::{mock, mock_client};

    #[test]
    fn subjects_are_one_line_of_printable_ascii_within_the_limit() {
        let notice = Notice::new(&format!("pipeguard: déploiement\n{}", "x".repeat(200)), "body");
        assert_eq!(notice.subject.chars().count(), MAX_SUBJECT_CHARS);
        assert!(notice.subject.chars().all(|c| c.is_ascii_graphic() || c == ' '));
        assert!(notice.subject.starts_with("pipeguard: d?ploiement?x"));
    }

    #[tokio::test]
    async fn publishes_subject_and_body_to_the_topic() {
        let publish = mock!(aws_sdk_sns::Client::publish)
            .match_requests(|request| {
                request.topic_arn() == Some("arn:aws:sns:eu-west-1:123456789012:pipeguard")
                    && request.subject() == Some("held")
                    && request.message() == Some("why")
            })
            .then_output(|| PublishOutput::builder().message_id("1").build());
        let client = mock_client!(aws_sdk_sns, [&publish]);
        let notifier = Notifier::new(
            client,
            Some("arn:aws:sns:eu-west-1:123456789012:pipeguard".into()),
        );
        notifier.publish(&Notice::new("held", "why")).await.unwrap();
        assert_eq!(publish.num_calls(), 1);
    }

    #[tokio::test]
    async fn without_a_topic_nothing_is_sent() {
        let publish = mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().build());
        let client = mock_client!(aws_sdk_sns, [&publish]);
        let notifier = Notifier::new(client, Some("  ".into()));
        assert!(!notifier.is_enabled());
        notifier.publish(&Notice::new("held", "why")).await.unwrap();
        assert_eq!(publish.num_calls(), 0);
    }
}
