use super::*;
use crate::selection::PipelineSelection;

fn frozen() -> Freeze {
    Freeze {
        id: "frz-1".into(),
        by: "arn:aws:iam::111111111111:user/ic".into(),
        reason: "INC-4211: checkout errors".into(),
        since: 0,
        until: None,
        coverage: PipelineSelection::Everything,
        unfrozen: None,
    }
}

#[test]
fn one_notice_lists_every_stage_resumed_with_how_long_and_by_what() {
    let released = [
        Released::new(
            "prod-web",
            "Gate",
            Some(1000),
            1000 + 12 * 60 + 59,
            vec![frozen()],
        ),
        Released::new("prod-api", "Gate", None, 5000, vec![]),
    ];
    let notice = release_notice(&released, "freeze frz-1 ended").unwrap();
    assert_eq!(notice.subject, "pipeguard: 2 deployments released");
    assert!(notice.body.contains("(freeze frz-1 ended)"), "{}", notice.body);
    assert!(
        notice.body.contains("- prod-web, stage Gate: held for 12 minutes by freeze frz-1 (arn:aws:iam::111111111111:user/ic: \"INC-4211: checkout errors\")"),
        "{}",
        notice.body
    );
    assert!(
        notice.body.contains("- prod-api, stage Gate\n") || notice.body.ends_with("- prod-api, stage Gate"),
        "{}",
        notice.body
    );
    let one = release_notice(&released[..1], "sweep").unwrap();
    assert_eq!(
        (one.subject.as_str(), one.pipeline.as_deref()),
        ("pipeguard: prod-web released", Some("prod-web"))
    );
    assert_eq!(release_notice(&[], "sweep"), None);
}
