use super::*;

#[test]
fn subjects_are_one_line_of_printable_ascii_within_the_limit() {
    let notice = Notice::new(&format!("pipeguard: déploiement\n{}", "x".repeat(200)), "body");
    assert_eq!(notice.subject.chars().count(), MAX_SUBJECT_CHARS);
    assert!(notice.subject.chars().all(|c| c.is_ascii_graphic() || c == ' '));
    assert!(notice.subject.starts_with("pipeguard: d?ploiement?x"));
}
