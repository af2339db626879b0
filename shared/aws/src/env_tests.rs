use super::*;

#[test]
fn a_blank_variable_is_unset_and_a_set_one_is_given_as_it_is() {
    let env = Environment::from_pairs([("EMPTY", ""), ("SPACES", " \t"), ("SET", " value ")]);
    assert_eq!(env.get("EMPTY"), None);
    assert_eq!(env.get("SPACES"), None);
    assert_eq!(env.get("MISSING"), None);
    assert_eq!(env.get("SET").as_deref(), Some(" value "));
    assert_eq!(env.lookup()("SET").as_deref(), Some(" value "));
}

#[test]
fn with_sets_a_value_over_the_environment_but_never_a_blank_one() {
    let env = Environment::from_pairs([("TABLE", "from-env"), ("AWS_REGION", "eu-west-1")])
        .with("TABLE", Some("given".into()))
        .with("AWS_REGION", Some(" ".into()))
        .with("OTHER", None);
    assert_eq!(env.get("TABLE").as_deref(), Some("given"));
    assert_eq!(env.get("AWS_REGION").as_deref(), Some("eu-west-1"));
    assert_eq!(env.get("OTHER"), None);
}

#[test]
fn the_process_environment_is_read_with_blanks_left_out() {
    let env = Environment::of_process();
    for (name, value) in std::env::vars() {
        assert_eq!(
            env.get(&name),
            Some(value.clone()).filter(|value| !is_blank(value)),
            "{name}"
        );
    }
}
