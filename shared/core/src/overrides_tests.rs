use super::*;
use crate::record::Attribute;

/// Whether `granted` lets `pipeline` through blockers of `kind` at `now`, as the gate reads it.
fn covers(granted: &Override, pipeline: &str, kind: OverrideKind, now: i64) -> bool {
    let recorded = RecordedOverrides {
        overrides: vec![granted.clone()],
        unreadable: vec![],
    };
    recorded
        .active_for(pipeline, now)
        .any(|in_force| in_force.kinds.contains(&kind))
}

const NOW: i64 = 1_796_036_400;
const ANN: &str = "arn:aws:sts::111122223333:assumed-role/oncall/ann";

fn request(reason: &str) -> OverrideRequest {
    OverrideRequest {
        pipeline: "web-app".into(),
        reason: reason.into(),
        ..OverrideRequest::default()
    }
}

fn granted(request: &OverrideRequest) -> Result<Override, OverrideError> {
    request.grant("ovr-1".into(), ANN.into(), NOW)
}

fn text(value: &str) -> Attribute {
    Attribute::Text(value.into())
}

fn number(value: i64) -> Attribute {
    Attribute::Number(value.to_string())
}

fn item_of(granted: &Override) -> Item {
    Item::from([
        ("pipeline".to_owned(), text(&granted.pipeline)),
        ("granted_by".to_owned(), text(&granted.by)),
        ("reason".to_owned(), text(&granted.reason)),
        ("since".to_owned(), number(granted.since)),
        ("until".to_owned(), number(granted.until)),
        (
            "kinds".to_owned(),
            Attribute::List(granted.kinds.iter().map(|kind| text(kind.name())).collect()),
        ),
    ])
}

#[test]
fn an_override_lasts_an_hour_unless_told_and_passes_over_every_kind_unless_told() {
    let every = granted(&request("INC-9: hotfix for checkout")).unwrap();
    assert_eq!((every.since, every.until), (NOW, NOW + 3600));
    assert_eq!(every.kinds, OverrideKind::ALL);
    assert_eq!(every.describe_kinds(), "every blocker");
    let only = granted(&OverrideRequest {
        duration: Some("2h30m".into()),
        only: vec!["freezes,health".into(), "freezes".into()],
        ..request("  INC-9  ")
    })
    .unwrap();
    assert_eq!(only.until, NOW + 9000);
    assert_eq!(only.kinds, [OverrideKind::Health, OverrideKind::Freezes]);
    assert_eq!(only.reason, "INC-9");
    assert_eq!(
        only.describe(),
        format!(
            "override ovr-1 by {ANN}: \"INC-9\" (until 2026-11-30 13:30 UTC; passes over health, freezes)"
        )
    );
    let until = granted(&OverrideRequest {
        until: Some("2026-11-30T12:00:00Z".into()),
        ..request("INC-9")
    })
    .unwrap();
    assert_eq!(until.until, NOW + 3600);
}

#[test]
fn an_override_that_cannot_be_granted_as_asked_says_why() {
    let refused = |request: OverrideRequest, words: &str| {
        let error = granted(&request).unwrap_err().to_string();
        assert!(error.contains(words), "{error}");
    };
    refused(request("   "), "an override needs a reason");
    refused(request("two\nlines"), "one line of text");
    refused(
        OverrideRequest {
            duration: Some("25h".into()),
            ..request("INC-9")
        },
        "at most 24 hours",
    );
    refused(
        OverrideRequest {
            duration: Some("0m".into()),
            ..request("INC-9")
        },
        "not after now",
    );
    refused(
        OverrideRequest {
            duration: Some("soon".into()),
            ..request("INC-9")
        },
        "--for `soon` is not a duration",
    );
    refused(
        OverrideRequest {
            until: Some("2026-11-30T10:00:00Z".into()),
            ..request("INC-9")
        },
        "not after now",
    );
    refused(
        OverrideRequest {
            until: Some("tomorrow".into()),
            ..request("INC-9")
        },
        "not an RFC 3339 time",
    );
    refused(
        OverrideRequest {
            only: vec!["health,configuration".into()],
            ..request("INC-9")
        },
        "`configuration` is not a kind of blocker an override passes over: health, alarms, calendars, freezes, windows, locks",
    );
}

#[test]
fn an_override_is_in_force_for_its_pipeline_only_from_its_start_to_its_end() {
    let mut health = granted(&OverrideRequest {
        only: vec!["health".into()],
        ..request("INC-9")
    })
    .unwrap();
    assert!(covers(&health, "web-app", OverrideKind::Health, NOW));
    assert!(
        !covers(&health, "web-app", OverrideKind::Freezes, NOW),
        "not a kind it names"
    );
    assert!(
        !covers(&health, "web-api", OverrideKind::Health, NOW),
        "another pipeline"
    );
    assert!(
        !covers(&health, "web-app", OverrideKind::Health, NOW - 1),
        "before it began"
    );
    assert!(
        !covers(&health, "web-app", OverrideKind::Health, NOW + 3600),
        "at its until"
    );
    health.ended = Some(Ended {
        at: NOW + 60,
        by: ANN.into(),
    });
    assert!(
        !covers(&health, "web-app", OverrideKind::Health, NOW + 120),
        "ended by hand"
    );
}

#[test]
fn an_item_reads_back_as_the_override_written_and_anything_else_passes_nothing() {
    let written = granted(&OverrideRequest {
        only: vec!["locks,windows".into()],
        ..request("INC-9")
    })
    .unwrap();
    let recorded = RecordedOverrides::read([("ovr-1".to_owned(), item_of(&written))]);
    assert_eq!(recorded.overrides, std::slice::from_ref(&written));
    assert_eq!(recorded.active_for("web-app", NOW).count(), 1);
    assert_eq!(recorded.active_for("web-api", NOW).count(), 0);

    let mut ended = item_of(&written);
    ended.insert("ended_at".into(), number(NOW + 5));
    ended.insert("ended_by".into(), text(ANN));
    let read = read_override("ovr-1", &ended).unwrap();
    assert_eq!(
        read.ended,
        Some(Ended {
            at: NOW + 5,
            by: ANN.into()
        })
    );

    let broken = |change: &dyn Fn(&mut Item), why: &str| {
        let mut item = item_of(&written);
        change(&mut item);
        let unreadable = read_override("ovr-1", &item).unwrap_err();
        assert!(unreadable.why.contains(why), "{why}: {}", unreadable.why);
    };
    broken(&|item| _ = item.remove("granted_by"), "granted_by is missing");
    broken(
        &|item| _ = item.insert("until".into(), number(NOW + 2 * 86_400)),
        "more than a day",
    );
    broken(
        &|item| _ = item.insert("until".into(), number(NOW)),
        "not after since",
    );
    broken(
        &|item| _ = item.insert("kinds".into(), Attribute::List(vec![])),
        "kinds is missing, empty",
    );
    broken(
        &|item| _ = item.insert("kinds".into(), Attribute::List(vec![text("everything")])),
        "`everything` is not a kind",
    );
    broken(
        &|item| _ = item.insert("reason".into(), text("")),
        "reason is empty",
    );
    broken(
        &|item| _ = item.insert("ended_at".into(), number(NOW)),
        "ended_at and ended_by",
    );
    broken(
        &|item| _ = item.insert("since".into(), text("now")),
        "since is not a number",
    );
}
