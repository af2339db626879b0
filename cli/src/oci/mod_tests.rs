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
