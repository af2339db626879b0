use super::*;
use aws_sdk_sns::error::ErrorMetadata;
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_smithy_mocks::{mock, mock_client};

/// The form of a published message for one protocol.
fn form(request: &aws_sdk_sns::operation::publish::PublishInput, protocol: &str) -> Option<String> {
    let forms: serde_json::Value = serde_json::from_str(request.message()?).ok()?;
    forms[protocol].as_str().map(str::to_owned)
}

#[tokio::test]
async fn publishes_subject_and_body_to_the_topic() {
    let publish = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|request| {
            request.topic_arn() == Some("arn:aws:sns:eu-west-1:123456789012:pipeguard")
                && request.subject() == Some("held")
                && request.message_structure() == Some("json")
                && form(request, "default").as_deref() == Some("why")
                && form(request, "email").as_deref() == Some("why")
                && form(request, "https").is_some_and(|chat| chat.contains(r#""source":"custom""#))
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
    let notifier = Notifier::new(client, None);
    assert!(!notifier.is_enabled());
    notifier.publish(&Notice::new("held", "why")).await.unwrap();
    assert_eq!(publish.num_calls(), 0);
}

#[test]
fn every_form_of_the_longest_notice_fits_in_one_sns_message() {
    // Control characters: six bytes each once escaped, seven in the chat form escaped twice.
    let notice = Notice::new("held", &"\u{1}".repeat(20_000)).with_next_steps(&["wait"]);
    let forms = message_forms(&notice, Some("us-east-1"));
    assert!(
        forms.len() > MAX_MESSAGE_BYTES,
        "the full body does not fit: {}",
        forms.len()
    );
    let shortened = message_forms(&notice.shortened(SHORTENED_BODY_CHARS), Some("us-east-1"));
    assert!(shortened.len() <= MAX_MESSAGE_BYTES, "{}", shortened.len());
}

#[tokio::test]
async fn a_throttled_notice_is_sent_again_and_one_whose_fate_is_unknown_is_not() {
    let throttled = mock!(aws_sdk_sns::Client::publish)
        .sequence()
        .error(|| {
            PublishError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .output(|| PublishOutput::builder().message_id("1").build())
        .build();
    let unknown = mock!(aws_sdk_sns::Client::publish)
        .sequence()
        .http_status(500, None)
        .output(|| PublishOutput::builder().message_id("1").build())
        .build();
    for (rule, sent, calls) in [(&throttled, true, 2), (&unknown, false, 1)] {
        let notifier = Notifier::new(
            mock_client!(aws_sdk_sns, [rule]),
            Some("arn:aws:sns:eu-west-1:123456789012:pipeguard".into()),
        );
        let published = notifier.publish(&Notice::new("held", "why")).await;
        assert_eq!(published.is_ok(), sent, "{published:?}");
        assert_eq!(rule.num_calls(), calls);
    }
}

#[test]
fn a_blank_topic_in_the_environment_is_no_topic() {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let env = |topic: &str| Environment::from_pairs([("NOTIFY_TOPIC_ARN", topic)]);
    assert!(!Notifier::from_env(&config, &env(" \t")).is_enabled());
    assert!(Notifier::from_env(&config, &env("arn:aws:sns:us-east-1:123456789012:pipeguard")).is_enabled());
}

#[tokio::test]
async fn the_client_is_built_when_the_first_notice_is_published_not_before() {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sns::config::SharedCredentialsProvider::new(
            aws_sdk_sns::config::Credentials::for_tests(),
        ))
        // Nothing listens on the discard port: the notice fails at once, after the client is built.
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let notice = Notice::new("gate blocked", "body");
    let silent = Notifier::from_env(&config, &Environment::default());
    silent.tell(&notice).await;
    assert!(!silent.client_built(), "no topic: no client");
    let topic =
        Environment::from_pairs([("NOTIFY_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:pipeguard")]);
    let notifier = Notifier::from_env(&config, &topic);
    assert!(!notifier.client_built(), "built at cold start");
    assert!(notifier.publish(&notice).await.is_err());
    assert!(notifier.client_built());
}
