use super::*;

#[test]
fn short_text_is_unchanged() {
    assert_eq!(truncate_chars("abc", 3), "abc");
    assert_eq!(truncate_chars("", 10), "");
}

#[test]
fn long_text_is_cut_to_the_limit_with_a_mark() {
    let cut = truncate_chars(&"x".repeat(6000), 5000);
    assert_eq!(cut.chars().count(), 5000);
    assert!(cut.ends_with(TRUNCATION_MARK));
}

#[test]
fn multibyte_text_is_cut_on_character_boundaries() {
    let text = "é🚀".repeat(3000);
    let cut = truncate_chars(&text, 5000);
    assert_eq!(cut.chars().count(), 5000);
    assert!(cut.starts_with("é🚀é🚀"));
}

#[test]
fn tiny_limits_still_respect_the_limit() {
    assert_eq!(truncate_chars("abcdef", 2), "ab");
}

#[test]
fn json_that_fits_is_written_whole_into_its_line() {
    let line = json_within(
        &vec![1, 2, 3],
        20,
        |json| format!("n {json}"),
        |list| list.pop().is_some(),
    );
    assert_eq!(line, "n [1,2,3]");
}

#[test]
fn json_too_long_gives_up_items_until_it_fits() {
    let mut dropped = 0;
    let line = json_within(
        &vec!["aaaa"; 10],
        20,
        |json| json,
        |list| {
            dropped += 1;
            list.pop().is_some()
        },
    );
    assert_eq!(line, r#"["aaaa","aaaa"]"#, "three items would be 22 characters");
    assert_eq!(dropped, 8);
}

#[test]
fn json_with_nothing_left_to_drop_is_written_even_over_the_limit() {
    let line = json_within(&"a long text".to_owned(), 5, |json| json, |_| false);
    assert_eq!(line, r#""a long text""#);
}

#[test]
fn control_characters_are_escaped_for_printing_and_other_text_is_kept() {
    assert!(matches!(
        printable("INC-4211: checkout errors ünd 🚀"),
        Cow::Borrowed(_)
    ));
    assert_eq!(
        printable("a\u{1b}]0;owned\u{7}b\nc\td\re\u{9b}31m\u{7f}"),
        "a\\u{1b}]0;owned\\u{7}b\\nc\\td\\re\\u{9b}31m\\u{7f}"
    );
    assert!(!printable("\u{1b}[2J\u{0}").chars().any(char::is_control));
}

#[test]
fn line_breaks_stay_where_lines_are_for_reading_and_nothing_else_does() {
    assert!(matches!(printable_lines("a\nb"), Cow::Borrowed(_)));
    assert_eq!(printable_lines("a\nb\u{1b}[2J\rc"), "a\nb\\u{1b}[2J\\rc");
}

#[test]
fn json_keeps_no_control_character_and_reads_back_the_same() {
    let value = serde_json::json!({"reason": "a\u{1b}[31m\u{9b}2J\u{7f}\n"});
    let serde = value.to_string();
    assert!(
        serde.contains("\\u001b") && serde.contains("\\n"),
        "serde escapes C0: {serde}"
    );
    assert!(
        serde.contains('\u{9b}') && serde.contains('\u{7f}'),
        "serde leaves DEL and C1 as they are"
    );
    let json = json_printable(&serde).into_owned();
    assert!(!json.chars().any(char::is_control), "{json}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).ok(), Some(value));
}
