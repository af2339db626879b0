use super::*;
use crate::health::HealthSource;

const ARN: &str =
    "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_abc";

fn held_by(arn: &str, region: &str) -> HeldBy {
    HeldBy {
        arn: arn.into(),
        region: region.into(),
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
fn messages_from_gates_before_the_marker_are_still_read() {
    let hold = Hold::read(&format!(
        "Deployment blocked by 1 AWS Health event:\n- AWS Health open issue: EC2 in us-east-1 ({ARN})"
    ))
    .unwrap();
    assert_eq!(hold.events, [held_by(ARN, "us-east-1")]);
    assert_eq!(hold.arns().collect::<Vec<_>>(), [ARN]);
}

#[test]
fn an_unknown_marker_version_falls_back_to_the_arns_in_the_text() {
    let message = format!("blocked\npipeguard:hold:v9 {{\"events\":[{{\"arn\":\"{ARN}\"}}],\"new\":1}}");
    assert_eq!(Hold::read(&message).unwrap().events, [held_by(ARN, "us-east-1")]);
}

#[test]
fn a_failure_that_names_no_health_event_is_no_hold() {
    assert_eq!(Hold::read("Rate exceeded"), None);
    assert_eq!(Hold::read("pipeguard:hold:v1 {\"events\":[]}"), None);
    assert_eq!(Hold::read("see arn:aws:s3:::bucket"), None);
}

#[test]
fn legacy_messages_name_health_arns_of_any_partition_and_nothing_else() {
    let message = format!(
        "({ARN}) and arn:aws-cn:health:cn-north-1::event/S3/X/Y. also arn:aws:codepipeline:us-east-1:1:web-app"
    );
    let hold = Hold::read(&message).unwrap();
    assert_eq!(
        hold.arns().collect::<Vec<_>>(),
        [ARN, "arn:aws-cn:health:cn-north-1::event/S3/X/Y"]
    );
    assert_eq!(hold.events[1].region, "cn-north-1");
}

#[test]
fn legacy_messages_cut_at_the_limit_name_no_half_arn() {
    let cut = crate::text::truncate_chars(&format!("Deployment blocked by 1 AWS Health event: ({ARN})"), 80);
    assert!(cut.contains("arn:aws:health"), "{cut}");
    assert_eq!(Hold::read(&cut), None, "{cut}");
    for partial in [
        "arn:aws:health:us-east-1::event/E",
        "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE",
        "arn:aws:health:us-east-1:123:event/EC2/X/1",
    ] {
        assert_eq!(Hold::read(&format!("blocked ({partial})")), None, "{partial}");
    }
}
