use super::*;

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn existing() -> Vec<String> {
    names(&["staging-web", "prod-web", "prod-api", "production", "web"])
}

#[test]
fn names_win_over_a_prefix_and_neither_is_every_pipeline() {
    assert_eq!(
        PipelineSelection::of(names(&["a", "b"]), Some("prod-".into())),
        PipelineSelection::Names(names(&["a", "b"]))
    );
    assert_eq!(
        PipelineSelection::of(Vec::new(), Some("prod-".into())),
        PipelineSelection::Prefix("prod-".into())
    );
    assert_eq!(
        PipelineSelection::of(Vec::new(), None),
        PipelineSelection::Everything
    );
    assert_eq!(PipelineSelection::default(), PipelineSelection::Everything);
}

#[test]
fn selects_every_pipeline_those_named_or_those_starting_with_the_prefix() {
    assert!(PipelineSelection::Everything.selects("anything"));
    let named = PipelineSelection::Names(names(&["prod-api", "web"]));
    assert!(named.selects("prod-api") && named.selects("web"));
    assert!(!named.selects("prod-ap") && !named.selects("prod-api2") && !named.selects(""));
    let prefixed = PipelineSelection::Prefix("prod-".into());
    assert!(prefixed.selects("prod-web") && prefixed.selects("prod-"));
    assert!(!prefixed.selects("production") && !prefixed.selects("Prod-web"));
    assert!(PipelineSelection::Prefix(String::new()).selects("anything"));
}

#[test]
fn describes_which_pipelines_for_people_with_their_names_escaped() {
    assert_eq!(PipelineSelection::Everything.describe(), "every pipeline");
    assert_eq!(
        PipelineSelection::Prefix("prod-".into()).describe(),
        "pipelines starting with prod-"
    );
    assert_eq!(
        PipelineSelection::Names(names(&["a", "b"])).describe(),
        "pipelines a, b"
    );
    let odd = PipelineSelection::Names(names(&["a\u{1b}[2J"])).describe();
    assert!(!odd.chars().any(char::is_control), "{odd:?}");
}

#[test]
fn selects_from_the_existing_pipelines_sorted_but_takes_names_as_given() {
    assert_eq!(
        PipelineSelection::Everything.select_from(existing()),
        names(&["prod-api", "prod-web", "production", "staging-web", "web"])
    );
    assert_eq!(
        PipelineSelection::Prefix("prod-".into()).select_from(existing()),
        names(&["prod-api", "prod-web"])
    );
    assert_eq!(
        PipelineSelection::Prefix("nothing-".into()).select_from(existing()),
        Vec::<String>::new()
    );
    let named = PipelineSelection::Names(names(&["web", "gone", "prod-api"]));
    assert_eq!(
        named.select_from(existing()),
        names(&["web", "gone", "prod-api"]),
        "in their order, whether they exist or not"
    );
    assert_eq!(named.select_from(Vec::new()), names(&["web", "gone", "prod-api"]));
}

#[test]
fn only_names_need_no_list_of_the_pipelines_that_exist() {
    assert!(PipelineSelection::Everything.needs_existing());
    assert!(PipelineSelection::Prefix("prod-".into()).needs_existing());
    assert!(!PipelineSelection::Names(names(&["web"])).needs_existing());
}

/// Over every selection of a small alphabet's names and prefixes: what is selected from the
/// pipelines that exist is exactly, and in order, those `selects` selects.
#[test]
fn select_from_agrees_with_selects() {
    let pool = ["", "a", "b", "ab", "ba", "a-b", "b-a", "aa"];
    let existing: Vec<String> = pool.iter().rev().map(|name| (*name).to_owned()).collect();
    let mut selections = vec![PipelineSelection::Everything];
    selections.extend(
        pool.iter()
            .map(|prefix| PipelineSelection::Prefix((*prefix).to_owned())),
    );
    for first in pool {
        for second in pool {
            selections.push(PipelineSelection::Names(names(&[first, second])));
        }
    }
    for selection in selections {
        let selected = selection.select_from(existing.clone());
        assert!(
            selected.iter().all(|name| selection.selects(name)),
            "{selection:?}"
        );
        if selection.needs_existing() {
            let mut expected: Vec<String> = existing
                .iter()
                .filter(|name| selection.selects(name))
                .cloned()
                .collect();
            expected.sort();
            assert_eq!(selected, expected, "{selection:?}");
        }
    }
}
