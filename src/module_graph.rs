//! The top-level modules of this crate depend on each other without cycles: a test reads every
//! module's files, collects the `crate::…` paths they name (code and doc links alike), and checks that
//! the resulting graph is a DAG. Paths into another top-level module are spelled `crate::…` in this
//! crate; `super::` stays within a module.
//!
//! Items defined in `lib.rs` itself (e.g. `ServerPlugins`) are a node of their own, `lib`, which
//! depends on every module `lib.rs` names; items `lib.rs` re-exports count as their module's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The root's own node: items defined in `lib.rs`.
const ROOT: &str = "lib";

/// Module → the modules it names.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// One source file of a top-level module.
struct Source {
    module: String,
    text: String,
}

/// The graph of `lib` (the text of `lib.rs`) and `files`.
fn graph(lib: &str, files: &[Source]) -> Graph {
    let modules = declared_modules(lib);
    let reexports = reexports(lib, &modules);
    let resolve = |name: &str| -> Option<String> {
        if modules.contains(name) {
            Some(name.to_owned())
        } else {
            reexports.get(name).cloned().or(Some(ROOT.to_owned()))
        }
    };
    let mut graph: Graph = modules
        .iter()
        .map(|module| (module.clone(), BTreeSet::new()))
        .collect();
    let root_uses: BTreeSet<String> = first_segments(lib)
        .into_iter()
        .chain(crate_paths(lib))
        .filter(|name| modules.contains(name))
        .collect();
    graph.insert(ROOT.to_owned(), root_uses);
    for file in files {
        let uses: Vec<String> = crate_paths(&file.text)
            .iter()
            .filter_map(|name| resolve(name))
            .filter(|target| *target != file.module)
            .collect();
        graph.entry(file.module.clone()).or_default().extend(uses);
    }
    graph
}

/// `mod x;` and `pub mod x;` declarations of `lib.rs`.
fn declared_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .map(str::trim)
        .filter_map(|line| {
            line.strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))
        })
        .filter_map(|rest| rest.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

/// Names `lib.rs` re-exports from a module (`pub use module::{A, B};`) → that module.
fn reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for line in lib.lines().map(str::trim) {
        let Some(path) = line
            .strip_prefix("pub use ")
            .and_then(|rest| rest.strip_suffix(';'))
        else {
            continue;
        };
        let Some((module, items)) = path.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        for item in items
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .map(|item| item.rsplit("::").next().unwrap_or(item).trim())
            .filter(|item| !item.is_empty())
        {
            found.insert(item.to_owned(), module.to_owned());
        }
    }
    found
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The identifier at the start of `text`.
fn ident(text: &str) -> &str {
    let end = text.find(|c: char| !is_ident(c)).unwrap_or(text.len());
    &text[..end]
}

/// The first segment after every `crate::` in `text`: `crate::a::B` gives `a`, and
/// `crate::{a::B, c}` gives `a` and `c`.
fn crate_paths(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        if text[..at].ends_with(is_ident) {
            continue; // `arbiter_crate::`, not this crate
        }
        let rest = text[at + "crate::".len()..].trim_start();
        match rest.strip_prefix('{') {
            Some(group) => names.extend(group_heads(group)),
            None => names.push(ident(rest).to_owned()),
        }
    }
    names.retain(|name| !name.is_empty());
    names
}

/// The first identifier of each item of a `{ … }` group (the text after its `{`).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut expect_head = true;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expect_head = true,
            c if expect_head && depth == 0 && is_ident(c) => {
                heads.push(ident(&group[at..]).to_owned());
                expect_head = false;
            }
            _ => {}
        }
    }
    heads
}

/// Identifiers followed by `::` that are not themselves after `::` (`config::X`, not
/// `arbiter_components::config::X`), for the root's relative paths.
fn first_segments(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in text.match_indices("::") {
        let before = &text[..at];
        let start = before
            .rfind(|c: char| !is_ident(c))
            .map_or(0, |index| index + 1);
        if start == at || before[..start].ends_with("::") {
            continue;
        }
        names.push(before[start..].to_owned());
    }
    names
}

/// A cycle of `graph`, as the modules along it with the first repeated at the end, if it has one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        graph: &'a Graph,
        node: &'a str,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let start = path.iter().position(|on| *on == node).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|&m| m.to_owned()).collect();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node, Mark::Visiting);
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(graph, next, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(graph, node, &mut marks, &mut Vec::new()))
}

/// Every `.rs` file of top-level module `module`: `src/module.rs` and everything under `src/module/`.
fn module_files(src: &Path, module: &str) -> std::io::Result<Vec<Source>> {
    let mut files = Vec::new();
    let mut pending = vec![src.join(format!("{module}.rs")), src.join(module)];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                pending.push(entry?.path());
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") && path.is_file() {
            files.push(Source {
                module: module.to_owned(),
                text: std::fs::read_to_string(&path)?,
            });
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This file's own module: its examples name modules that do not exist.
    const THIS_MODULE: &str = "module_graph";

    fn crate_graph() -> Graph {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
        let mut files = Vec::new();
        for module in declared_modules(&lib) {
            if module != THIS_MODULE {
                files.extend(module_files(&src, &module).expect("readable module files"));
            }
        }
        let mut graph = graph(&lib, &files);
        graph.remove(THIS_MODULE);
        for uses in graph.values_mut() {
            uses.remove(THIS_MODULE);
        }
        graph
    }

    fn source(module: &str, text: &str) -> Source {
        Source {
            module: module.into(),
            text: text.into(),
        }
    }

    const LIB: &str = "pub mod a;\npub mod b;\nmod c;\npub use c::{Gamma, nested::Delta};\n";

    #[test]
    fn the_top_level_modules_of_the_crate_form_no_cycle() {
        let graph = crate_graph();
        assert!(
            graph["read"].contains("persistence") && graph[ROOT].contains("tick"),
            "the scan must see the crate's real dependencies: {graph:#?}"
        );
        assert_eq!(
            find_cycle(&graph),
            None,
            "top-level modules of src/ import each other in a cycle; order plugins by system sets \
             and move shared types into the lower module"
        );
    }

    #[test]
    fn a_cycle_through_a_group_import_a_reexport_and_a_doc_link_is_found() {
        let files = [
            source("a", "use crate::{\n    b::{One, Two},\n    phase,\n};\n"),
            source("b", "fn f() -> crate::Gamma { todo() }"),
            source("c", "//! See [`crate::a::Thing`].\nuse crate::c::Own;\n"),
        ];
        let graph = graph(LIB, &files);
        assert_eq!(
            graph["a"],
            ["b", "lib"].map(String::from).into(),
            "`phase` is no module: an item of lib.rs"
        );
        assert_eq!(graph["c"], ["a"].map(String::from).into(), "not itself");
        assert_eq!(
            find_cycle(&graph),
            Some(["a", "b", "c", "a"].map(String::from).to_vec())
        );
    }

    #[test]
    fn a_module_that_uses_an_item_of_lib_rs_depends_on_what_lib_rs_uses() {
        let lib = format!("{LIB}use a::Plugin;\n/// [`b::Thing`]\npub struct Group;\n");
        let files = [source("a", "use crate::Group;")];
        let graph = graph(&lib, &files);
        assert_eq!(graph[ROOT], ["a", "b", "c"].map(String::from).into());
        assert_eq!(
            find_cycle(&graph),
            Some(["a", "lib", "a"].map(String::from).to_vec())
        );
    }

    #[test]
    fn modules_that_only_depend_downwards_pass() {
        let files = [
            source(
                "a",
                "use crate::b::X;\nuse crate::c::Y;\nuse arbiter_crate::a::Z;",
            ),
            source("b", "use crate::Delta;"),
            source("c", "use super::Own;"),
        ];
        let graph = graph(LIB, &files);
        assert_eq!(graph["b"], ["c"].map(String::from).into());
        assert_eq!(find_cycle(&graph), None);
    }
}
