use super::*;

#[test]
fn lists_are_trimmed_and_skip_empty_items() {
    assert_eq!(split_list(" a, b,,c ,"), ["a", "b", "c"]);
    assert!(split_list("").is_empty());
}

#[test]
fn blank_variables_count_as_unset() {
    let lookup = non_blank(|name| match name {
        "EMPTY" => Some("  ".to_owned()),
        "SET" => Some("x".to_owned()),
        _ => None,
    });
    assert_eq!(
        (lookup("EMPTY"), lookup("SET"), lookup("NONE")),
        (None, Some("x".to_owned()), None)
    );
}

#[test]
fn dedup_keeps_the_first_of_each() {
    assert_eq!(dedup(vec![2, 1, 2, 3, 1]), [2, 1, 3]);
}

#[test]
fn environment_variables_say_their_prefix_once() {
    assert_eq!(env_var("RETRY", "max_attempts"), "RETRY_MAX_ATTEMPTS");
    assert_eq!(env_var("RETRY", "retry_mode"), "RETRY_MODE");
    assert_eq!(env_var("GATE", "regions[1]"), "GATE_REGIONS[1]");
}

#[test]
fn an_empty_list_means_all() {
    assert!(listed_or_all(&[], "Deploy"));
    assert!(listed_or_all(&["Deploy".to_owned()], "Deploy"));
    assert!(!listed_or_all(&["Build".to_owned()], "Deploy"));
}
