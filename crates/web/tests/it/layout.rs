//! The web crate's modules depend on each other one way only: no module reaches (through
//! `crate::…` or `super::…` paths) a module that reaches back. Cycles had grown before
//! (`auth` ⇄ `pages`, `pages::cases` ⇄ `pages::disputes`); this keeps them out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module's path (`cases::pages`) and the modules its code names.
fn references(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let crate_ref = regex::Regex::new(r"crate::(\w+(?:::\w+)?)").unwrap();
    let super_ref = regex::Regex::new(r"super::(\w+)").unwrap();
    let mut files = vec![src.to_path_buf()];
    let mut out = BTreeMap::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        let module = parts.join("::");
        let parent = parts[..parts.len().saturating_sub(1)].join("::");
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests may reach anywhere.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut named: BTreeSet<String> = crate_ref.captures_iter(code).map(|c| c[1].to_owned()).collect();
        for c in super_ref.captures_iter(code) {
            named.insert(if parent.is_empty() { c[1].to_owned() } else { format!("{parent}::{}", &c[1]) });
        }
        out.insert(module, named);
    }
    out
}

#[test]
fn no_two_modules_of_the_web_crate_depend_on_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let refs = references(&src);
    assert!(refs.len() > 40, "the scan finds the modules: {}", refs.len());
    // A path names the longest module it starts with (`crate::cases::pages::show` → `cases::pages`).
    let module_of = |path: &str| {
        let mut p = path.to_owned();
        while !p.is_empty() && !refs.contains_key(&p) {
            p = p.rsplit_once("::").map(|(head, _)| head.to_owned()).unwrap_or_default();
        }
        p
    };
    let graph: BTreeMap<&String, BTreeSet<String>> = refs
        .iter()
        .map(|(m, named)| (m, named.iter().map(|n| module_of(n)).filter(|n| !n.is_empty() && n != m).collect()))
        .collect();
    // Whether `to` is reachable from `from`.
    let reaches = |from: &String, to: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(m) = stack.pop() {
            if &m == to {
                return true;
            }
            if seen.insert(m.clone()) {
                stack.extend(graph.get(&m).into_iter().flatten().cloned());
            }
        }
        false
    };
    let mut cycles = Vec::new();
    for (m, deps) in &graph {
        for d in deps {
            if reaches(d, m) {
                cycles.push(format!("{m} → {d} → … → {m}"));
            }
        }
    }
    assert!(cycles.is_empty(), "modules that reach back: {cycles:#?}");
}
