//! The CodePipeline job event: whatever it holds, the gate gets a job to answer or a typed error,
//! and a job whose id can be read is always answered. No artifact credential reaches a message.

use crate::json::{Mutated, arbitrary_json, mutated, text_at};
use crate::{config, sample};
use pipeguard_aws::lambda::InvocationError;
use pipeguard_core::gate::{self, GateDefaults, GateOutcome};
use pipeguard_core::health::is_account_id;
use pipeguard_core::job::{JobEvent, JobEventError};
use pipeguard_core::testing::env_of;
use proptest::prelude::*;
use serde_json::{Value, json};

const JOB: &str = include_str!("../../../../tests/events/codepipeline-job.json");
const SEED_ID: &str = "11111111-abcd-1111-abcd-111111abcdef";
const ID: &str = "/CodePipeline.job/id";
const USER_PARAMETERS: &str = "/CodePipeline.job/data/actionConfiguration/configuration/UserParameters";
const TOKEN: &str = "/CodePipeline.job/data/continuationToken";

fn job_seed() -> Value {
    sample(JOB)
}

/// The job id an event carries, read independently of the parser: a non-empty string at
/// `CodePipeline.job.id`.
fn readable_id(event: &Value) -> Option<&str> {
    text_at(event, ID).filter(|id| !id.is_empty())
}

/// What any event must come to: a job with the event's id, UserParameters and token; the
/// malformed-data error carrying that id (so the job is still failed, not left unanswered); or,
/// only when there is no id to read, `NoJobId`.
fn check_parse(event: &Value) -> Result<Result<JobEvent, JobEventError>, TestCaseError> {
    let parsed = JobEvent::parse(event);
    match (&parsed, readable_id(event)) {
        (Ok(job), Some(id)) => {
            prop_assert_eq!(&job.job_id, id);
            prop_assert_eq!(job.user_parameters.as_deref(), text_at(event, USER_PARAMETERS));
            prop_assert_eq!(
                job.continuation_token.as_deref(),
                text_at(event, TOKEN).filter(|token| !token.is_empty())
            );
        }
        (Err(error @ JobEventError::MalformedData { job_id, reason }), Some(id)) => {
            prop_assert_eq!(job_id, id);
            prop_assert!(!reason.trim().is_empty(), "a reason that says nothing");
            prop_assert!(error.to_string().contains(id));
        }
        (Err(error @ JobEventError::NoJobId), None) => prop_assert!(!error.to_string().is_empty()),
        (parsed, id) => prop_assert!(false, "the id {id:?} was read as {parsed:?}"),
    }
    Ok(parsed)
}

/// The gate's defaults in a region, with the event store configured.
fn defaults() -> Result<GateDefaults, pipeguard_core::config::SettingError> {
    GateDefaults::from_env(env_of(&[
        ("AWS_REGION", "us-east-1"),
        ("HEALTH_EVENTS_TABLE", "events"),
    ]))
}

/// Every text the gate can produce from an event before it asks AWS anything: the parse
/// result's Debug, the error's Display, the invocation error, the outcome of reading the job
/// (its UserParameters and continuation token) and the job result it is answered with.
fn texts_from(event: &Value) -> Vec<String> {
    let parsed = JobEvent::parse(event);
    let mut texts = vec![format!("{parsed:?}")];
    match parsed {
        Ok(job) => match gate::read_job(&defaults(), &job) {
            Ok(read) => texts.push(format!("{read:?}")),
            Err(outcome) => {
                texts.push(format!("{outcome:?}"));
                texts.push(gate::render(&outcome).text().to_owned());
            }
        },
        Err(error @ JobEventError::MalformedData { .. }) => {
            texts.push(error.to_string());
            let JobEventError::MalformedData { reason, .. } = &error else {
                unreachable!()
            };
            // As health-gate fails the job.
            let outcome = GateOutcome::Misconfigured(format!("malformed job data: {reason}"));
            texts.push(format!("{outcome:?}"));
            texts.push(gate::render(&outcome).text().to_owned());
        }
        Err(error @ JobEventError::NoJobId) => {
            texts.push(error.to_string());
            texts.push(InvocationError::NotAJob(error).to_string());
        }
    }
    texts
}

/// An access key id, a secret key and a session token: long and random enough that no other
/// text in an event or a message holds one by chance.
fn credentials() -> impl Strategy<Value = [String; 3]> {
    ("AKIA[A-Z0-9]{16}", "[A-Za-z0-9]{40}", "[A-Za-z0-9]{24,64}").prop_map(|(a, s, t)| [a, s, t])
}

fn with_credentials([access_key, secret, token]: &[String; 3]) -> Value {
    let mut event = job_seed();
    event["CodePipeline.job"]["data"]["artifactCredentials"] = json!({
        "accessKeyId": access_key,
        "secretAccessKey": secret,
        "sessionToken": token,
    });
    event
}

proptest! {
    #![proptest_config(config())]

    /// Anything at all: a job only when it has an id, a typed error otherwise.
    #[test]
    fn any_json_is_a_job_or_a_typed_error(event in prop_oneof![
        arbitrary_json(),
        arbitrary_json().prop_map(|job| json!({"CodePipeline.job": job})),
        (any::<String>(), arbitrary_json()).prop_map(|(id, data)| json!({"CodePipeline.job": {"id": id, "data": data}})),
    ]) {
        let _ = check_parse(&event)?;
    }

    /// The documented event, broken: answered whenever its id can still be read, with that id.
    #[test]
    fn a_job_whose_id_can_be_read_is_always_answered(event in mutated(job_seed())) {
        let parsed = check_parse(&event.value)?;
        if !event.touched(&["CodePipeline.job", "id"]) {
            match parsed {
                Ok(job) => prop_assert_eq!(job.job_id, SEED_ID),
                Err(JobEventError::MalformedData { job_id, .. }) => prop_assert_eq!(job_id, SEED_ID),
                Err(JobEventError::NoJobId) => prop_assert!(false, "the id was not changed but was lost"),
            }
        }
    }

    /// Reading the job's UserParameters and continuation token as the gate does ends in a
    /// policy or in a failure with a message: never a panic, never a silent job.
    #[test]
    fn a_readable_job_gets_a_policy_or_a_failure_message(event in mutated(job_seed())) {
        let Ok(job) = JobEvent::parse(&event.value) else {
            return Ok(());
        };
        match gate::read_job(&defaults(), &job) {
            Ok((policy, wait)) => {
                prop_assert!(!policy.regions.is_empty());
                prop_assert!(
                    !policy.accounts.is_empty() && policy.accounts.iter().all(|account| is_account_id(account)),
                    "{:?}",
                    policy.accounts
                );
                prop_assert_eq!(wait.is_some(), job.continuation_token.is_some());
            }
            Err(outcome) => {
                let result = gate::render(&outcome);
                prop_assert!(!result.text().trim().is_empty(), "{outcome:?}");
                prop_assert!(matches!(*outcome, GateOutcome::Misconfigured(_) | GateOutcome::UnreadableToken(_)));
            }
        }
    }

    /// The artifact credentials never reach an error, a Debug form or a job result, however
    /// broken the rest of the event is.
    #[test]
    fn no_artifact_credential_in_any_text((keys, event) in credentials().prop_flat_map(|keys| {
        let seed = with_credentials(&keys);
        (Just(keys), mutated(seed))
    })) {
        check_no_credentials(&keys, &event)?;
    }
}

fn check_no_credentials(keys: &[String; 3], event: &Mutated) -> Result<(), TestCaseError> {
    for text in texts_from(&event.value) {
        for key in keys {
            prop_assert!(!text.contains(key.as_str()), "a credential in {text:?}");
        }
    }
    Ok(())
}

#[test]
fn the_unmutated_sample_reads_and_keeps_no_credential() {
    let keys = ["AKIA0123456789ABCDEF".to_owned(), "s".repeat(40), "t".repeat(30)];
    let texts = texts_from(&with_credentials(&keys));
    assert!(texts[0].starts_with("Ok(JobEvent"), "{texts:?}");
    for text in &texts {
        assert!(keys.iter().all(|key| !text.contains(key.as_str())), "{text}");
    }
}
