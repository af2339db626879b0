//! The functional core stays free of I/O. The decision modules (`gate`, `retry`, `rollback`)
//! and the event reader (`trigger`), and every module of the crate they use, directly or not,
//! may name only the crates on an allowlist (pure libraries), no part of the standard library
//! that reaches outside the process or reads its clock, and no module of the crate that does
//! (which the walk reaches, and reports, through the same rule). Checked on the parsed source:
//! `use` trees (groups, `super`, `self`, renames, globs) and every path in the code. Macro bodies
//! are token streams, not checked.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

const CORE: [&str; 4] = ["gate", "retry", "rollback", "trigger"];
/// Crates the core may name: the standard library and pure ones.
const ALLOWED_CRATES: [&str; 11] = [
    "std",
    "core",
    "alloc",
    "serde",
    "serde_json",
    "serde_path_to_error",
    "thiserror",
    "chrono",
    "regex_lite",
    "aws_lambda_events",
    "proptest",
];
/// The standard library's ways out of the process.
const FORBIDDEN_STD: [&str; 6] = ["env", "fs", "net", "process", "io", "thread"];
/// Reading the clock: the core is given the time, it does not read it.
const FORBIDDEN_NAMES: [&str; 2] = ["SystemTime", "Instant"];
/// Paths may start with a primitive type (`u32::try_from`), which is no crate.
const PRIMITIVES: [&str; 17] = [
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128",
    "isize", "f32", "f64",
];

/// A module's place: its path in the crate and its file.
#[derive(Debug, Clone)]
struct Module {
    path: Vec<String>,
    file: PathBuf,
}

/// What a name at the start of a path refers to.
#[derive(Debug, Clone, PartialEq)]
enum Root {
    /// A top-level module of the crate.
    CrateModule(String),
    /// Something inside the current module tree (a child module, `self`, `Self`).
    Local,
    Crate(String),
    /// `use crate::*` or `crate as x`: what it uses cannot be told.
    Opaque(String),
}

struct FileCheck<'a> {
    module: &'a Module,
    /// Names the file declares that paths may start with: its child modules and its macros.
    children: BTreeSet<String>,
    bindings: BTreeMap<String, Root>,
    found: Vec<String>,
    uses: BTreeSet<String>,
}

impl FileCheck<'_> {
    /// Resolves the first segments of a path from the current module.
    fn resolve(&self, segments: &[String]) -> Root {
        let Some(first) = segments.first() else {
            return Root::Local;
        };
        match first.as_str() {
            "crate" => match segments.get(1) {
                Some(top) => Root::CrateModule(top.clone()),
                None => Root::Opaque("the crate root".into()),
            },
            "super" => {
                let ups = segments.iter().take_while(|segment| *segment == "super").count();
                let depth = self.module.path.len();
                if ups >= depth {
                    match segments.get(ups) {
                        Some(top) => Root::CrateModule(top.clone()),
                        None => Root::Opaque("the crate root".into()),
                    }
                } else if ups + 1 == depth {
                    // The top-level module this file belongs to, or one of its children.
                    Root::CrateModule(self.module.path[0].clone())
                } else {
                    Root::Local
                }
            }
            "self" | "Self" => Root::Local,
            // A type or an enum of this file (`GateOutcome::Pass`), or a primitive.
            name if name.starts_with(char::is_uppercase) || PRIMITIVES.contains(&name) => Root::Local,
            name if self.children.contains(name) => Root::Local,
            name => match self.bindings.get(name) {
                Some(root) => root.clone(),
                None => Root::Crate(name.to_owned()),
            },
        }
    }

    fn judge(&mut self, segments: &[String], what: &str) {
        for segment in segments {
            if FORBIDDEN_NAMES.contains(&segment.as_str()) {
                self.found
                    .push(format!("{}: {what} names {segment}", self.module.file.display()));
            }
        }
        match self.resolve(segments) {
            Root::CrateModule(top) => {
                self.uses.insert(top);
            }
            Root::Crate(name) => {
                if !ALLOWED_CRATES.contains(&name.as_str()) {
                    self.found.push(format!(
                        "{}: {what} names crate {name}",
                        self.module.file.display()
                    ));
                } else if name == "std"
                    && let Some(part) = segments
                        .get(1)
                        .filter(|part| FORBIDDEN_STD.contains(&part.as_str()))
                {
                    self.found.push(format!(
                        "{}: {what} names std::{part}",
                        self.module.file.display()
                    ));
                }
            }
            Root::Opaque(what_is_hidden) => self.found.push(format!(
                "{}: {what} hides what it uses ({what_is_hidden})",
                self.module.file.display()
            )),
            Root::Local => {}
        }
    }
}

/// Every path a `use` tree names, and the name each binds (None for globs).
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_paths(&path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) => {
            let ident = name.ident.to_string();
            let mut full = prefix.clone();
            if ident != "self" {
                full.push(ident.clone());
            }
            let bound = if ident == "self" {
                prefix.last().cloned()
            } else {
                Some(ident)
            };
            out.push((full, bound));
        }
        syn::UseTree::Rename(rename) => {
            let mut full = prefix.clone();
            full.push(rename.ident.to_string());
            out.push((full, Some(rename.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
        syn::UseTree::Group(group) => {
            for item in &group.items {
                use_paths(item, prefix, out);
            }
        }
    }
}

/// Collects the paths of the code (expressions, types, patterns, macro names).
struct Paths(Vec<Vec<String>>);

impl<'ast> Visit<'ast> for Paths {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.segments.len() > 1 || path.leading_colon.is_some() {
            self.0.push(
                path.segments
                    .iter()
                    .map(|segment| segment.ident.to_string())
                    .collect(),
            );
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {}
}

/// The file of a module declared in `file` (`#[path]`, or `name.rs` / `name/mod.rs` where the
/// declaring file keeps its children).
fn child_file(file: &Path, item: &syn::ItemMod) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("."));
    for attribute in &item.attrs {
        if attribute.path().is_ident("path")
            && let syn::Meta::NameValue(value) = &attribute.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(path),
                ..
            }) = &value.value
        {
            return dir.join(path.value());
        }
    }
    let stem = file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default();
    let children_dir = if matches!(stem, "mod" | "lib" | "main") {
        dir.to_path_buf()
    } else {
        dir.join(stem)
    };
    let name = item.ident.to_string();
    let flat = children_dir.join(format!("{name}.rs"));
    if flat.is_file() {
        flat
    } else {
        children_dir.join(name).join("mod.rs")
    }
}

/// The file of a top-level module.
fn top_file(src: &Path, name: &str) -> PathBuf {
    let flat = src.join(format!("{name}.rs"));
    if flat.is_file() {
        flat
    } else {
        src.join(name).join("mod.rs")
    }
}

/// Every forbidden name in the core and in what it uses.
fn violations(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut seen_tops: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<Module> = VecDeque::new();
    for top in CORE {
        seen_tops.insert(top.to_owned());
        queue.push_back(Module {
            path: vec![top.to_owned()],
            file: top_file(src, top),
        });
    }
    while let Some(module) = queue.pop_front() {
        let Ok(source) = std::fs::read_to_string(&module.file) else {
            found.push(format!(
                "{}: the core uses it, but it cannot be read",
                module.file.display()
            ));
            continue;
        };
        let parsed = match syn::parse_file(&source) {
            Ok(parsed) => parsed,
            Err(error) => {
                found.push(format!("{}: does not parse: {error}", module.file.display()));
                continue;
            }
        };
        let mut check = FileCheck {
            module: &module,
            children: BTreeSet::new(),
            bindings: BTreeMap::new(),
            found: Vec::new(),
            uses: BTreeSet::new(),
        };
        let mut uses = Vec::new();
        for item in &parsed.items {
            match item {
                syn::Item::Mod(child) if child.content.is_none() => {
                    check.children.insert(child.ident.to_string());
                    let mut path = module.path.clone();
                    path.push(child.ident.to_string());
                    queue.push_back(Module {
                        path,
                        file: child_file(&module.file, child),
                    });
                }
                syn::Item::Use(item) => use_paths(&item.tree, &mut Vec::new(), &mut uses),
                // A `macro_rules!` of this file, which `use` may re-export.
                syn::Item::Macro(item) => {
                    if let Some(name) = &item.ident {
                        check.children.insert(name.to_string());
                    }
                }
                _ => {}
            }
        }
        for (path, bound) in &uses {
            if let Some(name) = bound {
                // What cannot be told is reported once, at the use, not at every path through it.
                let root = match check.resolve(path) {
                    Root::Opaque(_) => Root::Local,
                    root => root,
                };
                check.bindings.insert(name.clone(), root);
            }
        }
        for (path, bound) in &uses {
            check.judge(path, if bound.is_some() { "a use" } else { "a glob use" });
        }
        let mut paths = Paths(Vec::new());
        paths.visit_file(&parsed);
        for path in &paths.0 {
            check.judge(path, "a path");
        }
        found.extend(check.found);
        for top in check.uses {
            if seen_tops.insert(top.clone()) {
                queue.push_back(Module {
                    path: vec![top.clone()],
                    file: top_file(src, &top),
                });
            }
        }
    }
    found
}

#[test]
fn the_functional_core_and_what_it_uses_do_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "the functional core names I/O:\n{}",
        found.join("\n")
    );
}

/// A throwaway crate source tree.
fn tree(files: &[(&str, &str)]) -> PathBuf {
    let src = std::env::temp_dir().join(format!(
        "pipeguard-layering-{}-{}",
        std::process::id(),
        files.len()
    ));
    for (name, text) in files {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    src
}

#[test]
fn the_check_sees_io_however_it_is_reached() {
    let src = tree(&[
        ("gate/mod.rs", "pub mod decide;\n"),
        (
            "gate/decide.rs",
            "use super::super::aws::Client;\nuse crate::{health::{Event}, plain};\n",
        ),
        ("aws.rs", "use aws_sdk_health::Client;\n"),
        (
            "health.rs",
            "pub struct Event;\nfn now() { std::time::SystemTime::now(); }\n",
        ),
        ("plain.rs", "use crate::*;\n"),
        (
            "retry/mod.rs",
            "fn read() { let _ = std::env::var(\"X\"); tracing::info!(\"x\"); }\n",
        ),
        (
            "rollback.rs",
            "use crate::hold;\nfn f() { hold::Hold::new(); serde_json::json!({}); }\n",
        ),
        ("hold.rs", "use serde::Deserialize;\npub struct Hold;\n"),
        (
            "trigger.rs",
            "use crate as root;\nfn f() -> root::health::Event { todo!() }\n",
        ),
    ]);
    let found = violations(&src);
    std::fs::remove_dir_all(&src).unwrap();
    let expect = [
        "aws.rs: a use names crate aws_sdk_health",
        "health.rs: a path names SystemTime",
        "plain.rs: a glob use hides what it uses",
        "retry/mod.rs: a path names std::env",
        "retry/mod.rs: a path names crate tracing",
        "trigger.rs: a use hides what it uses",
    ];
    for expected in expect {
        assert!(
            found.iter().any(|line| line.contains(expected)),
            "missing {expected:?} in {found:#?}"
        );
    }
    assert_eq!(
        found.len(),
        expect.len(),
        "nothing else, in particular not hold or rollback: {found:#?}"
    );
}
