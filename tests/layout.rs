//! The shape of the source tree, checked: modules import only downwards (see
//! ARCHITECTURE.md, "Layers"), no function in src/ runs over 60 lines and no
//! file over 400. Test modules (`#[cfg(test)] mod ...`) are exempt from the
//! function limit but count towards their file's length.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FUNCTION_LINES: usize = 60;
const MAX_FILE_LINES: usize = 400;

/// Top-level modules from the highest layer to the lowest. A module may use
/// modules of its own layer or lower ones, never a higher one; within a layer
/// the imports must not form a cycle.
const LAYERS: &[&[&str]] = &[
    &["cli"],
    &["eval"],
    &["http"],
    &["mcp"],
    &["conversation"],
    &["app"],
    &["agent"],
    &["tools"],
    &[
        "model",
        "defuse",
        "prompt",
        "templates",
        "workspace",
        "session",
        "tokens",
        "telemetry",
    ],
    &[
        "capability",
        "config",
        "limits",
        "pricing",
        "atomic",
        "group_commit",
        "keyed_lock",
        "access",
        "clock",
    ],
];

fn src_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source with comments and the contents of string and char literals
/// blanked out (newlines kept), so braces and paths can be counted.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && is_raw_start(&chars, i) {
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            out.push('"');
            for _ in i + 1..=j {
                out.push(' ');
            }
            i = j + 1;
            while i < chars.len() {
                if chars[i] == '"' && (0..hashes).all(|h| chars.get(i + 1 + h) == Some(&'#')) {
                    out.push('"');
                    for _ in 0..hashes {
                        out.push(' ');
                    }
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let close = if next == Some('\\') {
                (i + 2..chars.len()).find(|&j| chars[j] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(end) => {
                    for _ in i..=end {
                        out.push(' ');
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_raw_start(chars: &[char], i: usize) -> bool {
    let before = i.checked_sub(1).map(|j| chars[j]);
    let ident_before = before.is_some_and(|b| b.is_alphanumeric() || b == '_');
    if ident_before && before != Some('b') {
        return false;
    }
    let mut j = i + 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    chars.get(j) == Some(&'"')
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// The offset of the brace closing the one at `open`.
fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + offset);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_word_at(code: &str, offset: usize, word: &str) -> bool {
    let bytes = code.as_bytes();
    let before_ok =
        offset == 0 || !(bytes[offset - 1].is_ascii_alphanumeric() || bytes[offset - 1] == b'_');
    let end = offset + word.len();
    let after_ok =
        end >= bytes.len() || !(bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_');
    before_ok && after_ok && code[offset..].starts_with(word)
}

/// Byte ranges of `#[cfg(test)] mod name { ... }` blocks.
fn test_modules(code: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    for (at, _) in code.match_indices("#[cfg(test)]") {
        let rest = &code[at..];
        let Some(open) = rest.find('{') else { continue };
        let header = &rest[..open];
        if (header.contains(" mod ") || header.contains("\nmod "))
            && let Some(close) = matching_brace(code, at + open)
        {
            ranges.push((at, close));
        }
    }
    ranges
}

/// `(name, first line, lines)` of every function with a body outside test modules.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let tests = test_modules(code);
    let mut found = Vec::new();
    for (at, _) in code.match_indices("fn ") {
        if !is_word_at(code, at, "fn") || tests.iter().any(|(a, b)| (*a..*b).contains(&at)) {
            continue;
        }
        let name: String = code[at + 3..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue; // `fn(` types
        }
        let rest = &code[at..];
        let (Some(open), semi) = (rest.find('{'), rest.find(';')) else {
            continue;
        };
        if semi.is_some_and(|s| s < open) {
            continue; // a declaration without a body
        }
        if let Some(close) = matching_brace(code, at + open) {
            let first = line_of(code, at);
            found.push((name, first, line_of(code, close) - first + 1));
        }
    }
    found
}

/// The top-level modules a file names through `crate::`, outside test modules.
fn imports(code: &str) -> BTreeSet<String> {
    let tests = test_modules(code);
    let mut names = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        if !is_word_at(code, at, "crate") || tests.iter().any(|(a, b)| (*a..*b).contains(&at)) {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if rest.trim_start().starts_with('{') {
            // `crate::{a, b::c, d::{e, f}}`: the names at depth one.
            let mut depth = 0;
            let mut start = true;
            for (i, c) in rest.char_indices() {
                match c {
                    '{' => {
                        depth += 1;
                        start = depth == 1;
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => start = true,
                    c if start && depth == 1 && !c.is_whitespace() => {
                        names.insert(ident(&rest[i..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(src_dir()).expect("under src");
    let first = relative.components().next().expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            (path, text)
        })
        .collect()
}

#[test]
fn no_function_is_longer_than_the_limit() {
    let mut long = Vec::new();
    for (path, text) in sources() {
        for (name, line, lines) in functions(&code_only(&text)) {
            if lines > MAX_FUNCTION_LINES {
                long.push(format!("{}:{line} {name}: {lines} lines", path.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn no_file_is_longer_than_the_limit() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| text.lines().count() > MAX_FILE_LINES)
        .map(|(path, text)| format!("{}: {} lines", path.display(), text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn modules_import_only_their_own_layer_or_lower_ones() {
    let rank = |module: &str| LAYERS.iter().position(|layer| layer.contains(&module));
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources() {
        let module = module_of(&path);
        if module == "main" || module == "lib" {
            continue;
        }
        for target in imports(&code_only(&text)) {
            if target != module {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    let mut wrong = Vec::new();
    for (from, targets) in &edges {
        let Some(from_rank) = rank(from) else {
            wrong.push(format!("{from} is in no layer (add it to LAYERS)"));
            continue;
        };
        for to in targets {
            match rank(to) {
                None => wrong.push(format!("{to} (used by {from}) is in no layer")),
                Some(to_rank) if to_rank < from_rank => {
                    wrong.push(format!("{from} uses {to}, a higher layer"));
                }
                Some(_) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(cycle(&edges), None, "modules import each other in a cycle");
}

/// A cycle in the import graph, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

#[test]
fn the_checker_sees_what_it_checks() {
    let code = code_only(
        "use crate::{model::Message, tools};\n// crate::cli in a comment\n\
         fn short() {\n    let s = \"}\";\n    let c = '}';\n}\n\
         #[cfg(test)]\nmod tests {\n    fn long() {\n\n\n    }\n}\n",
    );
    assert_eq!(
        imports(&code),
        BTreeSet::from(["model".to_string(), "tools".to_string()])
    );
    assert_eq!(functions(&code), vec![("short".to_string(), 3, 4)]);
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(cycle(&edges).is_some());
}
