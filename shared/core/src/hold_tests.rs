use super::*;
use crate::health::HealthSource;

const ARN: &str =
    "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_abc";

fn held_by(arn: &str, region: &str) -> HeldBy {
    HeldBy {
        arn: arn.into(),
        region: region.into(),
        account: None,
    }
}

#[test]
fn a_marker_the_gate_writes_reads_back_the_same() {
    let hold = Hold::new(
        vec![
            held_by(ARN, "us-east-1"),
            held_by(
                "arn:aws:health:us-east-1::event/IAM/AWS_IAM_OPERATIONAL_ISSUE/x",
                "global",
            ),
        ],
        Some(HealthSource::Events),
    );
    let message = format!(
        "Deployment blocked by 2 AWS Health events:\n- one\n- two\n{}",
        hold.marker()
    );
    assert_eq!(Hold::read(&message), Some(hold));
}

#[test]
fn the_marker_is_one_versioned_line() {
    let marker = Hold::new(vec![held_by(ARN, "us-east-1")], None).marker();
    assert!(!marker.contains('\n'));
    assert!(marker.starts_with("pipeguard:hold:v1 {"), "{marker}");
}

#[test]
fn a_marker_stays_short_and_says_how_many_it_left_out() {
    let events: Vec<HeldBy> = (0..100)
        .map(|i| held_by(&format!("{ARN}{i:03}"), "us-east-1"))
        .collect();
    let marker = Hold::new(events, Some(HealthSource::Api)).marker();
    assert!(marker.chars().count() <= MAX_MARKER_CHARS);
    let read = Hold::read(&marker).unwrap();
    assert!(!read.events.is_empty());
    assert_eq!(read.events.len() + read.more, 100);
    assert_eq!(
        read.events[0].arn,
        format!("{ARN}000"),
        "the first events are kept"
    );
}

#[test]
fn a_message_without_a_marker_names_no_hold_whatever_arns_it_mentions() {
    let prose = format!(
        "Deployment blocked by 1 AWS Health event:\n- AWS Health open issue: EC2 in us-east-1 ({ARN})"
    );
    assert_eq!(Hold::read(&prose), None);
}

#[test]
fn a_marker_of_another_version_is_no_hold() {
    let message =
        format!("blocked\npipeguard:hold:v9 {{\"events\":[{{\"arn\":\"{ARN}\",\"region\":\"us-east-1\"}}]}}");
    assert_eq!(Hold::read(&message), None);
    let current = message.replace(":v9 ", ":v1 ");
    assert_eq!(Hold::read(&current).unwrap().events, [held_by(ARN, "us-east-1")]);
}

#[test]
fn a_failure_that_names_no_health_event_is_no_hold() {
    assert_eq!(Hold::read("Rate exceeded"), None);
    assert_eq!(Hold::read("pipeguard:hold:v1 {\"events\":[]}"), None);
    assert_eq!(Hold::read("see arn:aws:s3:::bucket"), None);
}

#[test]
fn people_read_the_message_without_its_marker() {
    let hold = Hold::new(vec![held_by(ARN, "us-east-1")], Some(HealthSource::Api));
    let message = format!(
        "Deployment blocked by 1 AWS Health event:\n- one\n{}",
        hold.marker()
    );
    assert_eq!(
        without_marker(&message),
        "Deployment blocked by 1 AWS Health event:\n- one"
    );
    assert_eq!(without_marker("Rate exceeded"), "Rate exceeded");
}

#[test]
fn the_api_is_asked_about_holds_it_decided_or_whose_source_is_unknown() {
    let events = vec![held_by(ARN, "us-east-1")];
    assert!(Hold::new(events.clone(), Some(HealthSource::Api)).asks_api());
    assert!(Hold::new(events.clone(), None).asks_api());
    assert!(!Hold::new(events, Some(HealthSource::Events)).asks_api());
}

#[test]
fn a_held_event_is_the_same_arn_in_the_same_account() {
    let in_b = HeldBy {
        account: Some("222233334444".into()),
        ..held_by(ARN, "us-east-1")
    };
    let event = |account| EventRef { arn: ARN, account };
    assert!(in_b.is(event(Some("222233334444"))));
    assert!(
        !in_b.is(event(Some("333344445555"))),
        "one ARN may be reported to several accounts"
    );
    assert!(!in_b.is(EventRef {
        arn: "arn:aws:health:us-east-1::event/EC2/X/other",
        account: Some("222233334444")
    }));
    let public = held_by(ARN, "us-east-1");
    assert!(
        public.is(event(None)) && public.is(event(Some("222233334444"))),
        "held by the ARN alone"
    );
    assert_eq!(in_b.describe(), format!("{ARN} (account 222233334444)"));
    assert_eq!(public.describe(), ARN);
}

#[test]
fn a_marker_carries_each_events_account_and_reads_markers_without_one() {
    let hold = Hold::new(
        vec![
            HeldBy {
                account: Some("222233334444".into()),
                ..held_by(ARN, "us-east-1")
            },
            held_by("arn:aws:health:us-east-1::event/EC2/X/public", "us-east-1"),
        ],
        Some(HealthSource::Api),
    );
    assert_eq!(Hold::read(&hold.marker()), Some(hold.clone()));
    assert!(!hold.marker().contains("\"account\":null"), "{}", hold.marker());
}

#[test]
fn hundreds_of_freezes_never_cost_the_failure_its_marker() {
    let ids: Vec<String> = (0..500).map(|n| format!("frz-{n:04}-0123456789abcdef")).collect();
    let hold = Hold {
        freezes: ids.clone(),
        since: Some(1_700_000_000),
        ..Hold::default()
    };
    let listing = ids
        .iter()
        .map(|id| format!("- freeze {id}"))
        .collect::<Vec<_>>()
        .join("\n");
    let result = crate::job::JobResult::failure_with_trailer(
        crate::job::FailureKind::JobFailed,
        &format!("Deployment blocked by {} freezes:\n{listing}", ids.len()),
        &hold.marker(),
    );
    assert!(result.text().chars().count() <= 5000);
    let read = Hold::read(result.text()).expect("the stage is still marked held");
    assert_eq!(read.freezes.len() + read.more_freezes, ids.len());
    assert!(read.holds_by_every_freeze());
    assert_eq!(read.freezes, ids[..read.freezes.len()], "the first ones by name");
}
