aws_names!(Color { Red = "RED", DarkBlue = "DARK_BLUE" });

#[test]
fn known_names_read_and_print_as_aws_sends_them() {
    assert_eq!(Color::from("DARK_BLUE"), Color::DarkBlue);
    assert_eq!(Color::DarkBlue.as_str(), "DARK_BLUE");
    assert_eq!(Color::Red.to_string(), "RED");
}

#[test]
fn unknown_names_are_kept_not_lost() {
    let green = Color::from("GREEN");
    assert_eq!(green, Color::Other("GREEN".into()));
    assert_eq!(green.as_str(), "GREEN");
    assert_ne!(
        Color::from("red"),
        Color::Red,
        "names are case-sensitive, as in AWS"
    );
}

closed_names!(Mode { Fast = "fast", SlowAndSteady = "slow-and-steady" });

#[test]
fn closed_names_read_only_their_own_names() {
    assert_eq!(Mode::parse("slow-and-steady"), Some(Mode::SlowAndSteady));
    assert_eq!(Mode::SlowAndSteady.as_str(), "slow-and-steady");
    assert_eq!(Mode::Fast.to_string(), "fast");
    assert_eq!(Mode::parse("FAST"), None, "names are exact");
    assert_eq!(Mode::parse("medium"), None);
}

#[test]
fn closed_names_list_every_name_in_order() {
    assert_eq!(Mode::ALL, &[Mode::Fast, Mode::SlowAndSteady]);
    assert_eq!(Mode::one_of(), "fast, slow-and-steady");
}
