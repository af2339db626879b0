//! The functional core stays free of I/O: the decision modules (`gate`, `retry`, `rollback`),
//! and every module of the crate they use, directly or not, name no AWS SDK crate, no runtime
//! and no module that does I/O. Checked on the source, so a new `use` breaks the build's tests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const DECISIONS: [&str; 3] = ["gate", "retry", "rollback"];

/// What the core may not name: the SDK and its runtime, the shell's modules, and the standard
/// library's I/O.
const FORBIDDEN: [&str; 15] = [
    "aws_sdk_",
    "aws_smithy",
    "aws_config",
    "lambda_runtime",
    "tokio",
    "hickory",
    "crate::aws",
    "crate::lambda",
    "crate::metrics",
    "pipeguard::aws",
    "std::env",
    "std::fs",
    "std::net",
    "std::process",
    "std::io",
];

/// The files of a top-level module: `name.rs` and its sibling test file, or the folder `name/`.
fn files_of(src: &Path, module: &str) -> Vec<PathBuf> {
    let folder = src.join(module);
    if folder.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        return files;
    }
    [format!("{module}.rs"), format!("{module}_tests.rs")]
        .into_iter()
        .map(|name| src.join(name))
        .filter(|path| path.is_file())
        .collect()
}

/// The crate's top-level modules a source file uses (`crate::x::...`, `use crate::{x, y}`).
fn crate_modules_used(source: &str) -> BTreeSet<String> {
    let ident = |text: &str| -> String {
        text.trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut used = BTreeSet::new();
    for (at, _) in source.match_indices("crate::") {
        let rest = &source[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            used.extend(group.split(',').map(ident).filter(|name| !name.is_empty()));
        } else {
            used.insert(ident(rest));
        }
    }
    used.retain(|name| !name.is_empty());
    used
}

/// Every forbidden name in the core, as `file: name`.
fn violations(src: &Path) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<String> = DECISIONS.iter().map(|name| name.to_string()).collect();
    let mut found = Vec::new();
    while let Some(module) = pending.pop() {
        if !seen.insert(module.clone()) {
            continue;
        }
        let files = files_of(src, &module);
        if files.is_empty() {
            found.push(format!(
                "{module}: the core uses it, but no source file was found for it"
            ));
        }
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap_or_default();
            for name in FORBIDDEN.iter().filter(|name| source.contains(*name)) {
                found.push(format!("{}: names {name}", file.display()));
            }
            pending.extend(crate_modules_used(&source));
        }
    }
    found
}

#[test]
fn the_decision_modules_and_what_they_use_do_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "the functional core names I/O:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_catches_a_decision_module_that_calls_aws_directly_or_through_another_module() {
    let src = std::env::temp_dir().join(format!("pipeguard-layering-{}", std::process::id()));
    std::fs::create_dir_all(src.join("gate")).unwrap();
    std::fs::create_dir_all(src.join("retry")).unwrap();
    std::fs::create_dir_all(src.join("rollback")).unwrap();
    std::fs::write(src.join("gate/decide.rs"), "use crate::{plain, health::Event};\n").unwrap();
    std::fs::write(src.join("plain.rs"), "pub struct Plain;\n").unwrap();
    std::fs::write(src.join("health.rs"), "use aws_sdk_health::types::Event;\n").unwrap();
    std::fs::write(
        src.join("retry/decide.rs"),
        "fn now() { tokio::spawn(async {}); }\n",
    )
    .unwrap();
    std::fs::write(src.join("rollback/decide.rs"), "use super::policy::Policy;\n").unwrap();
    let found = violations(&src);
    std::fs::remove_dir_all(&src).unwrap();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].contains("health.rs: names aws_sdk_") || found[1].contains("health.rs: names aws_sdk_"));
    assert!(
        found
            .iter()
            .any(|line| line.contains("retry/decide.rs: names tokio"))
    );
}
