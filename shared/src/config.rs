//! Reading settings from the environment: the shapes every function's configuration shares.

/// A comma-separated list: items trimmed, empty items dropped.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The items in order, each once.
pub fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut unique = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_trimmed_and_skip_empty_items() {
        assert_eq!(split_list(" a, b,,c ,"), ["a", "b", "c"]);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn dedup_keeps_the_first_of_each() {
        assert_eq!(dedup(vec![2, 1, 2, 3, 1]), [2, 1, 3]);
    }
}
