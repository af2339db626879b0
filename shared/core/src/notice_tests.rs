use super::*;

#[test]
fn subjects_are_one_line_of_printable_ascii_within_the_limit() {
    let notice = Notice::new(&format!("pipeguard: déploiement\n{}", "x".repeat(200)), "body");
    assert_eq!(notice.subject.chars().count(), MAX_SUBJECT_CHARS);
    assert!(notice.subject.chars().all(|c| c.is_ascii_graphic() || c == ' '));
    assert!(notice.subject.starts_with("pipeguard: d?ploiement?x"));
}

fn held() -> Notice {
    Notice::new("pipeguard: web-app held", "The deployment is held.")
        .about("web-app")
        .with_next_steps(&["Nothing to do: it resumes when the events close."])
}

#[test]
fn email_readers_get_the_text_the_next_steps_and_the_link() {
    let link = held().console_link("eu-west-1");
    assert_eq!(
        link.as_deref(),
        Some(
            "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-app/view?region=eu-west-1"
        )
    );
    let text = held().email_text(link.as_deref());
    assert!(
        text.starts_with("The deployment is held.\n\nNext steps:\n- Nothing to do"),
        "{text}"
    );
    assert!(text.ends_with(&format!("Pipeline: {}", link.unwrap())), "{text}");
}

#[test]
fn chat_readers_get_a_custom_notification() {
    let link = held().console_link("eu-west-1");
    let chat = held().chat_message(link.as_deref());
    assert_eq!(
        (chat["version"].as_str(), chat["source"].as_str()),
        (Some("1.0"), Some("custom"))
    );
    assert_eq!(chat["content"]["title"], "pipeguard: web-app held");
    assert_eq!(chat["content"]["description"], "The deployment is held.");
    let steps = chat["content"]["nextSteps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert!(
        steps[1].as_str().unwrap().contains("/pipelines/web-app/view"),
        "{steps:?}"
    );
    assert_eq!(chat["metadata"]["threadId"], "pipeguard-web-app");
    let plain = Notice::new("subject", "body").chat_message(None);
    assert!(plain["content"].get("nextSteps").is_none() && plain["metadata"].get("threadId").is_none());
}
