use super::*;

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
