use super::*;

const NOW: i64 = 1_796_000_000;

fn existing() -> Vec<String> {
    ["prod-web", "prod-api", "staging-web"].map(String::from).to_vec()
}

fn request(reason: &str) -> FreezeRequest {
    FreezeRequest {
        reason: reason.into(),
        ..FreezeRequest::default()
    }
}

fn freeze(request: &FreezeRequest) -> Result<Freeze, FreezeError> {
    request.freeze(
        "frz-1".into(),
        "arn:aws:iam::111122223333:user/ic".into(),
        NOW,
        &existing(),
    )
}

#[test]
fn a_freeze_covers_everything_until_unfrozen_by_default() {
    let frozen = freeze(&request("  INC-4211: checkout errors ")).unwrap();
    assert_eq!(frozen.reason, "INC-4211: checkout errors");
    assert_eq!(frozen.coverage, Coverage::Everything);
    assert_eq!((frozen.since, frozen.until), (NOW, None));
    assert!(frozen.holds(Some("anything"), NOW + 10 * 366 * 24 * 3600));
}

#[test]
fn for_and_until_set_when_it_ends_by_itself() {
    let for_two_hours = freeze(&FreezeRequest {
        duration: Some("2h".into()),
        ..request("INC")
    })
    .unwrap();
    assert_eq!(for_two_hours.until, Some(NOW + 7200));
    assert!(for_two_hours.is_active(NOW + 7199));
    assert!(!for_two_hours.is_active(NOW + 7200));
    assert_eq!(for_two_hours.ended_at(NOW + 9000), Some(NOW + 7200));
    let until = freeze(&FreezeRequest {
        until: Some("2026-12-01T18:00:00+01:00".into()),
        ..request("INC")
    });
    let expected = parse_time("2026-12-01T17:00:00Z").unwrap();
    assert!(expected > NOW);
    assert_eq!(until.unwrap().until, Some(expected));
}

#[test]
fn an_unfreeze_by_hand_ends_it_at_that_time() {
    let mut frozen = freeze(&FreezeRequest {
        duration: Some("1d".into()),
        ..request("INC")
    })
    .unwrap();
    frozen.unfrozen = Some(Unfrozen {
        at: NOW + 60,
        by: "arn:aws:iam::111122223333:user/ic".into(),
    });
    assert_eq!(frozen.ended_at(NOW + 61), Some(NOW + 60));
    assert!(!frozen.holds(Some("prod-web"), NOW + 61));
}

#[test]
fn coverage_by_prefix_or_names_and_an_unknown_pipeline_is_covered() {
    let by_prefix = freeze(&FreezeRequest {
        prefix: Some("prod-".into()),
        ..request("INC")
    })
    .unwrap();
    assert!(by_prefix.holds(Some("prod-web"), NOW));
    assert!(!by_prefix.holds(Some("staging-web"), NOW));
    assert!(by_prefix.holds(None, NOW));
    let by_name = freeze(&FreezeRequest {
        pipelines: vec!["prod-api".into(), "prod-api".into(), "staging-web".into()],
        ..request("INC")
    })
    .unwrap();
    assert_eq!(
        by_name.coverage,
        Coverage::Pipelines(vec!["prod-api".into(), "staging-web".into()])
    );
    assert!(!by_name.holds(Some("prod-web"), NOW));
    assert_eq!(holding(&[by_prefix, by_name], Some("prod-api"), NOW).len(), 2);
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let cases: Vec<(FreezeRequest, &str)> = vec![
        (request("   "), "a freeze needs a reason"),
        (request(&"x".repeat(MAX_REASON_CHARS + 1)), "at most 500"),
        (request("INC-1\npipeguard:hold:v1 {}"), "one line of text"),
        (
            FreezeRequest {
                until: Some("2020-01-01T00:00:00Z".into()),
                ..request("INC")
            },
            "is not in the future",
        ),
        (
            FreezeRequest {
                until: Some("tomorrow".into()),
                ..request("INC")
            },
            "not an RFC 3339 time",
        ),
        (
            FreezeRequest {
                duration: Some("2 hours".into()),
                ..request("INC")
            },
            "`2 hours` is not a duration",
        ),
        (
            FreezeRequest {
                pipelines: vec!["prod-web".into(), "prod-wbe".into()],
                ..request("INC")
            },
            "no such pipeline: prod-wbe",
        ),
        (
            FreezeRequest {
                prefix: Some("prd-".into()),
                ..request("INC")
            },
            "no pipeline's name starts with `prd-`",
        ),
    ];
    for (request, expected) in cases {
        let error = freeze(&request).unwrap_err();
        assert!(error.to_string().contains(expected), "{request:?}: {error}");
    }
}

#[test]
fn durations_are_days_hours_and_minutes_largest_first() {
    assert_eq!(parse_duration("90m"), Ok(5400));
    assert_eq!(parse_duration("2h"), Ok(7200));
    assert_eq!(parse_duration("1d"), Ok(86_400));
    assert_eq!(parse_duration("1h30m"), Ok(5400));
    assert_eq!(parse_duration("1d2h3m"), Ok(86_400 + 7200 + 180));
    for bad in [
        "",
        "h",
        "30",
        "30s",
        "1m1h",
        "1h1h",
        "0m",
        "400d",
        "99999999999999999999d",
        "-1h",
        "1.5h",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}

#[test]
fn describes_who_why_and_until_when() {
    let frozen = freeze(&FreezeRequest {
        duration: Some("2h".into()),
        prefix: Some("prod-".into()),
        ..request("INC-4211: checkout errors")
    })
    .unwrap();
    let text = frozen.describe();
    assert!(
        text.starts_with("freeze frz-1 by arn:aws:iam::111122223333:user/ic: \"INC-4211: checkout errors\""),
        "{text}"
    );
    assert!(text.contains("until 2026-"), "{text}");
    assert!(text.contains("pipelines starting with prod-"), "{text}");
}

#[test]
fn the_pipelines_name_matters_only_while_a_freeze_covers_some_pipelines() {
    let everything = freeze(&request("INC")).unwrap();
    let some = freeze(&FreezeRequest {
        prefix: Some("prod-".into()),
        duration: Some("1h".into()),
        ..request("INC")
    })
    .unwrap();
    assert!(!name_matters(std::slice::from_ref(&everything), NOW));
    assert!(name_matters(&[everything.clone(), some.clone()], NOW));
    assert!(
        !name_matters(&[everything, some], NOW + 3600),
        "the prefix freeze has ended"
    );
    assert!(!name_matters(&[], NOW));
}
