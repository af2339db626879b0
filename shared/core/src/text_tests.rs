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
