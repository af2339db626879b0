use super::*;

#[test]
fn a_timeout_is_seconds_minutes_or_hours_up_to_a_day() {
    assert_eq!(parse_timeout("90s").ok(), Some(Duration::from_secs(90)));
    assert_eq!(parse_timeout("10m").ok(), Some(Duration::from_secs(600)));
    assert_eq!(parse_timeout("1h").ok(), Some(Duration::from_secs(3600)));
    for bad in [
        "",
        "10",
        "m",
        "0s",
        "25h",
        "1.5h",
        "10 m",
        "-1s",
        "99999999999999999999s",
    ] {
        let problem = parse_timeout(bad).unwrap_err();
        assert!(
            problem.to_string().contains("is not a duration such as 90s"),
            "{bad}: {problem}"
        );
    }
}

#[test]
fn job_pages_end_with_no_token_and_a_repeated_or_empty_one_is_an_error() {
    let mut seen = std::collections::BTreeSet::new();
    assert_eq!(
        next_page(&mut seen, Some("a".into()), "s").ok(),
        Some(Some("a".into()))
    );
    assert_eq!(
        next_page(&mut seen, Some("b".into()), "s").ok(),
        Some(Some("b".into()))
    );
    assert_eq!(next_page(&mut seen, None, "s").ok(), Some(None));
    for bad in ["a", ""] {
        let problem = next_page(&mut seen, Some(bad.into()), "s").unwrap_err();
        assert!(problem.to_string().contains("do not end"), "{bad:?}: {problem}");
    }
}
