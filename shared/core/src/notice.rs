//! Messages for people: what pipeguard did and why, in the form each reader takes it: plain
//! text for email, and a custom notification for chat (Amazon Q Developer in chat
//! applications, formerly AWS Chatbot, posts only the formats it knows). The shell's
//! `pipeguard_aws::Notifier` publishes both at once.

use crate::text::truncate_chars;
use serde_json::{Value, json};

/// SNS subjects are at most 100 characters of printable ASCII on one line.
const MAX_SUBJECT_CHARS: usize = 100;
/// SNS messages are at most 256 KB for all forms together (the shell's notifier checks the whole).
const MAX_BODY_CHARS: usize = 16_000;

/// One message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The subject line: printable ASCII, at most 100 characters.
    pub subject: String,
    /// What happened and why.
    pub body: String,
    /// What a person can do about it.
    pub next_steps: Vec<String>,
    /// The pipeline it is about, for a link to it in the console.
    pub pipeline: Option<String>,
}

impl Notice {
    /// A notice, its subject made printable and both cut to their limits.
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
            next_steps: Vec::new(),
            pipeline: None,
        }
    }

    /// The same notice with its body cut to `max_chars`.
    pub fn shortened(&self, max_chars: usize) -> Self {
        Self {
            body: truncate_chars(&self.body, max_chars),
            ..self.clone()
        }
    }

    /// The same notice, about `pipeline`.
    pub fn about(mut self, pipeline: &str) -> Self {
        self.pipeline = Some(pipeline.to_owned());
        self
    }

    /// The same notice, with what a person can do about it.
    pub fn with_next_steps(mut self, steps: &[&str]) -> Self {
        self.next_steps = steps.iter().map(|step| step.to_string()).collect();
        self
    }

    /// The pipeline's page in the CodePipeline console, in `region`.
    pub fn console_link(&self, region: &str) -> Option<String> {
        self.pipeline.as_ref().map(|pipeline| {
            format!(
                "https://{region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/{pipeline}/view?region={region}"
            )
        })
    }

    /// The text an email subscriber reads.
    pub fn email_text(&self, link: Option<&str>) -> String {
        let mut text = self.body.clone();
        if !self.next_steps.is_empty() {
            text.push_str("\n\nNext steps:");
            for step in &self.next_steps {
                text.push_str(&format!("\n- {step}"));
            }
        }
        if let Some(link) = link {
            text.push_str(&format!("\n\nPipeline: {link}"));
        }
        text
    }

    /// A custom notification, the form chat clients post
    /// (`{"version": "1.0", "source": "custom", "content": {...}}`).
    pub fn chat_message(&self, link: Option<&str>) -> Value {
        let mut next_steps = self.next_steps.clone();
        if let (Some(link), Some(pipeline)) = (link, &self.pipeline) {
            next_steps.push(format!("Open {pipeline} in the CodePipeline console: {link}"));
        }
        let mut content = json!({
            "textType": "client-markdown",
            "title": self.subject,
            "description": self.body,
        });
        if !next_steps.is_empty() {
            content["nextSteps"] = json!(next_steps);
        }
        let mut metadata = json!({"summary": self.subject, "eventType": "pipeguard"});
        if let Some(pipeline) = &self.pipeline {
            // One thread per pipeline in the channel.
            metadata["threadId"] = json!(format!("pipeguard-{pipeline}"));
        }
        json!({"version": "1.0", "source": "custom", "content": content, "metadata": metadata})
    }
}

#[cfg(test)]
#[path = "notice_tests.rs"]
mod tests;
