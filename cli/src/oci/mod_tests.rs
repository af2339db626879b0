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
fn a_region_is_a_full_name_and_anything_else_is_named() {
    assert_eq!(
        region_endpoint("us-ashburn-1").ok().as_deref(),
        Some("https://resourcemanager.us-ashburn-1.oraclecloud.com")
    );
    assert!(region_endpoint("uk-gov-london-1").is_ok());
    assert_eq!(
        region_endpoint("US-Ashburn-1").ok().as_deref(),
        Some("https://resourcemanager.us-ashburn-1.oraclecloud.com")
    );
    for bad in ["iad", "us-ashburn-1.example.com/x", "us ashburn-1", ""] {
        let problem = region_endpoint(bad).unwrap_err();
        assert!(
            problem.to_string().contains("is not a region's full name"),
            "{bad}: {problem}"
        );
    }
}

#[test]
fn a_passphrase_is_taken_as_given_inline_and_without_its_line_ending_from_a_file() {
    let inline = Source::Inline(" spaced passphrase \n".into());
    assert_eq!(
        read_passphrase(&inline, "key passphrase").ok().as_deref(),
        Some(" spaced passphrase \n")
    );
    let directory = std::env::temp_dir().join(format!("pipeguard-passphrase-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    for (written, read) in [("p\r\n", "p"), ("p\n", "p"), ("p\n\n", "p\n"), (" p ", " p ")] {
        let file = directory.join("passphrase");
        std::fs::write(&file, written).unwrap();
        assert_eq!(
            read_passphrase(&Source::File(file), "key passphrase")
                .ok()
                .as_deref(),
            Some(read),
            "{written:?}"
        );
    }
    let missing = read_passphrase(&Source::File(directory.join("absent")), "key passphrase").unwrap_err();
    assert!(
        missing.to_string().contains("cannot read the key passphrase at"),
        "{missing}"
    );
    let _ = std::fs::remove_dir_all(directory);
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
