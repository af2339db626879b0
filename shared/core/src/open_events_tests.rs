use super::*;
use crate::gate::{GateDefaults, blocks};
use crate::health::{EventCategory, HealthEvent};

const OWN: &str = "111111111111";
const OTHER: &str = "222222222222";
const UNWATCHED: &str = "333333333333";

fn policy(user_parameters: &str) -> GatePolicy {
    GateDefaults::from_env(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()))
        .unwrap()
        .for_action(Some(user_parameters))
        .unwrap()
        .with_own_account(OWN)
}

#[test]
fn a_key_names_the_region_and_the_account_or_public() {
    assert_eq!(open_key("us-east-1", Some(OWN)), "us-east-1#111111111111");
    assert_eq!(open_key("global", None), "global#public");
}

#[test]
fn only_open_and_upcoming_events_are_indexed() {
    assert!(indexed(&EventStatus::Open));
    assert!(indexed(&EventStatus::Upcoming));
    assert!(!indexed(&EventStatus::Closed));
}

#[test]
fn a_decision_reads_each_regions_public_events_and_its_watched_accounts() {
    let keys = keys_to_read(&policy(&format!(
        r#"{{"regions": ["us-east-1", "global"], "accounts": ["{OWN}", "{OTHER}", "{OWN}"]}}"#
    )));
    assert_eq!(
        keys,
        [
            "us-east-1#public",
            "us-east-1#111111111111",
            "us-east-1#222222222222",
            "global#public",
            "global#111111111111",
            "global#222222222222",
        ]
    );
}

/// Whatever the policy blocks on is under a key it reads: the index never hides a blocker.
#[test]
fn every_event_the_policy_blocks_on_is_under_a_key_it_reads() {
    let policies = [
        policy("{}"),
        policy(r#"{"statuses": ["open", "upcoming"], "categories": ["issue", "scheduledChange"]}"#),
        policy(&format!(
            r#"{{"regions": ["us-east-1", "eu-west-1", "global"], "accounts": ["{OWN}", "{OTHER}"], "statuses": ["upcoming"]}}"#
        )),
    ];
    let mut blocking = 0;
    for policy in &policies {
        let keys = keys_to_read(policy);
        for region in ["us-east-1", "eu-west-1", "global", "ap-south-1"] {
            for account in [None, Some(OWN), Some(OTHER), Some(UNWATCHED)] {
                for status in [EventStatus::Open, EventStatus::Upcoming, EventStatus::Closed] {
                    for category in [EventCategory::Issue, EventCategory::ScheduledChange] {
                        let event = HealthEvent {
                            arn: "arn:aws:health:us-east-1::event/EC2/X/1".into(),
                            service: "EC2".into(),
                            event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
                            category,
                            region: region.into(),
                            account: account.map(str::to_owned),
                            status: status.clone(),
                            start_time: None,
                        };
                        if blocks(policy, &event) {
                            blocking += 1;
                            assert!(indexed(&event.status), "{event:?}");
                            assert!(keys.contains(&open_key(region, account)), "{event:?} not read");
                        }
                    }
                }
            }
        }
    }
    assert!(
        blocking >= 15,
        "the cases must include blocking events: {blocking}"
    );
}
