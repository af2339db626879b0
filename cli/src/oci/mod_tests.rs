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
fn a_region_is_a_full_or_short_name_reached_in_its_realm_and_anything_else_is_named() {
    let ashburn = Some("https://resourcemanager.us-ashburn-1.oraclecloud.com");
    for name in ["us-ashburn-1", "US-Ashburn-1", "iad", "IAD"] {
        assert_eq!(region_endpoint(name).ok().as_deref(), ashburn, "{name}");
    }
    assert_eq!(
        region_endpoint("phx").ok().as_deref(),
        Some("https://resourcemanager.us-phoenix-1.oraclecloud.com")
    );
    assert_eq!(
        region_endpoint("us-langley-1").ok().as_deref(),
        Some("https://resourcemanager.us-langley-1.oraclegovcloud.com"),
        "realm oc2"
    );
    assert_eq!(
        region_endpoint("uk-gov-london-1").ok().as_deref(),
        Some("https://resourcemanager.uk-gov-london-1.oraclegovcloud.uk"),
        "realm oc4"
    );
    assert_eq!(
        region_endpoint("xx-newcity-1").ok().as_deref(),
        Some("https://resourcemanager.xx-newcity-1.oraclecloud.com"),
        "a name the SDKs do not know yet: the commercial realm, as they do"
    );
    for bad in ["zzz", "us-ashburn-1.example.com/x", "us ashburn-1", ""] {
        let problem = region_endpoint(bad).unwrap_err();
        assert!(
            problem.to_string().contains("is not a region's full name"),
            "{bad}: {problem}"
        );
    }
}

#[test]
fn a_credentials_file_is_read_up_to_its_limit_never_whole() {
    let zero = read_file(std::path::Path::new("/dev/zero"), "API signing key").unwrap_err();
    assert!(zero.to_string().contains("at /dev/zero is over 64 KiB"), "{zero}");
    let directory = std::env::temp_dir().join(format!("pipeguard-limit-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let file = directory.join("key.pem");
    std::fs::write(&file, vec![b'k'; FILE_LIMIT]).unwrap();
    assert_eq!(
        read_file(&file, "API signing key").map(|bytes| bytes.len()).ok(),
        Some(FILE_LIMIT)
    );
    std::fs::write(&file, vec![b'k'; FILE_LIMIT + 1]).unwrap();
    assert!(read_file(&file, "API signing key").is_err());
    let _ = std::fs::remove_dir_all(directory);
}

#[test]
fn a_passphrase_is_taken_as_given_inline_and_without_its_line_ending_from_a_file() {
    let inline = Source::Inline(" spaced passphrase \n".into());
    assert_eq!(
        read_passphrase(&inline, "key passphrase")
            .ok()
            .as_deref()
            .map(Vec::as_slice),
        Some(b" spaced passphrase \n".as_slice())
    );
    let directory = std::env::temp_dir().join(format!("pipeguard-passphrase-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    for (written, read) in [("p\r\n", "p"), ("p\n", "p"), ("p\n\n", "p\n"), (" p ", " p ")] {
        let file = directory.join("passphrase");
        std::fs::write(&file, written).unwrap();
        assert_eq!(
            read_passphrase(&Source::File(file), "key passphrase")
                .ok()
                .as_deref()
                .map(Vec::as_slice),
            Some(read.as_bytes()),
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
