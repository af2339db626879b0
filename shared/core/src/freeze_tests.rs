use super::*;
use chrono::DateTime;

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
    assert_eq!(frozen.coverage, PipelineSelection::Everything);
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
        pipelines: PipelineSelection::Prefix("prod-".into()),
        ..request("INC")
    })
    .unwrap();
    assert!(by_prefix.holds(Some("prod-web"), NOW));
    assert!(!by_prefix.holds(Some("staging-web"), NOW));
    assert!(by_prefix.holds(None, NOW));
    let by_name = freeze(&FreezeRequest {
        pipelines: PipelineSelection::Names(vec!["prod-api".into(), "prod-api".into(), "staging-web".into()]),
        ..request("INC")
    })
    .unwrap();
    assert_eq!(
        by_name.coverage,
        PipelineSelection::Names(vec!["prod-api".into(), "staging-web".into()])
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
                pipelines: PipelineSelection::Names(vec!["prod-web".into(), "prod-wbe".into()]),
                ..request("INC")
            },
            "no such pipeline: prod-wbe",
        ),
        (
            FreezeRequest {
                pipelines: PipelineSelection::Names(Vec::new()),
                ..request("INC")
            },
            "no pipeline named: nothing would be frozen",
        ),
        (
            FreezeRequest {
                pipelines: PipelineSelection::Prefix("prd-".into()),
                ..request("INC")
            },
            "no pipeline's name starts with `prd-`",
        ),
        (
            // `--prefix "$PREFIX"` with the variable unset.
            FreezeRequest {
                pipelines: PipelineSelection::Prefix(String::new()),
                ..request("INC")
            },
            "--prefix is empty",
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
        pipelines: PipelineSelection::Prefix("prod-".into()),
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
        pipelines: PipelineSelection::Prefix("prod-".into()),
        duration: Some("1h".into()),
        ..request("INC")
    })
    .unwrap();
    assert!(!RecordedFreezes::from(vec![everything.clone()]).name_matters(NOW));
    assert!(RecordedFreezes::from(vec![everything.clone(), some.clone()]).name_matters(NOW));
    assert!(
        !RecordedFreezes::from(vec![everything, some]).name_matters(NOW + 3600),
        "the prefix freeze has ended"
    );
    assert!(!RecordedFreezes::default().name_matters(NOW));
}

/// An item as pipeguard writes it: a freeze of pipelines starting with `prod-`, for two hours,
/// with `expires_at` (the table's TTL, which the reader leaves alone whatever it holds).
fn written() -> Item {
    let mut item = crate::testing::written_freeze(NOW);
    item.insert("expires_at".to_owned(), Attribute::Number("x".into()));
    item
}

fn unreadable(key: &str, item: &Item) -> UnreadableFreeze {
    match read_freeze(key, item) {
        Ok(freeze) => panic!("{key} read as {freeze:?}"),
        Err(unreadable) => unreadable,
    }
}

#[test]
fn an_item_as_pipeguard_writes_it_reads_as_that_freeze() {
    let read = read_freeze("frz-1", &written()).unwrap();
    assert_eq!(
        read,
        Freeze {
            id: "frz-1".into(),
            by: "arn:aws:iam::111122223333:user/ic".into(),
            reason: "INC-4211".into(),
            since: NOW,
            until: Some(NOW + 7200),
            coverage: PipelineSelection::Prefix("prod-".into()),
            unfrozen: None,
        }
    );
    let mut ended = written();
    ended.remove("prefix");
    ended.insert(
        "pipelines".into(),
        Attribute::List(vec![Attribute::Text("a".into()), Attribute::Text("b".into())]),
    );
    ended.insert("unfrozen_at".into(), Attribute::Number((NOW + 60).to_string()));
    ended.insert(
        "unfrozen_by".into(),
        Attribute::Text("arn:aws:iam::111122223333:user/oncall".into()),
    );
    let read = read_freeze("INC-4211_hand.made", &ended).unwrap();
    assert_eq!(
        read.coverage,
        PipelineSelection::Names(vec!["a".into(), "b".into()])
    );
    assert_eq!(read.ended_at(NOW + 120), Some(NOW + 60));
}

#[test]
fn an_item_that_does_not_read_says_why_and_keeps_the_coverage_it_names() {
    let with = |name: &str, value: Attribute| {
        let mut item = written();
        item.insert(name.into(), value);
        item
    };
    let without = |name: &str| {
        let mut item = written();
        item.remove(name);
        item
    };
    let long_id = "f".repeat(65);
    let cases: Vec<(&str, Item, &str)> = vec![
        ("frz-1\u{1b}[2J", written(), "its id is not 1 to 64 letters"),
        (&long_id, written(), "its id is not"),
        (
            "frz-1",
            with("reason", Attribute::Text("x".repeat(501))),
            "the reason is 501 characters; at most 500",
        ),
        (
            "frz-1",
            with("reason", Attribute::Text("INC\u{1b}]0;pwned\u{7}".into())),
            "the reason must be one line",
        ),
        (
            "frz-1",
            with("reason", Attribute::Text("two\nlines".into())),
            "the reason must be one line",
        ),
        (
            "frz-1",
            with("reason", Attribute::Text("  ".into())),
            "a freeze needs a reason",
        ),
        ("frz-1", without("reason"), "reason is missing"),
        ("frz-1", without("frozen_by"), "frozen_by is missing"),
        (
            "frz-1",
            with("frozen_by", Attribute::Other),
            "frozen_by is not a string",
        ),
        (
            "frz-1",
            with("since", Attribute::Text("yesterday".into())),
            "since is not a number",
        ),
        (
            "frz-1",
            with("since", Attribute::Number("1.5".into())),
            "since is not a whole number",
        ),
        (
            "frz-1",
            with("until", Attribute::Number((NOW - 1).to_string())),
            "until (2026-",
        ),
        (
            "frz-1",
            with("until", Attribute::Number(NOW.to_string())),
            "is not after since",
        ),
        (
            "frz-1",
            with("unfrozen_at", Attribute::Number(NOW.to_string())),
            "unfrozen_at is there without unfrozen_by",
        ),
    ];
    for (key, item, why) in cases {
        let unreadable = unreadable(key, &item);
        assert!(
            unreadable.why.contains(why),
            "{key}: {} lacks {why}",
            unreadable.why
        );
        assert_eq!(unreadable.key, key);
        assert_eq!(
            unreadable.coverage,
            PipelineSelection::Prefix("prod-".into()),
            "{why}: its coverage reads"
        );
        assert!(unreadable.is_active(), "{why}: ended only by hand");
    }
    let coverage_unread = [
        with("pipelines", Attribute::List(vec![Attribute::Text("a".into())])),
        {
            let mut item = without("prefix");
            item.insert(
                "pipelines".into(),
                Attribute::List(vec![Attribute::Text("a".into()), Attribute::Number("1".into())]),
            );
            item
        },
        {
            let mut item = without("prefix");
            item.insert("pipelines".into(), Attribute::List(vec![]));
            item
        },
        with("prefix", Attribute::List(vec![])),
    ];
    for item in coverage_unread {
        let unreadable = unreadable("frz-1", &item);
        assert_eq!(
            unreadable.coverage,
            PipelineSelection::Everything,
            "{}",
            unreadable.why
        );
        assert!(unreadable.holds(Some("staging-web")));
    }
    let every_problem = unreadable("frz 1", &Item::new());
    assert_eq!(
        every_problem.why,
        "its id is not 1 to 64 letters, digits, `-`, `_` or `.`; frozen_by is missing; reason is missing; since is missing"
    );
}

#[test]
fn an_unreadable_item_holds_what_it_might_cover_until_ended_by_hand() {
    let mut item = written();
    item.insert("reason".into(), Attribute::Text("x".repeat(600)));
    item.insert("until".into(), Attribute::Number((NOW + 60).to_string()));
    let recorded = RecordedFreezes::read([
        ("frz-1".to_owned(), item.clone()),
        ("frz-2".to_owned(), written()),
    ]);
    assert_eq!(recorded.freezes.len(), 1);
    assert_eq!(recorded.unreadable.len(), 1);
    assert_eq!(recorded.unreadable_holding(Some("prod-web")).len(), 1);
    assert!(recorded.unreadable_holding(Some("staging-web")).is_empty());
    assert_eq!(
        recorded.unreadable_holding(None).len(),
        1,
        "an unknown pipeline is covered"
    );
    assert!(
        recorded.unreadable[0].holds(Some("prod-web")),
        "its own until is not trusted: it holds whatever the time"
    );
    assert!(
        recorded.name_matters(NOW + 3 * 366 * 24 * 3600),
        "it covers some pipelines only"
    );
    let text = recorded.unreadable[0].describe();
    assert_eq!(
        text,
        "unreadable freeze frz-1: the reason is 600 characters; at most 500; it holds pipelines starting with prod- until `pipeguard unfreeze frz-1` ends it"
    );

    item.insert("unfrozen_at".into(), Attribute::Number((NOW + 30).to_string()));
    item.insert(
        "unfrozen_by".into(),
        Attribute::Text("arn:aws:iam::111122223333:user/oncall".into()),
    );
    let ended = unreadable("frz-1", &item);
    assert!(!ended.holds(None));
    assert!(
        ended
            .describe()
            .contains("ended by arn:aws:iam::111122223333:user/oncall at 2026-")
    );
    let recorded = RecordedFreezes::read([("frz-1".to_owned(), item)]);
    assert!(recorded.unreadable_holding(Some("prod-web")).is_empty());
}

#[test]
fn until_is_capped_at_a_year_as_for_is() {
    let until = |seconds: i64| {
        freeze(&FreezeRequest {
            until: DateTime::from_timestamp(NOW + seconds, 0).map(|time| time.to_rfc3339()),
            ..request("INC")
        })
    };
    assert_eq!(until(MAX_FREEZE_SECS).unwrap().until, Some(NOW + MAX_FREEZE_SECS));
    let Err(FreezeError::Until(too_far)) = until(MAX_FREEZE_SECS + 60) else {
        panic!("a freeze past a year")
    };
    assert!(too_far.contains("a freeze lasts at most a year"), "{too_far}");
    assert!(until(30).is_err(), "at least a minute, as --for");
    assert!(parse_duration("367d").is_err());
    assert_eq!(parse_duration("366d"), Ok(MAX_FREEZE_SECS));
}

#[test]
fn what_people_wrote_is_described_with_its_control_characters_escaped() {
    let frozen = Freeze {
        id: "frz-1".into(),
        by: "arn\u{1b}[31m".into(),
        reason: "INC\u{1b}]0;pwned\u{7}".into(),
        since: NOW,
        until: None,
        coverage: PipelineSelection::Names(vec!["a\u{9b}2J".into()]),
        unfrozen: None,
    };
    for text in [
        frozen.describe(),
        by_whom(std::slice::from_ref(&frozen)),
        unreadable("frz\u{1b}[2J", &written()).describe(),
    ] {
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }
    assert!(frozen.describe().contains("\"INC\\u{1b}]0;pwned\\u{7}\""));
}
