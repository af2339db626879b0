//! Helpers for tests, of this crate and of the crates that use it (feature `test-support`).

/// A fixed environment: exactly these variables, read as settings read the process's.
pub fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }
}

/// A freeze's item as pipeguard writes it (but for its key): pipelines starting with `prod-`,
/// from `since` for two hours.
pub fn written_freeze(since: i64) -> crate::freeze::Item {
    use crate::freeze::Attribute;
    crate::freeze::Item::from([
        (
            "frozen_by".to_owned(),
            Attribute::Text("arn:aws:iam::111122223333:user/ic".into()),
        ),
        ("reason".to_owned(), Attribute::Text("INC-4211".into())),
        ("since".to_owned(), Attribute::Number(since.to_string())),
        ("until".to_owned(), Attribute::Number((since + 7200).to_string())),
        ("prefix".to_owned(), Attribute::Text("prod-".into())),
    ])
}
