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
